using KvmConfig.Config.Semantics;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Validation;

namespace KvmConfig.Config;

/// <summary>
/// The opening of the <c>cluster</c> commands as a library call: syntax, semantics and the cluster inventory's rules
/// (<see cref="ClusterRules"/>), none of which needs a node's topology. Each node's own rules are judged when its VMs
/// are placed there, against that node.
/// </summary>
public static class ClusterCheck
{
    /// <summary>Reads <paramref name="directory"/> and judges its <c>[node]</c> sections and the VMs' placement keys.</summary>
    public static CheckReport Run(string directory) => Run(new ConfigDirectoryReader(directory).Read());

    /// <summary>Judges already-read files.</summary>
    public static CheckReport Run(ConfigSource source)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = DeclarationBinder.Bind(source.Documents);
        List<Diagnostic> all = [.. source.Diagnostics, .. binding, .. ClusterRules.Check(declaration)];
        return new CheckReport(source, declaration, DeclarationCheck.Capped(DeclarationCheck.InFileOrder(all)));
    }
}
