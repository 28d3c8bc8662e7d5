using System.Globalization;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Domains;

/// <summary>Who chooses the host CPUs or nodes: the XML (<c>static</c>) or numad at start (<c>auto</c>).</summary>
public enum DomainPlacement
{
    /// <summary><c>placement='static'</c>, libvirt's default: the cpuset or nodeset written in the XML.</summary>
    Static,

    /// <summary><c>placement='auto'</c>: numad's advice when the domain starts; written sets are ignored.</summary>
    Auto,
}

/// <summary>
/// A CFS bandwidth cap as libvirt writes it for the whole domain (<c>&lt;global_period&gt;</c>,
/// <c>&lt;global_quota&gt;</c>): in every period of <see cref="PeriodUs"/> the domain's threads together may run
/// <see cref="QuotaUs"/> microseconds, so the quota divided by the period is the cap in CPUs.
/// </summary>
/// <param name="PeriodUs">Period in µs (libvirt accepts 1000..1000000); null when not written: the kernel's 100000.</param>
/// <param name="QuotaUs">Quota in µs; null or -1 (libvirt's "no limit") when unlimited.</param>
public sealed record CpuBandwidth(long? PeriodUs, long? QuotaUs)
{
    /// <summary>The kernel's default CFS period (<c>cpu.cfs_period_us</c>, the first field of <c>cpu.max</c>).</summary>
    public const long DefaultPeriodUs = 100_000;

    /// <summary>libvirt's smallest accepted quota, 1 ms: the kernel refuses shorter ones.</summary>
    public const long MinQuotaUs = 1_000;

    /// <summary>No cap: neither element is written.</summary>
    public static CpuBandwidth Unlimited { get; } = new(null, null);

    /// <summary>True when the threads may use every CPU they are pinned to.</summary>
    public bool IsUnlimited => QuotaUs is null or < 0;

    /// <summary>The cap in CPUs (quota / period), or null when unlimited.</summary>
    public double? Cpus => IsUnlimited ? null : (double)QuotaUs!.Value / (PeriodUs ?? DefaultPeriodUs);

    /// <summary>
    /// The cap of <c>cpu_limit = <paramref name="cpus"/></c>: the kernel's default period of 100 ms and a quota of
    /// <paramref name="cpus"/> periods (1.5 CPUs = 150000 µs per 100000 µs), never below libvirt's 1 ms minimum.
    /// </summary>
    public static CpuBandwidth ForCpus(double cpus) =>
        new(DefaultPeriodUs, Math.Max(MinQuotaUs, (long)Math.Round(cpus * DefaultPeriodUs, MidpointRounding.AwayFromZero)));

    /// <inheritdoc />
    public override string ToString() => OwnedValues.Cap(this);
}

/// <summary>One <c>&lt;vcpusched&gt;</c>: the Linux scheduling class of some vCPU threads.</summary>
/// <param name="Vcpus">The vCPUs it applies to.</param>
/// <param name="Class">Batch, idle, fifo or rr (other is the default and has no element).</param>
/// <param name="Priority">Real-time priority 1..99 for fifo and rr; 0 otherwise.</param>
public sealed record VcpuScheduler(CpuSet Vcpus, SchedulerClass Class, int Priority = 0);

/// <summary>The domain-wide memory policy, <c>&lt;numatune&gt;&lt;memory mode nodeset/&gt;</c>.</summary>
/// <param name="Mode">strict, preferred, interleave or restrictive.</param>
/// <param name="Nodes">Host NUMA nodes; null for <c>placement='auto'</c> (numad chooses).</param>
public sealed record NumaMemoryPolicy(MemoryMode Mode, CpuSet? Nodes);

/// <summary>The memory policy of one guest cell, <c>&lt;numatune&gt;&lt;memnode cellid mode nodeset/&gt;</c>.</summary>
/// <param name="CellId">The guest cell (<c>&lt;cell id&gt;</c>); libvirt refuses a memnode for a cell that does not exist.</param>
/// <param name="Mode">strict, preferred, interleave or restrictive.</param>
/// <param name="Nodes">Host NUMA nodes that back the cell.</param>
public sealed record MemNode(int CellId, MemoryMode Mode, CpuSet Nodes);

/// <summary>The guest CPU topology, <c>&lt;cpu&gt;&lt;topology/&gt;</c>; the product of the counts is the vCPU count.</summary>
/// <param name="Sockets">Sockets.</param>
/// <param name="Dies">Dies per socket (libvirt 6.1+; 1 when not written).</param>
/// <param name="Clusters">Clusters per die (libvirt 10.1+; 1 when not written).</param>
/// <param name="Cores">Cores per cluster.</param>
/// <param name="Threads">Threads per core.</param>
public sealed record CpuTopology(int Sockets, int Dies, int Clusters, int Cores, int Threads)
{
    /// <summary>vCPUs this topology describes.</summary>
    public long Vcpus => (long)Sockets * Dies * Clusters * Cores * Threads;

    /// <inheritdoc />
    public override string ToString() => OwnedValues.Topology(this);
}

/// <summary>One guest NUMA cell, <c>&lt;cpu&gt;&lt;numa&gt;&lt;cell id cpus memory unit='KiB'/&gt;</c>.</summary>
/// <param name="Id">Cell id, 0..n-1.</param>
/// <param name="Vcpus">The vCPUs of the cell.</param>
/// <param name="MemoryKiB">Its memory; null when the VM's memory is unmanaged (the merge then splits the domain's
/// <c>&lt;memory&gt;</c> over the cells in proportion to their vCPUs, since libvirt requires a size on every cell).</param>
public sealed record NumaCell(int Id, CpuSet Vcpus, long? MemoryKiB);

/// <summary>One huge page size backing guest memory, <c>&lt;memoryBacking&gt;&lt;hugepages&gt;&lt;page/&gt;</c>.</summary>
/// <param name="SizeKiB">Page size; null for an empty <c>&lt;hugepages/&gt;</c> (the host's default huge page size).</param>
/// <param name="GuestCells">Guest cells backed by this size (libvirt's <c>nodeset</c> counts GUEST cells, not host
/// nodes); null for all of them.</param>
public sealed record HugePage(long? SizeKiB, CpuSet? GuestCells);

/// <summary>
/// Disk throttles, written as <c>&lt;iotune&gt;</c> in every throttled <c>&lt;disk&gt;</c> with one QEMU throttle
/// group (<see cref="GroupName"/>) so that the limits hold for the domain as a whole. Each null value is unmanaged.
/// </summary>
/// <param name="ReadBytesPerSec"><c>read_bytes_sec</c>.</param>
/// <param name="WriteBytesPerSec"><c>write_bytes_sec</c>.</param>
/// <param name="TotalIopsPerSec"><c>total_iops_sec</c> (reads and writes together).</param>
public sealed record DiskThrottle(long? ReadBytesPerSec, long? WriteBytesPerSec, long? TotalIopsPerSec)
{
    /// <summary>
    /// The <c>&lt;group_name&gt;</c> kvmconfig gives its disks. Throttle groups are per QEMU process, so one fixed
    /// name cannot collide with another domain's.
    /// </summary>
    public const string GroupName = "kvmconfig";
}

/// <summary>
/// Interface shaping, <c>&lt;bandwidth&gt;&lt;inbound average/&gt;&lt;outbound average/&gt;</c>, in libvirt's unit:
/// kilobytes per second where a kilobyte is 1000 bytes (libvirt hands the number to tc as <c>kbps</c>).
/// Each null value is unmanaged.
/// </summary>
/// <param name="InboundAverageKBytesPerSec">Traffic into the guest.</param>
/// <param name="OutboundAverageKBytesPerSec">Traffic out of the guest.</param>
public sealed record InterfaceBandwidth(long? InboundAverageKBytesPerSec, long? OutboundAverageKBytesPerSec)
{
    /// <summary>
    /// A rate in bits/s as libvirt's average: bits / 8 / 1000, rounded to the nearest kilobyte, at least 1 (the
    /// schema's minimum) and at most 2^32-1 (the schema's unsignedInt).
    /// </summary>
    public static long KBytesPerSec(long bitsPerSec) =>
        Math.Clamp((long)Math.Round(bitsPerSec / 8000.0, MidpointRounding.AwayFromZero), 1, uint.MaxValue);
}

/// <summary>How owned values print in <see cref="OwnedState"/>: one spelling for desired and actual alike.</summary>
internal static class OwnedValues
{
    /// <summary>What an unrestricted CPU set (no pin, no cpuset) prints as.</summary>
    public const string Any = "any";

    /// <summary>What an absent optional element prints as.</summary>
    public const string None = "none";

    public static string Cpus(CpuSet? cpus) => cpus is null || cpus.IsEmpty ? Any : cpus.ToString();

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string KiB(long kib) => $"{Number(kib)} KiB";

    public static string Placement(DomainPlacement placement) => placement == DomainPlacement.Auto ? "auto" : "static";

    public static string Mode(MemoryMode mode) => mode switch
    {
        MemoryMode.Preferred => "preferred",
        MemoryMode.Interleave => "interleave",
        MemoryMode.Restrictive => "restrictive",
        _ => "strict",
    };

    public static string Policy(MemoryMode mode, CpuSet? nodes) => $"{Mode(mode)} {(nodes is null ? "auto" : Cpus(nodes))}";

    /// <summary>libvirt's <c>scheduler</c> attribute value.</summary>
    public static string SchedulerName(SchedulerClass cls) => cls switch
    {
        SchedulerClass.Fifo => "fifo",
        SchedulerClass.RoundRobin => "rr",
        SchedulerClass.Batch => "batch",
        SchedulerClass.Idle => "idle",
        _ => "other",
    };

    public static string Scheduler(SchedulerClass cls, int priority) =>
        cls is SchedulerClass.Fifo or SchedulerClass.RoundRobin ? $"{SchedulerName(cls)} {priority}" : SchedulerName(cls);

    public static string Cap(CpuBandwidth cap) =>
        cap.Cpus is { } cpus
            ? $"{cpus.ToString("0.###", CultureInfo.InvariantCulture)} {(cpus == 1 ? "CPU" : "CPUs")} ({Number(cap.QuotaUs!.Value)}/{Number(cap.PeriodUs ?? CpuBandwidth.DefaultPeriodUs)} us)"
            : "unlimited";

    public static string Topology(CpuTopology t) =>
        $"sockets={t.Sockets} dies={t.Dies}{(t.Clusters != 1 ? $" clusters={t.Clusters}" : "")} cores={t.Cores} threads={t.Threads}";

    public static string HugePages(IReadOnlyList<HugePage> pages) =>
        pages.Count == 0
            ? None
            : string.Join(", ", pages.Select(p =>
                (p.SizeKiB is { } size ? KiB(size) : "default size") + (p.GuestCells is { } cells ? $" (cells {Cpus(cells)})" : "")));

    public static string Optional(long? value) => value is { } v ? Number(v) : None;
}
