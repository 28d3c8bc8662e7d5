using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Planning;

/// <summary>Step 2: a VM with an explicit CPU list, placed as written.</summary>
public static partial class HostPlanner
{
    // Step 2: cpus = LIST, taken as written.
    private static VmPlacement? PlaceExplicit(PlannerState state, VmSpec vm, List<PlanError> errors)
    {
        CpuSet cpus = vm.Cpus!;
        CpuSet busy = cpus - state.FreeCpus;
        if (!busy.IsEmpty)
        {
            errors.Add(new PlanError(vm.Name, "explicit-cpus",
                $"VM '{vm.Name}' asks for cpus {cpus}, but {busy} {(busy.Count == 1 ? "is" : "are")} not free (reserved, outside the cpuset, offline, or taken by an earlier VM)",
                state.Snapshot()));
            return null;
        }

        // Idle siblings are the VM's only when they were free: a reserved or taken sibling is nobody's to give.
        CpuSet idle = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (state.Host.CoresOf(cpus) - cpus) & state.FreeCpus : CpuSet.Empty;
        CpuSet nodes = state.Host.NodesOf(cpus);
        var parts = nodes
            .Select(n => new Part(n, new CpuPicker.Pick(cpus & state.Host.Node(n)!.Cpus, idle & state.Host.Node(n)!.Cpus, null), 0, null))
            .ToList();
        parts = SplitVcpusAndMemory(vm, ShareVcpus(vm.Vcpus, parts));
        if (MemoryShortage(state, vm, MemoryTargets(vm, parts)) is { } shortage)
        {
            errors.Add(new PlanError(vm.Name, PlannerState.HugePageSizeKiB(vm) is null ? "memory" : "hugepages",
                $"VM '{vm.Name}' with cpus = {cpus} cannot have its memory there: {shortage}",
                state.Snapshot()));
            return null;
        }

        state.Take(cpus | idle);
        foreach ((int node, long? mib) in MemoryTargets(vm, parts))
        {
            state.TakeMemory(vm, node, mib);
        }

        var why = new List<string>
        {
            $"cpus = {cpus} as declared: {Units.Plural(cpus.Count, "CPU")} on NUMA node{(nodes.Count == 1 ? "" : "s")} {nodes}.",
        };
        if (!idle.IsEmpty)
        {
            why.Add($"smt = {vm.Smt.ToString().ToLowerInvariant()} keeps the sibling threads {idle} idle, so no other VM shares these cores.");
        }

        why.Add(Elsewhere(state, vm, nodes, "cpus = auto would let the planner choose"));
        return Realise(state, vm, parts, why);
    }

    // "What it would need to land elsewhere": what every other CPU node has free at this VM's turn, leaving out CPUs
    // that other explicit lists claim.
    private static string Elsewhere(PlannerState state, VmSpec vm, CpuSet here, string how)
    {
        IEnumerable<string> others = state.Host.Nodes
            .Where(n => !n.Cpus.IsEmpty && !here.Contains(n.Id))
            .Select(n =>
            {
                CpuSet free = Usable(state, vm, state.FreeOn(n.Id)) - state.Claimed;
                return $"node{n.Id} {Units.Plural(free.Count, "free CPU")} ({CpuPicker.WholeFreeCores(state.Host, free).Count / state.Threads} whole cores)"
                    + (state.FreeMemoryMiB(n.Id) is { } m ? $", {Units.MiB(m)}" : "");
            });
        string list = string.Join("; ", others);
        return list.Length == 0
            ? "elsewhere: this host has no other CPU node."
            : $"elsewhere ({how}): {list}; it needs {Units.Plural(state.CpusNeeded(vm), "CPU")}{(vm.MemoryMiB is { } mib ? $" and {Units.MiB(mib)}" : "")}.";
    }

    // An explicit list's vCPUs over its nodes, in proportion to the listed CPUs on each (largest remainder, ties to the
    // lower node): a float VM, or a strict one leaving CPUs idle, has fewer or more vCPUs than CPUs.
    private static List<Part> ShareVcpus(int vcpus, List<Part> parts)
    {
        int cpus = Math.Max(1, parts.Sum(p => p.Pick.Cpus.Count));
        int[] shares = parts.Select(p => vcpus * p.Pick.Cpus.Count / cpus).ToArray();
        foreach (int i in Enumerable.Range(0, parts.Count)
                     .OrderByDescending(i => vcpus * parts[i].Pick.Cpus.Count % cpus)
                     .ThenBy(i => i)
                     .Take(vcpus - shares.Sum()))
        {
            shares[i]++;
        }

        return parts.Select((p, i) => p with { Vcpus = shares[i] }).ToList();
    }
}
