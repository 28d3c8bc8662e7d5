namespace KvmConfig.Cluster;

/// <summary><c>--ha N</c>: the plan survives losing any N nodes, their VMs then fitting on the others.</summary>
public static partial class ClusterPlanner
{
    /// <summary>
    /// The most sets of N nodes in use tried as the ones lost: every set when there are at most this many (every node
    /// for N = 1 up to 256 nodes in use; every pair up to 23), else the N most loaded by CPUs and by memory. Each try
    /// places the lost nodes' VMs on copies of every other node's counters.
    /// </summary>
    public const int MostFailuresTried = 256;

    // How many sets of k among n (saturating at long.MaxValue).
    private static long SetsOf(int n, int k)
    {
        long sets = 1;
        for (int i = 1; i <= k; i++)
        {
            sets = sets > long.MaxValue / (n - k + i) ? long.MaxValue : sets * (n - k + i) / i;
        }

        return sets;
    }

    // Every set of k of `items`, in lexicographic order of positions.
    private static IEnumerable<int[]> Subsets(int[] items, int k)
    {
        var at = Enumerable.Range(0, k).ToArray();
        while (k > 0)
        {
            yield return [.. at.Select(i => items[i])];
            int pos = k - 1;
            while (pos >= 0 && at[pos] == items.Length - k + pos)
            {
                pos--;
            }

            if (pos < 0)
            {
                yield break;
            }

            at[pos]++;
            for (int j = pos + 1; j < k; j++)
            {
                at[j] = at[j - 1] + 1;
            }
        }
    }

    // Step 3. First choice: N unused nodes, each at least as large (CPUs and memory) as the most used node in use, held
    // empty: any N failed nodes move to them whole. Without enough of them (spread uses every node; pack a cluster it
    // fills), the nodes in use must absorb a loss themselves: each set of N nodes tried loses its VMs, which are
    // placed on copies of the other nodes' counters (and on unused nodes). Every set of N nodes in use is tried when
    // there are at most MostFailuresTried of them; otherwise the N most loaded nodes by CPUs and by memory.
    private static HashSet<int> Spares(ClusterRequest request, NodeState[] nodes, VmDemand[] vms, HeuristicPlacer placer, out string? problem)
    {
        problem = null;
        if (request.Ha <= 0)
        {
            return [];
        }

        int cpus = nodes.Where(n => n.VmCount > 0).Select(n => n.UsableCpus - n.FreeCpus).DefaultIfEmpty(0).Max();
        long memory = nodes.Where(n => n.VmCount > 0).Select(n => n.MemoryMiBUsed).DefaultIfEmpty(0).Max();
        HashSet<int> spares = [.. nodes
            .Where(n => n.VmCount == 0 && n.UsableCpus >= cpus && n.MemoryMiBTotal >= memory)
            .OrderBy(n => n.UsableCpus)
            .ThenBy(n => n.Index)
            .Take(request.Ha)
            .Select(n => n.Index)];
        if (spares.Count == request.Ha)
        {
            return spares;
        }

        if (Unabsorbed(request, nodes, vms, placer) is not { } lost)
        {
            return [];
        }

        problem = $"--ha {request.Ha}: losing {lost} leaves VMs that fit on no other node, and {Core.Units.Plural(spares.Count, "unused node")} can take the VMs of the most loaded node ({cpus} CPUs, {Core.Units.MiB(memory)}); " +
            $"{request.Ha - spares.Count} more such node{(request.Ha - spares.Count == 1 ? " is" : "s are")} needed to hold them empty";
        return spares;
    }

    // The first set of nodes tried whose loss leaves a VM that fits nowhere else (its names), or null.
    private static string? Unabsorbed(ClusterRequest request, NodeState[] nodes, VmDemand[] vms, HeuristicPlacer placer)
    {
        int[] used = [.. nodes.Where(n => n.VmCount > 0).Select(n => n.Index)];

        // The N most loaded by a measure; when fewer nodes are in use, the largest unused ones are lost too.
        int[] MostLoaded(Func<NodeState, long> load) => [.. nodes
            .OrderByDescending(n => n.VmCount > 0 ? 1 : 0)
            .ThenByDescending(load)
            .ThenByDescending(n => n.UsableCpus)
            .ThenBy(n => n.Index)
            .Take(request.Ha)
            .Select(n => n.Index)];
        IEnumerable<int[]> failures = request.Ha <= used.Length && SetsOf(used.Length, request.Ha) <= MostFailuresTried
            ? Subsets(used, request.Ha)
            : [MostLoaded(n => n.UsableCpus - n.FreeCpus), MostLoaded(n => n.MemoryMiBUsed)];
        foreach (int[] lost in failures)
        {
            NodeState[] copies = [.. nodes.Select(n => n.Clone())];
            var failover = new HeuristicPlacer(copies, vms, PlacementPolicy.Pack);
            failover.Open(used.Except(lost));
            IEnumerable<VmDemand> moving = vms
                .Where(v => lost.Contains(placer.NodeOf[v.Index]))
                .OrderByDescending(v => v.CpusFor(v.Vcpus, 1))
                .ThenByDescending(v => v.MemoryMiB);
            foreach (VmDemand vm in moving)
            {
                foreach (int n in lost)
                {
                    failover.Forbid(vm, n);
                }

                if (!failover.Place(vm))
                {
                    return string.Join(" and ", lost.Select(n => nodes[n].Node.Name));
                }
            }
        }

        return null;
    }
}
