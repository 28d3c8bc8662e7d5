using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Validation;

public static partial class DeclarationRules
{
    // Every rule below judges the declaration against the host as it was read. Where the reader had to assume
    // something (no topology/ on some sparc or uniprocessor kernels, a cpufreq tree it could not read), the administrator sees that first, at the
    // severity the reader gave it: a warning when a rule or the plan may be worse for it, a note (shown with
    // --verbose) when the kernel reports the host that way on purpose and nothing is lost.
    private static void HostTopologyAssumed(RuleContext c)
    {
        foreach (TopologyNote note in c.Host.Notes)
        {
            c.Diagnostics.Add(new Diagnostic(
                Rules.HostTopologyAssumed,
                note.Severity,
                $"reading the host: {note.Message}",
                Span: null,
                note.Severity == Severity.Warning
                    ? "compare 'kvmconfig topology' with 'lscpu' on the host; if this is a capture, copy the files named here again"
                    : null));
        }
    }
}
