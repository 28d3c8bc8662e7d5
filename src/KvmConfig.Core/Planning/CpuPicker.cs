using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>
/// Chooses CPUs inside one NUMA node: one L3 group when one can hold the VM, whole cores before split cores.
/// </summary>
/// <remarks>
/// Order of preference inside the chosen CPUs (a kubelet-like ladder, with best fit at each rung):
/// <list type="number">
/// <item>L3 group: among the node's L3 groups that can hold the VM, the one with the fewest free CPUs (best fit),
/// ties by lowest first CPU; when none can, the whole node.</item>
/// <item>Whole free cores, in CPU order, as many as the VM fills completely.</item>
/// <item>For the rest (<c>smt = prefer</c> only): first threads of cores another VM already split, so that no new
/// core is broken; then threads of a whole core.</item>
/// </list>
/// Under <c>isolate</c> and <c>require</c> only whole cores qualify, and the threads the VM does not run on stay idle.
/// </remarks>
internal static class CpuPicker
{
    /// <summary>A choice: the CPUs the vCPUs run on, and the sibling threads held idle with them.</summary>
    public sealed record Pick(CpuSet Cpus, CpuSet Idle, CpuSet? L3Group);

    /// <summary>CPUs of <paramref name="free"/> whose whole core (all online threads) is free.</summary>
    public static CpuSet WholeFreeCores(HostTopology host, CpuSet free)
    {
        var builder = new CpuSet.Builder();
        foreach (int cpu in free)
        {
            if (host.CoreOf(cpu).IsSubsetOf(free))
            {
                builder.Add(cpu);
            }
        }

        return builder.ToCpuSet();
    }

    /// <summary>
    /// The free CPUs of one node that are unusable for what usually comes next: those whose core is no longer whole,
    /// or all of them when the node has fewer free CPUs than the typical VM needs. The fragmentation figure, and the
    /// first key of the planner's best fit.
    /// </summary>
    public static CpuSet Stranded(HostTopology host, CpuSet nodeFree, int typical) =>
        nodeFree.Count < typical ? nodeFree : nodeFree - WholeFreeCores(host, nodeFree);

    /// <summary><paramref name="count"/> CPUs from <paramref name="free"/> (one node's free CPUs), or null.</summary>
    public static Pick? Choose(HostTopology host, CpuSet free, int count, SmtPolicy smt) =>
        Choose(host, free, WholeFreeCores(host, free), count, smt);

    /// <summary>
    /// <paramref name="count"/> CPUs from <paramref name="free"/> (one node's free CPUs), or null.
    /// <paramref name="wholeFree"/> is <see cref="WholeFreeCores"/> of <paramref name="free"/>, which the planner keeps
    /// as a counter rather than recompute it here.
    /// </summary>
    public static Pick? Choose(HostTopology host, CpuSet free, CpuSet wholeFree, int count, SmtPolicy smt)
    {
        bool wholeOnly = smt is SmtPolicy.Isolate or SmtPolicy.Require;
        int threads = Math.Max(1, host.ThreadsPerCore);

        // Rung 1: the L3 group that fits best; the node as a whole when none fits (or caches are unknown). Keys: free
        // CPUs of the group (ascending: best fit), then its first CPU. A group's whole cores are its share of the node's
        // (SMT threads share every cache level, so a core never straddles two L3 groups).
        CpuSet? group = null;
        CpuSet? groupWhole = null;
        foreach (CpuSet l3 in host.L3Groups)
        {
            if (!l3.Overlaps(free))
            {
                continue;
            }

            CpuSet g = l3 & free;
            CpuSet gWhole = l3 & wholeFree;
            if (Capacity(g, gWhole) >= count && (group is null || g.Count < group.Count || (g.Count == group.Count && g.First < group.First)))
            {
                group = g;
                groupWhole = gWhole;
            }
        }

        CpuSet scope = group ?? free;
        CpuSet scopeWhole = groupWhole ?? wholeFree;
        if (Capacity(scope, scopeWhole) < count)
        {
            return null;
        }

        // Rung 2: whole cores in CPU order (a core is met at its first CPU, so cores come ordered by first CPU).
        var chosen = new CpuSet.Builder();
        var idle = new CpuSet.Builder();
        int left = count;
        foreach (int first in scopeWhole)
        {
            if (left == 0)
            {
                break;
            }

            CpuSet core = host.CoreOf(first);
            if (core.First != first)
            {
                continue;
            }

            // Under prefer a core the VM cannot fill is skipped, not the end: a smaller core further on (one whose
            // sibling is offline) may still be filled whole.
            if (!wholeOnly && left < core.Count)
            {
                continue;
            }

            foreach (int cpu in core)
            {
                if (left > 0)
                {
                    chosen.Add(cpu);
                    left--;
                }
                else
                {
                    idle.Add(cpu);
                }
            }
        }

        // Rung 3 (prefer): threads of already split cores (free CPUs outside whole cores), then of whole ones.
        if (left > 0)
        {
            CpuSet remaining = scope - chosen.ToCpuSet();
            foreach (int cpu in (remaining - wholeFree).Concat(remaining & wholeFree).Take(left))
            {
                chosen.Add(cpu);
                left--;
            }
        }

        return left > 0 ? null : new Pick(chosen.ToCpuSet(), idle.ToCpuSet(), group);

        int Capacity(CpuSet cpus, CpuSet whole) => wholeOnly ? whole.Count / threads * threads : cpus.Count;
    }

    /// <summary>The cores of <paramref name="cpus"/> (each restricted to <paramref name="cpus"/>), ordered by first CPU.</summary>
    public static IEnumerable<CpuSet> Cores(HostTopology host, CpuSet cpus)
    {
        // Ascending CPUs meet each core at its first CPU in cpus, so the cores come ordered by first CPU, once each.
        foreach (int cpu in cpus)
        {
            CpuSet core = host.CoreOf(cpu);
            if (core.Contains(cpu) && !core.Any(sibling => sibling < cpu && cpus.Contains(sibling)))
            {
                yield return core & cpus;
            }
        }
    }
}
