using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Planning;

/// <summary>Where a VM's memory goes, and whether it fits there.</summary>
public static partial class HostPlanner
{
    // Where memory goes: the declared numa_nodes (split evenly), else the nodes of the VM's CPUs (as the parts say).
    private static List<(int Node, long? MemoryMiB)> MemoryTargets(VmSpec vm, List<Part> parts)
    {
        if (vm.NumaNodes is not { IsEmpty: false } nodes)
        {
            return parts.Select(p => (p.Node, p.MemoryMiB)).ToList();
        }

        long? total = vm.MemoryMiB;
        int i = 0;
        return nodes.Select(n => (n, total is { } t ? (t / nodes.Count) + (i++ < t % nodes.Count ? 1 : 0) : (long?)null)).ToList();
    }

    // Why memory or huge pages do not fit on the targets, or null when they do.
    private static string? MemoryShortage(PlannerState state, VmSpec vm, IEnumerable<(int Node, long? MemoryMiB)> targets)
    {
        foreach ((int node, long? mib) in targets)
        {
            if (state.HugePagesShort(vm, node, mib))
            {
                long size = PlannerState.HugePageSizeKiB(vm)!.Value;
                return $"node{node} has {state.FreeHugePages(node, size)} free {Units.PageSize(size)} pages, {PlannerState.PagesFor(mib!.Value, size)} needed";
            }

            if (state.MemoryShort(vm, node, mib))
            {
                return $"node{node} has {Units.MiB(state.FreeMemoryMiB(node) ?? 0)} free memory, {Units.MiB(mib!.Value)} needed";
            }
        }

        return null;
    }

    // Memory in proportion to each part's vCPUs; the last part with vCPUs (the last guest cell) takes the rounding.
    private static List<Part> SplitVcpusAndMemory(VmSpec vm, List<Part> parts)
    {
        if (vm.MemoryMiB is not { } total)
        {
            return parts;
        }

        int vcpus = Math.Max(1, parts.Sum(p => p.Vcpus));
        int last = parts.FindLastIndex(p => p.Vcpus > 0) is var withVcpus and >= 0 ? withVcpus : parts.Count - 1;
        long given = 0;
        var result = new List<Part>(parts.Count);
        for (int i = 0; i < parts.Count; i++)
        {
            long share = i == last ? total - given : total * parts[i].Vcpus / vcpus;
            given += share;
            result.Add(parts[i] with { MemoryMiB = share });
        }

        return result;
    }
}
