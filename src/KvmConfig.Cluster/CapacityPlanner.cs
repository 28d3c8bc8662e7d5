using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>How much of each dimension a set of nodes uses, and which one binds.</summary>
/// <param name="CpusUsed">CPUs the VMs take (dedicated CPUs with idle siblings, the pool's share of shared vCPUs).</param>
/// <param name="CpusTotal">CPUs VMs may use on those nodes.</param>
/// <param name="MemoryMiBUsed">Memory of the VMs.</param>
/// <param name="MemoryMiBTotal">Memory for VMs on those nodes.</param>
/// <param name="Vms">VMs placed.</param>
/// <param name="VmsMost">The most VMs the rule "more physical CPUs than VMs" allows on those nodes.</param>
public sealed record Utilisation(long CpusUsed, long CpusTotal, long MemoryMiBUsed, long MemoryMiBTotal, long Vms, long VmsMost)
{
    /// <summary>The dimension closest to full: <c>cpus</c>, <c>memory</c> or <c>vm-count</c>.</summary>
    public string Binding =>
        new[] { ("cpus", Share(CpusUsed, CpusTotal)), ("memory", Share(MemoryMiBUsed, MemoryMiBTotal)), ("vm-count", Share(Vms, VmsMost)) }
            .OrderByDescending(d => d.Item2).First().Item1;

    /// <summary><paramref name="used"/> over <paramref name="total"/>, 0 to 1 (0 when there is no total).</summary>
    public static double Share(long used, long total) => total <= 0 ? 0 : (double)used / total;
}

/// <summary>What a mix of VMs needs on nodes of one shape.</summary>
/// <param name="Nodes">Nodes the placement uses (spares for <c>--ha</c> included); -1 when some VM fits no node of the shape.</param>
/// <param name="Plan">The placement that shows it.</param>
/// <param name="Use">What the nodes in use use.</param>
/// <param name="LargestFitting">Per profile (by the name given), the most vCPUs a VM like it (the rest of its keys the same) still gets on one of the nodes as placed.</param>
public sealed record CapacityAnswer(int Nodes, ClusterPlan Plan, Utilisation Use, IReadOnlyDictionary<string, int> LargestFitting);

/// <summary>
/// Capacity planning with the cluster placement itself, not a division: how many nodes of a shape a mix of VMs
/// needs (NUMA fit, whole cores, overcommit and the rules), and how many more VMs of each kind N nodes take.
/// </summary>
public static class CapacityPlanner
{
    /// <summary>
    /// The fewest nodes like <paramref name="template"/> that the VMs of <paramref name="declaration"/> need under pack (and
    /// <paramref name="ha"/>): the placement runs on a pool of identical nodes, grown until every VM is placed or a VM
    /// fits none of them; <paramref name="profiles"/> (a name and a VM of that kind) are then grown one vCPU at a time
    /// on the nodes as placed.
    /// </summary>
    public static CapacityAnswer NodesNeeded(ClusterNode template, Declaration declaration, int ha, IReadOnlyDictionary<string, VmSpec> profiles)
    {
        int pool = Math.Max(2, ha + 2);
        ClusterPlan plan;
        while (true)
        {
            plan = ClusterPlanner.Plan(new ClusterRequest(Pool(template, pool), declaration, PlacementPolicy.Pack, ha));
            bool spareRoom = plan.NodesUsed < pool;
            if (plan.Unplaced.Count == 0 && spareRoom && plan.Problems.Count == 0)
            {
                break;
            }

            // A VM that fits on no node even alone never will: more nodes cannot help.
            if (plan.Unplaced.Count > 0 && spareRoom)
            {
                return new CapacityAnswer(-1, plan, Use(plan), new Dictionary<string, int>());
            }

            pool = checked(pool * 2);
        }

        return new CapacityAnswer(plan.NodesUsed, plan, Use(plan), Largest(plan, profiles));
    }

    /// <summary>
    /// How many more VMs like each of <paramref name="profiles"/> <paramref name="nodes"/> nodes like
    /// <paramref name="template"/> take beside <paramref name="declaration"/>'s VMs, one kind at a time; null when the
    /// declaration itself does not fit.
    /// </summary>
    public static IReadOnlyDictionary<string, int>? MoreVms(ClusterNode template, int nodes, Declaration declaration, IReadOnlyDictionary<string, VmSpec> profiles)
    {
        ClusterNode[] pool = Pool(template, nodes);
        ClusterPlan plan = ClusterPlanner.Plan(new ClusterRequest(pool, declaration));
        if (plan.Unplaced.Count > 0)
        {
            return null;
        }

        var more = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string name, VmSpec like) in profiles)
        {
            NodeState[] states = Placed(pool, plan);
            int added = 0;
            var placer = new HeuristicPlacer(states, [new VmDemand(like, 0)], PlacementPolicy.Pack);
            placer.Open(Enumerable.Range(0, states.Length));
            while (added < 1_000_000 && placer.Place(new VmDemand(like with { Name = $"{like.Name}+{added}" }, 0)))
            {
                added++;
            }

            more[name] = added;
        }

        return more;
    }

    private static ClusterNode[] Pool(ClusterNode template, int count) =>
        [.. Enumerable.Range(1, count).Select(i => template with { Name = $"{template.Name}-{i}", Running = new Dictionary<string, Core.Planning.Incumbent?>() })];

    // The nodes' counters with the plan's VMs on them.
    private static NodeState[] Placed(ClusterNode[] pool, ClusterPlan plan)
    {
        NodeState[] states = [.. pool.Select((n, i) => new NodeState(n, i))];
        for (int i = 0; i < states.Length; i++)
        {
            foreach (VmSpec vm in plan.Assignments[i].Vms)
            {
                var demand = new VmDemand(vm, 0);
                if (states[i].TryFit(demand, out _) is { } fit)
                {
                    states[i].Commit(demand, fit);
                }
            }
        }

        return states;
    }

    private static Utilisation Use(ClusterPlan plan)
    {
        List<NodeAssignment> used = [.. plan.Assignments.Where(a => a.Vms.Count > 0)];
        return new Utilisation(
            used.Sum(a => (long)a.Usage.CpusUsed),
            used.Sum(a => (long)a.Usage.CpusTotal),
            used.Sum(a => a.Usage.MemoryMiBUsed),
            used.Sum(a => a.Usage.MemoryMiBTotal),
            used.Sum(a => (long)a.Vms.Count),
            used.Sum(a => (long)Math.Max(0, a.Node.Host.OnlineCpuCount - 1)));
    }

    // Per profile, the most vCPUs a VM like it gets on any node as placed, grown one vCPU at a time.
    private static Dictionary<string, int> Largest(ClusterPlan plan, IReadOnlyDictionary<string, VmSpec> profiles)
    {
        ClusterNode[] nodes = [.. plan.Assignments.Select(a => a.Node)];
        NodeState[] states = Placed(nodes, plan);
        var largest = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((string name, VmSpec like) in profiles)
        {
            int best = 0;
            foreach (NodeState node in states.Where((_, i) => plan.Assignments[i].Vms.Count > 0 && !plan.Assignments[i].Spare))
            {
                int vcpus = best + 1;
                while (vcpus <= node.UsableCpus && node.TryFit(new VmDemand(like with { Vcpus = vcpus }, 0), out _) is not null)
                {
                    best = vcpus++;
                }
            }

            largest[name] = best;
        }

        return largest;
    }
}
