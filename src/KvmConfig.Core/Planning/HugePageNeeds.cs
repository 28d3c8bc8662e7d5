using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>
/// How many huge pages each NUMA node must hold for a declaration, whatever the host has reserved now: what
/// <c>doctor</c> judges the pools against and what <c>tune</c> reserves.
/// </summary>
public static class HugePageNeeds
{
    /// <summary>
    /// Plans <paramref name="declaration"/> on <paramref name="host"/> as if every node's pool of each size the VMs ask
    /// for had at least all those VMs' pages free, so the plan is not bent by today's reservations: what the host will
    /// run once the pools are reserved. Null when the declaration cannot be planned even so.
    /// </summary>
    public static Plan? PlanWithEnough(HostTopology host, Declaration declaration)
    {
        Dictionary<long, long> wanted = declaration.Vms
            .Where(v => v.MemoryMiB is not null && PlannerState.HugePageSizeKiB(v) is not null)
            .GroupBy(v => PlannerState.HugePageSizeKiB(v)!.Value)
            .ToDictionary(g => g.Key, g => g.Sum(v => PlannerState.PagesFor(v.MemoryMiB!.Value, g.Key)));
        HugePagePool Enough(NumaNode node, long size, long pages) =>
            node.HugePages.FirstOrDefault(p => p.SizeKiB == size) is { } pool
                ? pool.Free >= pages ? pool : new HugePagePool(size, Math.Max(pages, pool.Total), pages)
                : new HugePagePool(size, pages, pages);
        HostTopology enough = wanted.Count == 0 ? host : host with
        {
            Nodes = [.. host.Nodes.Select(n => n with
            {
                HugePages = [.. wanted.Select(w => Enough(n, w.Key, w.Value)).Concat(n.HugePages.Where(p => !wanted.ContainsKey(p.SizeKiB))).OrderBy(p => p.SizeKiB)],
            })],
        };
        return HostPlanner.Plan(enough, declaration).Plan;
    }

    /// <summary>
    /// The pages each node must hold for the VMs of <paramref name="plan"/>, by node and page size, counted as check's
    /// hugepages rule counts them: a VM's pages split evenly over its memory nodes, rounded up on each.
    /// </summary>
    public static IReadOnlyDictionary<(int Node, long SizeKiB), long> Of(Plan plan)
    {
        var needs = new Dictionary<(int, long), long>();
        foreach (VmPlacement vm in plan.Vms.Where(v => v.HugePages > 0 && !v.MemoryNodes.IsEmpty))
        {
            long size = PlannerState.HugePageSizeKiB(vm.Spec)!.Value;
            long perNode = (vm.HugePages + vm.MemoryNodes.Count - 1) / vm.MemoryNodes.Count;
            foreach (int node in vm.MemoryNodes)
            {
                Add(needs, node, size, perNode);
            }
        }

        return needs;
    }

    private static void Add(Dictionary<(int, long), long> needs, int node, long size, long pages) =>
        needs[(node, size)] = needs.GetValueOrDefault((node, size)) + pages;
}
