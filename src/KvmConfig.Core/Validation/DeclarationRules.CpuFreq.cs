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
        if (c.Policy.CpuFreqMax is not { } cap)
        {
            return;
        }

        if (cap.AtBase)
        {
            OverclockProtection(c);
            return;
        }

        if (c.Host.CpuFreq.Unknown)
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

        long khz = cap.Resolve(freq)!.Value;
        if (khz > max || (freq.MinKHz is { } min && khz < min))
        {
            c.Add(Rules.CpuFreqMax,
                $"cpufreq_max = {cap}{(cap.Percent is null ? "" : $" ({khz / 1000} MHz)")} is outside the CPUs' range {freq.MinKHz / 1000 ?? 0}..{max / 1000} MHz",
                at,
                $"write a value from {freq.MinKHz / 1000 ?? 0}MHz to {max / 1000}MHz, or a percentage");
        }
    }

    // Overclock protection (cpufreq = vtlb, the white paper's word, or cpufreq_max = base): the VMs' CPUs never run
    // above their base frequency, the clock the part is rated to hold on all cores; the turbo range above it is left
    // unused. A note with the figure; a warning when this host cannot give the figure, since the protection the
    // declaration asks for then has no value to apply.
    private static void OverclockProtection(RuleContext c)
    {
        SourceSpan? at = c.Policy.Origins.Of("cpufreq_max");
        CpuFreqInfo freq = c.Host.CpuFreq;
        if (freq.Unknown)
        {
            c.Add(Rules.OverclockProtection,
                $"overclock protection (cpufreq_max = base): the cap cannot be computed here, the host's cpufreq is {freq.UnknownBecause}",
                at,
                "run kvmconfig check on the host itself to see the base frequency its CPUs are capped at");
            return;
        }

        if (freq.BaseKHz is { } baseKHz)
        {
            string turbo = freq.MaxKHz is { } max && max > baseKHz ? $"; the turbo range up to {max / 1000} MHz stays unused" : "";
            c.Add(Rules.OverclockProtection,
                $"overclock protection: the CPUs VMs use are capped at their base frequency, {baseKHz / 1000} MHz (cpufreq_max = base){turbo}",
                at,
                "the cap is for scaling_max_freq of those CPUs; write cpufreq_max = FREQUENCY or N% for another one");
            return;
        }

        string why = freq.MaxKHz is { } top
            ? $"this host does not say its CPUs' base frequency (no base_frequency in cpu/cpufreq/policy*, which intel_pstate writes when the CPU has HWP), and their {top / 1000} MHz maximum may be a turbo clock"
            : "this host exposes no cpufreq at all (no cpu/cpufreq/policy*), firmware or a hypervisor sets the clock";
        c.Diagnostics.Add(Diagnostic.Create(Rules.OverclockProtection,
            $"overclock protection (cpufreq_max = base): {why}: the cap cannot be computed on this host",
            at,
            freq.MaxKHz is null
                ? "cap the clock in the firmware's turbo setting, or remove the line on this host"
                : "write the base clock from the CPU's data sheet instead, e.g. cpufreq_max = 2.4GHz") with
        {
            Severity = Severity.Warning,
        });
    }
}
