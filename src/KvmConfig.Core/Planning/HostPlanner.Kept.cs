using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>The incremental entry point: a declaration planned around placements that are kept as they are.</summary>
public static partial class HostPlanner
{
    /// <summary>
    /// Plans <paramref name="declaration"/> on <paramref name="host"/> keeping the dedicated VMs of
    /// <paramref name="kept"/> exactly where they are, and placing only the others: one new VM on a host that already
    /// runs 80 costs one VM's placement, not 81.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <param name="declaration">Every VM the host must hold, the kept ones included (they count for the typical VM
    /// size, the shared pool and memory).</param>
    /// <param name="kept">Placements to keep, matched to the declaration by VM name: each must be one the planner made
    /// for that VM's current declaration (from an earlier plan, or read back from the host and checked against the
    /// declaration by the caller). Placements of shared-pool VMs and of names the declaration does not have are ignored:
    /// a shared VM floats over whatever pool is left, so it is always re-planned.</param>
    /// <returns>The plan, with each kept placement unchanged (explanation included) except for emulator threads under
    /// <c>emulator = shared</c>, which follow the new pool; or errors. A kept VM whose CPUs are no longer free (reserved,
    /// outside the cpuset, offline, or owned by another kept VM) or whose memory no longer fits is an error
    /// (<c>kept-cpus</c>, <c>memory</c>, <c>hugepages</c>), never a silent overlap.</returns>
    /// <remarks>
    /// The steps of <see cref="Plan(HostTopology, Declaration)"/>, with a step before step 2: the kept VMs, in declaration order, take their CPUs
    /// (vCPU CPUs, idle siblings, and an isolated emulator CPU) and their memory as they stand, without being placed
    /// again. Then explicit lists (step 2) and <c>cpus = auto</c> VMs (steps 3 to 6) that are not kept, the shared pool
    /// (step 8) and the fragmentation (step 9), as in <see cref="Plan(HostTopology, Declaration)"/>. <c>PlanAround(host, d, [])</c> is
    /// <c>Plan(host, d)</c>. A VM kept where it runs is a kept placement.
    /// </remarks>
    public static PlanResult PlanAround(HostTopology host, Declaration declaration, IReadOnlyList<VmPlacement> kept)
    {
        var keptByName = new Dictionary<string, VmPlacement>(StringComparer.Ordinal);
        foreach (VmPlacement placement in kept.Where(p => p.Spec.IsDedicated))
        {
            keptByName[placement.Name] = placement;
        }

        bool IsKept(VmSpec vm) => vm.IsDedicated && keptByName.ContainsKey(vm.Name);

        // Step 1: what is free. Only explicit lists that are placed again claim their CPUs.
        var state = new PlannerState(host, declaration.Host)
        {
            TypicalVmCpus = TypicalSize(declaration),
            Claimed = CpuSet.Of(declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null && !IsKept(v)).SelectMany(v => v.Cpus!)),
        };
        var placements = new Dictionary<string, VmPlacement>(StringComparer.Ordinal);
        var errors = new List<PlanError>();

        // Step 1b: the kept VMs, in declaration order, as they are. Their CPUs are taken together at the end of the
        // step, so that the node counters are updated once, not once per kept VM.
        CpuSet held = CpuSet.Empty;
        foreach (VmSpec vm in declaration.Vms.Where(IsKept))
        {
            if (PlaceKept(state, vm, keptByName[vm.Name], ref held, errors) is { } placement)
            {
                placements[vm.Name] = placement;
            }
        }

        state.Take(held);

        // Step 2: explicit CPU lists, in declaration order.
        foreach (VmSpec vm in declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null && !IsKept(v)))
        {
            Place(state, vm, placements, errors, PlaceExplicit);
        }

        return Finish(state, declaration, placements, errors, name => keptByName.ContainsKey(name));
    }

    // Step 1b: a kept placement holds what it owns (added to `held`, which the caller takes from the state), if that
    // is still free and its memory still fits.
    private static VmPlacement? PlaceKept(PlannerState state, VmSpec vm, VmPlacement kept, ref CpuSet held, List<PlanError> errors)
    {
        CpuSet owned = vm.Emulator == EmulatorPlacement.Isolate ? kept.Cpus | kept.IdleSiblings | kept.EmulatorCpus : kept.Cpus | kept.IdleSiblings;
        if (!owned.IsSubsetOf(state.FreeCpus) || owned.Overlaps(held))
        {
            // The error shows what is free at this VM's turn, the earlier kept VMs' CPUs taken.
            CpuSet busy = (owned - state.FreeCpus) | (owned & held);
            state.Take(held);
            held = CpuSet.Empty;
            errors.Add(new PlanError(vm.Name, "kept-cpus",
                $"VM '{vm.Name}' is kept on cpus {owned}, but {busy} {(busy.Count == 1 ? "is" : "are")} not free (reserved, outside the cpuset, offline, or held by an earlier VM)",
                state.Snapshot()));
            return null;
        }

        // Memory as the placement put it: evenly over declared numa_nodes, else each guest cell's share on its node.
        List<(int Node, long? MemoryMiB)> memory = vm.NumaNodes is { IsEmpty: false }
            ? MemoryTargets(vm, [])
            : kept.Cells.Select(c => (c.HostNode, c.MemoryMiB)).ToList();
        if (MemoryShortage(state, vm, memory) is { } shortage)
        {
            state.Take(held);
            held = CpuSet.Empty;
            errors.Add(new PlanError(vm.Name, PlannerState.HugePageSizeKiB(vm) is null ? "memory" : "hugepages",
                $"VM '{vm.Name}' is kept on nodes {kept.NumaNodes}, but its memory no longer fits there: {shortage}",
                state.Snapshot()));
            return null;
        }

        held |= owned;
        foreach ((int node, long? mib) in memory)
        {
            state.TakeMemory(vm, node, mib);
        }

        return ReferenceEquals(kept.Spec, vm) ? kept : kept with { Spec = vm };
    }
}
