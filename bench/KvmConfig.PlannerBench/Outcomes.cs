using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.PlannerBench;

/// <summary>What one allocator made of the declaration, in the terms every allocator shares.</summary>
/// <param name="Allocator">Its name in the table.</param>
/// <param name="Dedicated">Each placed dedicated VM and the CPUs it owns: the CPUs its vCPUs run on plus the sibling
/// threads it holds idle (<c>smt = isolate</c>).</param>
/// <param name="Shared">Shared-pool VMs that were placed.</param>
/// <param name="Unplaced">Names of the VMs that could not be placed.</param>
/// <param name="Usable">The cpuset VMs may use (online CPUs minus the reserved ones).</param>
/// <param name="HasPlacements">False when the allocator returned no placements at all (kvmconfig refuses a partial
/// plan), so that only <paramref name="Unplaced"/> is known.</param>
internal sealed record Outcome(
    string Allocator,
    IReadOnlyList<(VmSpec Vm, CpuSet Owned)> Dedicated,
    IReadOnlyList<VmSpec> Shared,
    IReadOnlyList<string> Unplaced,
    CpuSet Usable,
    bool HasPlacements)
{
    /// <summary>Usable CPUs no dedicated VM owns: the shared pool counts as free, as in the plan's fragmentation.</summary>
    public CpuSet Free => Dedicated.Aggregate(Usable, (free, d) => free - d.Owned);
}

/// <summary>The quality measures, each computed the same way for every allocator.</summary>
/// <param name="DedicatedPlaced">Dedicated VMs placed.</param>
/// <param name="NumaLocal">Of those, how many own CPUs of one NUMA node only.</param>
/// <param name="WholeCoreEligible">Placed dedicated VMs that take a whole number of cores (an even CPU count here);
/// a 1-vCPU <c>smt = prefer</c> VM holds one thread and can never be on whole cores, under any allocator.</param>
/// <param name="WholeCore">Of the eligible, how many own every thread of every core they touch.</param>
/// <param name="FreeCpus">Usable CPUs no dedicated VM owns.</param>
/// <param name="FreeWholeCores">Cores all of whose threads are free.</param>
/// <param name="Stranded">The fragmentation figure: see <see cref="Outcomes.Stranded"/>.</param>
/// <param name="Unplaced">VMs that could not be placed.</param>
/// <param name="NodesShortOfMemory">Nodes whose VM memory exceeds what they have for VMs.</param>
/// <param name="WorstMemoryShortMiB">The largest such excess.</param>
internal sealed record Quality(
    int DedicatedPlaced,
    int NumaLocal,
    int WholeCoreEligible,
    int WholeCore,
    int FreeCpus,
    int FreeWholeCores,
    int Stranded,
    int Unplaced,
    int NodesShortOfMemory,
    long WorstMemoryShortMiB);

/// <summary>Runs the allocators over a declaration and measures what they leave.</summary>
internal static class Outcomes
{
    /// <summary>
    /// kvmconfig's plan in the shared terms. (Every VM of the mixes keeps its emulator threads on the reserved CPUs, so
    /// no VM owns an emulator CPU.)
    /// </summary>
    public static Outcome FromPlan(PlanResult result, TopologyView topology, Declaration declaration)
    {
        CpuSet usable = declaration.Host.CpuSetOn(topology.Host) & topology.Host.Online;
        if (result.Plan is not { } plan)
        {
            // One "overcommit" error stands for every shared VM (it names the last one): none of them has a pool.
            IEnumerable<string> unplaced = result.Errors.Select(e => e.Vm);
            if (result.Errors.Any(e => e.Constraint == "overcommit"))
            {
                unplaced = unplaced.Concat(declaration.Vms.Where(v => !v.IsDedicated).Select(v => v.Name));
            }

            return new Outcome("kvmconfig", [], [], [.. unplaced.Distinct()], usable, HasPlacements: false);
        }

        var dedicated = plan.Vms
            .Where(p => p.Spec.IsDedicated)
            .Select(p => (p.Spec, p.Cpus | p.IdleSiblings))
            .ToList();
        return new Outcome("kvmconfig", dedicated, [.. plan.Vms.Where(p => !p.Spec.IsDedicated).Select(p => p.Spec)], [], usable, HasPlacements: true);
    }

    /// <summary>
    /// Places the declaration with a baseline: dedicated VMs largest first (the planner's order and keys), each
    /// taking <see cref="VmMix.CpusNeeded"/> CPUs from what is free; then the shared VMs, which fit when their
    /// vCPUs stay within <c>overcommit</c> times the CPUs left. Memory is not consulted.
    /// </summary>
    public static Outcome Run(string name, Baselines.Allocator allocator, TopologyView topology, Declaration declaration)
    {
        CpuSet usable = declaration.Host.CpuSetOn(topology.Host) & topology.Host.Online;
        CpuSet free = usable;
        var dedicated = new List<(VmSpec, CpuSet)>();
        var unplaced = new List<string>();
        foreach (VmSpec vm in VmMix.LargestFirst(declaration.Vms.Where(v => v.IsDedicated), topology.ThreadsPerCore))
        {
            if (allocator(topology, free, VmMix.CpusNeeded(vm, topology.ThreadsPerCore)) is { } cpus)
            {
                dedicated.Add((vm, cpus));
                free -= cpus;
            }
            else
            {
                unplaced.Add(vm.Name);
            }
        }

        List<VmSpec> shared = [.. declaration.Vms.Where(v => !v.IsDedicated)];
        if (shared.Sum(v => v.Vcpus) > free.Count * declaration.Host.Overcommit.VcpusPerCpu)
        {
            unplaced.AddRange(shared.Select(v => v.Name));
            shared = [];
        }

        return new Outcome(name, dedicated, shared, unplaced, usable, HasPlacements: true);
    }

    /// <summary>
    /// The fragmentation figure, one definition for every allocator (the plan's own, from HostPlanner step 9): per
    /// node, the free CPUs that cannot host a whole core (a sibling is taken), or all the node's free CPUs when they
    /// are fewer than <paramref name="typicalVmCpus"/>; summed over nodes.
    /// </summary>
    public static int Stranded(TopologyView topology, CpuSet free, int typicalVmCpus)
    {
        int stranded = 0;
        foreach (CpuSet node in topology.Nodes)
        {
            CpuSet nodeFree = free & node;
            stranded += nodeFree.Count < typicalVmCpus ? nodeFree.Count : (nodeFree - topology.WholeCores(nodeFree)).Count;
        }

        return stranded;
    }

    /// <summary>
    /// A lower bound on <see cref="Stranded"/> for any allocator that leaves <paramref name="freeCpus"/> CPUs free:
    /// all of them when they are fewer than the typical VM (every node then holds fewer), else the threads that cannot
    /// make up a whole core however the free CPUs are arranged (<c>free mod threads per core</c>). An allocator at
    /// this floor cannot be beaten on fragmentation by anything that places the same VMs.
    /// </summary>
    public static int StrandedFloor(TopologyView topology, int freeCpus, int typicalVmCpus) =>
        freeCpus < typicalVmCpus ? freeCpus : freeCpus % topology.ThreadsPerCore;

    /// <summary>The median CPU count of the declared dedicated VMs (the upper one for an even count), as the planner takes it.</summary>
    public static int TypicalVmCpus(Declaration declaration)
    {
        int[] sizes = [.. declaration.Vms.Where(v => v.IsDedicated).Select(v => v.CpuDemand).Order()];
        return sizes.Length == 0 ? 1 : sizes[sizes.Length / 2];
    }

    /// <summary>Every measure of <paramref name="outcome"/>.</summary>
    public static Quality Measure(Outcome outcome, TopologyView topology, Declaration declaration)
    {
        int typical = TypicalVmCpus(declaration);
        CpuSet free = outcome.Free;
        int numaLocal = outcome.Dedicated.Count(d => topology.NodesOf(d.Owned).Count == 1);
        var eligible = outcome.Dedicated.Where(d => VmMix.CpusNeeded(d.Vm, topology.ThreadsPerCore) % topology.ThreadsPerCore == 0).ToList();
        int wholeCore = eligible.Count(d => d.Owned.All(cpu => topology.CoreOfCpu[cpu].IsSubsetOf(d.Owned)));
        (int shortNodes, long worst) = MemoryShort(outcome, topology, declaration);
        return new Quality(
            outcome.Dedicated.Count,
            numaLocal,
            eligible.Count,
            wholeCore,
            free.Count,
            topology.WholeCores(free).Count / topology.ThreadsPerCore,
            Stranded(topology, free, typical),
            outcome.Unplaced.Count,
            shortNodes,
            worst);
    }

    /// <summary>
    /// Memory per node as the placement implies it, against what each node has for VMs (its memory minus its share
    /// of <c>memory_reserved</c>, as the planner counts it). A dedicated VM's memory is spread over its nodes in
    /// proportion to the CPUs it owns there; a shared VM's evenly over the nodes of the shared pool.
    /// </summary>
    public static (int Nodes, long WorstMiB) MemoryShort(Outcome outcome, TopologyView topology, Declaration declaration)
    {
        var used = new double[topology.Nodes.Count];
        foreach ((VmSpec vm, CpuSet owned) in outcome.Dedicated)
        {
            foreach (int cpu in owned)
            {
                used[topology.NodeOfCpu[cpu]] += (double)(vm.MemoryMiB ?? 0) / owned.Count;
            }
        }

        IReadOnlyList<int> poolNodes = topology.NodesOf(outcome.Free);
        foreach (VmSpec vm in outcome.Shared)
        {
            foreach (int node in poolNodes)
            {
                used[node] += (double)(vm.MemoryMiB ?? 0) / poolNodes.Count;
            }
        }

        long hostMiB = (topology.Host.MemTotalKiB ?? 0) / 1024;
        int nodes = 0;
        long worst = 0;
        foreach (var node in topology.Host.Nodes)
        {
            long totalMiB = (node.MemTotalKiB ?? 0) / 1024;
            long forVms = totalMiB - (declaration.Host.MemoryReservedMiB * totalMiB / Math.Max(1, hostMiB));
            long excess = (long)Math.Ceiling(used[node.Id]) - forVms;
            if (excess > 0)
            {
                nodes++;
                worst = Math.Max(worst, excess);
            }
        }

        return (nodes, worst);
    }

    /// <summary>
    /// What must hold for any allocator, checked before its figures are believed: no CPU owned twice, every owned
    /// CPU usable, every placed VM holding the CPUs it needs. Returns the breaches, empty when there are none.
    /// </summary>
    public static IReadOnlyList<string> Breaches(Outcome outcome, TopologyView topology)
    {
        var breaches = new List<string>();
        CpuSet seen = CpuSet.Empty;
        foreach ((VmSpec vm, CpuSet owned) in outcome.Dedicated)
        {
            if (owned.Overlaps(seen))
            {
                breaches.Add($"{outcome.Allocator}: {vm.Name} owns {owned & seen}, already owned by another VM");
            }

            if (!owned.IsSubsetOf(outcome.Usable))
            {
                breaches.Add($"{outcome.Allocator}: {vm.Name} owns {owned - outcome.Usable}, outside the usable cpuset");
            }

            int needed = VmMix.CpusNeeded(vm, topology.ThreadsPerCore);
            if (owned.Count != needed)
            {
                breaches.Add($"{outcome.Allocator}: {vm.Name} owns {owned.Count} CPUs ({owned}), {needed} expected");
            }

            seen |= owned;
        }

        return breaches;
    }
}
