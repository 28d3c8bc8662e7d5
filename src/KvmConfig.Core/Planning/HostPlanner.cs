using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>
/// Places every declared VM on one host: dedicated CPUs, vCPU pinning, emulator threads, memory nodes, huge pages
/// and the guest topology that mirrors them. Pure: a topology and a declaration in, a plan or errors out.
/// </summary>
/// <remarks>
/// <para>CPU pools (DESIGN.md section 3):</para>
/// <list type="bullet">
/// <item><b>reserved</b>: the host's CPUs (OS, and emulator threads under <c>emulator = reserved</c>).</item>
/// <item><b>dedicated</b>: CPUs owned by one <c>strict</c> or <c>float</c> VM. Under <c>smt = isolate</c> or
/// <c>require</c> the VM owns whole cores, and siblings it does not run on stay idle.</item>
/// <item><b>shared pool</b>: the cpuset minus every dedicated and idle CPU. <c>cpuspinlock = none</c> VMs float over
/// it, at most <c>overcommit</c> vCPUs per CPU, weighted by <c>cpu_weight</c>, capped by <c>cpu_limit</c>.</item>
/// </list>
/// <para>The algorithm:</para>
/// <list type="number">
/// <item>Count what is free per NUMA node: the usable cpuset's CPUs, memory after huge page pools and the node's
/// share of <c>memory_reserved</c>, free huge pages by size.</item>
/// <item>Place VMs with explicit <c>cpus</c>, in declaration order: their CPUs must be free; they are taken as
/// written. (The rules have already said why a list is wrong; the planner only refuses to double-book.)</item>
/// <item>Place <c>cpus = auto</c> dedicated VMs, largest first. Sort keys: CPUs needed (descending), memory
/// (descending), name (ordinal): the same input always gives the same plan.</item>
/// <item>For each, try every node alone and keep the one that leaves the least unusable remainder. Sort keys: the
/// SLIT distance to the VM's declared <c>numa_nodes</c> (0 without them; it matters when they are memory-only
/// nodes); how many CPUs the placement and one more VM like it (placed next where it strands least) newly strand
/// (the look-ahead: a node that strands nothing now can leave the next VM only bad holes); how many CPUs the placement
/// alone newly strands on the node (step 9's figure after minus before: free CPUs of broken cores, or every free CPU
/// when fewer than the typical VM needs remain); then the free whole cores left (best fit); then the free memory left;
/// then the node id. A node qualifies when it has the CPUs (whole cores under isolate/require), the memory and the
/// huge pages.</item>
/// <item>Inside the chosen node, keep the VM in one L3 group when one can hold it (best fit again: the group with
/// the fewest free CPUs that suffices), and take whole cores before split cores (see <see cref="CpuPicker"/>).</item>
/// <item>When no node can hold the VM alone, split it over the fewest nodes (2, 3, ...), in equal parts (sizes
/// differ by at most one vCPU; the larger parts go to the nodes with the most room), choosing among node sets with
/// the smallest total distance (SLIT); among those, the set whose parts newly strand the fewest CPUs (best fit, as
/// in step 4), then the lowest ids. Memory splits in proportion to the vCPUs; each part becomes a guest NUMA
/// cell.</item>
/// <item>Emulator threads: <c>reserved</c> takes the reserved CPUs of the VM's nodes, else of its sockets, else all
/// of them; <c>isolate</c> takes an idle sibling the VM already holds, else one more free CPU on its first node (a
/// thread of a split core first, never a CPU an explicit list names); <c>shared</c> the pool, or the VM's own CPUs
/// when there are no shared VMs.</item>
/// <item>The shared pool is what is left of the cpuset; shared VMs float over it within <c>overcommit</c>.</item>
/// <item>Fragmentation per node: free CPUs that cannot host a whole core, or that sit on a node with fewer free
/// CPUs than the typical (median) dedicated VM needs.</item>
/// </list>
/// </remarks>
public static partial class HostPlanner
{
    /// <summary>Plans <paramref name="declaration"/> on <paramref name="host"/> from scratch.</summary>
    public static PlanResult Plan(HostTopology host, Declaration declaration) => Plan(host, declaration, Keeping.Nothing);

    private static PlanResult Plan(HostTopology host, Declaration declaration, Keeping keeping)
    {
        (PlannerState state, Dictionary<string, VmPlacement> placements, List<PlanError> errors, Dictionary<string, string> notKept) =
            Start(host, declaration, keeping, held: null);
        PlanResult result = Finish(state, declaration, placements, errors, placements.ContainsKey);
        return result.Plan is { } plan
            ? result with { Plan = plan with { Moves = Moves(keeping, plan.Vms, notKept), Kept = KeptNames(keeping, plan.Vms, notKept) } }
            : result;
    }

    // Steps 1 to 2b: what is free; explicit CPU lists, in declaration order; then the auto dedicated VMs that already
    // run somewhere still valid stay there, in declaration order (held, when given, gets the CPUs each kept VM takes).
    private static (PlannerState State, Dictionary<string, VmPlacement> Placements, List<PlanError> Errors, Dictionary<string, string> NotKept) Start(
        HostTopology host, Declaration declaration, Keeping keeping, Dictionary<string, CpuSet>? held)
    {
        var state = new PlannerState(host, declaration.Host)
        {
            TypicalVmCpus = TypicalSize(declaration),
            Claimed = CpuSet.Of(declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null).SelectMany(v => v.Cpus!)),
        };
        var placements = new Dictionary<string, VmPlacement>(StringComparer.Ordinal);
        var errors = new List<PlanError>();
        foreach (VmSpec vm in declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null))
        {
            Place(state, vm, placements, errors, PlaceExplicit);
        }

        return (state, placements, errors, KeepIncumbents(state, declaration, keeping, placements, held));
    }

    /// <summary>
    /// Steps 3 to 9, shared by <see cref="Plan(HostTopology, Declaration)"/> and <see cref="PlanAround"/> once the VMs
    /// that are not placed again (explicit lists, kept VMs) hold their CPUs: the auto dedicated VMs
    /// <paramref name="placed"/> does not name, the shared pool, emulator threads on it, and the fragmentation.
    /// </summary>
    private static PlanResult Finish(PlannerState state, Declaration declaration, Dictionary<string, VmPlacement> placements, List<PlanError> errors, Func<string, bool> placed)
    {
        // Step 3: auto dedicated VMs, largest first; keys: CPUs needed desc, memory desc, name ordinal.
        IEnumerable<VmSpec> autos = declaration.Vms
            .Where(v => v.IsDedicated && v.Cpus is null && !placed(v.Name))
            .OrderByDescending(v => state.CpusNeeded(v))
            .ThenByDescending(v => v.MemoryMiB ?? 0)
            .ThenBy(v => v.Name, StringComparer.Ordinal)
            .ToList();
        foreach (VmSpec vm in autos)
        {
            // Steps 4 to 6.
            Place(state, vm, placements, errors, PlaceAuto);
        }

        // Step 8: the shared pool and its VMs.
        CpuSet pool = state.FreeCpus;
        List<VmSpec> shared = declaration.Vms.Where(v => !v.IsDedicated).ToList();
        PlaceShared(state, shared, pool, placements, errors);
        if (errors.Count > 0)
        {
            return new PlanResult(null, errors);
        }

        // Step 7 needs the pool, so emulator = shared is settled here: the pool when there is one, else the VM's own
        // CPUs (what step 7 gave it; a kept VM may carry an older pool).
        bool hasPool = shared.Count > 0 && !pool.IsEmpty;
        List<VmPlacement> ordered = declaration.Vms
            .Select(v => placements[v.Name])
            .Select(p => p.Spec.IsDedicated && p.Spec.Emulator == EmulatorPlacement.Shared ? p with { EmulatorCpus = hasPool ? pool : p.Cpus } : p)
            .ToList();

        // Step 9: what is left, and how usable.
        return new PlanResult(
            new Plan
            {
                Vms = ordered,
                Reserved = state.Reserved,
                SharedPool = shared.Count > 0 ? pool : CpuSet.Empty,
                Free = shared.Count > 0 ? CpuSet.Empty : pool,
                TypicalVmCpus = state.TypicalVmCpus,
                Fragmentation = Fragmentation(state.Host, state, pool, state.TypicalVmCpus),
            },
            []);
    }

    private delegate VmPlacement? Placer(PlannerState state, VmSpec vm, List<PlanError> errors);

    private static void Place(PlannerState state, VmSpec vm, Dictionary<string, VmPlacement> placements, List<PlanError> errors, Placer placer)
    {
        if (placer(state, vm, errors) is { } placement)
        {
            placements[vm.Name] = placement;
        }
    }

    // The median CPU count of dedicated VMs (1 when there are none): the size a freed CPU must be able to join.
    private static int TypicalSize(Declaration declaration)
    {
        int[] sizes = declaration.Vms.Where(v => v.IsDedicated).Select(v => v.CpuDemand).Order().ToArray();
        return sizes.Length == 0 ? 1 : sizes[sizes.Length / 2];
    }

    private static IReadOnlyList<NodeFragmentation> Fragmentation(HostTopology host, PlannerState state, CpuSet free, int typical)
    {
        var result = new List<NodeFragmentation>();
        foreach (NumaNode node in host.Nodes)
        {
            // The state's counters (free is its FreeCpus here); a core is counted at its first CPU.
            CpuSet nodeFree = free & node.Cpus;
            CpuSet whole = nodeFree == state.FreeOn(node.Id) ? state.WholeFreeOn(node.Id) : CpuPicker.WholeFreeCores(host, nodeFree);
            int wholeCoreCount = whole.Count(cpu => host.CoreOf(cpu).First == cpu);
            CpuSet stranded = nodeFree.Count < typical ? nodeFree : nodeFree - whole;
            result.Add(new NodeFragmentation(node.Id, nodeFree, wholeCoreCount, stranded, state.FreeMemoryMiB(node.Id)));
        }

        return result;
    }
}
