using System.Globalization;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.PlannerBench;

/// <summary>
/// Issue 14, item 6: how many running VMs each event moves, in the arrival and churn sequences, for kvmconfig keeping
/// incumbents (<see cref="HostPlanner.Plan(Core.Topology.HostTopology, Declaration, IReadOnlyDictionary{string, Incumbent})"/>,
/// what <c>apply</c> does) beside kvmconfig re-planning everything from scratch (what <c>apply --repack</c> does, and what
/// every apply did before issue 14). A kubelet-style allocator never moves a running VM: 0 by construction.
/// </summary>
/// <remarks>
/// Each event changes the declaration (one VM more, or one fewer); the host holds what the previous plan placed. A VM
/// moves when any of its vCPU pins differs from the previous plan's. An arrival that no plan can place is dropped, as
/// in the arrival mode. "Fits in free CPUs" means <see cref="HostPlanner.PlanAround"/> places the newcomer around every
/// VM where it is, so a move was never needed: the target is 0 moves on at least 99 % of those arrivals.
/// </remarks>
internal static class Moves
{
    /// <summary>What one mode did over a sequence.</summary>
    private sealed record Tally(string Mode, int Moved, int EventsWithMoves, int FittingArrivals, int FittingWithoutMoves, Quality Quality, bool Known);

    /// <summary>Runs <paramref name="scenario"/> in both modes and prints one table.</summary>
    public static void Report(Scenario scenario, TopologyView topology)
    {
        Tally keep = Run(scenario, topology, keeping: true);
        Tally replan = Run(scenario, topology, keeping: false);
        Console.WriteLine();
        Console.WriteLine($"| Moves ({scenario.Title}) | VMs moved, all events | Events that moved a VM | Fitting arrivals with 0 moves | NUMA-local | Whole cores | Fragmentation (stranded CPUs) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (Tally t in (Tally[])[keep, replan])
        {
            Console.WriteLine($"| {t.Mode} | {t.Moved} | {t.EventsWithMoves} | {Share(t.FittingWithoutMoves, t.FittingArrivals)} | " +
                $"{Share(t.Quality.NumaLocal, t.Quality.DedicatedPlaced)} | {Share(t.Quality.WholeCore, t.Quality.WholeCoreEligible)} | {t.Quality.Stranded} |");
        }

        Console.WriteLine("| kubelet-style packed (never moves a running VM) | 0 | 0 | all | (see the arrival table) | | |");
        double zeroShare = keep.FittingArrivals == 0 ? 1 : (double)keep.FittingWithoutMoves / keep.FittingArrivals;
        Console.WriteLine($"target      (issue 14) 0 VMs moved on >= 99 % of arrivals that fit in free CPUs: {zeroShare * 100:F1} % {(zeroShare >= 0.99 ? "met" : "MISSED")}; " +
            $"fragmentation {keep.Quality.Stranded} vs re-plan-everything {replan.Quality.Stranded}: {(keep.Quality.Stranded <= replan.Quality.Stranded ? "met" : "MISSED")} (reported, not gated)");
    }

    private static Tally Run(Scenario scenario, TopologyView topology, bool keeping)
    {
        var onHost = new List<VmSpec>();
        Plan? last = null;
        int moved = 0, eventsWithMoves = 0, fitting = 0, fittingWithoutMoves = 0;
        foreach (HostEvent e in scenario.Events)
        {
            List<VmSpec> next = e.Arrives is { } vm ? [.. onHost, vm] : [.. onHost.Where(v => v.Name != e.Leaves)];
            var declaration = new Declaration(scenario.Final.Host, next, scenario.Final.Profiles, scenario.Final.Cost);
            bool fits = e.Arrives is not null && last is not null
                && HostPlanner.PlanAround(topology.Host, declaration, [.. last.Vms.Where(p => p.Spec.IsDedicated && next.Any(v => v.Name == p.Name))]).Ok;
            PlanResult result = keeping && last is not null
                ? HostPlanner.Plan(topology.Host, declaration, Incumbents(last))
                : HostPlanner.Plan(topology.Host, declaration);
            if (result.Plan is not { } plan)
            {
                continue;
            }

            int movedNow = last is null ? 0 : plan.Vms.Count(p => last.Vm(p.Name) is { } before && p.Spec.IsDedicated && !before.VcpuPins.SequenceEqual(p.VcpuPins));
            moved += movedNow;
            eventsWithMoves += movedNow > 0 ? 1 : 0;
            // A move where none was needed is a flaw worth seeing at once: print why.
            if (fits && movedNow > 0 && keeping)
            {
                Console.WriteLine($"moved       {scenario.Name}: {string.Join("; ", plan.Moves)} (the newcomer fitted in free CPUs)");
            }

            if (fits)
            {
                fitting++;
                fittingWithoutMoves += movedNow == 0 ? 1 : 0;
            }

            onHost = next;
            last = plan;
        }

        Outcome outcome = Outcomes.FromPlan(new PlanResult(last, []), topology, scenario.Final);
        string mode = keeping ? "**kvmconfig**, keeping incumbents (`apply`)" : "kvmconfig, re-planning everything (`apply --repack`, before issue 14)";
        return new Tally(mode, moved, eventsWithMoves, fitting, fittingWithoutMoves, Outcomes.Measure(outcome, topology, scenario.Final), last is not null);
    }

    /// <summary>
    /// The worst must-move case: every core but <paramref name="wholeLeft"/> broken by a 1-vCPU VM on its first
    /// thread (as a host an older tool filled one thread at a time), and a VM that must own
    /// <paramref name="wholeLeft"/> + <paramref name="more"/> whole cores. Every VM that leaves frees one core, so
    /// the fewest moves are <paramref name="more"/>, found only after every smaller set was counted (or planned).
    /// </summary>
    public static (Declaration Declaration, Dictionary<string, Incumbent> Incumbents) Fragmented(Core.Topology.HostTopology host, Declaration declaration, VmSpec like, int wholeLeft, int more)
    {
        Core.CpuSet reserved = HostPlanner.Plan(host, declaration with { Vms = [] }).Plan!.Reserved;
        List<Core.CpuSet> usable = [.. host.Cores.Where(c => !c.Overlaps(reserved) && c.Count == host.ThreadsPerCore)];
        List<VmSpec> small = [.. usable.Take(usable.Count - wholeLeft).Select((_, i) => like with { Name = $"one{i:D3}", Vcpus = 1, Smt = SmtPolicy.Prefer, Pinning = PinningMode.Strict, MemoryMiB = 512 })];
        Dictionary<string, Incumbent> incumbents = small
            .Select((v, i) => new Incumbent(v.Name, [Core.CpuSet.Of(usable[i].First)], "bench"))
            .ToDictionary(i => i.Name, StringComparer.Ordinal);
        VmSpec big = like with { Name = "big", Vcpus = (wholeLeft + more) * host.ThreadsPerCore, Smt = SmtPolicy.Require, Pinning = PinningMode.Strict, MemoryMiB = 1024 };
        return (declaration with { Vms = [.. small, big] }, incumbents);
    }

    private static Dictionary<string, Incumbent> Incumbents(Plan plan) =>
        plan.Vms.Where(v => v.Spec.IsDedicated).ToDictionary(v => v.Name, v => new Incumbent(v.Name, v.VcpuPins, "previous plan"), StringComparer.Ordinal);

    private static string Share(int n, int d) => d == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{n}/{d} ({100.0 * n / d:F0} %)");
}
