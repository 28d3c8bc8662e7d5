using System.Text.RegularExpressions;
using KvmConfig.Config.Semantics;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Validation;
using KvmConfig.TestSupport;

namespace KvmConfig.Config.Tests;

/// <summary>docs/configuration.md is the reference administrators read: every key the parser accepts is in it.</summary>
public sealed partial class ConfigurationDocsTests
{
    public static TheoryData<string> Spellings =>
        new(KeyCatalog.All.SelectMany(k => k.Aliases.Prepend(k.Name)));

    [Theory]
    [MemberData(nameof(Spellings))]
    public void Every_key_and_alias_is_documented(string key)
    {
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "configuration.md"));

        Assert.Contains($"`{key}`", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_built_in_profile_is_documented_with_its_values()
    {
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "configuration.md"));

        foreach ((string name, IReadOnlyDictionary<string, string> values) in BuiltInProfiles.All)
        {
            string row = doc.Split('\n').Single(l => l.StartsWith($"| `{name}` |", StringComparison.Ordinal));
            foreach (string value in values.Values)
            {
                Assert.Contains($" {value} ", row, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void The_cluster_example_binds_as_the_text_says()
    {
        // Given the worked example of [node NAME], its files separated by their "# NN-NAME.conf" comment lines
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "configuration.md"));
        string block = ClusterExample().Match(doc).Groups["block"].Value;
        string directory = FileMarker().Replace(block, m => $"--- {m.Groups["file"].Value}");

        // When it is bound and the cluster rules judge it
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = ConfigText.Bind(directory);
        IReadOnlyList<Diagnostic> cluster = ClusterRules.Check(declaration);

        // Then it is clean, and the nodes, policies and groups are what the prose after it says
        Assert.Equal("", ConfigText.Render(binding.Concat(cluster).Where(d => d.Severity != Severity.Info)));
        Assert.Equal(["kvm1", "kvm2", "kvm3"], declaration.Nodes.Select(n => n.Name));
        Assert.Equal(["0,24", "0-1,24-25", "0,24"], declaration.Nodes.Select(n => n.Policy.Reserved!.ToString()));
        Assert.Equal([4096L, 4096L, 8192L], declaration.Nodes.Select(n => n.Policy.MemoryReservedMiB));
        Assert.All(declaration.Nodes, n => Assert.Equal(SmtPolicy.Isolate, n.Policy.Smt));
        Assert.Equal("/etc/kvmconfig.d/captures/kvm3", declaration.Nodes[2].Sysroot);
        Assert.Equal(["pg1", "pg2", "pg3"], declaration.Vms.Where(v => v.Group == "pg").Select(v => v.Name));
        Assert.All(declaration.Vms.Where(v => v.Group == "etcd"), v => Assert.Equal(GroupSpread.Rack, v.GroupSpread));
        Assert.Equal("kvm3", declaration.Vms.Single(v => v.Name == "backup").Host);

        // And a fourth pg VM, or a third etcd VM, is KVC052 as the text says
        Assert.Equal("KVC052", Assert.Single(ClusterRules.Check(ConfigText.Bind(directory + "\n[vm pg4]\nprofile = pg").Declaration)).Code);
        Assert.Equal("KVC052", Assert.Single(ClusterRules.Check(ConfigText.Bind(directory + "\n[vm etcd3]\nvcpus = 2\ngroup = etcd\ngroup_spread = rack").Declaration)).Code);
    }

    [GeneratedRegex(@"### Example: three nodes in two racks\n\n```ini\n(?<block>.*?)```", RegexOptions.Singleline)]
    private static partial Regex ClusterExample();

    [GeneratedRegex(@"^# (?<file>\d+-[a-z]+\.conf)\b.*$", RegexOptions.Multiline)]
    private static partial Regex FileMarker();
}
