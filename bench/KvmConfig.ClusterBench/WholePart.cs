using System.Diagnostics;
using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>
/// Item 4: the whole plan (<c>ClusterPlanner.Plan</c>: placement, then every node's pinning by its host planner) for
/// 100,000 VMs on 10,000 nodes, once, after a small warm-up plan. Targets: at most 10 s and at most 2 GiB peak
/// working set (VmHWM, which this part runs first to keep other parts out of). Assign on the same request is timed
/// beside it, so that the host planning's share shows.
/// </summary>
internal static class WholePart
{
    private const int Nodes = 10_000;
    private const int Vms = 100_000;
    private const double TargetSeconds = 10;
    private const long TargetBytes = 2L * 1024 * 1024 * 1024;

    public static Verdict Run(Options options)
    {
        Console.WriteLine($"## whole: ClusterPlanner.Plan, {Vms:N0} VMs on {Nodes:N0} nodes of {Fleet.Large}; mix {Mixes.Speed.Describe}");
        HostPolicy policy = Fleet.Policy(Mixes.Speed.Overcommit);

        // Warm-up: the same code on 100 nodes and 1,000 VMs, so that the figure is not the JIT's.
        var warmRng = new Random(options.Seed + 41);
        _ = ClusterPlanner.Plan(Mixes.Request(Fleet.Nodes(Fleet.Large, 100, policy), [.. Enumerable.Range(0, 1_000).Select(i => Mixes.Speed.Draw(warmRng, i))], policy));

        var rng = new Random(options.Seed + 4);
        ClusterRequest request = Mixes.Request(Fleet.Nodes(Fleet.Large, Nodes, policy), [.. Enumerable.Range(0, Vms).Select(i => Mixes.Speed.Draw(rng, i))], policy);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long hwmBefore = PeakBytes();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        ClusterPlan plan = ClusterPlanner.Plan(request);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long peak = PeakBytes();
        long processPeak = Process.GetCurrentProcess().PeakWorkingSet64;

        long assignStart = Stopwatch.GetTimestamp();
        ClusterAssignment decisions = ClusterPlanner.Assign(request);
        double assignSeconds = Stopwatch.GetElapsedTime(assignStart).TotalSeconds;
        long ffdStart = Stopwatch.GetTimestamp();
        BaselineResult ffd = Baselines.FirstFitDecreasing(request);
        double ffdSeconds = Stopwatch.GetElapsedTime(ffdStart).TotalSeconds;

        bool broken = Harness.Report(Checks.Plan(request, plan, "whole plan"));
        bool timeMet = seconds <= TargetSeconds;
        bool memoryMet = peak <= TargetBytes;
        Console.WriteLine("| Measure | **ClusterPlanner.Plan** | Assign alone (decisions) | FFD baseline (decisions) | Target |");
        Console.WriteLine("|---|---:|---:|---:|---|");
        Console.WriteLine($"| wall time | {seconds:F2} s | {assignSeconds:F2} s | {ffdSeconds:F2} s | <= {TargetSeconds} s: {Harness.MetOrMissed(timeMet)} |");
        Console.WriteLine($"| peak working set (VmHWM) | {Harness.Bytes(peak)} (before the plan: {Harness.Bytes(hwmBefore)}; PeakWorkingSet64 {Harness.Bytes(processPeak)}) | | | <= 2 GiB: {Harness.MetOrMissed(memoryMet)} |");
        Console.WriteLine($"| GC allocated during the plan | {Harness.Bytes(allocated)} | | | |");
        Console.WriteLine($"| nodes used / lower bound | {plan.NodesUsed:N0} / {plan.Bound.Nodes:N0} | {decisions.NodesUsed:N0} | {ffd.NodesUsed:N0} | |");
        Console.WriteLine($"| unplaced | {plan.Unplaced.Count} | {decisions.NodeOf.Count(n => n < 0)} | {ffd.Unplaced} | |");
        Console.WriteLine($"| nodes planned (host planner) | {plan.Assignments.Count(a => a.Plan is not null):N0} | | | |");
        return broken ? Verdict.Broken : timeMet && memoryMet ? Verdict.Met : Verdict.Missed;
    }

    // VmHWM of /proc/self/status: the most resident memory the process has had.
    private static long PeakBytes()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
