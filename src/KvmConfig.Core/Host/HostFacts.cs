using KvmConfig.Core.Tuning;

namespace KvmConfig.Core.Host;

/// <summary>A fact read from the host: its value, or why it is not known (a file missing or unreadable).</summary>
/// <typeparam name="T">What was read.</typeparam>
/// <param name="Value">The value; meaningful only when <see cref="Unknown"/> is null.</param>
/// <param name="Unknown">Why the value is not known, naming the file; null when it is.</param>
public readonly record struct Fact<T>(T Value, string? Unknown)
{
    /// <summary>True when the value was read.</summary>
    public bool Known => Unknown is null;

    /// <summary>A value read.</summary>
    public static Fact<T> Of(T value) => new(value, null);

    /// <summary>A value that could not be read, and why.</summary>
    public static Fact<T> NotKnown(string why) => new(default!, why);
}

/// <summary>
/// What <c>kvmconfig doctor</c> reads of a host besides its topology: each from one kernel or distribution file,
/// named in its documentation, known or not with the reason. Read by <c>HostFactsReader</c> (KvmConfig.Linux) under a
/// root, so that a captured tree reads like the live host.
/// </summary>
public sealed record HostFacts
{
    /// <summary>The CPU flags of <c>/proc/cpuinfo</c> (<c>flags</c> on x86; <c>Features</c> elsewhere), of the first CPU.</summary>
    public required Fact<IReadOnlySet<string>> CpuFlags { get; init; }

    /// <summary>Whether <c>/dev/kvm</c> exists.</summary>
    public required Fact<bool> KvmDevice { get; init; }

    /// <summary>The IOMMUs the kernel registered (<c>/sys/class/iommu</c> entries: <c>dmar0</c>, <c>ivhd0</c>), sorted.</summary>
    public required Fact<IReadOnlyList<string>> Iommus { get; init; }

    /// <summary>The kernel command line (<c>/proc/cmdline</c>).</summary>
    public required Fact<KernelCommandLine> CommandLine { get; init; }

    /// <summary><c>/sys/fs/selinux/enforce</c>: 1 enforcing, 0 permissive; not known where SELinux is not mounted.</summary>
    public required Fact<int> SelinuxEnforce { get; init; }

    /// <summary>
    /// AppArmor's loaded profiles with their modes (<c>/sys/kernel/security/apparmor/profiles</c>: <c>NAME (MODE)</c>
    /// a line); not known where AppArmor is not enabled.
    /// </summary>
    public required Fact<IReadOnlyList<(string Profile, string Mode)>> AppArmorProfiles { get; init; }

    /// <summary>The active Linux security modules, in order (<c>/sys/kernel/security/lsm</c>).</summary>
    public required Fact<IReadOnlyList<string>> Lsms { get; init; }

    /// <summary>The cgroup hierarchy at <c>/sys/fs/cgroup</c>: 2 (unified: <c>cgroup.controllers</c>) or 1.</summary>
    public required Fact<int> CgroupVersion { get; init; }

    /// <summary>
    /// Whether a task's scheduler statistics, which CPU ready is computed from, exist (<c>/proc/self/schedstat</c>: run
    /// time, wait time and timeslices, kept by CONFIG_SCHED_INFO).
    /// </summary>
    public required Fact<bool> Schedstat { get; init; }

    /// <summary>Transparent huge pages mode, the bracketed word of <c>/sys/kernel/mm/transparent_hugepage/enabled</c>.</summary>
    public required Fact<string> ThpMode { get; init; }

    /// <summary><c>/sys/kernel/mm/ksm/run</c>: 0 stopped, 1 merging, 2 unmerging.</summary>
    public required Fact<int> KsmRun { get; init; }

    /// <summary>The sysctl values doctor judges, by name (<c>vm.swappiness</c>), from <c>/proc/sys</c>.</summary>
    public required IReadOnlyDictionary<string, Fact<long>> Sysctls { get; init; }

    /// <summary>
    /// CPUs irqbalance keeps interrupts off (<c>IRQBALANCE_BANNED_CPULIST</c>, or the hex mask
    /// <c>IRQBALANCE_BANNED_CPUS</c>, in <c>/etc/default/irqbalance</c> or <c>/etc/sysconfig/irqbalance</c>); empty when
    /// the file bans none; not known without a file.
    /// </summary>
    public required Fact<CpuSet> IrqBalanceBanned { get; init; }

    /// <summary>The host's memory (<c>MemTotal</c> of <c>/proc/meminfo</c>), KiB.</summary>
    public required Fact<long> MemTotalKiB { get; init; }

    /// <summary>Each cpufreq policy with an online CPU, as <c>tune</c> reads it (governor, cap in force, hardware range).</summary>
    public required Fact<IReadOnlyList<CpuFreqPolicyFacts>> CpuFreqPolicies { get; init; }

    /// <summary>The sysctls doctor reads, with the values it recommends in <c>Doctor</c>.</summary>
    public static IReadOnlyList<string> SysctlNames { get; } = ["vm.swappiness", "vm.overcommit_memory", "net.core.somaxconn"];
}

/// <summary>The kernel command line, split into parameters as the kernel does (spaces; quotes keep a value whole).</summary>
/// <param name="Text">The line as read.</param>
public sealed record KernelCommandLine(string Text)
{
    /// <summary>Each parameter as NAME or NAME=VALUE, in order.</summary>
    public IReadOnlyList<(string Name, string? Value)> Parameters { get; } = Split(Text);

    /// <summary>The last value of <paramref name="name"/> (the kernel takes the last), or null when absent or bare.</summary>
    public string? Value(string name) => Parameters.LastOrDefault(p => p.Name == name).Value;

    /// <summary>True when <paramref name="name"/> is present, bare or with a value.</summary>
    public bool Has(string name) => Parameters.Any(p => p.Name == name);

    private static List<(string, string?)> Split(string text)
    {
        var parameters = new List<(string, string?)>();
        var word = new System.Text.StringBuilder();
        bool quoted = false;
        foreach (char c in text + " ")
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (word.Length > 0)
                {
                    string w = word.ToString();
                    int equals = w.IndexOf('=', StringComparison.Ordinal);
                    parameters.Add(equals < 0 ? (w, null) : (w[..equals], w[(equals + 1)..]));
                    word.Clear();
                }
            }
            else
            {
                word.Append(c);
            }
        }

        return parameters;
    }
}
