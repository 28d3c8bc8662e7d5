using System.Diagnostics;
using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>
/// Item 3: decisions only (<c>ClusterPlanner.Assign</c>: counters, index, bound; no node's pinning) for 50,000 VMs
/// on 5,000 nodes, without and with anti-affinity groups of 3 to 5. The time is the whole call, from the request's
/// nodes and VMs to the decisions, median of the timed runs after one untimed. Targets: 50,000 and 10,000
/// placements per second.
/// </summary>
internal static class SpeedPart
{
    private const int Nodes = 5_000;
    private const int Vms = 50_000;

    public static Verdict Run(Options options)
    {
        Console.WriteLine($"## speed: ClusterPlanner.Assign, {Vms:N0} VMs on {Nodes:N0} nodes of {Fleet.Large}; mix {Mixes.Speed.Describe}");
        HostPolicy policy = Fleet.Policy(Mixes.Speed.Overcommit);
        var rng = new Random(options.Seed + 3);
        List<VmSpec> plain = [.. Enumerable.Range(0, Vms).Select(i => Mixes.Speed.Draw(rng, i))];
        List<ClusterNode> nodes = Fleet.Nodes(Fleet.Large, Nodes, policy);
        Console.WriteLine("| Case | Placements/s (median) | Median s | Max s | Allocated per run | Nodes used | Lower bound | Unplaced | FFD nodes | FFD s | Target |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        bool met = true, broken = false;
        foreach ((string name, List<VmSpec> vms, double target) in (List<(string, List<VmSpec>, double)>)
            [
                ("no groups", plain, 50_000),
                ("groups of 3-5", Mixes.Grouped(plain, options.Seed + 4), 10_000),
            ])
        {
            ClusterRequest request = Mixes.Request(nodes, vms, policy);
            ClusterAssignment result = ClusterPlanner.Assign(request);
            broken |= Harness.Report(Checks.Assignment(request, result.NodeOf, $"speed {name}"));
            var seconds = new double[options.Runs];
            var bytes = new long[options.Runs];
            for (int r = 0; r < options.Runs; r++)
            {
                GC.Collect();
                long before = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                _ = ClusterPlanner.Assign(request);
                seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                bytes[r] = GC.GetAllocatedBytesForCurrentThread() - before;
            }

            long ffdStart = Stopwatch.GetTimestamp();
            BaselineResult ffd = Baselines.FirstFitDecreasing(request);
            double ffdSeconds = Stopwatch.GetElapsedTime(ffdStart).TotalSeconds;
            double median = seconds.Order().ElementAt(seconds.Length / 2);
            double rate = Vms / median;
            bool ok = rate >= target;
            met &= ok;
            Console.WriteLine($"| {name} | {rate:N0} | {median:F3} | {seconds.Max():F3} | {Harness.Bytes(bytes.Order().ElementAt(bytes.Length / 2))} | {result.NodesUsed:N0} | {result.Bound.Nodes:N0} | {result.NodeOf.Count(n => n < 0)} | " +
                $"{ffd.NodesUsed:N0} | {ffdSeconds:F3} | >= {target:N0}/s: {Harness.MetOrMissed(ok)} |");
        }

        return broken ? Verdict.Broken : met ? Verdict.Met : Verdict.Missed;
    }
}
