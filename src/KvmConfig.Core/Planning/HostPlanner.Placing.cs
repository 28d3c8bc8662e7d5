using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>What the placing steps share: a VM's parts, one per node, and turning them into its placement (step 7 and the vCPU map).</summary>
public static partial class HostPlanner
{
    // One node's share of a VM: its CPUs, idle siblings, vCPU count and memory.
    private sealed record Part(int Node, CpuPicker.Pick Pick, int Vcpus, long? MemoryMiB);

    // isolcpus= CPUs are never balanced by the scheduler: right for strict vCPUs (one per CPU), wrong for float ones.
    private static CpuSet Usable(PlannerState state, VmSpec vm, CpuSet free) =>
        vm.Pinning == PinningMode.Float ? free - state.Host.Isolated : free;

    private static VmPlacement Commit(PlannerState state, VmSpec vm, List<Part> parts, List<string> why)
    {
        foreach (Part part in parts)
        {
            state.Take(part.Pick.Cpus | part.Pick.Idle);
        }

        foreach ((int node, long? mib) in MemoryTargets(vm, parts))
        {
            state.TakeMemory(vm, node, mib);
        }

        return Realise(state, vm, parts, why);
    }

    // Step 7 and the vCPU map: turn parts into a placement.
    private static VmPlacement Realise(PlannerState state, VmSpec vm, List<Part> parts, List<string> why)
    {
        HostTopology host = state.Host;
        CpuSet cpus = CpuSet.Empty;
        CpuSet idle = CpuSet.Empty;
        foreach (Part part in parts)
        {
            cpus |= part.Pick.Cpus;
            idle |= part.Pick.Idle;
        }

        // vCPU order: cell by cell; inside a cell core by core, sibling threads consecutive.
        var pins = new List<CpuSet>();
        var cells = new List<GuestCell>();
        int vcpu = 0;
        foreach (Part part in parts.Where(p => p.Vcpus > 0))
        {
            List<int> order = CpuPicker.Cores(host, part.Pick.Cpus).SelectMany(c => c).ToList();
            var cellVcpus = new CpuSet.Builder();
            for (int i = 0; i < part.Vcpus; i++, vcpu++)
            {
                // strict: one CPU each; float: the VM's whole set (issue 3), even when it spans nodes.
                pins.Add(vm.Pinning == PinningMode.Strict && i < order.Count ? CpuSet.Of(order[i]) : cpus);
                cellVcpus.Add(vcpu);
            }

            cells.Add(new GuestCell(cells.Count, cellVcpus.ToCpuSet(), part.MemoryMiB, part.Node, CpuSet.Of(part.Node)));
        }

        // Declared numa_nodes receive the memory (MemoryTargets): paired one to one with the cells when the counts
        // agree, else every cell may draw from all of them, in proportion to its vCPUs.
        if (vm.NumaNodes is { IsEmpty: false } declared)
        {
            List<(int Node, long? MemoryMiB)> targets = MemoryTargets(vm, parts);
            cells = cells.Count == targets.Count
                ? cells.Select((c, i) => c with { MemoryMiB = targets[i].MemoryMiB, HostNode = targets[i].Node, MemoryNodes = CpuSet.Of(targets[i].Node) }).ToList()
                : cells.Select(c => c with { HostNode = declared.First, MemoryNodes = declared }).ToList();
        }

        CpuSet nodes = host.NodesOf(cpus);
        CpuSet memoryNodes = vm.NumaNodes ?? CpuSet.Of(parts.Select(p => p.Node));
        CpuSet emulator = EmulatorCpus(state, vm, nodes, cpus, idle, why);
        if (vm.Emulator == EmulatorPlacement.Isolate)
        {
            idle -= emulator;
        }

        long pages = PlannerState.HugePageSizeKiB(vm) is { } size && vm.MemoryMiB is { } mib ? PlannerState.PagesFor(mib, size) : 0;
        return new VmPlacement
        {
            Name = vm.Name,
            Spec = vm,
            Cpus = cpus,
            VcpuPins = pins,
            EmulatorCpus = emulator,
            NumaNodes = nodes,
            MemoryNodes = memoryNodes,
            HugePages = pages,
            Guest = GuestShape(host, vm, cpus, cells),
            Cells = cells,
            IdleSiblings = idle,
            Explanation = why,
        };
    }

    // Threads = the host's SMT width when strict vCPUs fill whole cores; one socket per guest NUMA cell.
    // One socket per cell only when the cells are equal: a socket straddling two cells would tell the guest that
    // CPUs sharing a cache sit on different nodes.
    private static GuestTopology GuestShape(HostTopology host, VmSpec vm, CpuSet cpus, List<GuestCell> cells)
    {
        bool equalCells = cells.Count > 0 && cells.All(c => c.Vcpus.Count == cells[0].Vcpus.Count);
        int sockets = equalCells ? cells.Count : 1;
        int threads = 1;
        if (vm.Pinning == PinningMode.Strict && host.ThreadsPerCore > 1
            && CpuPicker.Cores(host, cpus).All(core => core.Count == host.ThreadsPerCore && core == host.CoreOf(core.First)))
        {
            threads = host.ThreadsPerCore;
        }

        if (vm.Vcpus % (sockets * threads) != 0)
        {
            threads = 1;
        }

        if (vm.Vcpus % sockets != 0)
        {
            sockets = 1;
        }

        return new GuestTopology(sockets, vm.Vcpus / (sockets * threads), threads);
    }
}
