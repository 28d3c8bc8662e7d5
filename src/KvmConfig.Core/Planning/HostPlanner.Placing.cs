using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>Steps 2 to 8: placing explicit, auto and shared VMs.</summary>
public static partial class HostPlanner
{
    // One node's share of a VM: its CPUs, idle siblings, vCPU count and memory.
    private sealed record Part(int Node, CpuPicker.Pick Pick, int Vcpus, long? MemoryMiB);

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

    // Steps 4 to 6: the best single node, else the fewest nodes.
    private static VmPlacement? PlaceAuto(PlannerState state, VmSpec vm, List<PlanError> errors)
    {
        int need = state.CpusNeeded(vm);
        int extra = vm.Emulator == EmulatorPlacement.Isolate ? 1 : 0;

        // Step 4: every node alone; keys: CPUs newly stranded, whole free cores left, memory left, node id.
        var fits = new List<(Part Part, int Stranded, int CoresLeft, long MemoryLeft)>();
        var refusals = new List<string>();
        List<NumaNode> cpuNodes = CpuNodes(state, vm);
        string? memoryShort = vm.NumaNodes is null ? null : MemoryShortage(state, vm, MemoryTargets(vm, []));
        foreach (NumaNode node in cpuNodes)
        {
            CpuSet free = Usable(state, vm, state.FreeOn(node.Id));
            CpuPicker.Pick? pick = CpuPicker.Choose(state.Host, free, vm.Vcpus, vm.Smt);
            // An isolated emulator needs one CPU more, unless the pick already holds an idle sibling for it.
            if (pick is null || (pick.Idle.IsEmpty && free.Count - pick.Cpus.Count < extra))
            {
                refusals.Add($"node{node.Id} has {Units.Plural(free.Count, "free CPU")}{(vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? $" ({CpuPicker.WholeFreeCores(state.Host, free).Count / state.Threads} whole cores)" : "")}, {need + extra} needed");
                continue;
            }

            if ((vm.NumaNodes is null ? MemoryShortage(state, vm, [(node.Id, vm.MemoryMiB)]) : memoryShort) is { } shortage)
            {
                refusals.Add(shortage);
                continue;
            }

            CpuSet after = free - pick.Cpus - pick.Idle;
            fits.Add((new Part(node.Id, pick, vm.Vcpus, vm.MemoryMiB),
                NewlyStranded(state, vm, new Part(node.Id, pick, vm.Vcpus, null)),
                CpuPicker.WholeFreeCores(state.Host, after).Count,
                (state.FreeMemoryMiB(node.Id) ?? 0) - (vm.MemoryMiB ?? 0)));
        }

        if (fits.Count > 0)
        {
            // Keys: distance to the declared memory nodes (0 without numa_nodes, or on one of them), CPUs newly
            // stranded, whole free cores left, memory left, node id.
            var ranked = fits.OrderBy(f => MemoryDistance(state, vm, f.Part.Node)).ThenBy(f => f.Stranded).ThenBy(f => f.CoresLeft).ThenBy(f => f.MemoryLeft).ThenBy(f => f.Part.Node).ToList();
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

    // How many more CPUs of a node the fragmentation figure would count once the part took its CPUs (negative when
    // it fills a stranded remainder).
    private static int NewlyStranded(PlannerState state, VmSpec vm, Part part)
    {
        CpuSet free = Usable(state, vm, state.FreeOn(part.Node));
        CpuSet after = free - part.Pick.Cpus - part.Pick.Idle;
        return CpuPicker.Stranded(state.Host, after, state.TypicalVmCpus).Count - CpuPicker.Stranded(state.Host, free, state.TypicalVmCpus).Count;
    }

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
            .OrderByDescending(i => vm.Smt == SmtPolicy.Prefer ? state.FreeOn(nodes[i].Id).Count : CpuPicker.WholeFreeCores(state.Host, state.FreeOn(nodes[i].Id)).Count)
            .ThenBy(i => i)
            .Take(vm.Vcpus % k)
            .ToHashSet();
        for (int i = 0; i < k; i++)
        {
            int vcpus = (vm.Vcpus / k) + (larger.Contains(i) ? 1 : 0);
            CpuSet free = Usable(state, vm, state.FreeOn(nodes[i].Id));
            int extra = i == 0 && vm.Emulator == EmulatorPlacement.Isolate ? 1 : 0;
            if (CpuPicker.Choose(state.Host, free, vcpus, vm.Smt) is not { } pick || (pick.Idle.IsEmpty && free.Count - pick.Cpus.Count < extra))
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

    // isolcpus= CPUs are never balanced by the scheduler: right for strict vCPUs (one per CPU), wrong for float ones.
    private static CpuSet Usable(PlannerState state, VmSpec vm, CpuSet free) =>
        vm.Pinning == PinningMode.Float ? free - state.Host.Isolated : free;

    // Nodes whose CPUs may hold the VM: those of its numa_nodes that have CPUs; every CPU node when it names none
    // (numa_nodes may be memory-only nodes, such as CXL or HBM; the CPUs then come from anywhere).
    private static List<NumaNode> CpuNodes(PlannerState state, VmSpec vm)
    {
        List<NumaNode> all = state.Host.Nodes.Where(n => !n.Cpus.IsEmpty).ToList();
        List<NumaNode> named = all.Where(n => vm.NumaNodes?.Contains(n.Id) == true).ToList();
        return named.Count > 0 ? named : all;
    }

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

    private static CpuSet EmulatorCpus(PlannerState state, VmSpec vm, CpuSet nodes, CpuSet cpus, CpuSet idle, List<string> why)
    {
        switch (vm.Emulator)
        {
            case EmulatorPlacement.Isolate:
                // An idle sibling the VM already holds (smt = isolate/require) costs nothing more; then a thread of an
                // already split core, so that the emulator breaks no whole core; then any free CPU of its node.
                if (idle.FirstOrDefault(c => state.Host.Cpu(c)?.Node == nodes.First, -1) is var sibling and >= 0)
                {
                    why.Add($"emulator = isolate: its emulator threads get CPU {sibling}, an idle sibling of its own cores.");
                    return CpuSet.Of(sibling);
                }

                CpuSet free = state.FreeOn(nodes.First) - state.Claimed;
                if (!free.IsEmpty)
                {
                    // A thread of an already split core first, so the emulator breaks no whole core.
                    int cpu = free.FirstOrDefault(c => !state.Host.CoreOf(c).IsSubsetOf(state.FreeCpus), free.First);
                    state.Take(CpuSet.Of(cpu));
                    why.Add($"emulator = isolate: its emulator threads get CPU {cpu} of node{nodes.First} to themselves.");
                    return CpuSet.Of(cpu);
                }

                why.Add("emulator = isolate, but no CPU is left on its node: emulator threads share its vCPU CPUs.");
                return cpus;
            case EmulatorPlacement.Reserved:
                // Nearest first: the reserved CPUs of its nodes, else of its sockets, else all of them.
                CpuSet local = state.Reserved & CpuSet.Of(nodes.SelectMany(n => state.Host.Node(n)!.Cpus));
                CpuSet socket = state.Reserved & CpuSet.Of(cpus.Select(c => state.Host.Cpu(c)!.PackageId).Distinct().SelectMany(p => state.Host.PackageCpus(p)));
                CpuSet chosen = !local.IsEmpty ? local : !socket.IsEmpty ? socket : !state.Reserved.IsEmpty ? state.Reserved : cpus;
                why.Add(!local.IsEmpty
                    ? $"emulator threads on the reserved CPUs of its node{(nodes.Count == 1 ? "" : "s")}: {chosen}."
                    : !socket.IsEmpty
                        ? $"emulator threads on the reserved CPUs of its socket, {chosen} (none is on its node{(nodes.Count == 1 ? "" : "s")})."
                        : $"emulator threads on the reserved CPUs {Units.OrNone(chosen)} (none is on its node{(nodes.Count == 1 ? "" : "s")} or socket).");
                return chosen;
            default:
                why.Add("emulator = shared: emulator threads on the shared pool (on its own CPUs when no pool is left).");
                return cpus;
        }
    }

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
