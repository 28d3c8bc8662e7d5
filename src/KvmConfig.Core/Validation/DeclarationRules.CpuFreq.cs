using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Validation;

// The rules about frequency scaling: the governor and the overclock cap.
public static partial class DeclarationRules
{
    private static void Governor(RuleContext c)
    {
        string governor = c.Policy.CpuFreq;
        if (governor == "keep" || c.Host.CpuFreq.Unknown)
        {
            return;
        }

        SourceSpan? at = c.Policy.Origins.Of("cpufreq");
        IReadOnlyList<string> offered = c.Host.CpuFreq.Governors;
        if (offered.Contains(governor))
        {
            return;
        }

        string what = CpuFreqInfo.KnownGovernors.Contains(governor) ? $"governor '{governor}' is not offered by this host" : $"'{governor}' is not a cpufreq governor";
        string? near = Suggest.Closest(governor, offered);
        c.Add(Rules.Governor,
            offered.Count == 0
                ? $"cpufreq = {governor}: {what}; this host exposes no cpufreq governors at all (no cpu/cpufreq/policy*)"
                : $"cpufreq = {governor}: {what}; this host offers {string.Join(", ", offered)}",
            at,
            offered.Count == 0
                ? "write cpufreq = keep: frequency is managed by firmware or the hypervisor here"
                : $"{(near is null ? "" : $"did you mean '{near}'? ")}write one of: keep, {string.Join(", ", offered)}");
    }

    private static void CpuFreqMax(RuleContext c)
    {
        if (c.Policy.CpuFreqMax is not { } cap || c.Host.CpuFreq.Unknown)
        {
            return;
        }

        SourceSpan? at = c.Policy.Origins.Of("cpufreq_max");
        CpuFreqInfo freq = c.Host.CpuFreq;
        if (freq.MaxKHz is not { } max)
        {
            c.Add(Rules.CpuFreqMax,
                $"cpufreq_max = {cap}: this host exposes no cpufreq limits to cap",
                at,
                "remove cpufreq_max on this host");
            return;
        }

        long khz = cap.Resolve(max);
        if (khz > max || (freq.MinKHz is { } min && khz < min))
        {
            c.Add(Rules.CpuFreqMax,
                $"cpufreq_max = {cap}{(cap.Percent is null ? "" : $" ({khz / 1000} MHz)")} is outside the CPUs' range {freq.MinKHz / 1000 ?? 0}..{max / 1000} MHz",
                at,
                $"write a value from {freq.MinKHz / 1000 ?? 0}MHz to {max / 1000}MHz, or a percentage");
        }
    }
}
