using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

// cpufreq: the governors and frequency range. Nothing here stops the topology: what cannot be read costs the
// governor line, with a note.
public sealed partial class SysfsTopologyReader
{
    private CpuFreqInfo ReadCpuFreq(CpuSet online, List<TopologyNote> notes)
    {
        // cpu/cpufreq/policyN/ (kernel 4.6+), one per group of CPUs switching frequency together.
        // Older kernels have a cpufreq/ directory in each cpuN instead (today it is a link to policyN).
        List<string> policies;
        try
        {
            string policyRoot = CpuPath("cpufreq");
            policies = Directory.Exists(policyRoot)
                ? NumberedEntries(policyRoot, "policy", directoriesOnly: true).Select(n => Path.Combine(policyRoot, $"policy{n}")).ToList()
                : [];
            if (policies.Count == 0)
            {
                policies = online.Select(cpu => CpuPath($"cpu{cpu}", "cpufreq")).Where(Directory.Exists).ToList();
            }
        }
        catch (KvmConfigException e)
        {
            notes.Add(new(Severity.Warning, $"cpufreq cannot be read ({e.Message}): the scaling governor is unknown"));
            return CpuFreqInfo.Unreadable;
        }

        // Governors: those every active policy offers (intersection); the ones in use (union). Range: the widest.
        SortedSet<string>? offered = null;
        var current = new SortedSet<string>(StringComparer.Ordinal);
        long? min = null, max = null, baseKHz = null;
        bool anyActive = false, baseEverywhere = true;
        var malformed = new List<string>();
        var refused = new List<string>();
        foreach (string policy in policies)
        {
            CpuFreqPolicy? p;
            try
            {
                p = ReadPolicy(policy, online);
            }
            catch (KvmConfigException e) when (e.InnerException is IOException or UnauthorizedAccessException)
            {
                // -EBUSY for an inactive policy (intel_pstate keeps one per CPU, offline ones too), -EPERM or -EIO
                // from a driver: this policy is unknown, and says nothing about the others.
                refused.Add(e.Message);
                continue;
            }
            catch (KvmConfigException e)
            {
                malformed.Add(e.Message);
                continue;
            }

            if (p is null)
            {
                continue;
            }

            anyActive = true;
            if (p.Governors is not null)
            {
                offered ??= new SortedSet<string>(p.Governors, StringComparer.Ordinal);
                offered.IntersectWith(p.Governors);
            }

            if (!string.IsNullOrEmpty(p.Governor))
            {
                current.Add(p.Governor);
            }

            if (p.MinKHz is long lo)
            {
                min = min is null ? lo : Math.Min(min.Value, lo);
            }

            if (p.MaxKHz is long hi)
            {
                max = max is null ? hi : Math.Max(max.Value, hi);
            }

            // The base frequency counts only when every policy gives one: the lowest, so that a cap at it holds for all.
            baseEverywhere &= p.BaseKHz is not null;
            if (p.BaseKHz is long rated)
            {
                baseKHz = baseKHz is null ? rated : Math.Min(baseKHz.Value, rated);
            }
        }

        if (anyActive && malformed.Count > 0)
        {
            notes.Add(new(Severity.Warning, $"cpufreq: {string.Join("; ", malformed)}: governors and frequencies come from the other policies"));
        }
        else if (!anyActive && malformed.Count + refused.Count > 0)
        {
            notes.Add(new(Severity.Warning, $"cpufreq: no policy could be read ({string.Join("; ", malformed.Concat(refused).Take(3))}): the scaling governor is unknown"));
            return CpuFreqInfo.Unreadable;
        }

        return anyActive
            ? new CpuFreqInfo([.. offered ?? []], [.. current], min, max) { BaseKHz = baseEverywhere ? baseKHz : null }
            : CpuFreqInfo.None;
    }

    /// <summary>What one cpufreq policy says; a null member is a file the policy does not have.</summary>
    private sealed record CpuFreqPolicy(IReadOnlyList<string>? Governors, string? Governor, long? MinKHz, long? MaxKHz, long? BaseKHz);

    /// <summary>
    /// One policy directory, or null when it covers no online CPU. A file that cannot be read or holds what the kernel
    /// would not write throws <see cref="Rules.Unreadable"/> naming it, which the caller turns into a note.
    /// </summary>
    private static CpuFreqPolicy? ReadPolicy(string dir, CpuSet online)
    {
        //   related_cpus                 "4 5 6 7"   CPUs of the policy, offline ones included, space-separated
        //   affected_cpus                "4 5"       its online CPUs only (older kernels may lack related_cpus)
        //   scaling_available_governors  "performance powersave"
        //   scaling_governor             "powersave"
        //   cpuinfo_min_freq             "400000"    kHz, the hardware's range
        //   cpuinfo_max_freq             "4800000"   with intel_pstate, the top of the turbo range
        //   base_frequency               "2100000"   intel_pstate with HWP only: the rated, non-turbo clock
        // Empty (a capture of a policy the kernel refused to read) is missing, so affected_cpus is tried next; with
        // neither, the policy counts as active, and its other files decide.
        CpuSet? cpus = ReadCpuNumbersOrNull(Path.Combine(dir, "related_cpus")) ?? ReadCpuNumbersOrNull(Path.Combine(dir, "affected_cpus"));
        if (cpus is not null && !cpus.Overlaps(online))
        {
            return null;
        }

        return new CpuFreqPolicy(
            ReadTextOrNull(Path.Combine(dir, "scaling_available_governors")) is string available ? ParseGovernors(available) : null,
            ReadTextOrNull(Path.Combine(dir, "scaling_governor")) is string governor ? Clean(governor) : null,
            ReadLongOrNull(Path.Combine(dir, "cpuinfo_min_freq")),
            ReadLongOrNull(Path.Combine(dir, "cpuinfo_max_freq")),
            ReadLongOrNull(Path.Combine(dir, "base_frequency")));
    }

    private static CpuSet? ReadCpuNumbersOrNull(string path) =>
        ReadTextOrNull(path) is string text ? Parse(path, text, ParseCpuNumbers) : null;
}
