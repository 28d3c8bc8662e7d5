using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Core.Topology;

/// <summary>
/// One online logical CPU (a hardware thread) and where it sits: package, die, cluster, core, caches, node.
/// </summary>
/// <param name="Id">Logical CPU number, as in <c>cpuN</c>.</param>
/// <param name="PackageId">Socket: <c>topology/physical_package_id</c>.</param>
/// <param name="DieId">Die inside the package: <c>topology/die_id</c> (0 where the kernel has none).</param>
/// <param name="ClusterId">Cluster (shared L2 on some parts): <c>topology/cluster_id</c>, null when absent.</param>
/// <param name="CoreId">Core number as the kernel gives it: unique only inside its package.</param>
/// <param name="ThreadSiblings">SMT siblings including this CPU: <c>topology/thread_siblings_list</c>.</param>
/// <param name="Node">NUMA node holding this CPU.</param>
/// <param name="L2">CPUs sharing this CPU's L2 cache, or null when the cache tree was not captured.</param>
/// <param name="L3">CPUs sharing this CPU's L3 cache (the last-level cache), or null.</param>
public sealed record LogicalCpu(
    int Id,
    int PackageId,
    int DieId,
    int? ClusterId,
    int CoreId,
    CpuSet ThreadSiblings,
    int Node,
    CpuSet? L2,
    CpuSet? L3);

/// <summary>Huge pages of one size on one NUMA node.</summary>
/// <param name="SizeKiB">Page size (2048 for 2M, 1048576 for 1G).</param>
/// <param name="Total">Pages reserved (<c>nr_hugepages</c>).</param>
/// <param name="Free">Pages not in use (<c>free_hugepages</c>).</param>
public sealed record HugePagePool(long SizeKiB, long Total, long Free)
{
    /// <summary>Size in bytes of one page.</summary>
    public long SizeBytes => SizeKiB * 1024;
}

/// <summary>A NUMA node: its CPUs (possibly none: memory-only nodes exist), memory and huge pages.</summary>
/// <param name="Id">Node number, as in <c>nodeN</c>.</param>
/// <param name="Cpus">Online CPUs of the node.</param>
/// <param name="MemTotalKiB">Node memory (<c>MemTotal</c> of <c>nodeN/meminfo</c>); null when unknown.</param>
/// <param name="MemFreeKiB">Free memory (<c>MemFree</c>); null when unknown.</param>
/// <param name="HugePages">Huge page pools by size, ascending.</param>
/// <param name="Distances">SLIT distance from this node to each node id (<c>nodeN/distance</c>); empty when unknown.</param>
public sealed record NumaNode(
    int Id,
    CpuSet Cpus,
    long? MemTotalKiB,
    long? MemFreeKiB,
    IReadOnlyList<HugePagePool> HugePages,
    IReadOnlyDictionary<int, int> Distances);

/// <summary>Frequency scaling as the host offers it (<c>cpu/cpufreq/policyN</c>).</summary>
/// <param name="Governors">Governors offered by every policy (<c>scaling_available_governors</c>), sorted.</param>
/// <param name="CurrentGovernors">Governors in use (<c>scaling_governor</c>), sorted, distinct.</param>
/// <param name="MinKHz">Lowest <c>cpuinfo_min_freq</c> over the policies, null when unknown.</param>
/// <param name="MaxKHz">Highest <c>cpuinfo_max_freq</c> over the policies, null when unknown.</param>
public sealed record CpuFreqInfo(
    IReadOnlyList<string> Governors,
    IReadOnlyList<string> CurrentGovernors,
    long? MinKHz,
    long? MaxKHz)
{
    /// <summary>A host without cpufreq (virtual machines, some servers with firmware control).</summary>
    public static CpuFreqInfo None { get; } = new([], [], null, null);

    /// <summary>
    /// A host whose frequency scaling cannot be seen from here: one read through a libvirt connection, whose
    /// capabilities say nothing about cpufreq. The cpufreq rules stay silent rather than guess.
    /// </summary>
    public static CpuFreqInfo NotVisible { get; } = new([], [], null, null) { UnknownBecause = "not visible through libvirt" };

    /// <summary>
    /// A host whose cpufreq tree exists but could not be read (its directory cannot be listed, or no policy could be
    /// read): the governor is unknown and the cpufreq rules stay silent; the topology's notes say why.
    /// </summary>
    public static CpuFreqInfo Unreadable { get; } = new([], [], null, null) { UnknownBecause = "cpufreq could not be read" };

    /// <summary>Why the governor is unknown (<see cref="NotVisible"/>, <see cref="Unreadable"/>); null when it is known.</summary>
    public string? UnknownBecause { get; init; }

    /// <summary>
    /// The base (non-turbo) frequency in kHz, the lowest when the CPUs differ (a hybrid part's efficient cores); null
    /// when the host does not say it. intel_pstate writes it as <c>base_frequency</c> in each policy when the CPU has
    /// HWP; the other drivers give no such file, and their <c>cpuinfo_max_freq</c> may include the turbo range.
    /// </summary>
    public long? BaseKHz { get; init; }

    /// <summary>True when the reader could not see the host's cpufreq at all.</summary>
    public bool Unknown => UnknownBecause is not null;

    /// <summary>The governors of the Linux kernel (drivers/cpufreq), whether or not a given host offers them.</summary>
    public static IReadOnlyList<string> KnownGovernors { get; } = ["performance", "powersave", "schedutil", "ondemand", "conservative", "userspace"];

    /// <summary>True when the host exposes any frequency policy.</summary>
    public bool Available => Governors.Count > 0;
}

/// <summary>
/// Something the reader could not see on this host, and what it assumed instead: a file the kernel did not write
/// (no <c>topology/</c> on some sparc or uniprocessor kernels, no package id on a POWER partition), or one it could not read (cpufreq).
/// </summary>
/// <param name="Severity"><see cref="Severity.Info"/> when the kernel reports the host this way on purpose and the
/// stand-in is exact (sockets grouped by <c>package_cpus</c> when the package id is -1);
/// <see cref="Severity.Warning"/> when something is unknown and the plan may be worse for it (no SMT siblings, no
/// governor).</param>
/// <param name="Message">What was missing, where, and what was assumed, in one sentence.</param>
public sealed record TopologyNote(Severity Severity, string Message);

/// <summary>
/// The host as the kernel describes it. Built by a reader (sysfs, libvirt capabilities); consumed by the
/// rules and the planner. Only online CPUs carry topology: offline CPUs are known only by number.
/// </summary>
public sealed partial record HostTopology
{
    private readonly IReadOnlyList<LogicalCpu> _cpus = [];
    private readonly Dictionary<int, LogicalCpu> _byId = [];
    private readonly CpuSet _online = CpuSet.Empty;

    /// <summary>CPUs the kernel could ever bring up (<c>cpu/possible</c>).</summary>
    public required CpuSet Possible { get; init; }

    /// <summary>CPUs physically present (<c>cpu/present</c>).</summary>
    public required CpuSet Present { get; init; }

    /// <summary>CPUs online now (<c>cpu/online</c>): lscpu's "On-line CPU(s) list".</summary>
    public required CpuSet Online
    {
        get => _online;
        init
        {
            _online = value;
            _derived = null;
        }
    }

    /// <summary>CPUs removed from the scheduler's balancing by <c>isolcpus=</c> (<c>cpu/isolated</c>).</summary>
    public required CpuSet Isolated { get; init; }

    /// <summary>CPUs running tickless (<c>cpu/nohz_full</c>).</summary>
    public required CpuSet NohzFull { get; init; }

    /// <summary>Every online CPU with its topology, ascending by id.</summary>
    public required IReadOnlyList<LogicalCpu> Cpus
    {
        get => _cpus;
        init
        {
            // The lookup is rebuilt with the list, so a copy made with 'with { Cpus = ... }' never sees stale CPUs.
            _cpus = value;
            _byId = value.ToDictionary(c => c.Id);
            _derived = null;
        }
    }

    /// <summary>NUMA nodes, ascending by id. A host without <c>node/</c> has a single node 0.</summary>
    public required IReadOnlyList<NumaNode> Nodes { get; init; }

    /// <summary>Frequency scaling policies.</summary>
    public required CpuFreqInfo CpuFreq { get; init; }

    /// <summary>Whether the kernel can shape interfaces as libvirt does; <see cref="NetShaping.Unknown"/> when it could not be told.</summary>
    public NetShaping NetShaping { get; init; } = NetShaping.Unknown;

    /// <summary>What the reader could not see and what it assumed instead, in the order found; empty on a complete tree.</summary>
    public IReadOnlyList<TopologyNote> Notes { get; init; } = [];

    /// <summary>CPUs present but not online.</summary>
    public CpuSet Offline => Present.Except(Online);
}
