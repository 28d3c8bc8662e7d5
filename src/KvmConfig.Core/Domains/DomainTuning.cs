using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Domains;

/// <summary>
/// Everything kvmconfig owns in one libvirt domain, as values: what <see cref="DomainXml.Merge"/> writes and what
/// <c>status</c> compares. Built from a plan by <see cref="From"/>, or read back from a domain's XML by
/// <see cref="DomainXml.ReadTuning"/>.
/// </summary>
/// <remarks>
/// <para><b>Owned, and what null means.</b> A member that is null is unmanaged: the merge leaves its elements exactly
/// as they are and <see cref="OwnedState.Drift"/> never reports them. "None" is a value, never null:
/// <see cref="CpuBandwidth.Unlimited"/>, an empty <see cref="HugePages"/> list, an empty <see cref="VcpuSchedulers"/>
/// list. <see cref="From"/> leaves a member null exactly when the declaration leaves it to libvirt: memory (and with
/// it the cells' sizes and huge pages) when <c>memory</c> is not declared, <c>disk_weight</c>, the disk throttles and
/// <c>net_bandwidth</c> when they are not declared. Keys with a built-in default (<c>cpu_weight = 100</c>,
/// <c>cpu_limit = none</c>, <c>cpuscheduling = other</c>, <c>numa = strict</c>) are always managed.</para>
/// <para><b>Owned elements and attributes</b> (everything else in the domain is never touched):
/// <list type="bullet">
/// <item><c>&lt;vcpu&gt;</c>: its count, <c>placement</c>, <c>cpuset</c>. <c>current</c> is dropped only when it
/// equalled the old count or exceeds the new one (all vCPUs online), and <c>&lt;vcpus&gt;</c> (one entry per vCPU)
/// only when the count changes, because libvirt refuses either once it disagrees with the count.</item>
/// <item><c>&lt;cputune&gt;</c>: <c>&lt;shares&gt;</c>, <c>&lt;global_period&gt;</c>, <c>&lt;global_quota&gt;</c>, every
/// <c>&lt;vcpupin&gt;</c>, <c>&lt;emulatorpin&gt;</c>, every <c>&lt;vcpusched&gt;</c>. Never the per-thread
/// <c>period/quota</c>, <c>emulator_*</c>, <c>iothread*</c>, <c>emulatorsched</c>, <c>cachetune</c>, <c>memorytune</c>.</item>
/// <item><c>&lt;memory&gt;</c> when memory is managed; <c>&lt;currentMemory&gt;</c> follows it when it equalled the old
/// size (no balloon target of its own) or exceeds the new one.</item>
/// <item><c>&lt;numatune&gt;</c>: <c>&lt;memory&gt;</c> and every <c>&lt;memnode&gt;</c>.</item>
/// <item><c>&lt;cpu&gt;&lt;topology&gt;</c> (its attributes) and <c>&lt;cpu&gt;&lt;numa&gt;&lt;cell&gt;</c>'s <c>id</c>,
/// <c>cpus</c>, <c>memory</c>, <c>unit</c>; never <c>mode</c>, <c>&lt;model&gt;</c>, <c>&lt;feature&gt;</c>, a cell's
/// <c>memAccess</c>, <c>discard</c>, caches or distances (except a distance to a cell that no longer exists).</item>
/// <item><c>&lt;memoryBacking&gt;&lt;hugepages&gt;</c>; never <c>&lt;locked/&gt;</c>, <c>&lt;source&gt;</c>,
/// <c>&lt;access&gt;</c>, <c>&lt;allocation&gt;</c> and the rest.</item>
/// <item><c>&lt;blkiotune&gt;&lt;weight&gt;</c>; never <c>&lt;device&gt;</c>.</item>
/// <item>In every <c>&lt;disk device='disk'&gt;</c> (not cdrom, floppy, lun, nor vhost-user disks, which bypass
/// QEMU's block layer): <c>&lt;iotune&gt;</c>'s <c>read_bytes_sec</c>, <c>write_bytes_sec</c>, <c>total_iops_sec</c>,
/// <c>group_name</c>, and the elements libvirt forbids beside them (<c>total_bytes_sec</c>,
/// <c>read_iops_sec</c>, <c>write_iops_sec</c>).</item>
/// <item>In every <c>&lt;interface&gt;</c> of a type libvirt can shape (network, bridge, direct, ethernet):
/// the <c>average</c> of <c>&lt;bandwidth&gt;&lt;inbound&gt;</c> and <c>&lt;outbound&gt;</c>; never peak, burst,
/// floor.</item>
/// </list></para>
/// <para>The merge rewrites an owned piece only when its normalized value (<see cref="OwnedState"/>) differs, so an
/// element that already says what the plan asks, in whatever spelling, is left byte for byte.</para>
/// </remarks>
public sealed partial record DomainTuning
{
    /// <summary>
    /// vCPUs online at boot: <c>&lt;vcpu current&gt;</c>, or the <c>&lt;vcpu&gt;</c> count when the domain has no
    /// room for more (<see cref="VcpusMax"/> equal).
    /// </summary>
    public required int Vcpus { get; init; }

    /// <summary>
    /// The most vCPUs the domain may have online, the <c>&lt;vcpu&gt;N&lt;/vcpu&gt;</c> count: a running domain takes
    /// vCPUs up to it live (CPU hot add). Null in a plan whose VM declares no <c>vcpus_max</c>: the domain keeps the
    /// maximum it has, raised to <see cref="Vcpus"/> when lower (<see cref="ForMaximum"/> resolves it).
    /// </summary>
    public int? VcpusMax { get; init; }

    /// <summary><c>&lt;vcpu placement&gt;</c>; plans are always static.</summary>
    public DomainPlacement VcpuPlacement { get; init; } = DomainPlacement.Static;

    /// <summary>
    /// <c>&lt;vcpu cpuset&gt;</c>: libvirt's default affinity for every thread that has no pin of its own (vCPUs
    /// without <c>&lt;vcpupin&gt;</c>, the emulator without <c>&lt;emulatorpin&gt;</c>, unpinned I/O threads); null
    /// for no attribute. From a plan: the VM's CPUs, the union of its pins.
    /// </summary>
    public CpuSet? VcpuCpus { get; init; }

    /// <summary>
    /// For each vCPU in order, the host CPUs it may run on: its <c>&lt;vcpupin&gt;</c>, or failing that
    /// <see cref="VcpuCpus"/>; the empty set when neither restricts it. Exactly <see cref="Vcpus"/> entries.
    /// </summary>
    public required IReadOnlyList<CpuSet> VcpuPins { get; init; }

    /// <summary>Host CPUs of QEMU's emulator threads: <c>&lt;emulatorpin&gt;</c>, or failing that <see cref="VcpuCpus"/>; empty when unrestricted.</summary>
    public required CpuSet EmulatorCpus { get; init; }

    /// <summary>
    /// <c>&lt;cputune&gt;&lt;shares&gt;</c> = <c>cpu_weight</c>, unchanged. On cgroup v2 libvirt writes shares
    /// straight into <c>cpu.weight</c> (range 1..10000, default 100), which is what <c>cpu_weight</c> means; on
    /// cgroup v1 it lands in <c>cpu.shares</c> (default 1024), where the weights still keep their ratios between
    /// VMs, the only thing a weight decides. Null: unmanaged.
    /// </summary>
    public int? CpuShares { get; init; }

    /// <summary>
    /// <c>cpu_limit</c> as <c>&lt;global_period&gt;</c>/<c>&lt;global_quota&gt;</c>: one cap on the domain's whole
    /// cgroup, so 1.5 means one and a half CPUs shared however the vCPUs like. libvirt's <c>&lt;period&gt;</c>/
    /// <c>&lt;quota&gt;</c> would cap each vCPU thread apart (a 2-vCPU VM capped at 1.5 would get 0.75 per vCPU, and
    /// one busy vCPU could never use the VM's allowance). <see cref="CpuBandwidth.Unlimited"/> removes kvmconfig's
    /// cap; null: unmanaged.
    /// </summary>
    public CpuBandwidth? CpuCap { get; init; }

    /// <summary>
    /// <c>&lt;vcpusched&gt;</c> elements; vCPUs that none names run SCHED_OTHER. Empty: every vCPU SCHED_OTHER (no
    /// element). Null: unmanaged.
    /// </summary>
    public IReadOnlyList<VcpuScheduler>? VcpuSchedulers { get; init; }

    /// <summary><c>&lt;memory&gt;</c> in KiB; null when <c>memory</c> is not declared (libvirt's value stays).</summary>
    public long? MemoryKiB { get; init; }

    /// <summary><c>&lt;numatune&gt;&lt;memory&gt;</c>; null: unmanaged.</summary>
    public NumaMemoryPolicy? NumaMemory { get; init; }

    /// <summary><c>&lt;numatune&gt;&lt;memnode&gt;</c> elements, one per guest cell when there are several; null: unmanaged.</summary>
    public IReadOnlyList<MemNode>? MemNodes { get; init; }

    /// <summary><c>&lt;cpu&gt;&lt;topology&gt;</c>; null: unmanaged.</summary>
    public CpuTopology? Topology { get; init; }

    /// <summary>
    /// Guest NUMA cells, <c>&lt;cpu&gt;&lt;numa&gt;</c>, when the guest has several; empty for a guest of one node (no
    /// <c>&lt;numa&gt;</c> is written, an existing single cell is kept in step with the vCPUs and memory, several
    /// cells are removed). Null: unmanaged.
    /// </summary>
    public IReadOnlyList<NumaCell>? Cells { get; init; }

    /// <summary>Huge page backing; empty for ordinary pages (no <c>&lt;hugepages&gt;</c>); null: unmanaged.</summary>
    public IReadOnlyList<HugePage>? HugePages { get; init; }

    /// <summary><c>&lt;blkiotune&gt;&lt;weight&gt;</c> = <c>disk_weight</c>; null: unmanaged.</summary>
    public int? BlkioWeight { get; init; }

    /// <summary>Disk throttles; null: unmanaged.</summary>
    public DiskThrottle? DiskThrottle { get; init; }

    /// <summary>Interface shaping; null: unmanaged.</summary>
    public InterfaceBandwidth? InterfaceBandwidth { get; init; }

    /// <summary>
    /// What the plan asks of VM <paramref name="placement"/>'s domain. The result obeys libvirt's rules by
    /// construction: the topology's product is the vCPU count (the planner's guest shape), every vCPU sits in one
    /// cell, and the cells' memory sums to <c>memory</c> (the planner splits it so).
    /// </summary>
    public static DomainTuning From(VmPlacement placement)
    {
        VmSpec spec = placement.Spec;
        bool guestNuma = placement.Cells.Count > 1;
        long? memoryKiB = spec.MemoryMiB * 1024;

        return new DomainTuning
        {
            Vcpus = placement.VcpuPins.Count,
            VcpusMax = spec.VcpusMax,
            VcpuPlacement = DomainPlacement.Static,
            VcpuCpus = placement.VcpuPins.Aggregate(placement.Cpus, (all, pin) => all | pin),
            VcpuPins = placement.VcpuPins,
            EmulatorCpus = placement.EmulatorCpus,
            CpuShares = spec.CpuWeight,
            CpuCap = spec.CpuLimit is { } limit ? CpuBandwidth.ForCpus(limit) : CpuBandwidth.Unlimited,
            VcpuSchedulers = spec.Scheduling.Class == SchedulerClass.Other
                ? []
                : [new VcpuScheduler(CpuSet.Range(0, placement.VcpuPins.Count - 1), spec.Scheduling.Class, spec.Scheduling.IsRealtime ? spec.Scheduling.Priority : 0)],
            MemoryKiB = memoryKiB,

            // A plan with no memory nodes has nothing to bind (a host that reports no NUMA): leave the policy alone.
            NumaMemory = placement.MemoryNodes.IsEmpty ? null : new NumaMemoryPolicy(spec.Numa, placement.MemoryNodes),
            MemNodes = guestNuma ? placement.Cells.Select(c => new MemNode(c.Id, spec.Numa, c.MemoryNodes)).ToList() : [],
            Topology = new CpuTopology(placement.Guest.Sockets, 1, 1, placement.Guest.Cores, placement.Guest.Threads),
            Cells = guestNuma ? placement.Cells.Select(c => new NumaCell(c.Id, c.Vcpus, c.MemoryMiB * 1024)).ToList() : [],

            // The page size only: which host node the pages come from is numatune's business, and <page nodeset>
            // would name guest cells, so one size for all of them needs no nodeset.
            HugePages = memoryKiB is null
                ? null
                : spec.HugePages switch
                {
                    HugePageBacking.TwoMiB => [new HugePage(2048, null)],
                    HugePageBacking.OneGiB => [new HugePage(1024 * 1024, null)],
                    _ => [],
                },
            BlkioWeight = spec.DiskWeight,
            DiskThrottle = spec.DiskReadBytesPerSec is null && spec.DiskWriteBytesPerSec is null && spec.DiskIops is null
                ? null
                : new DiskThrottle(spec.DiskReadBytesPerSec, spec.DiskWriteBytesPerSec, spec.DiskIops),
            InterfaceBandwidth = spec.NetBandwidthBitsPerSec is { } bits
                ? new InterfaceBandwidth(InterfaceBandwidth.KBytesPerSec(bits), InterfaceBandwidth.KBytesPerSec(bits))
                : null,
        };
    }

    /// <summary>The normalized fields this tuning manages, as <see cref="DomainXml.ReadOwned"/> prints a domain's.</summary>
    public OwnedState ToOwnedState() => new(OwnedFields.Of(this, devices: null));
}
