using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Host;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux.Tuning;

namespace KvmConfig.Linux;

/// <summary>
/// Reads the <see cref="HostFacts"/> <c>doctor</c> judges from the files the kernel and the distribution keep them in,
/// all under one root: <c>/</c> for this host, or a captured tree (<c>DIR/proc/cmdline</c>, <c>DIR/sys/class/iommu</c>,
/// <c>DIR/etc/default/irqbalance</c>, ...). A file that is missing or unreadable makes its fact unknown, naming the file;
/// it never stops the other facts.
/// </summary>
/// <param name="root">The root the absolute paths are read under.</param>
public sealed class HostFactsReader(string root)
{
    private readonly string _root = Path.GetFullPath(root);

    /// <summary>Reads this host (<c>/</c>).</summary>
    public static HostFactsReader ForHost() => new("/");

    /// <summary>Every fact; the cpufreq policies of the <paramref name="online"/> CPUs (the topology's).</summary>
    public HostFacts Read(CpuSet online) => new()
    {
        CpuFlags = Text("/proc/cpuinfo", CpuFlags),
        KvmDevice = Presence("/dev/kvm", "/dev"),
        Iommus = Entries("/sys/class/iommu", "/sys/class"),
        CommandLine = Text("/proc/cmdline", text => new KernelCommandLine(text.Trim())),
        Lsms = Text("/sys/kernel/security/lsm", text => (IReadOnlyList<string>)[.. text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries)]),
        SelinuxEnforce = Text("/sys/fs/selinux/enforce", text => int.Parse(text.Trim(), CultureInfo.InvariantCulture)),
        AppArmorProfiles = Text("/sys/kernel/security/apparmor/profiles", AppArmor),
        CgroupVersion = CgroupVersion(),
        Schedstat = Presence("/proc/self/schedstat", "/proc"),
        ThpMode = Text("/sys/kernel/mm/transparent_hugepage/enabled", Bracketed),
        KsmRun = Text("/sys/kernel/mm/ksm/run", text => int.Parse(text.Trim(), CultureInfo.InvariantCulture)),
        Sysctls = HostFacts.SysctlNames.ToDictionary(n => n, n => Text(SysctlFacts.SysctlPath(n), text => long.Parse(text.Trim(), CultureInfo.InvariantCulture))),
        IrqBalanceBanned = IrqBalance(),
        MemTotalKiB = Text("/proc/meminfo", MemTotal),
        CpuFreqPolicies = CpuFreq(online),
    };

    private string Under(string absolute) => HostPaths.Under(_root, absolute);

    // The file's text parsed; unknown when it is missing, unreadable or not as documented.
    private Fact<T> Text<T>(string absolute, Func<string, T> parse)
    {
        string path = Under(absolute);
        try
        {
            return KernelFiles.ReadIfPresent(path) is { } text ? Fact<T>.Of(parse(text)) : Fact<T>.NotKnown($"{path} not found");
        }
        catch (Exception e) when (e is KvmConfigException or FormatException or OverflowException or IOException or UnauthorizedAccessException)
        {
            return Fact<T>.NotKnown($"{path} could not be read: {e.Message}");
        }
    }

    // Whether a file exists; unknown when the directory it would be in is missing too (a capture without it).
    private Fact<bool> Presence(string absolute, string parent) =>
        File.Exists(Under(absolute)) ? Fact<bool>.Of(true)
        : Directory.Exists(Under(parent)) ? Fact<bool>.Of(false)
        : Fact<bool>.NotKnown($"{Under(parent)} not found");

    private Fact<IReadOnlyList<string>> Entries(string absolute, string parent)
    {
        string path = Under(absolute);
        try
        {
            return Directory.Exists(path) ? Fact<IReadOnlyList<string>>.Of([.. Directory.EnumerateFileSystemEntries(path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)])
                : Directory.Exists(Under(parent)) ? Fact<IReadOnlyList<string>>.Of([])
                : Fact<IReadOnlyList<string>>.NotKnown($"{Under(parent)} not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fact<IReadOnlyList<string>>.NotKnown($"{path} could not be listed: {e.Message}");
        }
    }

    private Fact<int> CgroupVersion() =>
        File.Exists(Under("/sys/fs/cgroup/cgroup.controllers")) ? Fact<int>.Of(2)
        : Directory.Exists(Under("/sys/fs/cgroup")) && Directory.EnumerateFileSystemEntries(Under("/sys/fs/cgroup")).Any() ? Fact<int>.Of(1)
        : Fact<int>.NotKnown($"{Under("/sys/fs/cgroup")} not found or empty");

    private Fact<CpuSet> IrqBalance()
    {
        foreach (string file in new[] { "/etc/default/irqbalance", "/etc/sysconfig/irqbalance" })
        {
            if (File.Exists(Under(file)))
            {
                return Text(file, BannedCpus);
            }
        }

        return Fact<CpuSet>.NotKnown($"neither {Under("/etc/default/irqbalance")} nor {Under("/etc/sysconfig/irqbalance")} exists");
    }

    // The policies as tune reads them (TuneFactsReader), so that doctor judges what tune sets.
    private Fact<IReadOnlyList<CpuFreqPolicyFacts>> CpuFreq(CpuSet online)
    {
        string cpu = Under("/sys/devices/system/cpu");
        if (!Directory.Exists(cpu))
        {
            return Fact<IReadOnlyList<CpuFreqPolicyFacts>>.NotKnown($"{cpu} not found");
        }

        try
        {
            return Fact<IReadOnlyList<CpuFreqPolicyFacts>>.Of(new TuneFactsReader(new KernelSettingFiles(_root)).Read(online, _root).Policies);
        }
        catch (Exception e) when (e is KvmConfigException or IOException or UnauthorizedAccessException)
        {
            return Fact<IReadOnlyList<CpuFreqPolicyFacts>>.NotKnown($"cpufreq under {cpu} could not be read: {e.Message}");
        }
    }

    // flags (x86) or Features (arm64) of the first CPU in /proc/cpuinfo.
    private static IReadOnlySet<string> CpuFlags(string text)
    {
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() is "flags" or "Features")
            {
                return line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            }
        }

        return new HashSet<string>();
    }

    // "name (mode)" a line; a profile's name may hold spaces and parentheses, so the mode is the last parenthesis.
    private static IReadOnlyList<(string, string)> AppArmor(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd())
            .Select(line => line.LastIndexOf(" (", StringComparison.Ordinal) is int at and > 0 && line.EndsWith(')')
                ? (line[..at], line[(at + 2)..^1])
                : throw new FormatException($"'{line}' is not NAME (MODE)"))];

    // "always [madvise] never": the word in brackets.
    private static string Bracketed(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault(w => w.StartsWith('[') && w.EndsWith(']')) is { } word
            ? word[1..^1]
            : throw new FormatException($"'{text.Trim()}' has no [selected] mode");

    private static long MemTotal(string text) =>
        text.Split('\n').FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) is { } line
            ? long.Parse(line["MemTotal:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture)
            : throw new FormatException("no MemTotal line");

    // IRQBALANCE_BANNED_CPULIST (a CPU list, irqbalance 1.8 on) or IRQBALANCE_BANNED_CPUS (a hex mask) in a shell
    // variables file; the list wins when both are set, as irqbalance has it. Commented lines are skipped.
    private static CpuSet BannedCpus(string text)
    {
        string? Value(string key) => text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal))
            .Select(l => l[(key.Length + 1)..].Trim().Trim('"', '\'')).LastOrDefault();
        return Value("IRQBALANCE_BANNED_CPULIST") is { Length: > 0 } list ? CpuSet.Parse(list)
            : Value("IRQBALANCE_BANNED_CPUS") is { Length: > 0 } mask ? CpuSet.ParseHexMask(mask)
            : CpuSet.Empty;
    }
}
