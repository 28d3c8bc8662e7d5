using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>Steps 4 to 6: a <c>cpus = auto</c> VM on the best single node, else split over the fewest nodes; and why one cannot be placed.</summary>
public static partial class HostPlanner
{
    // Steps 4 to 6: the best single node, else the fewest nodes.
    private static VmPlacement? PlaceAuto(PlannerState state, VmSpec vm, List<PlanError> errors)
    {
        int need = state.CpusNeeded(vm);
        int extra = vm.Emulator == EmulatorPlacement.Isolate ? 1 : 0;

        // Step 4: every node alone; keys: distance, CPUs newly stranded with a look-ahead, then without, whole free
        // cores left, memory left, node id.
        var fits = new List<(Part Part, int AheadStranded, int Stranded, int CoresLeft, long MemoryLeft)>();
        var refusals = new List<string>();
        List<NumaNode> cpuNodes = CpuNodes(state, vm);
        string? memoryShort = vm.NumaNodes is null ? null : MemoryShortage(state, vm, MemoryTargets(vm, []));
        foreach (NumaNode node in cpuNodes)
        {
            (CpuSet free, CpuSet whole) = UsableOn(state, vm, node.Id);
            CpuPicker.Pick? pick = CpuPicker.Choose(state.Host, free, whole, vm.Vcpus, vm.Smt);
            // An isolated emulator needs one CPU more, unless the pick already holds an idle sibling for it.
            if (pick is null || (pick.Idle.IsEmpty && free.Count - pick.Cpus.Count < extra))
            {
                refusals.Add($"node{node.Id} has {Units.Plural(free.Count, "free CPU")}{(vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? $" ({whole.Count / state.Threads} whole cores)" : "")}, {need + extra} needed");
                continue;
            }

            if ((vm.NumaNodes is null ? MemoryShortage(state, vm, [(node.Id, vm.MemoryMiB)]) : memoryShort) is { } shortage)
            {
                refusals.Add(shortage);
                continue;
            }

            (int stranded, int wholeLeft) = Leaves(state, free, whole, pick);
            long memoryLeft = (state.FreeMemoryMiB(node.Id) ?? 0) - (vm.MemoryMiB ?? 0);
            int twin = TwinStranded(state, vm, cpuNodes, node.Id, free.Count - (pick.Cpus.Count + pick.Idle.Count), wholeLeft, state.FreeMemoryMiB(node.Id) - (vm.MemoryMiB ?? 0));
            fits.Add((new Part(node.Id, pick, vm.Vcpus, vm.MemoryMiB), stranded + twin, stranded, wholeLeft, memoryLeft));
        }

        if (fits.Count > 0)
        {
            // Keys: distance to the declared memory nodes (0 without numa_nodes, or on one of them); CPUs newly
            // stranded by this VM and one more like it (the look-ahead, see TwinStranded); by this VM alone; whole
            // free cores left (best fit); memory left; node id.
            var ranked = fits
                .OrderBy(f => MemoryDistance(state, vm, f.Part.Node))
                .ThenBy(f => f.AheadStranded)
                .ThenBy(f => f.Stranded)
                .ThenBy(f => f.CoresLeft)
                .ThenBy(f => f.MemoryLeft)
                .ThenBy(f => f.Part.Node)
                .ToList();
            Part best = ranked[0].Part;
            var why = new List<string>
            {
                vm.NumaNodes is { } memoryNodes && !memoryNodes.Contains(best.Node)
                    ? $"fits in NUMA node {best.Node} alone, the CPU node closest (distance {MemoryDistance(state, vm, best.Node)}) to its memory on node{(memoryNodes.Count == 1 ? "" : "s")} {memoryNodes}."
                    : $"fits in NUMA node {best.Node} alone: {Units.Plural(need, "CPU")}{(PlannerState.BindsMemory(vm) && vm.MemoryMiB is { } m ? $" and {Units.MiB(m)} of memory" : "")} local to each other.",
                ranked.Count == 1
                    ? "it is the only node that can hold it."
                    : $"best fit: it changes the node's stranded CPUs by {ranked[0].Stranded:+0;-0;0} and leaves {Units.Plural(ranked[0].CoresLeft / state.Threads, "whole core")} free there, against {string.Join(", ", ranked.Skip(1).Select(r => $"{r.Stranded:+0;-0;0} and {r.CoresLeft / state.Threads} on node{r.Part.Node}"))}.",
            };
            if (ranked.Skip(1).FirstOrDefault(r => r.Stranded < ranked[0].Stranded && MemoryDistance(state, vm, r.Part.Node) == MemoryDistance(state, vm, best.Node)) is { Part: not null } greedy)
            {
                why.Add($"look-ahead: with one more VM like it, node{best.Node} ends {ranked[0].AheadStranded:+0;-0;0} stranded CPUs against {greedy.AheadStranded:+0;-0;0} on node{greedy.Part.Node}, which strands fewer now.");
            }

            if (best.Pick.L3Group is { } l3)
            {
                why.Add($"kept in one L3 cache group ({l3}).");
            }

            why.AddRange(refusals.Select(r => $"not elsewhere: {r}."));

            return Commit(state, vm, [best], why);
        }

        // Step 6: the fewest nodes, an even split. Keys among the splits that fit: total SLIT distance between the
        // nodes, then CPUs newly stranded on them (best fit, as in step 4), then node ids.
        for (int k = 2; k <= Math.Min(cpuNodes.Count, vm.Vcpus); k++)
        {
            foreach (IGrouping<int, NumaNode[]> closest in Combinations(cpuNodes, k).GroupBy(Distance).OrderBy(g => g.Key))
            {
                var splits = closest
                    .Select(combo => TrySplit(state, vm, combo) is { } parts ? (Parts: parts, Stranded: parts.Sum(p => NewlyStranded(state, vm, p)), Nodes: combo) : default)
                    .Where(s => s.Parts is not null)
                    .OrderBy(s => s.Stranded)
                    .ThenBy(s => SortKey(s.Nodes), StringComparer.Ordinal)
                    .ToList();
                if (splits.Count == 0)
                {
                    continue;
                }

                List<Part> best = splits[0].Parts;
                var why = new List<string>
                {
                    $"no single node can hold it ({string.Join("; ", refusals)}).",
                    $"split evenly over the {k} closest nodes that can: {string.Join(", ", best.Select(p => $"node{p.Node} {Units.Plural(p.Vcpus, "vCPU")}"))}; the guest gets one NUMA cell per node.",
                };
                if (splits.Count > 1)
                {
                    why.Add($"best fit among {splits.Count} equally close node sets: it changes their stranded CPUs by {splits[0].Stranded:+0;-0;0}, against {string.Join(", ", splits.Skip(1).Take(3).Select(s => $"{s.Stranded:+0;-0;0} on nodes {NodeKey(s.Nodes)}"))}{(splits.Count > 4 ? ", ..." : "")}.");
                }

                return Commit(state, vm, best, why);
            }
        }

        // Memory that does not fit the declared numa_nodes is the reason, whatever the CPUs could do.
        errors.Add(memoryShort is not null
            ? new PlanError(vm.Name, PlannerState.HugePageSizeKiB(vm) is null ? "memory" : "hugepages",
                $"VM '{vm.Name}' cannot be placed: its memory goes to numa_nodes = {vm.NumaNodes}, and {memoryShort}", state.Snapshot())
            : Unplaceable(state, vm, need + extra));
        return null;
    }

    // The node's free CPUs as this VM may use them, and the whole-core CPUs among them: the state's counters, unless
    // a float VM must leave out isolated CPUs of the node.
    private static (CpuSet Free, CpuSet Whole) UsableOn(PlannerState state, VmSpec vm, int node)
    {
        CpuSet free = state.FreeOn(node);
        CpuSet usable = Usable(state, vm, free);
        return usable.Count == free.Count ? (free, state.WholeFreeOn(node)) : (usable, CpuPicker.WholeFreeCores(state.Host, usable));
    }

    // What a pick leaves on its node: how many more CPUs the fragmentation figure would count (negative when it fills
    // a stranded remainder), and the CPUs of whole free cores left. Counts only: taking X leaves whole(F) - cores(X),
    // and since a core lies in whole(F) entirely or not at all, that removes each whole core X touches, counted once
    // (at the first of its CPUs that X takes).
    private static (int NewlyStranded, int WholeLeft) Leaves(PlannerState state, CpuSet free, CpuSet whole, CpuPicker.Pick pick)
    {
        CpuSet taken = pick.Cpus | pick.Idle;
        int wholeAfter = whole.Count;
        foreach (int cpu in taken)
        {
            if (whole.Contains(cpu))
            {
                CpuSet core = state.Host.CoreOf(cpu);
                bool firstTaken = true;
                foreach (int sibling in core)
                {
                    firstTaken &= sibling >= cpu || !taken.Contains(sibling);
                }

                wholeAfter -= firstTaken ? Math.Max(1, core.Count) : 0;
            }
        }

        int freeAfter = free.Count - taken.Count;
        return (StrandedCount(freeAfter, wholeAfter, state.TypicalVmCpus) - StrandedCount(free.Count, whole.Count, state.TypicalVmCpus), wholeAfter);
    }

    private static int NewlyStranded(PlannerState state, VmSpec vm, Part part)
    {
        (CpuSet free, CpuSet whole) = UsableOn(state, vm, part.Node);
        return Leaves(state, free, whole, part.Pick).NewlyStranded;
    }

    // Step 4's look-ahead: the fewest CPUs a second VM like this one (same CPU count, SMT policy and memory) would newly
    // strand, placed right after this one took its pick on `chosen`; 0 when no node could hold it. It keeps a node from
    // being preferred only because it strands nothing now, when the VM that usually follows would then strand CPUs
    // wherever it goes (three 2-vCPU VMs into free CPUs of 8 / 4 / 4 with a typical VM of 4: greedy, all three go to
    // the 8 and leave 2 stranded; with the look-ahead the second fills a 4, the third completes it, and none is).
    // Counts only, as CpuPicker picks on one node: whole cores first (all of them under isolate/require); the rest
    // (prefer) from threads of split cores, then by splitting whole cores. Memory counts for VMs bound to their node;
    // huge pages and an isolated emulator CPU are not looked at here.
    private static int TwinStranded(PlannerState state, VmSpec vm, List<NumaNode> cpuNodes, int chosen, int freeAfter, int wholeAfter, long? memoryAfter)
    {
        int need = state.CpusNeeded(vm);
        int threads = state.Threads;
        bool wholeOnly = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require;
        bool bound = PlannerState.BindsMemory(vm) && PlannerState.HugePageSizeKiB(vm) is null && vm.MemoryMiB is not null;
        int best = int.MaxValue;
        foreach (NumaNode node in cpuNodes)
        {
            (int free, int whole, long? memory) = node.Id == chosen
                ? (freeAfter, wholeAfter, memoryAfter)
                : (state.FreeOn(node.Id).Count, state.WholeFreeOn(node.Id).Count, state.FreeMemoryMiB(node.Id));
            if (vm.Pinning == PinningMode.Float && node.Id != chosen && state.FreeOn(node.Id).Overlaps(state.Host.Isolated))
            {
                (CpuSet usable, CpuSet usableWhole) = UsableOn(state, vm, node.Id);
                (free, whole) = (usable.Count, usableWhole.Count);
            }

            if ((wholeOnly ? whole : free) < need || (bound && memory is { } m && m < vm.MemoryMiB))
            {
                continue;
            }

            int cores = wholeOnly ? need / threads : Math.Min(need / threads, whole / threads);
            int rest = need - (cores * threads);
            int fromSplit = Math.Min(rest, free - whole);
            int broken = (rest - fromSplit + threads - 1) / threads;
            int delta = StrandedCount(free - need, whole - ((cores + broken) * threads), state.TypicalVmCpus) - StrandedCount(free, whole, state.TypicalVmCpus);
            best = Math.Min(best, delta);
        }

        return best == int.MaxValue ? 0 : best;
    }

    // CpuPicker.Stranded's size from counts: every free CPU when fewer than the typical VM needs, else those outside
    // whole cores.
    private static int StrandedCount(int free, int whole, int typical) => free < typical ? free : free - whole;

    private static string NodeKey(NumaNode[] nodes) => string.Join("+", nodes.Select(n => n.Id));

    // Node ids zero-padded, so that ordinal order is numeric order node by node.
    private static string SortKey(NumaNode[] nodes) =>
        string.Join(",", nodes.Select(n => n.Id.ToString("D4", System.Globalization.CultureInfo.InvariantCulture)));

    private static List<Part>? TrySplit(PlannerState state, VmSpec vm, NumaNode[] nodes)
    {
        var parts = new List<Part>();
        int k = nodes.Length;

        // Equal parts: (vcpus mod k) nodes take one more, those with the most room (free CPUs, whole-core CPUs under
        // isolate/require; ties: lower id), so that a node a core short still takes a smaller share.
        HashSet<int> larger = Enumerable.Range(0, k)
            .OrderByDescending(i => vm.Smt == SmtPolicy.Prefer ? state.FreeOn(nodes[i].Id).Count : state.WholeFreeOn(nodes[i].Id).Count)
            .ThenBy(i => i)
            .Take(vm.Vcpus % k)
            .ToHashSet();
        for (int i = 0; i < k; i++)
        {
            int vcpus = (vm.Vcpus / k) + (larger.Contains(i) ? 1 : 0);
            (CpuSet free, CpuSet whole) = UsableOn(state, vm, nodes[i].Id);
            int extra = i == 0 && vm.Emulator == EmulatorPlacement.Isolate ? 1 : 0;
            if (CpuPicker.Choose(state.Host, free, whole, vcpus, vm.Smt) is not { } pick || (pick.Idle.IsEmpty && free.Count - pick.Cpus.Count < extra))
            {
                return null;
            }

            parts.Add(new Part(nodes[i].Id, pick, vcpus, null));
        }

        parts = SplitVcpusAndMemory(vm, parts);
        return MemoryShortage(state, vm, MemoryTargets(vm, parts)) is null ? parts : null;
    }

    // SLIT distance from a CPU node to the nearest of the VM's declared memory nodes; 0 when it declares none or the
    // node is one of them.
    private static int MemoryDistance(PlannerState state, VmSpec vm, int node)
    {
        if (vm.NumaNodes is not { IsEmpty: false } memory || memory.Contains(node))
        {
            return 0;
        }

        IReadOnlyDictionary<int, int> distances = state.Host.Node(node)!.Distances;
        return memory.Select(m => distances.TryGetValue(m, out int d) ? d : 255).Min();
    }

    // Nodes whose CPUs may hold the VM: those of its numa_nodes that have CPUs; every CPU node when it names none
    // (numa_nodes may be memory-only nodes, such as CXL or HBM; the CPUs then come from anywhere).
    private static List<NumaNode> CpuNodes(PlannerState state, VmSpec vm)
    {
        List<NumaNode> all = state.Host.Nodes.Where(n => !n.Cpus.IsEmpty).ToList();
        List<NumaNode> named = all.Where(n => vm.NumaNodes?.Contains(n.Id) == true).ToList();
        return named.Count > 0 ? named : all;
    }

    private static PlanError Unplaceable(PlannerState state, VmSpec vm, int need)
    {
        IReadOnlyList<NodeFree> free = state.Snapshot();
        bool wholeCores = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require;
        int allCpus = free.Sum(f => Usable(state, vm, f.Cpus).Count);
        string isolatedNote = vm.Pinning == PinningMode.Float && free.Any(f => f.Cpus.Overlaps(state.Host.Isolated))
            ? " (isolated CPUs do not count for float VMs: nothing balances vCPUs over them)"
            : "";
        int allCores = free.Sum(f => f.WholeCores);
        (string constraint, string why) = true switch
        {
            _ when allCpus < need => ("cpus", $"it needs {Units.Plural(need, "dedicated CPU")} and only {allCpus} are free on the whole host{isolatedNote}"),
            _ when wholeCores && allCores * state.Threads < need => ("whole-cores", $"smt = {vm.Smt.ToString().ToLowerInvariant()} needs {need / state.Threads} whole cores and only {allCores} are free"),
            _ when PlannerState.HugePageSizeKiB(vm) is { } size && vm.MemoryMiB is { } mib && PlannerState.PagesFor(mib, size) > WidestSplit(vm, free, f => state.FreeHugePages(f.Node, size))
                => ("hugepages", $"it needs {PlannerState.PagesFor(mib, size)} free {Units.PageSize(size)} pages, the host has {state.Host.Nodes.Sum(n => state.FreeHugePages(n.Id, size))}, and no {(vm.Vcpus == 1 ? "single node" : $"set of up to {Math.Min(vm.Vcpus, free.Count)} nodes")} has its share free"),
            _ when PlannerState.BindsMemory(vm) && PlannerState.HugePageSizeKiB(vm) is null && vm.MemoryMiB is { } m && m > WidestSplit(vm, free, f => f.MemoryMiB ?? 0)
                => ("memory", $"numa = {vm.Numa.ToString().ToLowerInvariant()} needs {Units.MiB(m)} on the nodes of its CPUs, and no {(vm.Vcpus == 1 ? "single node" : $"set of up to {Math.Min(vm.Vcpus, free.Count)} nodes")} has that much free for VMs"),
            _ => ("split", "no set of nodes can hold an even split of its vCPUs together with their share of memory"),
        };
        return new PlanError(vm.Name, constraint, $"VM '{vm.Name}' cannot be placed: {why}", free);
    }

    // The most memory (or huge pages) an even split could reach: the VM spreads over at most one node per vCPU, and
    // only over nodes that still have a free CPU.
    private static long WidestSplit(VmSpec vm, IReadOnlyList<NodeFree> free, Func<NodeFree, long> amount)
    {
        int parts = Math.Min(vm.Vcpus, free.Count(f => !f.Cpus.IsEmpty));
        long smallest = free.Where(f => !f.Cpus.IsEmpty).Select(amount).OrderDescending().Take(parts).DefaultIfEmpty(0).Min();
        return smallest * parts;
    }

    private static IEnumerable<NumaNode[]> Combinations(List<NumaNode> nodes, int k)
    {
        var indices = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return indices.Select(i => nodes[i]).ToArray();
            int pos = k - 1;
            while (pos >= 0 && indices[pos] == nodes.Count - k + pos)
            {
                pos--;
            }

            if (pos < 0)
            {
                yield break;
            }

            indices[pos]++;
            for (int j = pos + 1; j < k; j++)
            {
                indices[j] = indices[j - 1] + 1;
            }
        }
    }

    // Sum of SLIT distances between every pair of the nodes (unknown distances count as 20, "remote").
    private static int Distance(NumaNode[] nodes)
    {
        int sum = 0;
        for (int i = 0; i < nodes.Length; i++)
        {
            for (int j = i + 1; j < nodes.Length; j++)
            {
                sum += nodes[i].Distances.TryGetValue(nodes[j].Id, out int d) ? d : 20;
            }
        }

        return sum;
    }
}
