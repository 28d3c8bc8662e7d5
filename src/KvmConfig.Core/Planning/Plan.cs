using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Planning;

/// <summary>One guest NUMA cell: which vCPUs it holds, its memory, and the host node backing it.</summary>
/// <param name="Id">Cell number in the guest (<c>&lt;cell id&gt;</c>).</param>
/// <param name="Vcpus">vCPU numbers of the cell.</param>
/// <param name="MemoryMiB">Memory of the cell; null when the VM's memory is not managed.</param>
/// <param name="HostNode">The host node that backs the cell's memory (the first of <see cref="MemoryNodes"/>).</param>
/// <param name="MemoryNodes">The host nodes the cell's memory may come from (<c>&lt;memnode cellid nodeset&gt;</c>):
/// one node, except when a VM's declared <c>numa_nodes</c> cannot be paired one to one with its cells.</param>
public sealed record GuestCell(int Id, CpuSet Vcpus, long? MemoryMiB, int HostNode, CpuSet MemoryNodes);

/// <summary>The guest CPU topology that mirrors the placement (<c>&lt;cpu&gt;&lt;topology&gt;</c>).</summary>
public sealed record GuestTopology(int Sockets, int Cores, int Threads)
{
    /// <inheritdoc />
    public override string ToString() => $"{Sockets} socket(s) x {Cores} core(s) x {Threads} thread(s)";
}

/// <summary>Where one VM runs: its CPUs, its vCPU pinning, its emulator threads, its memory, its guest shape.</summary>
public sealed record VmPlacement
{
    /// <summary>libvirt domain name.</summary>
    public required string Name { get; init; }

    /// <summary>The declaration this placement realises.</summary>
    public required VmSpec Spec { get; init; }

    /// <summary>Host CPUs the VM's vCPUs may run on: its dedicated set, or the shared pool.</summary>
    public required CpuSet Cpus { get; init; }

    /// <summary>For each vCPU in order, the host CPUs it is pinned to (one CPU under strict).</summary>
    public required IReadOnlyList<CpuSet> VcpuPins { get; init; }

    /// <summary>Host CPUs for QEMU's emulator threads.</summary>
    public required CpuSet EmulatorCpus { get; init; }

    /// <summary>Host NUMA nodes holding the VM's CPUs.</summary>
    public required CpuSet NumaNodes { get; init; }

    /// <summary>Host NUMA nodes holding the VM's memory.</summary>
    public required CpuSet MemoryNodes { get; init; }

    /// <summary>Huge pages the VM takes (of <see cref="VmSpec.HugePages"/> size), 0 without huge pages.</summary>
    public required long HugePages { get; init; }

    /// <summary>Guest CPU topology.</summary>
    public required GuestTopology Guest { get; init; }

    /// <summary>Guest NUMA cells; a single cell for a VM inside one node.</summary>
    public required IReadOnlyList<GuestCell> Cells { get; init; }

    /// <summary>Sibling threads the VM's cores leave idle under <c>smt = isolate</c> or <c>require</c>.</summary>
    public CpuSet IdleSiblings { get; init; } = CpuSet.Empty;

    /// <summary>Why the VM landed here, and what it would need to land elsewhere: one sentence per line.</summary>
    public required IReadOnlyList<string> Explanation { get; init; }
}

/// <summary>What is left on one node after planning, and how usable it is.</summary>
/// <param name="Node">Node id.</param>
/// <param name="FreeCpus">CPUs of the cpuset no VM owns (the shared pool's CPUs count as free here).</param>
/// <param name="FreeWholeCores">Cores all of whose online threads are free.</param>
/// <param name="StrandedCpus">Free CPUs that cannot host a whole core (a sibling is taken) or that sit on a node
/// with fewer free CPUs than the typical VM needs.</param>
/// <param name="FreeMemoryMiB">Memory left for VMs; null when the node's memory is unknown.</param>
public sealed record NodeFragmentation(int Node, CpuSet FreeCpus, int FreeWholeCores, CpuSet StrandedCpus, long? FreeMemoryMiB)
{
    /// <summary>Stranded CPUs as a share of free CPUs, 0..1 (0 when nothing is free).</summary>
    public double Ratio => FreeCpus.IsEmpty ? 0 : (double)StrandedCpus.Count / FreeCpus.Count;
}

/// <summary>A complete placement of every declared VM on one host.</summary>
public sealed record Plan
{
    /// <summary>Every VM, in declaration order.</summary>
    public required IReadOnlyList<VmPlacement> Vms { get; init; }

    /// <summary>CPUs kept for the host and emulator threads.</summary>
    public required CpuSet Reserved { get; init; }

    /// <summary>CPUs shared-pool VMs float over (empty when there are none).</summary>
    public required CpuSet SharedPool { get; init; }

    /// <summary>CPUs of the cpuset nobody uses.</summary>
    public required CpuSet Free { get; init; }

    /// <summary>vCPUs per CPU the typical VM needs, for fragmentation: the median dedicated VM size.</summary>
    public required int TypicalVmCpus { get; init; }

    /// <summary>Per node, what is left.</summary>
    public required IReadOnlyList<NodeFragmentation> Fragmentation { get; init; }

    /// <summary>
    /// The VMs that ran somewhere (an <see cref="Incumbent"/>) and get other CPUs, in declaration order; empty when
    /// nothing moves or no incumbents were given.
    /// </summary>
    public IReadOnlyList<PlanMove> Moves { get; init; } = [];

    /// <summary>The VMs kept where they run, by name.</summary>
    public IReadOnlySet<string> Kept { get; init; } = new HashSet<string>();

    /// <summary>The placement of VM <paramref name="name"/>, or null.</summary>
    public VmPlacement? Vm(string name) => Vms.FirstOrDefault(v => v.Name == name);
}

/// <summary>What one node had free when a VM could not be placed.</summary>
public sealed record NodeFree(int Node, CpuSet Cpus, int WholeCores, long? MemoryMiB, IReadOnlyDictionary<long, long> HugePagesBySizeKiB)
{
    /// <inheritdoc />
    public override string ToString()
    {
        string pages = HugePagesBySizeKiB.Count == 0
            ? ""
            : ", huge pages " + string.Join(", ", HugePagesBySizeKiB.Select(p => $"{Units.PageSize(p.Key)} {p.Value}"));
        return $"node{Node}: {Cpus.Count} CPUs ({(Cpus.IsEmpty ? "none" : Cpus.ToString())}), {WholeCores} whole cores, {(MemoryMiB is { } m ? Units.MiB(m) : "unknown")} memory{pages}";
    }
}

/// <summary>Why a VM could not be placed: the VM, the constraint that failed, and what every node had free.</summary>
/// <param name="Vm">The VM.</param>
/// <param name="Constraint">Short name of the constraint: cpus, whole-cores, memory, hugepages, overcommit, explicit-cpus.</param>
/// <param name="Message">The sentence an administrator reads.</param>
/// <param name="Free">What each node had free at that moment.</param>
public sealed record PlanError(string Vm, string Constraint, string Message, IReadOnlyList<NodeFree> Free);

/// <summary>A plan, or the reasons there is none. Never a partial plan.</summary>
public sealed record PlanResult(Plan? Plan, IReadOnlyList<PlanError> Errors)
{
    /// <summary>True when every VM was placed.</summary>
    public bool Ok => Plan is not null;
}
