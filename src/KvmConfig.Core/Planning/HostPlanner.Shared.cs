using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Planning;

/// <summary>Step 8: the shared pool and the VMs that float over it.</summary>
public static partial class HostPlanner
{
    // Step 8: the shared pool.
    private static void PlaceShared(PlannerState state, List<VmSpec> shared, CpuSet pool, Dictionary<string, VmPlacement> placements, List<PlanError> errors)
    {
        if (shared.Count == 0)
        {
            return;
        }

        int vcpus = shared.Sum(v => v.Vcpus);
        double allowed = pool.Count * state.Policy.Overcommit.VcpusPerCpu;
        if (vcpus > allowed)
        {
            errors.Add(new PlanError(shared[^1].Name, "overcommit",
                $"shared-pool VMs {string.Join(", ", shared.Select(v => $"'{v.Name}' ({v.Vcpus})"))} need {vcpus} vCPUs, but the pool left after dedicated VMs has {Units.Plural(pool.Count, "CPU")} ({Units.OrNone(pool)}) and overcommit {state.Policy.Overcommit} allows {(int)allowed}",
                state.Snapshot()));
            return;
        }

        CpuSet poolNodes = state.Host.NodesOf(pool);
        foreach (VmSpec vm in shared)
        {
            // Declared numa_nodes share the memory evenly. Otherwise the vCPUs float over the whole pool, and so may
            // the memory: it comes from the pool's nodes with the most room first, one node after another.
            CpuSet memoryNodes = vm.NumaNodes ?? poolNodes;
            List<(int Node, long? MemoryMiB)> targets = vm.NumaNodes is not null
                ? MemoryTargets(vm, [])
                : SpreadOverPool(state, vm, poolNodes);
            if (MemoryShortage(state, vm, targets) is { } shortage)
            {
                errors.Add(new PlanError(vm.Name, PlannerState.HugePageSizeKiB(vm) is null ? "memory" : "hugepages",
                    $"VM '{vm.Name}' cannot have its memory on node{(memoryNodes.Count == 1 ? "" : "s")} {Units.OrNone(memoryNodes)}: {shortage}",
                    state.Snapshot()));
            }

            foreach ((int node, long? share) in targets)
            {
                state.TakeMemory(vm, node, share);
            }

            CpuSet emulator = vm.Emulator == EmulatorPlacement.Reserved && !state.Reserved.IsEmpty ? state.Reserved : pool;
            long pages = PlannerState.HugePageSizeKiB(vm) is { } size && vm.MemoryMiB is { } mib ? PlannerState.PagesFor(mib, size) : 0;
            placements[vm.Name] = new VmPlacement
            {
                Name = vm.Name,
                Spec = vm,
                Cpus = pool,
                VcpuPins = Enumerable.Repeat(pool, vm.Vcpus).ToList(),
                EmulatorCpus = emulator,
                NumaNodes = poolNodes,
                MemoryNodes = memoryNodes,
                HugePages = pages,
                Guest = new GuestTopology(1, vm.Vcpus, 1),
                Cells = [new GuestCell(0, CpuSet.Range(0, vm.Vcpus - 1), vm.MemoryMiB, targets.Count > 0 ? targets.MaxBy(t => t.MemoryMiB ?? 0).Node : memoryNodes.IsEmpty ? 0 : memoryNodes.First, memoryNodes)],
                Explanation =
                [
                    $"cpuspinlock = none: its {Units.Plural(vm.Vcpus, "vCPU")} float{(vm.Vcpus == 1 ? "s" : "")} over the shared pool {Units.OrNone(pool)} with the other shared VMs ({vcpus} vCPUs on {Units.Plural(pool.Count, "CPU")}, overcommit {state.Policy.Overcommit} allows {(int)allowed}).",
                    $"cpu_weight {vm.CpuWeight}{(vm.CpuLimit is { } l ? $", capped at {l} CPUs" : "")}.",
                    "to own CPUs instead of sharing them it would need cpuspinlock = strict or float (and the CPUs left after the dedicated VMs).",
                    vm.NumaNodes is null
                        ? $"memory may come from the pool's node{(memoryNodes.Count == 1 ? "" : "s")} {Units.OrNone(memoryNodes)}; planned on {string.Join(", ", targets.Select(t => $"node{t.Node} {Units.MiB(t.MemoryMiB ?? 0)}"))}."
                        : $"memory on node{(memoryNodes.Count == 1 ? "" : "s")} {Units.OrNone(memoryNodes)} as declared.",
                ],
            };
        }
    }

    // A shared VM's memory over the pool's nodes, most free room first; what no node can take stays on the last.
    private static List<(int Node, long? MemoryMiB)> SpreadOverPool(PlannerState state, VmSpec vm, CpuSet poolNodes)
    {
        if (vm.MemoryMiB is not { } left || poolNodes.IsEmpty)
        {
            return poolNodes.IsEmpty ? [] : [(poolNodes.First, vm.MemoryMiB)];
        }

        long? size = PlannerState.HugePageSizeKiB(vm);
        long Room(int n) => size is { } kib ? state.FreeHugePages(n, kib) * kib / 1024 : state.FreeMemoryMiB(n) ?? long.MaxValue / 4;
        var targets = new List<(int Node, long? MemoryMiB)>();
        List<int> order = poolNodes.OrderByDescending(Room).ThenBy(n => n).ToList();
        foreach (int node in order)
        {
            long take = node == order[^1] ? left : Math.Min(left, Math.Max(0, Room(node)));
            if (take > 0)
            {
                targets.Add((node, take));
                left -= take;
            }

            if (left == 0)
            {
                break;
            }
        }

        return targets;
    }
}
