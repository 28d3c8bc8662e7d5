using System.Diagnostics;
using KvmConfig.Cluster;

namespace KvmConfig.ClusterBench;

/// <summary>
/// Item 1: on small instances (<see cref="SmallInstances"/>), the heuristic's node count (<c>ClusterPlanner.Plan</c>,
/// host planning included) beside CP-SAT's (<c>PlanExact</c> within the time limit) and the two first-fit baselines.
/// Target: on the instances CP-SAT proves optimal, the heuristic equal to the optimum on at least 95 % of them, and
/// its 95th percentile excess at most one node.
/// </summary>
internal static class SmallPart
{
    private const double EqualShareTarget = 0.95;
    private const int P95ExcessTarget = 1;

    private sealed record Row(SmallInstance Instance, int Vms, int Heuristic, int HeuristicUnplaced, int Exact, int ExactUnplaced, bool Proven, int Bound, int FirstFit, int FirstFitUnplaced, int Ffd, int FfdUnplaced, double HeuristicMs, double ExactMs)
    {
        // Nodes over CP-SAT's. A heuristic that leaves VMs CP-SAT placed is counted as needing at least one node more
        // than it used (it would have needed another node to place them), however many it used.
        public int Excess => Heuristic - Exact + (HeuristicUnplaced > ExactUnplaced ? Math.Max(1, Exact - Heuristic + 1) : 0);
    }

    public static Verdict Run(Options options)
    {
        Console.WriteLine($"## small: {options.Instances} instances of 20-80 VMs on 4-16 nodes, CP-SAT {options.ExactSeconds:0.##} s each");
        TimeSpan limit = TimeSpan.FromSeconds(options.ExactSeconds);

        // JIT and OR-Tools' native library loaded outside the figures.
        SmallInstance warm = SmallInstances.Build(0, options.Seed + 1_000_000);
        _ = ClusterPlanner.Plan(warm.Request);
        _ = ClusterPlanner.PlanExact(warm.Request, TimeSpan.FromSeconds(0.2));

        var rows = new List<Row>();
        bool broken = false;
        for (int i = 0; i < options.Instances; i++)
        {
            SmallInstance instance = SmallInstances.Build(i, options.Seed);
            long t0 = Stopwatch.GetTimestamp();
            ClusterPlan heuristic = ClusterPlanner.Plan(instance.Request);
            double heuristicMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            long t1 = Stopwatch.GetTimestamp();
            ClusterPlan exact = ClusterPlanner.PlanExact(instance.Request, limit, workers: 2);
            double exactMs = Stopwatch.GetElapsedTime(t1).TotalMilliseconds;
            BaselineResult ff = Baselines.FirstFit(instance.Request);
            BaselineResult ffd = Baselines.FirstFitDecreasing(instance.Request);
            broken |= Harness.Report([
                .. Checks.Plan(instance.Request, heuristic, $"small #{i} heuristic"),
                .. Checks.Plan(instance.Request, exact, $"small #{i} CP-SAT"),
                .. Checks.Assignment(instance.Request, ff.NodeOf, $"small #{i} first fit", vmCountRule: false),
                .. Checks.Assignment(instance.Request, ffd.NodeOf, $"small #{i} FFD", vmCountRule: false),
            ]);
            rows.Add(new Row(instance, instance.Request.Declaration.Vms.Count, heuristic.NodesUsed, heuristic.Unplaced.Count, exact.NodesUsed, exact.Unplaced.Count, exact.ProvenOptimal, exact.Bound.Nodes,
                ff.NodesUsed, ff.Unplaced, ffd.NodesUsed, ffd.Unplaced, heuristicMs, exactMs));
        }

        List<Row> proven = [.. rows.Where(r => r.Proven)];
        int equal = proven.Count(r => r.Excess == 0);
        int p95 = Percentile([.. proven.Select(r => r.Excess)], 0.95);
        bool equalMet = proven.Count > 0 && equal >= EqualShareTarget * proven.Count;
        bool p95Met = proven.Count > 0 && p95 <= P95ExcessTarget;

        Console.WriteLine();
        Console.WriteLine("| Instances (kind) | Proven optimal by CP-SAT | Heuristic = optimum (of proven) | Heuristic excess p95 / max (proven) | Heuristic nodes | CP-SAT nodes | First fit nodes | FFD nodes | Unplaced heur. / CP-SAT / FF / FFD | Heuristic ms (median) | CP-SAT s (median / max) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string kind in SmallInstances.Kinds.Append("all"))
        {
            List<Row> these = [.. rows.Where(r => kind == "all" || r.Instance.Kind == kind)];
            List<Row> provenHere = [.. these.Where(r => r.Proven)];
            string label = kind == "all" ? "**all**" : kind;
            Console.WriteLine($"| {these.Count} ({label}) | {provenHere.Count} | {provenHere.Count(r => r.Excess == 0)} ({Pct(provenHere.Count(r => r.Excess == 0), provenHere.Count)}) | " +
                $"{Percentile([.. provenHere.Select(r => r.Excess)], 0.95)} / {(provenHere.Count == 0 ? 0 : provenHere.Max(r => r.Excess))} | " +
                $"{these.Sum(r => r.Heuristic)} | {these.Sum(r => r.Exact)} | {these.Sum(r => r.FirstFit)} | {these.Sum(r => r.Ffd)} | " +
                $"{these.Sum(r => r.HeuristicUnplaced)} / {these.Sum(r => r.ExactUnplaced)} / {these.Sum(r => r.FirstFitUnplaced)} / {these.Sum(r => r.FfdUnplaced)} | " +
                $"{Median([.. these.Select(r => r.HeuristicMs)]):F1} | {Median([.. these.Select(r => r.ExactMs)]) / 1000:F2} / {these.Max(r => r.ExactMs) / 1000:F2} |");
        }

        Console.WriteLine();
        Console.WriteLine("| Per instance, against CP-SAT's nodes | Heuristic | First fit | FFD |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| fewer nodes than CP-SAT | {rows.Count(r => r.Heuristic < r.Exact)} | {rows.Count(r => r.FirstFit < r.Exact)} | {rows.Count(r => r.Ffd < r.Exact)} |");
        Console.WriteLine($"| same nodes | {rows.Count(r => r.Heuristic == r.Exact)} | {rows.Count(r => r.FirstFit == r.Exact)} | {rows.Count(r => r.Ffd == r.Exact)} |");
        Console.WriteLine($"| one more | {rows.Count(r => r.Heuristic == r.Exact + 1)} | {rows.Count(r => r.FirstFit == r.Exact + 1)} | {rows.Count(r => r.Ffd == r.Exact + 1)} |");
        Console.WriteLine($"| two or more more | {rows.Count(r => r.Heuristic >= r.Exact + 2)} | {rows.Count(r => r.FirstFit >= r.Exact + 2)} | {rows.Count(r => r.Ffd >= r.Exact + 2)} |");

        foreach (Row r in rows.Where(r => r.Excess != 0 || r.HeuristicUnplaced > 0).Take(15))
        {
            Console.WriteLine($"instance    #{r.Instance.Number} ({r.Instance.Kind}, {r.Instance.Shapes}, {r.Vms} VMs on {r.Instance.Request.Nodes.Count} nodes): heuristic {r.Heuristic} (unplaced {r.HeuristicUnplaced}), " +
                $"CP-SAT {r.Exact}{(r.Proven ? " proven" : $" (bound {r.Bound})")}, first fit {r.FirstFit}, FFD {r.Ffd}");
        }

        Console.WriteLine($"target      heuristic = CP-SAT's proven optimum on >= {EqualShareTarget:P0} of the {proven.Count} proven instances: {equal} ({Pct(equal, proven.Count)}), {Harness.MetOrMissed(equalMet)}; " +
            $"p95 excess <= {P95ExcessTarget} node: {p95}, {Harness.MetOrMissed(p95Met)}");
        return broken ? Verdict.Broken : equalMet && p95Met ? Verdict.Met : Verdict.Missed;
    }

    private static string Pct(int n, int d) => d == 0 ? "-" : $"{100.0 * n / d:F1} %";

    private static int Percentile(int[] values, double p)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        int[] sorted = [.. values.Order()];
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        double[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }
}
