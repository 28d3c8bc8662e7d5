using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// After the greedy pass, under <c>pack</c>: a local search that closes nodes. Best fit decides one VM at a time and
/// cannot take a decision back, so it often leaves a last node or two holding scraps that would fit in the gaps of
/// the others if a few VMs changed places. This pass tries to empty the least loaded nodes one by one: each VM of the
/// node goes into a node still in use, directly or by moving one VM there to a third node to make room (an ejection
/// chain of length two). When every VM finds a place the node is closed; when one does not, nothing changes.
/// </summary>
/// <remarks>
/// VMs that must stay put are never moved: those whose <c>host</c> names their node and those running where the
/// greedy pass kept them. Every node a move touches is counted again from its VMs in its planner's order, as
/// <see cref="Recount"/> counts it, so what this pass accepts the rest of the planner sees the same way. The pass
/// stops at the lower bound, when no node can be emptied, or after <see cref="MostEmptyingCommits"/> VMs have been
/// counted onto nodes, so its cost is bounded whatever the cluster's size.
/// </remarks>
internal sealed partial class HeuristicPlacer
{
    /// <summary>The most VMs the pass counts onto node copies in all (each node copy counts all of its VMs).</summary>
    public const int MostEmptyingCommits = 2_000_000;

    /// <summary>How many VMs one insertion may push on from node to node to make room.</summary>
    private const int ChainLength = 3;

    private int _emptyingBudget;
    private int _checksLeft;
    private bool[] _stays = [];
    private NodeState[] _blank = [];
    private Dictionary<string, List<int>> _members = [];

    /// <summary>The most emptyings the counters accept that are then put to <c>accept</c>.</summary>
    public const int MostEmptyingChecks = 64;

    /// <summary>
    /// Empties nodes while one can be emptied and the nodes in use exceed <paramref name="bound"/>. When
    /// <paramref name="accept"/> is given, an emptying the counters allow is kept only if it agrees (called with the
    /// node emptied and the nodes whose VMs changed, the placement already changed); the first call's budget is shared
    /// by later ones.
    /// </summary>
    public void EmptyNodes(IReadOnlyDictionary<string, int> runningOn, int bound, Func<int, int[], (int Vm, int Node)?>? accept = null)
    {
        _emptyingBudget = _stays.Length == 0 ? MostEmptyingCommits : _emptyingBudget;
        _checksLeft = _stays.Length == 0 ? MostEmptyingChecks : _checksLeft;
        _stays = [.. vms.Select(v => NodeOf[v.Index] >= 0 && (v.Spec.Host is not null || (runningOn.TryGetValue(v.Name, out int n) && n == NodeOf[v.Index])))];
        _blank = [.. nodes.Select(s => new NodeState(s.Node, s.Index))];
        _members = vms.Where(v => v.Spec.Group is not null).GroupBy(v => v.Spec.Group!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(v => v.Index).ToList(), StringComparer.Ordinal);

        bool closed = false;
        while (_emptyingBudget > 0 && nodes.Count(s => s.VmCount > 0) > bound)
        {
            // The nodes easiest to empty first: the least loaded, then the fewest VMs.
            int[] candidates = [.. Enumerable.Range(0, nodes.Length)
                .Where(n => nodes[n].VmCount > 0 && _onNode[n].All(i => !_stays[i]))
                .OrderBy(n => nodes[n].Load).ThenBy(n => nodes[n].VmCount).ThenBy(n => n)];
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
        if (accept is not null && _checksLeft <= 0)
        {
            return false;
        }

        int[] nodeOf = [.. NodeOf];
        List<int>[] onNode = [.. _onNode.Select(l => new List<int>(l))];
        NodeState[] states = [.. nodes];

        List<int> pool = [.. _onNode[e].OrderByDescending(i => Size(vms[i])).ThenBy(i => i)];
        foreach (int i in pool)
        {
            NodeOf[i] = -1;
        }

        _onNode[e].Clear();
        nodes[e] = _blank[e].Clone();
        int[] touched = pool.All(i => Insert(i, e, ChainLength, [])) ? [.. Enumerable.Range(0, nodes.Length).Where(n => nodes[n] != states[n] && nodes[n].VmCount > 0)] : [];
        (int Vm, int Node)? refused = touched.Length > 0 && accept is not null && _checksLeft-- > 0 ? accept(e, touched) : null;
        if (touched.Length > 0 && (accept is null || refused is null))
        {
            foreach (int n in touched)
            {
                Index(n);
            }

            return true;
        }

        Array.Copy(nodeOf, NodeOf, nodeOf.Length);
        Array.Copy(onNode, _onNode, onNode.Length);
        Array.Copy(states, nodes, states.Length);

        // A node's planner refused what its counters took: that VM stays off that node, and the node is tried again.
        if (refused is ({ } vm, { } node) && _checksLeft > 0)
        {
            Refuse(vm, node);
            return TryEmpty(e, accept);
        }

        return false;
    }

    // VM i onto a node in use other than e and the nodes of `chain`: directly (the tightest that takes it), else in
    // place of one of a node's movable VMs no larger than i (the smallest first), which is then inserted the same way,
    // `depth` more times at most. On failure nothing has changed.
    private bool Insert(int i, int e, int depth, List<int> chain)
    {
        int[] targets = [.. Enumerable.Range(0, nodes.Length).Where(n => n != e && nodes[n].VmCount > 0 && !chain.Contains(n)).OrderBy(n => nodes[n].FreeCpus).ThenBy(n => n)];
        foreach (int m in targets)
        {
            if (With(i, m, without: -1) is { } state)
            {
                Move(i, m, state);
                return true;
            }
        }

        if (depth == 0)
        {
            return false;
        }

        foreach (int m in targets)
        {
            foreach (int u in _onNode[m].Where(u => !_stays[u] && Size(vms[u]) <= Size(vms[i])).OrderBy(u => Size(vms[u])).ThenBy(u => u).ToArray())
            {
                if (_emptyingBudget <= 0)
                {
                    return false;
                }

                if (With(i, m, without: u) is not { } state)
                {
                    continue;
                }

                NodeState before = nodes[m];
                _onNode[m].Remove(u);
                NodeOf[u] = -1;
                Move(i, m, state);
                chain.Add(m);
                if (Insert(u, e, depth - 1, chain))
                {
                    return true;
                }

                // u has nowhere to go: back as it was.
                chain.RemoveAt(chain.Count - 1);
                _onNode[m].Remove(i);
                NodeOf[i] = -1;
                _onNode[m].Add(u);
                NodeOf[u] = m;
                nodes[m] = before;
            }
        }

        return false;
    }

    private void Move(int i, int m, NodeState state)
    {
        NodeOf[i] = m;
        _onNode[m].Add(i);
        nodes[m] = state;
    }

    // Node m counted afresh with VM i added and VM `without` (when not -1) taken away, or null when it refuses: a
    // member of i's group there (or in its rack), the node's planner refused i there, or the counters.
    private NodeState? With(int i, int m, int without)
    {
        VmDemand vm = vms[i];
        if ((Forbidden.TryGetValue(i, out HashSet<int>? refused) && refused.Contains(m)) || GroupBlocks(vm, m, without))
        {
            return null;
        }

        NodeState state = _blank[m].Clone();
        foreach (int j in InPlannerOrder(_onNode[m].Where(j => j != without).Append(i)))
        {
            _emptyingBudget--;
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
