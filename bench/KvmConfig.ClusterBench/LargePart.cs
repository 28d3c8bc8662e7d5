using System.Diagnostics;
using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>
/// Item 2: 1,000 and 10,000 nodes of <see cref="Fleet.Large"/> (128 CPUs, 512 GiB), three mixes each sized to need
/// about 90 % of the nodes; the heuristic's decisions (<c>ClusterPlanner.Assign</c>) against the lower bound, beside
/// first fit and first fit decreasing against the same bound. Target: nodes used over the bound at most 1.02.
/// </summary>
internal static class LargePart
{
    private const double RatioTarget = 1.02;
    private const double Fill = 0.9;

    public static Verdict Run(Options options)
    {
        Console.WriteLine($"## large: {Fleet.Large}, mixes sized to about {Fill:P0} of the nodes");
        Console.WriteLine("| Nodes | Mix | VMs | Lower bound (why) | **Heuristic** nodes | **Heuristic / bound** | Unplaced | Assign s | First fit nodes | FF / bound | FFD nodes | FFD / bound | FF/FFD unplaced |");
        Console.WriteLine("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        bool met = true, broken = false;
        var notes = new List<string>();
        foreach (int count in (int[])[1_000, 10_000])
        {
            foreach (Mix mix in (Mix[])[Mixes.Paper, Mixes.Finance, Mixes.Cloud])
            {
                HostPolicy policy = Fleet.Policy(mix.Overcommit);
                List<VmSpec> vms = Mixes.Fill(mix, Fleet.Large, count, Fill, options.Seed + count);
                ClusterRequest request = Mixes.Request(Fleet.Nodes(Fleet.Large, count, policy), vms, policy);
                long start = Stopwatch.GetTimestamp();
                ClusterAssignment assignment = ClusterPlanner.Assign(request);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                BaselineResult ff = Baselines.FirstFit(request);
                BaselineResult ffd = Baselines.FirstFitDecreasing(request);
                broken |= Harness.Report([
                    .. Checks.Assignment(request, assignment.NodeOf, $"large {count} {mix.Name} heuristic"),
                    .. Checks.Assignment(request, ff.NodeOf, $"large {count} {mix.Name} first fit", vmCountRule: false),
                    .. Checks.Assignment(request, ffd.NodeOf, $"large {count} {mix.Name} FFD", vmCountRule: false),
                ]);
                int bound = Math.Max(1, assignment.Bound.Nodes);
                int unplaced = assignment.NodeOf.Count(n => n < 0);
                double ratio = (double)assignment.NodesUsed / bound;
                bool ok = ratio <= RatioTarget && unplaced == 0;
                met &= ok;
                Console.WriteLine($"| {count:N0} | {mix.Name} | {vms.Count:N0} | {assignment.Bound.Nodes:N0} ({assignment.Bound.Why}) | {assignment.NodesUsed:N0} | {ratio:F4}{(ok ? "" : " MISSED")} | {unplaced} | {seconds:F2} | " +
                    $"{ff.NodesUsed:N0} | {(double)ff.NodesUsed / bound:F4} | {ffd.NodesUsed:N0} | {(double)ffd.NodesUsed / bound:F4} | {ff.Unplaced}/{ffd.Unplaced} |");
                notes.Add($"mix         {mix.Name}: {mix.Describe}");
            }
        }

        foreach (string note in notes.Distinct())
        {
            Console.WriteLine(note);
        }

        Console.WriteLine($"target      heuristic nodes / lower bound <= {RatioTarget} on every row, nothing unplaced: {Harness.MetOrMissed(met)}");
        return broken ? Verdict.Broken : met ? Verdict.Met : Verdict.Missed;
    }
}
