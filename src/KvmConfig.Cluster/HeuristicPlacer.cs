using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// The fast placement: vector bin packing with a best-fit score, node counters instead of plans, and an index over
/// the nodes so that a VM looks at a few candidates, never the whole cluster.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>VMs whose <c>host</c> names a node go there; VMs already running on a node stay there when it still takes
/// them (what is declared elsewhere or breaks a group moves, and says so).</item>
/// <item>The others, members of anti-affinity groups first, then largest first. Keys: in a group or not (members
/// first: placed last, a member finds every node in use already holding another member or too full, and opens one
/// more), the dominant share (the larger of CPUs over the typical node's CPUs and memory over its memory,
/// descending), then declaration order.</item>
/// <item><c>pack</c>: among the nodes in use, the one with the fewest free CPUs that still takes the VM (best fit; at
/// most <see cref="MostCandidates"/> are asked, in that order, of those whose free memory, pool and NUMA nodes might
/// hold it (<see cref="NodeIndex"/>)); when none does, the next unused node, largest first
/// (CPUs, then memory, then inventory order). <c>spread</c>: the least loaded node that takes it (load: the most
/// used dimension).</item>
/// <item>A node takes a VM when its counters do (<see cref="NodeState.TryFit"/>) and no member of the VM's
/// <c>group</c> is on it (or in its rack, under <c>group_spread = rack</c>).</item>
/// <item><c>pack</c>: the least loaded nodes are then emptied into the others where VMs can change places to make room
/// (<see cref="EmptyNodes"/>).</item>
/// </list>
/// </remarks>
internal sealed partial class HeuristicPlacer(NodeState[] nodes, VmDemand[] vms, PlacementPolicy policy)
{
    /// <summary>How many nodes in use a VM asks, tightest first, before it opens a new one.</summary>
    public const int MostCandidates = 64;

    private readonly NodeIndex _index = new(nodes.Length);
    private readonly Dictionary<string, HashSet<string>> _groupsByDomain = new(StringComparer.Ordinal);
    private readonly int[] _unusedOrder = [.. Enumerable.Range(0, nodes.Length)
        .OrderByDescending(n => nodes[n].UsableCpus)
        .ThenByDescending(n => nodes[n].MemoryMiBTotal)
        .ThenBy(n => n)];

    private int _nextUnused;

    // The typical node (the median of each dimension), against which VMs are sized for ordering.
    private readonly double _typicalCpus = Math.Max(1, Median(nodes.Select(s => (double)s.UsableCpus)));
    private readonly double _typicalMemory = Math.Max(1, Median(nodes.Select(s => (double)s.MemoryMiBTotal)));

    // Nodes whose counters refused the VM being placed: the index remembers it for VMs of that shape and larger.
    private readonly List<int> _refusing = [];

    /// <summary>The node of each VM (by declaration index), -1 when none takes it.</summary>
    public int[] NodeOf { get; } = [.. vms.Select(_ => -1)];

    // The VMs of each node, by declaration index, so that a recount reads one node's VMs, not the declaration's.
    private readonly List<int>[] _onNode = [.. nodes.Select(_ => new List<int>())];

    /// <summary>Nodes a VM may not go to (after the host planner refused it there), by VM index.</summary>
    public Dictionary<int, HashSet<int>> Forbidden { get; } = [];

    /// <summary>Places every VM not yet placed, in the order of the remarks.</summary>
    public void PlaceAll(IReadOnlyDictionary<string, int> runningOn)
    {
        if (policy == PlacementPolicy.Spread)
        {
            for (int n = 0; n < nodes.Length; n++)
            {
                Index(n);
            }
        }

        var byName = nodes.Select((s, i) => (s.Node.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        foreach (VmDemand vm in vms.Where(v => NodeOf[v.Index] < 0 && v.Spec.Host is not null))
        {
            if (byName.TryGetValue(vm.Spec.Host!, out int n))
            {
                TryPlace(vm, n);
            }
        }

        foreach (VmDemand vm in vms.Where(v => NodeOf[v.Index] < 0 && runningOn.ContainsKey(v.Name)))
        {
            TryPlace(vm, runningOn[vm.Name]);
        }

        foreach (VmDemand vm in Order(vms.Where(v => NodeOf[v.Index] < 0 && v.Spec.Host is null)))
        {
            Place(vm);
        }

        if (policy == PlacementPolicy.Pack)
        {
            EmptyNodes(runningOn, LowerBounds.Of(nodes, vms, ha: 0).Nodes);
        }
    }

    /// <summary>Places one VM by the policy; false when no node takes it.</summary>
    public bool Place(VmDemand vm)
    {
        long from = policy == PlacementPolicy.Pack ? vm.CpusFor(vm.Vcpus, 1) : long.MinValue;
        NodeState.Fit found = default;
        _refusing.Clear();
        int chosen = _index.First(from, vm, n => Takes(vm, n, out found, out Refusal why) || Refusing(n, why), MostCandidates);
        foreach (int n in _refusing)
        {
            _index.Refused(n, vm);
        }

        if (chosen >= 0)
        {
            Commit(vm, chosen, found);
            return true;
        }

        if (policy == PlacementPolicy.Spread)
        {
            return false;
        }

        // A node not in use yet: the largest first. Nodes skipped here (too small for this VM) stay for later VMs.
        for (int i = _nextUnused; i < _unusedOrder.Length; i++)
        {
            int n = _unusedOrder[i];
            if (nodes[n].VmCount == 0 && Takes(vm, n, out NodeState.Fit fit))
            {
                Commit(vm, n, fit);
                while (_nextUnused < _unusedOrder.Length && nodes[_unusedOrder[_nextUnused]].VmCount > 0)
                {
                    _nextUnused++;
                }

                return true;
            }
        }

        return false;
    }

    /// <summary>Places <paramref name="vm"/> on node <paramref name="n"/> when it takes it.</summary>
    public bool TryPlace(VmDemand vm, int n)
    {
        if (!Takes(vm, n, out NodeState.Fit fit))
        {
            return false;
        }

        Commit(vm, n, fit);
        return true;
    }

    /// <summary>Keeps <paramref name="vm"/> off node <paramref name="n"/> from now on, and takes it off there.</summary>
    public void Forbid(VmDemand vm, int n)
    {
        Refuse(vm.Index, n);
        if (NodeOf[vm.Index] == n)
        {
            NodeOf[vm.Index] = -1;
            _onNode[n].Remove(vm.Index);
        }
    }

    // Keeps VM i off node n from now on.
    private void Refuse(int i, int n)
    {
        if (!Forbidden.TryGetValue(i, out HashSet<int>? refused))
        {
            Forbidden[i] = refused = [];
        }

        refused.Add(n);
    }

    /// <summary>Counts node <paramref name="n"/> again from the VMs still on it (after one left).</summary>
    public void Recount(int n)
    {
        var fresh = new NodeState(nodes[n].Node, n);
        foreach (int i in InPlannerOrder(_onNode[n]))
        {
            if (fresh.TryFit(vms[i], out _) is { } fit)
            {
                fresh.Commit(vms[i], fit);
            }
        }

        // Only a node that ran members of groups can change where groups run.
        bool hadGroups = nodes[n].HasGroups;
        nodes[n] = fresh;
        if (hadGroups)
        {
            RebuildGroups();
        }

        Index(n);
    }

    /// <summary>
    /// VMs in the order a node's own planner places them (dedicated ones largest first: CPUs, memory, name; then the
    /// shared ones in declaration order), so that counters rebuilt from them choose NUMA nodes as it does.
    /// </summary>
    private IEnumerable<int> InPlannerOrder(IEnumerable<int> onNode) =>
        onNode.OrderBy(i => vms[i].Dedicated ? 0 : 1)
            .ThenByDescending(i => vms[i].Dedicated ? vms[i].CpusFor(vms[i].Vcpus, 1) : 0)
            .ThenByDescending(i => vms[i].Dedicated ? vms[i].MemoryMiB : 0)
            .ThenBy(i => vms[i].Dedicated ? vms[i].Name : "", StringComparer.Ordinal)
            .ThenBy(i => i);

    private void RebuildGroups()
    {
        _groupsByDomain.Clear();
        foreach (VmDemand vm in vms.Where(v => NodeOf[v.Index] >= 0 && v.Spec.Group is not null))
        {
            string domain = nodes[NodeOf[vm.Index]].Node.FailureDomain;
            if (!_groupsByDomain.TryGetValue(domain, out HashSet<string>? groups))
            {
                _groupsByDomain[domain] = groups = new HashSet<string>(StringComparer.Ordinal);
            }

            groups.Add(vm.Spec.Group!);
        }
    }

    /// <summary>Whether node <paramref name="n"/> takes <paramref name="vm"/>, and if not, why.</summary>
    public Refusal? WhyNot(VmDemand vm, int n) => Takes(vm, n, out _, out Refusal why) ? null : why;

    private bool Takes(VmDemand vm, int n, out NodeState.Fit fit) => Takes(vm, n, out fit, out _);

    // Notes a refusal by the node's counters (not by a group or the node's planner, which are the VM's own); false.
    private bool Refusing(int n, Refusal why)
    {
        if (why.Rule is not ("host-plan" or "group"))
        {
            _refusing.Add(n);
        }

        return false;
    }

    private bool Takes(VmDemand vm, int n, out NodeState.Fit fit, out Refusal why)
    {
        fit = default;
        NodeState node = nodes[n];
        if (Forbidden.TryGetValue(vm.Index, out HashSet<int>? refused) && refused.Contains(n))
        {
            why = new Refusal("host-plan", "the node's own planner could not place it there");
            return false;
        }

        if (vm.Spec.Group is { } group
            && (node.HasGroup(group) || (vm.Spec.GroupSpread == GroupSpread.Rack && _groupsByDomain.TryGetValue(node.Node.FailureDomain, out HashSet<string>? inRack) && inRack.Contains(group))))
        {
            why = new Refusal("group", $"another member of group '{group}' runs on this {(node.HasGroup(group) ? "node" : "rack")}");
            return false;
        }

        if (node.TryFit(vm, out why) is not { } found)
        {
            return false;
        }

        fit = found;
        return true;
    }

    private void Commit(VmDemand vm, int n, NodeState.Fit fit)
    {
        nodes[n].Commit(vm, fit);
        NodeOf[vm.Index] = n;
        _onNode[n].Add(vm.Index);
        if (vm.Spec.Group is { } group)
        {
            if (!_groupsByDomain.TryGetValue(nodes[n].Node.FailureDomain, out HashSet<string>? groups))
            {
                _groupsByDomain[nodes[n].Node.FailureDomain] = groups = new HashSet<string>(StringComparer.Ordinal);
            }

            groups.Add(group);
        }

        Index(n);
    }

    // Pack: nodes in use by free CPUs, ascending (best fit). Spread: every node by load, ascending.
    private void Index(int n) =>
        _index.Set(n, policy == PlacementPolicy.Pack ? nodes[n].FreeCpus : (long)(nodes[n].Load * 1_000_000), nodes[n]);

    /// <summary>
    /// Step 2's order. Group members first; then VMs larger than an eighth of the typical node (the dominant share,
    /// the larger of CPUs over its CPUs and memory over its memory), largest first; then the rest, kinds (same CPUs,
    /// memory and pool) interleaved in proportion to their counts, larger kinds first among equals. Largest-first
    /// alone fills each node with one kind, and a node of tiny shared VMs runs into "more physical CPUs than VMs"
    /// long before its CPUs or memory: interleaved, every node gets a share of each kind and its dimensions fill
    /// together.
    /// </summary>
    private IEnumerable<VmDemand> Order(IEnumerable<VmDemand> pending)
    {
        double Share(VmDemand v) => Size(v);
        List<VmDemand> all = [.. pending];
        foreach (VmDemand vm in all.Where(v => v.Spec.Group is not null || Share(v) > 0.5).OrderByDescending(v => v.Spec.Group is not null).ThenByDescending(Share).ThenBy(v => v.Index))
        {
            yield return vm;
        }

        List<Queue<VmDemand>> kinds = [.. all
            .Where(v => v.Spec.Group is null && Share(v) <= 0.5)
            .GroupBy(v => (v.CpusFor(v.Vcpus, 1), v.MemoryMiB, v.Dedicated))
            .OrderByDescending(g => Share(g.First()))
            .ThenBy(g => g.Min(v => v.Index))
            .Select(g => new Queue<VmDemand>(g.OrderBy(v => v.Index)))];
        int[] totals = [.. kinds.Select(k => k.Count)];
        while (kinds.Any(k => k.Count > 0))
        {
            // The kind furthest behind its share of what has been emitted so far: the most left, relatively.
            int next = Enumerable.Range(0, kinds.Count).Where(i => kinds[i].Count > 0).MaxBy(i => (double)kinds[i].Count / totals[i]);
            yield return kinds[next].Dequeue();
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
    }
}
