using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// Lower bounds on the nodes any placement needs; the plan's gap is measured against the largest. Each bound takes
/// the nodes with the most of its dimension first, so it holds for clusters of mixed machines too.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>CPUs</b>: dedicated vCPUs (whole cores' worth on the node shape that needs the fewest) plus shared
/// vCPUs over the largest overcommit, against the usable CPUs.</item>
/// <item><b>memory</b>: every VM's memory against the memory for VMs plus the huge page pools.</item>
/// <item><b>VM count</b>: a node runs fewer VMs than it has CPUs (the rule "more physical CPUs than VMs").</item>
/// <item><b>large VMs per NUMA node</b>: dedicated VMs that need more than half of the largest NUMA node's CPUs never
/// share a NUMA node with each other, so the nodes must have at least that many NUMA nodes between them.</item>
/// <item><b>anti-affinity</b>: a group's members each need a node (a rack, under <c>group_spread = rack</c>).</item>
/// <item><b>HA</b>: after losing any <c>--ha N</c> nodes the rest must hold everything, so N more than the largest of
/// the above.</item>
/// </list>
/// </remarks>
internal static class LowerBounds
{
    public static LowerBound Of(NodeState[] nodes, VmDemand[] vms, int ha)
    {
        var bounds = new List<LowerBound>();
        int minThreads = nodes.Length == 0 ? 1 : nodes.Min(n => n.Threads);
        double mostOvercommit = nodes.Length == 0 ? 1 : nodes.Max(n => n.VcpusPerPoolCpu);
        double cpus = vms.Where(v => v.Dedicated).Sum(v => (double)v.CpusFor(v.Vcpus, minThreads)) + (vms.Where(v => !v.Dedicated).Sum(v => (double)v.Vcpus) / mostOvercommit);
        bounds.Add(new LowerBound(Fewest(nodes, n => n.UsableCpus, cpus), $"{cpus:0.#} CPUs of VMs against the usable CPUs of the largest nodes"));

        double memory = vms.Sum(v => (double)v.MemoryMiB);
        bounds.Add(new LowerBound(Fewest(nodes, n => n.MemoryMiBTotal + n.HugePagesMiB, memory), $"{Core.Units.MiB((long)memory)} of VM memory against the nodes' memory for VMs"));

        bounds.Add(new LowerBound(Fewest(nodes, n => Math.Max(0, n.OnlineCpus - 1), vms.Length), $"{vms.Length} VMs, fewer on each node than its CPUs"));

        int largestNuma = nodes.Length == 0 ? 0 : nodes.Max(n => n.LargestNumaCpus);
        int large = vms.Count(v => v.Dedicated && v.CpusFor(v.Vcpus, minThreads) * 2 > largestNuma);
        bounds.Add(new LowerBound(Fewest(nodes, n => n.NumaNodeCount, large), $"{large} dedicated VMs larger than half a NUMA node, one per NUMA node"));

        foreach (IGrouping<string, VmDemand> group in vms.Where(v => v.Spec.Group is not null).GroupBy(v => v.Spec.Group!, StringComparer.Ordinal))
        {
            bool byRack = group.Any(v => v.Spec.GroupSpread == GroupSpread.Rack);
            bounds.Add(new LowerBound(group.Count(), $"anti-affinity group '{group.Key}' has {group.Count()} members, each on its own {(byRack ? "rack" : "node")}"));
        }

        LowerBound best = bounds.OrderByDescending(b => b.Nodes).First();
        return ha > 0 ? best with { Nodes = best.Nodes + ha, Why = $"{best.Why}, plus {ha} for --ha {ha}" } : best;
    }

    // The fewest nodes whose `amount`, largest first, reaches `needed`; every node plus one when they all fall short.
    private static int Fewest(NodeState[] nodes, Func<NodeState, double> amount, double needed)
    {
        if (needed <= 0)
        {
            return 0;
        }

        double sum = 0;
        int k = 0;
        foreach (double a in nodes.Select(amount).OrderDescending())
        {
            sum += a;
            k++;
            if (sum >= needed - 1e-9)
            {
                return k;
            }
        }

        return nodes.Length + 1;
    }
}
