using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Core.Specs;

/// <summary>Where each key of a section was written, so that rules can point at the value they judge.</summary>
public sealed record Origins(SourceSpan? Header, IReadOnlyDictionary<string, SourceSpan> Keys, IReadOnlySet<string>? Inherited = null, IReadOnlySet<string>? Refused = null)
{
    /// <summary>No source at all (specs built in code, built-in profiles).</summary>
    public static Origins None { get; } = new(null, new Dictionary<string, SourceSpan>());

    /// <summary>The value of <paramref name="key"/> if written, else the section header.</summary>
    public SourceSpan? Of(string key) => Keys.TryGetValue(key, out SourceSpan? span) ? span : Header;

    /// <summary>True when <paramref name="key"/> has a written value (in the section itself or in its profile).</summary>
    public bool Declared(string key) => Keys.ContainsKey(key);

    /// <summary>
    /// True when a value of <paramref name="key"/> was written but refused (reported already): the spec holds the
    /// default instead, and rules that depend on the key should stay silent rather than judge a value nobody wrote.
    /// </summary>
    public bool Invalid(string key) => Refused?.Contains(key) == true;

    /// <summary>True when the value of <paramref name="key"/> came from the VM's profile rather than its own section.</summary>
    public bool FromProfile(string key) => Inherited?.Contains(key) == true;
}

/// <summary>The host policy (<c>[host]</c>) after defaults are applied.</summary>
public sealed record HostPolicy
{
    /// <summary>Host CPUs that VMs may use; null = all online CPUs minus <see cref="Reserved"/>.</summary>
    public CpuSet? CpuSet { get; init; }

    /// <summary>CPUs kept for the host; null = CPU 0 and its SMT siblings.</summary>
    public CpuSet? Reserved { get; init; }

    /// <summary>Default pinning for VMs.</summary>
    public PinningMode Pinning { get; init; } = PinningMode.Strict;

    /// <summary>Default scheduling policy for vCPU threads.</summary>
    public SchedulingPolicy Scheduling { get; init; } = SchedulingPolicy.Other;

    /// <summary>Shared-pool vCPU:pCPU allowance, 1:1..1:5.</summary>
    public Ratio Overcommit { get; init; } = new(1, 1);

    /// <summary>Largest fraction of the physical CPUs one VM may take.</summary>
    public Fraction MaxVmShare { get; init; } = new(1, 3);

    /// <summary>Default SMT policy.</summary>
    public SmtPolicy Smt { get; init; } = SmtPolicy.Prefer;

    /// <summary>Default emulator thread placement.</summary>
    public EmulatorPlacement Emulator { get; init; } = EmulatorPlacement.Reserved;

    /// <summary>Default memory policy.</summary>
    public MemoryMode Numa { get; init; } = MemoryMode.Strict;

    /// <summary>Default memory backing.</summary>
    public HugePageBacking HugePages { get; init; } = HugePageBacking.None;

    /// <summary>Memory kept for the host, in MiB.</summary>
    public long MemoryReservedMiB { get; init; } = 2048;

    /// <summary>Governor for CPUs that VMs use, or <c>keep</c>.</summary>
    public string CpuFreq { get; init; } = "keep";

    /// <summary>Cap on scaling_max_freq, or null.</summary>
    public FrequencyCap? CpuFreqMax { get; init; }

    /// <summary>Where each key came from.</summary>
    public Origins Origins { get; init; } = Origins.None;

    /// <summary>The reserved CPUs on <paramref name="host"/>: as declared, or CPU 0 with its SMT siblings.</summary>
    public CpuSet ReservedOn(Topology.HostTopology host) =>
        Reserved ?? (host.Cpu(host.Online.First)?.ThreadSiblings.Intersect(host.Online) ?? Core.CpuSet.Empty);

    /// <summary>The CPUs VMs may use on <paramref name="host"/>: as declared, or every online CPU; never the reserved ones.</summary>
    public CpuSet CpuSetOn(Topology.HostTopology host) => (CpuSet ?? host.Online).Except(ReservedOn(host));
}

/// <summary>One VM's declared share of the host (<c>[vm NAME]</c>), with profile and host defaults applied.</summary>
public sealed record VmSpec
{
    /// <summary>libvirt domain name.</summary>
    public required string Name { get; init; }

    /// <summary>Number of vCPUs.</summary>
    public required int Vcpus { get; init; }

    /// <summary>
    /// <c>vcpus_max</c>: the most vCPUs the domain may have online, so that raising <see cref="Vcpus"/> up to it adds
    /// vCPUs to the running guest (CPU hot add); null to keep the domain's own maximum.
    /// </summary>
    public int? VcpusMax { get; init; }

    /// <summary>Host CPUs, or null for <c>auto</c>.</summary>
    public CpuSet? Cpus { get; init; }

    /// <summary>Pinning mode.</summary>
    public required PinningMode Pinning { get; init; }

    /// <summary>Scheduling policy of the vCPU threads.</summary>
    public required SchedulingPolicy Scheduling { get; init; }

    /// <summary>SMT policy.</summary>
    public required SmtPolicy Smt { get; init; }

    /// <summary>Emulator thread placement.</summary>
    public required EmulatorPlacement Emulator { get; init; }

    /// <summary>Memory policy.</summary>
    public required MemoryMode Numa { get; init; }

    /// <summary>Memory backing.</summary>
    public required HugePageBacking HugePages { get; init; }

    /// <summary>Relative CPU weight, 1..10000.</summary>
    public int CpuWeight { get; init; } = 100;

    /// <summary>Cap in CPUs (1.5 = one and a half CPUs), or null.</summary>
    public double? CpuLimit { get; init; }

    /// <summary>Guest memory in MiB, or null when not declared (kvmconfig leaves it as libvirt has it).</summary>
    public long? MemoryMiB { get; init; }

    /// <summary>Host NUMA nodes for memory, or null for <c>auto</c>.</summary>
    public CpuSet? NumaNodes { get; init; }

    /// <summary>blkiotune weight 100..1000, or null.</summary>
    public int? DiskWeight { get; init; }

    /// <summary>Read throttle in bytes/s, or null.</summary>
    public long? DiskReadBytesPerSec { get; init; }

    /// <summary>Write throttle in bytes/s, or null.</summary>
    public long? DiskWriteBytesPerSec { get; init; }

    /// <summary>I/O operations per second throttle, or null.</summary>
    public long? DiskIops { get; init; }

    /// <summary>Average rate per interface in bits/s, or null.</summary>
    public long? NetBandwidthBitsPerSec { get; init; }

    /// <summary>Profile the defaults came from, or null.</summary>
    public string? Profile { get; init; }

    /// <summary>Anti-affinity group (cluster placement).</summary>
    public string? Group { get; init; }

    /// <summary>Host this VM must run on (cluster placement).</summary>
    public string? Host { get; init; }

    /// <summary>How far apart the members of <see cref="Group"/> must run (<c>group_spread</c>): other nodes, or other racks.</summary>
    public GroupSpread GroupSpread { get; init; } = GroupSpread.Node;

    /// <summary>Where each key came from.</summary>
    public Origins Origins { get; init; } = Origins.None;

    /// <summary>True when the VM owns its CPUs (strict or float) rather than sharing the pool.</summary>
    public bool IsDedicated => Pinning != PinningMode.None;

    /// <summary>Host CPUs the VM takes: its explicit set, else its vCPU count.</summary>
    public int CpuDemand => Cpus?.Count ?? Vcpus;
}

/// <summary>A profile: defaults for VMs that name it. Built-in ones are <c>database</c>, <c>web</c>, <c>monitoring</c>.</summary>
/// <param name="Name">Profile name.</param>
/// <param name="Values">Raw key/value defaults, validated like the VM keys they stand for.</param>
/// <param name="Origins">Where the keys came from (none for built-ins).</param>
public sealed record ProfileSpec(string Name, IReadOnlyDictionary<string, string> Values, Origins Origins);

/// <summary>Cost inputs for TCO (<c>[cost]</c>): amounts in <see cref="Currency"/>.</summary>
public sealed record CostSpec
{
    /// <summary>ISO 4217 code used when printing; the defaults' (the white paper's) is USD.</summary>
    public string Currency { get; init; } = "USD";

    /// <summary>Purchase price of one host.</summary>
    public decimal? HostPrice { get; init; }

    /// <summary>Years over which a host is written off.</summary>
    public decimal AmortizationYears { get; init; } = 5;

    /// <summary>Average power draw of one host, in watts.</summary>
    public decimal? PowerWatts { get; init; }

    /// <summary>Price of one kWh.</summary>
    public decimal? EnergyPricePerKWh { get; init; }

    /// <summary>Power usage effectiveness of the room (1.0 = no overhead).</summary>
    public decimal Pue { get; init; } = 1.5m;

    /// <summary>Support, rack space and licences per host per year.</summary>
    public decimal? OpexPerHostYear { get; init; }

    /// <summary>Hypervisor and management licences per node, paid once (<c>licence_per_node</c>); 0 for KVM alone.</summary>
    public decimal? LicencePerNode { get; init; }

    /// <summary>Energy per node per year (<c>energy_per_node_year</c>), when given as an amount rather than watts and a price.</summary>
    public decimal? EnergyPerNodeYear { get; init; }

    /// <summary>Operations (staff, support, rack space) per node per year (<c>operations_per_node_year</c>).</summary>
    public decimal? OperationsPerNodeYear { get; init; }

    /// <summary>
    /// The scenario's name for <c>[cost NAME]</c>, null for the plain <c>[cost]</c>. A scenario's values are its own
    /// keys over <c>[cost]</c>'s: <see cref="Origins"/> marks those it takes from <c>[cost]</c> as inherited.
    /// </summary>
    public string? Scenario { get; init; }

    /// <summary>Where each key came from.</summary>
    public Origins Origins { get; init; } = Origins.None;
}

/// <summary>
/// A cluster node (<c>[node NAME]</c>): where its libvirt is reached, its failure domain, what to plan with when it is
/// not reached, and its host policy (<c>[host]</c> with the keys this node overrides).
/// </summary>
public sealed record NodeSpec
{
    /// <summary>The node's name, as VMs' <c>host</c> names it.</summary>
    public required string Name { get; init; }

    /// <summary>libvirt URI (<c>qemu+ssh://root@kvm1/system</c>, <c>test:///path.xml</c>), or null.</summary>
    public string? Uri { get; init; }

    /// <summary>Failure domain (<c>rack</c>), or null: a rack of its own.</summary>
    public string? Rack { get; init; }

    /// <summary>A captured sysfs tree to plan with instead of connecting (<c>sysroot</c>), or null.</summary>
    public string? Sysroot { get; init; }

    /// <summary>A captured libvirt capabilities XML to plan with instead of connecting (<c>capabilities</c>), or null.</summary>
    public string? Capabilities { get; init; }

    /// <summary>The host policy on this node: <c>[host]</c> with this section's overrides.</summary>
    public required HostPolicy Policy { get; init; }

    /// <summary>Where each key came from.</summary>
    public Origins Origins { get; init; } = Origins.None;
}

/// <summary>A whole validated declaration: the host policy, every VM, the profiles, the cost inputs and the alert thresholds.</summary>
public sealed record Declaration(
    HostPolicy Host,
    IReadOnlyList<VmSpec> Vms,
    IReadOnlyDictionary<string, ProfileSpec> Profiles,
    CostSpec Cost)
{
    // Not positional, so that declarations built in code (tests, benchmarks) keep their four arguments.

    /// <summary>The alert thresholds (<c>[alerts]</c>); DESIGN.md section 5's defaults when none is written.</summary>
    public AlertThresholds Alerts { get; init; } = AlertThresholds.Default;

    /// <summary>The cluster's nodes (<c>[node NAME]</c> sections), in file order; none for a single host.</summary>
    public IReadOnlyList<NodeSpec> Nodes { get; init; } = [];

    /// <summary>The named cost scenarios (<c>[cost NAME]</c> sections) by name, each over <see cref="Cost"/>.</summary>
    public IReadOnlyDictionary<string, CostSpec> CostScenarios { get; init; } = new Dictionary<string, CostSpec>(StringComparer.Ordinal);
}
