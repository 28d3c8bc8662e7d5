using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cluster;

/// <summary>A node as the placement sees it: its name, failure domain, topology and host policy, and what runs on it now.</summary>
/// <param name="Name">The node's name (<c>[node NAME]</c>).</param>
/// <param name="Rack">Its failure domain; null is a rack of its own.</param>
/// <param name="Host">Its topology, read from its libvirt, a captured sysfs tree or capabilities XML.</param>
/// <param name="Policy">Its host policy: <c>[host]</c> with the node's overrides.</param>
public sealed record ClusterNode(string Name, string? Rack, HostTopology Host, HostPolicy Policy)
{
    /// <summary>Declared VMs that libvirt on this node already has, with their pins when they have any.</summary>
    public IReadOnlyDictionary<string, Incumbent?> Running { get; init; } = new Dictionary<string, Incumbent?>();

    /// <summary>The rack anti-affinity counts in: the node's rack, else the node itself.</summary>
    public string FailureDomain => Rack ?? $"node:{Name}";

    /// <summary>The CPUs VMs may use: the policy's cpuset less the reserved CPUs, online.</summary>
    public CpuSet UsableCpus => Policy.CpuSetOn(Host) & Host.Online;
}

/// <summary>How VMs are spread over the nodes.</summary>
public enum PlacementPolicy
{
    /// <summary>The fewest nodes (the default): each VM goes where it fits tightest among the nodes in use.</summary>
    Pack,

    /// <summary>Balance: each VM goes where the most loaded dimension stays lowest.</summary>
    Spread,
}

/// <summary>What to place, where, and how.</summary>
/// <param name="Nodes">The cluster's nodes, in inventory order.</param>
/// <param name="Declaration">Every VM with its keys (<c>host</c>, <c>group</c>, <c>group_spread</c>), the profiles and the cost inputs.</param>
/// <param name="Policy">Pack or spread.</param>
/// <param name="Ha">How many nodes the plan must survive losing: their VMs then fit on the others.</param>
public sealed record ClusterRequest(IReadOnlyList<ClusterNode> Nodes, Declaration Declaration, PlacementPolicy Policy = PlacementPolicy.Pack, int Ha = 0);

/// <summary>One node's share of a cluster plan.</summary>
/// <param name="Node">The node.</param>
/// <param name="Vms">The VMs it runs, in declaration order.</param>
/// <param name="Usage">What they use of it, per dimension.</param>
/// <param name="Plan">The node's own plan (pinning, NUMA nodes, guest topology): exactly what <c>plan</c> gives on that node.</param>
/// <param name="Spare">True when the node is held empty for <c>--ha</c>: the VMs of a failed node move to it whole.</param>
public sealed record NodeAssignment(ClusterNode Node, IReadOnlyList<VmSpec> Vms, NodeUsage Usage, Plan? Plan, bool Spare);

/// <summary>What a node's VMs use of it.</summary>
/// <param name="CpusUsed">Dedicated CPUs (with idle siblings) plus the shared pool's CPUs in use (vCPUs over overcommit, rounded up).</param>
/// <param name="CpusTotal">CPUs VMs may use: the cpuset minus reserved, online.</param>
/// <param name="MemoryMiBUsed">Memory of its VMs.</param>
/// <param name="MemoryMiBTotal">Memory for VMs: the node's memory minus huge page pools and memory_reserved.</param>
public sealed record NodeUsage(int CpusUsed, int CpusTotal, long MemoryMiBUsed, long MemoryMiBTotal)
{
    /// <summary>The most loaded dimension, 0 to 1.</summary>
    public double Load => Math.Max(CpusTotal == 0 ? 0 : (double)CpusUsed / CpusTotal, MemoryMiBTotal == 0 ? 0 : (double)MemoryMiBUsed / MemoryMiBTotal);
}

/// <summary>A VM no node can take, and why.</summary>
/// <param name="Vm">The VM.</param>
/// <param name="Rule">The rule that stops it (<c>host</c>, <c>group</c>, <c>cpus</c>, <c>memory</c>, <c>numa</c>, ...).</param>
/// <param name="Reason">What stops it, on which nodes.</param>
public sealed record Unplaced(VmSpec Vm, string Rule, string Reason);

/// <summary>A VM that runs on one node and is planned on another.</summary>
/// <param name="Vm">The VM's name.</param>
/// <param name="From">The node it runs on now.</param>
/// <param name="To">The node it is planned on.</param>
/// <param name="Why">Which rule moves it.</param>
public sealed record ClusterMove(string Vm, string From, string To, string Why);

/// <summary>A lower bound on the nodes any placement needs, and the bound that gives it.</summary>
/// <param name="Nodes">The bound.</param>
/// <param name="Why">Which measure gives it (CPUs, memory, dedicated CPUs per NUMA node, the largest group, ...).</param>
public sealed record LowerBound(int Nodes, string Why);

/// <summary>A whole cluster plan.</summary>
/// <param name="Assignments">Every node, in inventory order (unused ones with no VMs).</param>
/// <param name="Unplaced">VMs no node can take.</param>
/// <param name="Moves">VMs planned away from the node they run on.</param>
/// <param name="Bound">The lower bound on nodes.</param>
/// <param name="ProvenOptimal">True when the exact solver proved that no placement uses fewer nodes (or, under spread, a lower peak load).</param>
/// <param name="Solver">Which solver made it, and how it ended.</param>
public sealed record ClusterPlan(
    IReadOnlyList<NodeAssignment> Assignments,
    IReadOnlyList<Unplaced> Unplaced,
    IReadOnlyList<ClusterMove> Moves,
    LowerBound Bound,
    bool ProvenOptimal,
    string Solver)
{
    /// <summary>Nodes that run at least one VM or are held as spares.</summary>
    public int NodesUsed => Assignments.Count(a => a.Vms.Count > 0 || a.Spare);

    /// <summary>Nodes used over the lower bound.</summary>
    public int Gap => Math.Max(0, NodesUsed - Bound.Nodes);

    /// <summary>What the plan cannot promise (an <c>--ha</c> it cannot meet), one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];
}

/// <summary>The placement's decisions alone (<see cref="ClusterPlanner.Assign"/>).</summary>
/// <param name="NodeOf">Per VM, in declaration order, the index of its node in the request, or -1.</param>
/// <param name="NodesUsed">Nodes that run at least one VM.</param>
/// <param name="Bound">The lower bound on nodes.</param>
public sealed record ClusterAssignment(IReadOnlyList<int> NodeOf, int NodesUsed, LowerBound Bound);
