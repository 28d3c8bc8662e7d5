using System.Diagnostics;
using System.Globalization;
using KvmConfig.Bench.Shared;

namespace KvmConfig.ClusterBench;

/// <summary>How a part ended: every target met, some missed, or a result that cannot be believed.</summary>
internal enum Verdict
{
    Met = 0,
    Missed = 1,
    Broken = 2,
}

/// <summary>The command line: which parts, the seed, and item 1's size and time limit.</summary>
/// <param name="Parts">Parts to run, in the order they run.</param>
/// <param name="Seed">Every generator's seed derives from it.</param>
/// <param name="Instances">Item 1's instance count.</param>
/// <param name="ExactSeconds">Item 1's CP-SAT time limit per instance.</param>
/// <param name="Runs">Timed runs of item 3 (median reported).</param>
internal sealed record Options(IReadOnlyList<string> Parts, int Seed, int Instances, double ExactSeconds, int Runs);

/// <summary>Parses the options, prints the machine, runs the parts, and turns their verdicts into the exit code.</summary>
internal static class Harness
{
    // The whole plan first: its peak working set is the process's, so it runs before the other parts have grown it.
    private static readonly string[] AllParts = ["whole", "speed", "large", "small"];

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } options)
        {
            Console.Error.WriteLine("usage: KvmConfig.ClusterBench [--part small|large|speed|whole|all] [--seed S] [--instances N] [--exact-seconds S] [--runs N]");
            return 2;
        }

#if DEBUG
        Console.WriteLine("WARNING: Debug build; figures are not comparable. Run with -c Release.");
#endif
        BenchMachine.Print();
        Console.WriteLine($"load        {BenchMachine.LoadAverage()} (1, 5, 15 min) before the run");
        Console.WriteLine($"command     KvmConfig.ClusterBench {string.Join(' ', args)}");
        Console.WriteLine($"options     parts {string.Join(", ", options.Parts)}; seed {options.Seed}; small: {options.Instances} instances, CP-SAT {options.ExactSeconds:0.##} s each on 2 workers; speed: median of {options.Runs} runs");

        var verdicts = new List<(string Part, Verdict Verdict)>();
        long start = Stopwatch.GetTimestamp();
        foreach (string part in options.Parts)
        {
            Console.WriteLine();
            long partStart = Stopwatch.GetTimestamp();
            Verdict verdict = part switch
            {
                "small" => SmallPart.Run(options),
                "large" => LargePart.Run(options),
                "speed" => SpeedPart.Run(options),
                _ => WholePart.Run(options),
            };
            Console.WriteLine($"part {part}: {Describe(verdict)} in {Stopwatch.GetElapsedTime(partStart).TotalSeconds:F0} s");
            verdicts.Add((part, verdict));
        }

        Verdict worst = verdicts.Count == 0 ? Verdict.Met : verdicts.Max(v => v.Verdict);
        Console.WriteLine();
        Console.WriteLine($"summary     {string.Join("; ", verdicts.Select(v => $"{v.Part} {Describe(v.Verdict)}"))}; {Stopwatch.GetElapsedTime(start).TotalSeconds:F0} s in all; load {BenchMachine.LoadAverage()} after; exit {(int)worst}");
        return (int)worst;
    }

    public static string Describe(Verdict verdict) => verdict switch
    {
        Verdict.Met => "every target met",
        Verdict.Missed => "some target MISSED",
        _ => "BROKEN result",
    };

    /// <summary>Prints each breach and says whether there was any.</summary>
    public static bool Report(IReadOnlyList<string> breaches)
    {
        foreach (string breach in breaches.Take(20))
        {
            Console.WriteLine($"BREACH      {breach}");
        }

        if (breaches.Count > 20)
        {
            Console.WriteLine($"BREACH      ... and {breaches.Count - 20} more");
        }

        return breaches.Count > 0;
    }

    public static string Bytes(double bytes) =>
        bytes >= 1024L * 1024 * 1024 ? $"{bytes / (1024.0 * 1024 * 1024):F2} GiB" : $"{bytes / (1024.0 * 1024):F0} MiB";

    public static string MetOrMissed(bool met) => met ? "met" : "MISSED";

    private static Options? Parse(string[] args)
    {
        var options = new Options(AllParts, Seed: 20261206, Instances: 200, ExactSeconds: 2, Runs: 3);
        for (int i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                return null;
            }

            string value = args[++i];
            bool number = int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n > 0;
            bool seconds = double.TryParse(value, CultureInfo.InvariantCulture, out double s) && s > 0;
            Options? next = args[i - 1] switch
            {
                "--part" when value == "all" => options with { Parts = AllParts },
                "--part" when AllParts.Contains(value) => options with { Parts = [value] },
                "--seed" when number => options with { Seed = n },
                "--instances" when number => options with { Instances = n },
                "--exact-seconds" when seconds => options with { ExactSeconds = s },
                "--runs" when number => options with { Runs = n },
                _ => null,
            };
            if (next is null)
            {
                return null;
            }

            options = next;
        }

        return options;
    }
}
