using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Linux.Tuning;

/// <summary>Reads what <c>tune</c> decides from: cpufreq policies, the turbo switch, sysctl values and the drop-in.</summary>
/// <param name="files">The host's files (a sysroot).</param>
public sealed class TuneFactsReader(IKernelSettingFiles files)
{
    private const string CpuDir = "/sys/devices/system/cpu";

    /// <summary>The facts, for the cpufreq policies with a CPU in <paramref name="online"/>.</summary>
    /// <param name="online">The online CPUs (from the topology).</param>
    /// <param name="sysRoot">The sysroot, to list the policy directories.</param>
    public TuneFacts Read(CpuSet online, string sysRoot)
    {
        TurboSwitch? turbo = files.Read(CpuDir + "/intel_pstate/no_turbo") is { } noTurbo
            ? new TurboSwitch(CpuDir + "/intel_pstate/no_turbo", noTurbo, "1")
            : files.Read(CpuDir + "/cpufreq/boost") is { } boost ? new TurboSwitch(CpuDir + "/cpufreq/boost", boost, "0") : null;
        return new TuneFacts(
            [.. PolicyDirectories(online, sysRoot).Select(dir => Policy(dir, online)).OfType<CpuFreqPolicyFacts>()],
            turbo,
            [.. SysctlRecommendations.All.Select(r => new SysctlFacts(r.Key, files.Read(SysctlFacts.SysctlPath(r.Key))))],
            ReadWhole(HostPaths.Under(sysRoot, SysctlRecommendations.DropInPath)));
    }

    // cpu/cpufreq/policyN (Linux 4.6+), one per group of CPUs switching together; before, cpuN/cpufreq per CPU.
    private static IEnumerable<string> PolicyDirectories(CpuSet online, string sysRoot)
    {
        string root = HostPaths.Under(sysRoot, CpuDir + "/cpufreq");
        List<string> policies = Directory.Exists(root)
            ? [.. Directory.EnumerateDirectories(root, "policy*")
                .Select(Path.GetFileName)
                .Where(n => int.TryParse(n!["policy".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .OrderBy(n => int.Parse(n!["policy".Length..], CultureInfo.InvariantCulture))
                .Select(n => $"{CpuDir}/cpufreq/{n}")]
            : [];
        return policies.Count > 0
            ? policies
            : online.Select(cpu => $"{CpuDir}/cpu{cpu}/cpufreq").Where(d => Directory.Exists(HostPaths.Under(sysRoot, d)));
    }

    private CpuFreqPolicyFacts? Policy(string dir, CpuSet online)
    {
        //   related_cpus                 "4 5 6 7"   space-separated CPU numbers, offline ones included
        //   scaling_available_governors  "performance powersave"
        //   scaling_governor             "powersave"
        //   scaling_max_freq             "4700000"   kHz, the cap in force (what tune writes)
        //   cpuinfo_min_freq, cpuinfo_max_freq       kHz, the hardware's range
        //   base_frequency               "2800000"   intel_pstate with HWP only
        string? cpuText = files.Read(dir + "/related_cpus") ?? files.Read(dir + "/affected_cpus");
        CpuSet cpus = cpuText is null
            ? (dir.StartsWith(CpuDir + "/cpu", StringComparison.Ordinal) && int.TryParse(dir[(CpuDir.Length + 4)..].Split('/')[0], CultureInfo.InvariantCulture, out int own) ? CpuSet.Of(own) : CpuSet.Empty)
            : KernelFiles.Parse(dir + "/related_cpus", cpuText, t => CpuSet.Of(t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n => int.Parse(n, CultureInfo.InvariantCulture))));
        if (!cpus.Overlaps(online))
        {
            return null;
        }

        return new CpuFreqPolicyFacts(
            dir,
            cpus & online,
            files.Read(dir + "/scaling_available_governors")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [],
            files.Read(dir + "/scaling_governor"),
            KHz(dir + "/scaling_max_freq"),
            KHz(dir + "/cpuinfo_min_freq"),
            KHz(dir + "/cpuinfo_max_freq"),
            KHz(dir + "/base_frequency"));
    }

    private long? KHz(string hostPath) =>
        files.Read(hostPath) is { } text ? KernelFiles.Parse(hostPath, text, t => long.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture)) : null;

    private static string? ReadWhole(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.CannotRead(path, e);
        }
    }
}
