using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>
/// Stable plans: VMs that already run somewhere stay there. As kubelet's CPU manager never moves a running container
/// and Nova keeps an instance's NUMA placement until it migrates, a VM's incumbent CPUs are kept while they are still
/// valid for its declaration and the rules; only VMs that are new, whose declaration changed, or whose place became
/// invalid are placed. When a VM fits nowhere without moving others, the plan that moves the fewest does.
/// </summary>
public static partial class HostPlanner
{
    /// <summary>
    /// Plans <paramref name="declaration"/> on <paramref name="host"/>, keeping each auto dedicated VM that has an
    /// entry in <paramref name="incumbents"/> where it runs when that is still valid (<see cref="Plan.Kept"/>), and
    /// listing every VM that gets other CPUs, with why (<see cref="Plan.Moves"/>).
    /// </summary>
    /// <remarks>
    /// <list type="number">
    /// <item>Explicit CPU lists first, as always (they are the administrator's word).</item>
    /// <item>Then every incumbent, in declaration order, kept when: its vCPU count is the declared one; under
    /// <c>strict</c> each vCPU is pinned to one CPU of its own, under <c>float</c> every vCPU to the same set of the
    /// VM's size; its CPUs are online, inside the cpuset, not reserved, not named by an explicit list and not held
    /// by a VM kept before it; under <c>smt = isolate</c> or <c>require</c> no other VM shares its cores; its memory
    /// fits on its nodes. Otherwise it is placed afresh, and the move says which of these failed.</item>
    /// <item>The other VMs are placed as <see cref="Plan(HostTopology, Declaration)"/> places them.</item>
    /// <item>When some VM cannot be placed, the fewest kept VMs move: sets of one VM, then two, three, ..., each size
    /// in order of vCPUs moved together, then names; the first whose plan places everything wins (see
    /// <see cref="FewestMoves"/>). Past <see cref="MostMoveSetsExamined"/> sets or <see cref="MostMovePlansTried"/>
    /// plans, the whole declaration is repacked and every VM that changes is listed, saying so. When even a plan from
    /// scratch cannot place everything, no move is tried: the errors are those of the plan that keeps everything.</item>
    /// </list>
    /// Shared-pool VMs and explicit lists have no incumbent to keep: the pool is recomputed, and a list is its own place.
    /// </remarks>
    public static PlanResult Plan(HostTopology host, Declaration declaration, IReadOnlyDictionary<string, Incumbent> incumbents)
    {
        var keeping = new Keeping(incumbents, Evicted: null, MadeRoomFor: null);
        PlanResult first = Plan(host, declaration, keeping);
        if (first.Ok || incumbents.Count == 0)
        {
            return first;
        }

        // Some VM found no room around the kept ones. When not even a plan from scratch places everything, no move can
        // help: say why at once, as the plan that keeps everything saw it.
        string stuck = string.Join(", ", first.Errors.Select(e => e.Vm).Distinct());
        PlanResult repacked = Plan(host, declaration, keeping with { Evicted = Everyone, MadeRoomFor = stuck });
        if (!repacked.Ok)
        {
            return first;
        }

        return FewestMoves(host, declaration, keeping with { MadeRoomFor = stuck });
    }

    /// <summary>
    /// The moves from <paramref name="incumbents"/> to <paramref name="plan"/>: what <c>plan --repack</c> shows, a
    /// plan made from scratch against where the VMs run now.
    /// </summary>
    public static IReadOnlyList<PlanMove> MovesFrom(IReadOnlyDictionary<string, Incumbent> incumbents, Plan plan) =>
        Moves(new Keeping(incumbents, Evicted: Everyone, MadeRoomFor: null), plan.Vms, []);

    private static readonly string[] Everyone = ["*"];

    /// <summary>Which incumbents a planning run may keep: none, all of them, all but a few, or none after all (a repack).</summary>
    /// <param name="Incumbents">Where the VMs run now.</param>
    /// <param name="Evicted">The VMs whose incumbents are not kept, so that others fit; <c>*</c> for every one.</param>
    /// <param name="MadeRoomFor">The VMs that did not fit without the move, for its explanation.</param>
    /// <param name="RepackedBecause">Why a search for the fewest moves ended in a repack, for the moves' explanation.</param>
    private sealed record Keeping(IReadOnlyDictionary<string, Incumbent> Incumbents, string[]? Evicted, string? MadeRoomFor, string? RepackedBecause = null)
    {
        public static Keeping Nothing { get; } = new(new Dictionary<string, Incumbent>(), null, null);

        public bool Evicts(string vm) => Evicted is { } names && (names is ["*"] || names.Contains(vm));

        public Incumbent? Of(string vm) => Evicts(vm) ? null : Incumbents.GetValueOrDefault(vm);
    }

    // Step 2b: each auto dedicated VM with an incumbent, kept or told why not (by name).
    private static Dictionary<string, string> KeepIncumbents(PlannerState state, Declaration declaration, Keeping keeping, Dictionary<string, VmPlacement> placements, Dictionary<string, CpuSet>? held)
    {
        var notKept = new Dictionary<string, string>(StringComparer.Ordinal);
        var owners = new Dictionary<int, string>();
        foreach (VmSpec vm in declaration.Vms.Where(v => v.IsDedicated && v.Cpus is null))
        {
            if (keeping.Of(vm.Name) is not { } incumbent)
            {
                continue;
            }

            if (WhyNotKept(state, vm, incumbent, owners) is { } why)
            {
                notKept[vm.Name] = why;
                continue;
            }

            CpuSet freeBefore = state.FreeCpus;
            placements[vm.Name] = Keep(state, vm, incumbent);
            held?.Add(vm.Name, freeBefore - state.FreeCpus);
            foreach (int cpu in incumbent.Cpus)
            {
                owners[cpu] = vm.Name;
            }
        }

        return notKept;
    }

    // Why an incumbent cannot stay (null when it can), checked in the order an administrator would look.
    private static string? WhyNotKept(PlannerState state, VmSpec vm, Incumbent incumbent, Dictionary<int, string> owners)
    {
        HostTopology host = state.Host;
        IReadOnlyList<CpuSet> pins = incumbent.VcpuPins;
        CpuSet cpus = incumbent.Cpus;
        if (pins.Count != vm.Vcpus)
        {
            return $"its domain has {Units.Plural(pins.Count, "vCPU")}, the declaration {vm.Vcpus}";
        }

        if (pins.Any(p => p.IsEmpty))
        {
            return "a vCPU of its domain is not pinned";
        }

        if (vm.Pinning == PinningMode.Strict && (pins.Any(p => p.Count != 1) || cpus.Count != pins.Count))
        {
            return "its vCPUs are not pinned one to a CPU each, as cpuspinlock = strict asks";
        }

        // A float VM's set holds one CPU per vCPU; under smt = isolate or require the planner may give it the whole
        // cores instead, or keep their other threads idle beside it.
        if (vm.Pinning == PinningMode.Float && (pins.Any(p => p != cpus) || (cpus.Count != vm.Vcpus && cpus.Count != state.CpusNeeded(vm))))
        {
            return $"its vCPUs do not share one set of {Units.Plural(vm.Vcpus, "CPU")}, as cpuspinlock = float asks";
        }

        if ((cpus - host.Online) is { IsEmpty: false } gone)
        {
            return $"it runs on CPUs {gone}, which this host does not have online";
        }

        if ((cpus & state.Claimed) is { IsEmpty: false } claimed)
        {
            return $"CPUs {claimed} are named by an explicit cpus list";
        }

        if (cpus.FirstOrDefault(c => owners.ContainsKey(c), -1) is var shared and >= 0)
        {
            return $"it overlaps VM '{owners[shared]}' on CPUs {cpus & CpuSet.Of(owners.Where(o => o.Value == owners[shared]).Select(o => o.Key))}, kept before it";
        }

        if ((cpus - state.FreeCpus) is { IsEmpty: false } unavailable)
        {
            return $"CPUs {unavailable} are reserved or outside the cpuset";
        }

        if (Usable(state, vm, cpus) != cpus)
        {
            return $"CPUs {cpus & host.Isolated} are isolated (isolcpus=), where floating vCPUs are never balanced";
        }

        if (vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require && (host.CoresOf(cpus) - cpus - state.FreeCpus) is { IsEmpty: false } neighbours)
        {
            return $"it shares cores with CPUs {neighbours}, which smt = {vm.Smt.ToString().ToLowerInvariant()} forbids";
        }

        return MemoryShortage(state, vm, MemoryTargets(vm, PartsOf(state, vm, cpus))) is { } shortage
            ? $"its memory no longer fits there: {shortage}"
            : null;
    }

    // The VM where it runs: its CPUs taken as an explicit list would be, its vCPUs pinned exactly as they are, each
    // guest cell holding the vCPUs that run on its node.
    private static VmPlacement Keep(PlannerState state, VmSpec vm, Incumbent incumbent)
    {
        CpuSet cpus = incumbent.Cpus;
        List<Part> parts = PartsOf(state, vm, cpus);
        var why = new List<string>
        {
            $"kept where it runs ({incumbent.Source}): CPUs {cpus} on NUMA node{(parts.Count == 1 ? "" : "s")} {state.Host.NodesOf(cpus)}; nothing it is declared with asks it to move.",
        };
        VmPlacement placement = Commit(state, vm, parts, why);
        List<GuestCell> cells = [.. placement.Cells.Select(c => c with
        {
            Vcpus = CpuSet.Of(Enumerable.Range(0, incumbent.VcpuPins.Count).Where(v => incumbent.VcpuPins[v].IsSubsetOf(state.Host.Node(c.HostNode)?.Cpus ?? CpuSet.Empty))),
        })];
        bool cellsHoldEveryVcpu = cells.Sum(c => c.Vcpus.Count) == vm.Vcpus;
        return placement with
        {
            VcpuPins = incumbent.VcpuPins,
            Cells = cellsHoldEveryVcpu ? cells : placement.Cells,
        };
    }

    // Like an explicit list: one part per node of the CPUs, the vCPUs and memory shared in proportion.
    private static List<Part> PartsOf(PlannerState state, VmSpec vm, CpuSet cpus)
    {
        CpuSet idle = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (state.Host.CoresOf(cpus) - cpus) & state.FreeCpus : CpuSet.Empty;
        List<Part> parts = [.. state.Host.NodesOf(cpus).Select(n => new Part(n, new CpuPicker.Pick(cpus & state.Host.Node(n)!.Cpus, idle & state.Host.Node(n)!.Cpus, null), 0, null))];
        return SplitVcpusAndMemory(vm, ShareVcpus(vm.Vcpus, parts));
    }

    // Every VM with an incumbent that ends elsewhere, in declaration order.
    private static List<PlanMove> Moves(Keeping keeping, IReadOnlyList<VmPlacement> placed, Dictionary<string, string> notKept)
    {
        var moves = new List<PlanMove>();
        foreach (VmPlacement vm in placed)
        {
            if (!keeping.Incumbents.TryGetValue(vm.Name, out Incumbent? incumbent) || SamePins(incumbent.VcpuPins, vm.VcpuPins))
            {
                continue;
            }

            string why = notKept.TryGetValue(vm.Name, out string? reason)
                ? $"its place is no longer valid: {reason}"
                : keeping.Evicted is not ["*"] && keeping.Evicts(vm.Name)
                    ? keeping.Evicted!.Length switch
                    {
                        1 => $"moved to make room for {keeping.MadeRoomFor}, the fewest vCPUs any single move frees",
                        2 => $"moved with {keeping.Evicted.Single(n => n != vm.Name)} to make room for {keeping.MadeRoomFor}: no single move did",
                        int n => $"moved with {string.Join(", ", keeping.Evicted.Where(e => e != vm.Name))} to make room for {keeping.MadeRoomFor}: no move of {n - 1} or fewer VMs did",
                    }
                    : keeping.MadeRoomFor is { } stuck
                        ? $"repacked: {keeping.RepackedBecause ?? $"no move of fewer VMs made room for {stuck}"}"
                        : "repacked from scratch";
            moves.Add(new PlanMove(vm.Name, incumbent.Cpus, vm.Cpus, why));
        }

        return moves;
    }

    private static HashSet<string> KeptNames(Keeping keeping, IReadOnlyList<VmPlacement> placed, Dictionary<string, string> notKept) =>
        [.. placed.Where(p => keeping.Of(p.Name) is not null && !notKept.ContainsKey(p.Name)).Select(p => p.Name)];

    private static bool SamePins(IReadOnlyList<CpuSet> a, IReadOnlyList<CpuSet> b) => a.Count == b.Count && a.SequenceEqual(b);
}
