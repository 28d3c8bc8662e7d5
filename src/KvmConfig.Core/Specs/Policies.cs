namespace KvmConfig.Core.Specs;

/// <summary>How a VM's vCPUs relate to host CPUs (<c>cpuspinlock</c>).</summary>
public enum PinningMode
{
    /// <summary>vCPU i runs on exactly one host CPU; the CPUs are the VM's alone.</summary>
    Strict,

    /// <summary>Every vCPU may run on any CPU of the VM's set; the set is the VM's alone.</summary>
    Float,

    /// <summary>No dedicated CPUs: vCPUs float over the shared pool with other VMs.</summary>
    None,
}

/// <summary>How dedicated VMs treat SMT siblings (<c>smt</c>).</summary>
public enum SmtPolicy
{
    /// <summary>Whole cores when possible, split cores otherwise.</summary>
    Prefer,

    /// <summary>Never share a core with another VM; unused siblings stay idle.</summary>
    Isolate,

    /// <summary>Whole cores or fail.</summary>
    Require,
}

/// <summary>Where QEMU's emulator threads run (<c>emulator</c>).</summary>
public enum EmulatorPlacement
{
    /// <summary>On the host's reserved CPUs.</summary>
    Reserved,

    /// <summary>On the shared pool.</summary>
    Shared,

    /// <summary>On one extra dedicated CPU next to the VM.</summary>
    Isolate,
}

/// <summary>libvirt's <c>&lt;numatune&gt;&lt;memory mode&gt;</c> (<c>numa</c>).</summary>
public enum MemoryMode
{
    /// <summary>Memory only from the chosen nodes.</summary>
    Strict,

    /// <summary>Prefer the chosen node, fall back elsewhere.</summary>
    Preferred,

    /// <summary>Spread pages round-robin over the chosen nodes.</summary>
    Interleave,

    /// <summary>cgroup cpuset.mems only (libvirt's <c>restrictive</c>): movable at run time.</summary>
    Restrictive,
}

/// <summary>Guest memory backing (<c>hugepages</c>).</summary>
public enum HugePageBacking
{
    /// <summary>Ordinary 4 KiB pages (and THP if the host enables it).</summary>
    None,

    /// <summary>2 MiB huge pages.</summary>
    TwoMiB,

    /// <summary>1 GiB huge pages.</summary>
    OneGiB,
}

/// <summary>Linux scheduling class of the vCPU threads (<c>cpuscheduling</c>, libvirt <c>&lt;vcpusched&gt;</c>).</summary>
public enum SchedulerClass
{
    /// <summary>SCHED_OTHER (CFS/EEVDF), the default.</summary>
    Other,

    /// <summary>SCHED_BATCH.</summary>
    Batch,

    /// <summary>SCHED_IDLE.</summary>
    Idle,

    /// <summary>SCHED_FIFO real time, with a priority.</summary>
    Fifo,

    /// <summary>SCHED_RR real time, with a priority.</summary>
    RoundRobin,
}

/// <summary>A scheduling class and, for the real-time classes, its priority 1..99.</summary>
public sealed record SchedulingPolicy(SchedulerClass Class, int Priority = 0)
{
    /// <summary>SCHED_OTHER.</summary>
    public static SchedulingPolicy Other { get; } = new(SchedulerClass.Other);

    /// <summary>True for fifo and rr.</summary>
    public bool IsRealtime => Class is SchedulerClass.Fifo or SchedulerClass.RoundRobin;

    /// <inheritdoc />
    public override string ToString() => Class switch
    {
        SchedulerClass.Fifo => $"fifo:{Priority}",
        SchedulerClass.RoundRobin => $"rr:{Priority}",
        _ => Class.ToString().ToLowerInvariant(),
    };
}

/// <summary>A ratio <c>a:b</c>; <c>overcommit = 1:3</c> lets one physical CPU carry three shared vCPUs.</summary>
public sealed record Ratio(int Left, int Right)
{
    /// <summary>vCPUs allowed per physical CPU when read as an overcommit ratio.</summary>
    public double VcpusPerCpu => (double)Right / Left;

    /// <inheritdoc />
    public override string ToString() => $"{Left}:{Right}";
}

/// <summary>A fraction <c>n/d</c>, such as <c>max_vm_share = 1/3</c>.</summary>
public sealed record Fraction(int Numerator, int Denominator)
{
    /// <summary>The fraction as a number.</summary>
    public double Value => (double)Numerator / Denominator;

    /// <summary>The largest whole count that stays within this fraction of <paramref name="total"/>.</summary>
    public int FloorOf(int total) => (int)((long)total * Numerator / Denominator);

    /// <inheritdoc />
    public override string ToString() => $"{Numerator}/{Denominator}";
}

/// <summary>
/// <c>cpufreq_max</c>: an absolute cap in kHz, a percentage of the hardware maximum, or the CPUs' base frequency
/// (<see cref="Base"/>: overclock protection, what <c>cpufreq = vtlb</c> asks for).
/// </summary>
public sealed record FrequencyCap(long? KHz, int? Percent)
{
    /// <summary>
    /// The base (non-turbo) frequency: the highest clock the part is rated to hold on every core at once. Above it
    /// lies the turbo range, which depends on power, temperature and how many cores are busy.
    /// </summary>
    public static FrequencyCap Base { get; } = new(null, null) { AtBase = true };

    /// <summary>True for <see cref="Base"/>.</summary>
    public bool AtBase { get; private init; }

    /// <summary>
    /// The cap in kHz on a host whose frequency scaling is <paramref name="freq"/>; null when the host does not say
    /// what it is relative to (no hardware maximum for a percentage, no base frequency for <see cref="Base"/>).
    /// </summary>
    public long? Resolve(Topology.CpuFreqInfo freq) =>
        AtBase ? freq.BaseKHz : KHz ?? freq.MaxKHz * Percent!.Value / 100;

    /// <inheritdoc />
    public override string ToString() => AtBase ? "base" : KHz is { } k ? $"{k / 1000.0:0.###}MHz" : $"{Percent}%";
}

/// <summary>How far apart the members of an anti-affinity group run (<c>group_spread</c>).</summary>
public enum GroupSpread
{
    /// <summary>Each member on another node.</summary>
    Node,

    /// <summary>Each member in another rack (<c>[node] rack</c>).</summary>
    Rack,
}
