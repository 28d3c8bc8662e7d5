using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// After the greedy pass, under <c>pack</c>: a local search that closes nodes. Best fit decides one VM at a time and
/// cannot take a decision back, so it often leaves a last node or two holding scraps that would fit in the gaps of
/// the others if a few VMs changed places. This pass tries to empty the least loaded nodes one by one: each VM of the
/// node goes into a node still in use, directly or in place of one of its VMs, which goes on the same way to another
/// node (an ejection chain of up to <see cref="ChainLength"/> VMs pushed on). When every VM finds a place the node is
/// closed; when one does not, nothing changes.
/// </summary>
/// <remarks>
/// VMs that must stay put are never moved: those whose <c>host</c> names their node and those running where the
/// greedy pass kept them. Every node a move touches is counted again from its VMs in its planner's order, as
/// <see cref="Recount"/> counts it, so what this pass accepts the rest of the planner sees the same way. The pass
/// stops at the lower bound, when none of the <see cref="MostTriedPerRound"/> least loaded nodes can be emptied, or after <see cref="MostEmptyingSteps"/> steps, so its cost is bounded whatever the cluster's size.
/// </remarks>
internal sealed partial class HeuristicPlacer
{
    /// <summary>
    /// The pass's work in all, in steps: a VM counted onto a node copy, a node looked at as a target, a VM of an emptied
    /// node put back. It bounds the time the pass takes on any cluster (a few tenths of a second on this machine).
    /// </summary>
    public const int MostEmptyingSteps = 1_000_000;

    /// <summary>The most emptyings the counters accept that are then put to <c>accept</c>.</summary>
    public const int MostEmptyingChecks = 64;

    /// <summary>
    /// How many of the least loaded nodes are tried before the pass gives up: past them nodes are fuller still, and on
    /// a large cluster trying them all would spend the budget on nodes that cannot be emptied.
    /// </summary>
    public const int MostTriedPerRound = 16;

    /// <summary>How many VMs one insertion may push on from node to node to make room.</summary>
    private const int ChainLength = 3;

    private int _stepsLeft = MostEmptyingSteps;
    private int _checksLeft = MostEmptyingChecks;
    private bool[] _stays = [];
    private readonly Dictionary<int, NodeState> _blank = [];
    private Dictionary<string, List<int>> _members = [];

    // What an emptying changed, to undo it latest first: VMs moved (from where, -1 for nowhere), node counters replaced
    // (by what they were).
    private readonly List<(int Vm, int From)> _moved = [];
    private readonly List<(int Node, NodeState Before)> _replaced = [];
    private int[] _targets = [];

    /// <summary>
    /// Empties nodes while one can be emptied and the nodes in use exceed <paramref name="bound"/>. When
    /// <paramref name="accept"/> is given, an emptying the counters allow is kept only if it agrees (called with the
    /// node emptied and the nodes whose VMs changed, the placement already changed; it returns the VM and node a
    /// planner refused, or null). Later calls spend what the first left of the budget.
    /// </summary>
    public void EmptyNodes(IReadOnlyDictionary<string, int> runningOn, int bound, Func<int, int[], (int Vm, int Node)?>? accept = null)
    {
        _stays = [.. vms.Select(v => NodeOf[v.Index] >= 0 && (v.Spec.Host is not null || (runningOn.TryGetValue(v.Name, out int n) && n == NodeOf[v.Index])))];
        _members = vms.Where(v => v.Spec.Group is not null).GroupBy(v => v.Spec.Group!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(v => v.Index).ToList(), StringComparer.Ordinal);

        bool closed = false;
        while (_stepsLeft > 0 && nodes.Count(s => s.VmCount > 0) > bound)
        {
            // The nodes easiest to empty first: the least loaded, then the fewest VMs.
            _stepsLeft -= nodes.Length;
            int[] candidates = [.. Enumerable.Range(0, nodes.Length)
                .Where(n => nodes[n].VmCount > 0 && _onNode[n].All(i => !_stays[i]))
                .OrderBy(n => nodes[n].Load).ThenBy(n => nodes[n].VmCount).ThenBy(n => n)
                .Take(MostTriedPerRound)];
            int emptied = Array.FindIndex(candidates, e => TryEmpty(e, accept));
            if (emptied < 0)
            {
                break;
            }

            closed = true;
            _index.Remove(candidates[emptied]);
        }

        if (closed)
        {
            RebuildGroups();
            _nextUnused = 0;
        }
    }

    // Moves every VM of node e to the other nodes in use, or changes nothing.
    private bool TryEmpty(int e, Func<int, int[], (int Vm, int Node)?>? accept)
    {
        if (_stepsLeft <= 0 || (accept is not null && _checksLeft <= 0))
        {
            return false;
        }

        _moved.Clear();
        _replaced.Clear();
        List<int> pool = [.. _onNode[e].OrderByDescending(i => Size(vms[i])).ThenBy(i => i)];
        _stepsLeft -= pool.Count;
        foreach (int i in pool)
        {
            _moved.Add((i, e));
            NodeOf[i] = -1;
        }

        _onNode[e].Clear();
        Replace(e, Blank(e));

        // The nodes in use, tightest first, as they stand now (they change a little while the VMs move).
        _targets = [.. Enumerable.Range(0, nodes.Length).Where(n => n != e && nodes[n].VmCount > 0).OrderBy(n => nodes[n].FreeCpus).ThenBy(n => n)];
        int[] touched = pool.All(i => Insert(i, e, ChainLength, from: -1)) ? [.. _replaced.Select(r => r.Node).Distinct().Where(n => n != e)] : [];
        (int Vm, int Node)? refused = touched.Length > 0 && accept is not null && _checksLeft-- > 0 ? accept(e, touched) : null;
        if (touched.Length > 0 && (accept is null || refused is null))
        {
            foreach (int n in touched)
            {
                Index(n);
            }

            return true;
        }

        Undo(0, 0);

        // A node's planner refused what its counters took: that VM stays off that node, and the node is tried again.
        if (refused is ({ } vm, { } node) && _checksLeft > 0)
        {
            Refuse(vm, node);
            return TryEmpty(e, accept);
        }

        return false;
    }

    // VM i onto a node in use other than e and the node the chain just came from: directly (the tightest that takes
    // it), else in place of one of a node's movable VMs (the smallest first), which is then inserted the same way,
    // `depth` more times at most. On failure nothing has changed.
    private bool Insert(int i, int e, int depth, int from)
    {
        foreach (int m in _targets)
        {
            _stepsLeft--;
            if (m != from && With(i, m, without: -1) is { } state)
            {
                Move(i, m, state);
                return true;
            }
        }

        if (depth == 0)
        {
            return false;
        }

        foreach (int m in _targets.Where(m => m != from))
        {
            foreach (int u in _onNode[m].Where(u => !_stays[u] && u != i).OrderBy(u => Size(vms[u])).ThenBy(u => u).ToArray())
            {
                if (_stepsLeft <= 0)
                {
                    return false;
                }

                if (With(i, m, without: u) is not { } state)
                {
                    continue;
                }

                (int moved, int replaced) = (_moved.Count, _replaced.Count);
                _moved.Add((u, m));
                _onNode[m].Remove(u);
                NodeOf[u] = -1;
                Move(i, m, state);
                if (Insert(u, e, depth - 1, from: m))
                {
                    return true;
                }

                // u has nowhere to go: back as it was.
                Undo(moved, replaced);
            }
        }

        return false;
    }

    private void Move(int i, int m, NodeState state)
    {
        _moved.Add((i, NodeOf[i]));
        NodeOf[i] = m;
        _onNode[m].Add(i);
        Replace(m, state);
    }

    private void Replace(int n, NodeState state)
    {
        _replaced.Add((n, nodes[n]));
        nodes[n] = state;
    }

    // Takes back what was done after the logs held `moved` and `replaced` entries, latest first.
    private void Undo(int moved, int replaced)
    {
        for (int k = _replaced.Count - 1; k >= replaced; k--)
        {
            nodes[_replaced[k].Node] = _replaced[k].Before;
        }

        for (int k = _moved.Count - 1; k >= moved; k--)
        {
            (int vm, int from) = _moved[k];
            if (NodeOf[vm] >= 0)
            {
                _onNode[NodeOf[vm]].Remove(vm);
            }

            NodeOf[vm] = from;
            if (from >= 0)
            {
                _onNode[from].Add(vm);
            }
        }

        _replaced.RemoveRange(replaced, _replaced.Count - replaced);
        _moved.RemoveRange(moved, _moved.Count - moved);
    }

    private NodeState Blank(int n)
    {
        if (!_blank.TryGetValue(n, out NodeState? blank))
        {
            _blank[n] = blank = new NodeState(nodes[n].Node, n);
        }

        return blank.Clone();
    }

    // Node m counted afresh with VM i added and VM `without` (when not -1) taken away, or null when it refuses: a
    // member of i's group there (or in its rack), the node's planner refused i there, or the counters.
    private NodeState? With(int i, int m, int without)
    {
        VmDemand vm = vms[i];
        if (!nodes[m].MightTake(vm, without < 0 ? null : vms[without]) || (Forbidden.TryGetValue(i, out HashSet<int>? refused) && refused.Contains(m)) || GroupBlocks(vm, m, without))
        {
            return null;
        }

        NodeState state = Blank(m);
        foreach (int j in InPlannerOrder(_onNode[m].Where(j => j != without).Append(i)))
        {
            _stepsLeft--;
            if (state.TryFit(vms[j], out _) is not { } fit)
            {
                return null;
            }

            state.Commit(vms[j], fit);
        }

        return state;
    }

    private bool GroupBlocks(VmDemand vm, int m, int without)
    {
        if (vm.Spec.Group is not { } group)
        {
            return false;
        }

        string domain = nodes[m].Node.FailureDomain;
        foreach (int j in _members[group])
        {
            int at = j == vm.Index || j == without ? -1 : NodeOf[j];
            if (at == m || (at >= 0 && vm.Spec.GroupSpread == GroupSpread.Rack && nodes[at].Node.FailureDomain == domain))
            {
                return true;
            }
        }

        return false;
    }

    // The dominant share of a VM on the typical node, for ordering.
    private double Size(VmDemand vm) => Math.Max(vm.CpusFor(vm.Vcpus, 1) / _typicalCpus, vm.MemoryMiB / _typicalMemory);
}
