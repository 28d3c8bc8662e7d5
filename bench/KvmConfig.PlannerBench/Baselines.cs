using KvmConfig.Core;

namespace KvmConfig.PlannerBench;

/// <summary>
/// The allocators kvmconfig is compared with. Each is a pure function of values, as in kubelet's CPU manager:
/// topology + free CPUs + count -> the CPUs to take, or null when fewer than <c>count</c> are free. None of them
/// looks at memory; <see cref="Outcomes"/> only counts it.
/// </summary>
internal static class Baselines
{
    /// <summary>Picks <c>count</c> CPUs out of <c>free</c>, or null.</summary>
    public delegate CpuSet? Allocator(TopologyView topology, CpuSet free, int count);

    /// <summary>How a ladder orders the units (sockets, nodes, cores) it may take from.</summary>
    public enum Order
    {
        /// <summary>Lowest-numbered first: sockets and nodes by id, cores by first CPU. No best fit at all.</summary>
        LowestFirst,

        /// <summary>
        /// kubelet's own order since 1.22 (<c>cpuAccumulator.sort</c>): fewest free CPUs first, ties by id, nested
        /// socket -> node -> core. That packs partly used units first, so it is a best fit of sorts.
        /// </summary>
        FewestFreeFirst,
    }

    /// <summary>The brief's kubelet-style baseline: the ladder below with <see cref="Order.LowestFirst"/>.</summary>
    public static CpuSet? KubeletLowestFirst(TopologyView topology, CpuSet free, int count) =>
        TakeByTopology(topology, free, count, Order.LowestFirst);

    /// <summary>The same ladder in kubelet's real unit order (<see cref="Order.FewestFreeFirst"/>), for reference.</summary>
    public static CpuSet? KubeletFewestFreeFirst(TopologyView topology, CpuSet free, int count) =>
        TakeByTopology(topology, free, count, Order.FewestFreeFirst);

    /// <summary>Naive first fit: the <c>count</c> lowest-numbered free CPUs, whatever core or node they sit on.</summary>
    public static CpuSet? FirstFitByNumber(TopologyView topology, CpuSet free, int count) =>
        count > free.Count ? null : CpuSet.Of(free.Take(count));

    /// <summary>
    /// kubelet's packed allocator (<c>takeByTopologyNUMAPacked</c> in <c>pkg/kubelet/cm/cpumanager/cpu_assignment.go</c>),
    /// without the topology manager (nothing restricts the free set to one node beforehand).
    /// </summary>
    /// <remarks>
    /// The steps, each over the units in <paramref name="order"/>, each list taken once at the start of its step:
    /// <list type="number">
    /// <item>Whole sockets, while the CPUs still needed are at least a socket's worth. (kubelet takes the larger of
    /// socket and node first; sockets are larger on this host.) A socket qualifies when all its CPUs are free.</item>
    /// <item>Whole NUMA nodes, likewise, while at least a node's worth is needed.</item>
    /// <item>Whole cores, while at least a core's worth is needed: a core qualifies when all its threads are free.</item>
    /// <item>Single threads, core by core in the order of step 3 (cores with any free thread), ascending inside a
    /// core, until the count is met.</item>
    /// </list>
    /// There is no search: the first units in the order are taken, and a VM spills into the next node when its
    /// node runs out. Under <see cref="Order.LowestFirst"/> that is the lowest-numbered unit every time.
    /// </remarks>
    public static CpuSet? TakeByTopology(TopologyView topology, CpuSet free, int count, Order order)
    {
        if (count > free.Count)
        {
            return null;
        }

        CpuSet taken = CpuSet.Empty;
        int need = count;
        CpuSet available = free;

        void Take(CpuSet cpus)
        {
            taken |= cpus;
            available -= cpus;
            need -= cpus.Count;
        }

        // Steps 1 and 2: whole sockets, then whole nodes.
        foreach (CpuSet socket in SortedSockets(topology, available, order).Where(s => s.IsSubsetOf(available)))
        {
            if (need >= socket.Count)
            {
                Take(socket);
            }
        }

        foreach (int node in SortedNodes(topology, available, order).Where(n => topology.Nodes[n].IsSubsetOf(available)))
        {
            if (need >= topology.Nodes[node].Count)
            {
                Take(topology.Nodes[node]);
            }
        }

        // Step 3: whole cores.
        foreach (CpuSet core in SortedCores(topology, available, order).Where(c => c.IsSubsetOf(available)))
        {
            if (need >= core.Count)
            {
                Take(core);
            }
        }

        // Step 4: single threads.
        foreach (CpuSet core in SortedCores(topology, available, order))
        {
            foreach (int cpu in core & available)
            {
                if (need == 0)
                {
                    return taken;
                }

                Take(CpuSet.Of(cpu));
            }
        }

        return need == 0 ? taken : null;
    }

    // Sockets with free CPUs. Keys: (FewestFreeFirst only) free CPUs ascending; then package id.
    private static IEnumerable<CpuSet> SortedSockets(TopologyView t, CpuSet available, Order order) =>
        SocketIds(t, available, order).Select(s => t.Sockets[s]);

    private static List<int> SocketIds(TopologyView t, CpuSet available, Order order) =>
        [.. Enumerable.Range(0, t.Sockets.Count)
            .Where(s => t.Sockets[s].Overlaps(available))
            .OrderBy(s => order == Order.FewestFreeFirst ? (t.Sockets[s] & available).Count : 0)
            .ThenBy(s => s)];

    // Nodes with free CPUs, socket by socket in socket order. Keys inside a socket: (FewestFreeFirst only) free CPUs
    // ascending; then node id. kubelet's socketsFirst.sortAvailableNUMANodes, used when sockets < nodes.
    private static IEnumerable<int> SortedNodes(TopologyView t, CpuSet available, Order order) =>
        SocketIds(t, available, order).SelectMany(s => t.NodesOfSocket[s]
            .Where(n => t.Nodes[n].Overlaps(available))
            .OrderBy(n => order == Order.FewestFreeFirst ? (t.Nodes[n] & available).Count : 0)
            .ThenBy(n => n));

    // Cores with free CPUs. LowestFirst: by first CPU over the whole host. FewestFreeFirst: node by node in node
    // order; inside a node, free threads ascending (split cores before whole ones), then first CPU.
    private static List<CpuSet> SortedCores(TopologyView t, CpuSet available, Order order) =>
        order == Order.LowestFirst
            ? [.. t.Cores.Where(c => c.Overlaps(available))]
            : [.. SortedNodes(t, available, order).SelectMany(n => t.CoresOfNode[n]
                .Where(c => c.Overlaps(available))
                .OrderBy(c => (c & available).Count)
                .ThenBy(c => c.First))];
}
