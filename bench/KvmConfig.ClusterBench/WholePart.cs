using System.Diagnostics;
using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>
/// Item 4: the whole plan (<c>ClusterPlanner.Plan</c>: placement, then every node's pinning by its host planner) for
/// 100,000 VMs on 10,000 nodes (<see cref="Mixes.Whole"/>), once, after a small warm-up plan. Targets: at most 10 s
/// and at most 2 GiB peak working set (VmHWM, which is why this part runs first). Assign and first fit decreasing on
/// the same request are timed beside it. Then, reported and not gated, the same at a tenth of the scale with the
/// denser <see cref="Mixes.Speed"/> (up to 4 GiB per vCPU), where the host planners refuse what the counters accept.
/// </summary>
internal static class WholePart
{
    private const int Nodes = 10_000;
    private const int Vms = 100_000;
    private const double TargetSeconds = 10;
    private const long TargetBytes = 2L * 1024 * 1024 * 1024;

    public static Verdict Run(Options options)
    {
        Console.WriteLine($"## whole: ClusterPlanner.Plan, {Vms:N0} VMs on {Nodes:N0} nodes of {Fleet.Large}");

        // Warm-up: the same code on 100 nodes and 1,000 VMs, so that the figure is not the JIT's.
        _ = ClusterPlanner.Plan(Request(Mixes.Whole, 100, 1_000, options.Seed + 41));

        Console.WriteLine("| Case | **ClusterPlanner.Plan** s | Peak working set (VmHWM; before) | GC allocated | Nodes used / bound | Unplaced | Assign alone s (nodes) | FFD s (nodes) | Target |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        (bool met, bool broken) = Measure(Mixes.Whole, Nodes, Vms, options.Seed + 4, gated: true);
        (_, bool brokenDense) = Measure(Mixes.Speed, Nodes / 10, Vms / 10, options.Seed + 5, gated: false);
        Console.WriteLine($"mix         whole: {Mixes.Whole.Describe}; dense: {Mixes.Speed.Describe}");
        return broken || brokenDense ? Verdict.Broken : met ? Verdict.Met : Verdict.Missed;
    }

    private static (bool Met, bool Broken) Measure(Mix mix, int nodes, int vms, int seed, bool gated)
    {
        ClusterRequest request = Request(mix, nodes, vms, seed);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long hwmBefore = PeakBytes();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        ClusterPlan plan = ClusterPlanner.Plan(request);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long peak = PeakBytes();

        long assignStart = Stopwatch.GetTimestamp();
        ClusterAssignment decisions = ClusterPlanner.Assign(request);
        double assignSeconds = Stopwatch.GetElapsedTime(assignStart).TotalSeconds;
        long ffdStart = Stopwatch.GetTimestamp();
        BaselineResult ffd = Baselines.FirstFitDecreasing(request);
        double ffdSeconds = Stopwatch.GetElapsedTime(ffdStart).TotalSeconds;

        bool broken = Harness.Report(Checks.Plan(request, plan, $"whole {mix.Name}"));
        bool met = seconds <= TargetSeconds && peak <= TargetBytes;
        string target = gated
            ? $"<= {TargetSeconds} s: {Harness.MetOrMissed(seconds <= TargetSeconds)}; <= 2 GiB: {Harness.MetOrMissed(peak <= TargetBytes)}"
            : "reported, not gated";
        Console.WriteLine($"| {mix.Name}, {vms:N0} VMs on {nodes:N0} nodes | {seconds:F2} | {Harness.Bytes(peak)} ({Harness.Bytes(hwmBefore)}) | {Harness.Bytes(allocated)} | " +
            $"{plan.NodesUsed:N0} / {plan.Bound.Nodes:N0} | {plan.Unplaced.Count} | {assignSeconds:F2} ({decisions.NodesUsed:N0}) | {ffdSeconds:F2} ({ffd.NodesUsed:N0}) | {target} |");
        return (met, broken);
    }

    private static ClusterRequest Request(Mix mix, int nodes, int vms, int seed)
    {
        HostPolicy policy = Fleet.Policy(mix.Overcommit);
        var rng = new Random(seed);
        return Mixes.Request(Fleet.Nodes(Fleet.Large, nodes, policy), [.. Enumerable.Range(0, vms).Select(i => mix.Draw(rng, i))], policy);
    }

    // VmHWM of /proc/self/status: the most resident memory the process has had.
    private static long PeakBytes()
    {
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
