using KvmConfig.Bench.Shared;
using System.Diagnostics;
using System.Globalization;

namespace KvmConfig.Bench;

/// <summary>
/// The parent side: generates the directory, runs one warm-up and then <c>runs</c> measurements of the baseline
/// and of <c>kvmconfig</c>, alternating, each in a fresh child process; prints the figures and the machine; exits
/// 1 when a target is missed, 2 when the harness itself fails.
/// </summary>
internal static class Harness
{
    // The issue's targets for 10,000 VM files against the 2-socket fixture.
    private const double TargetMedianMs = 1000;
    private const double TargetPeakRssMiB = 200;

    private const string Machine = "xeon-2s-4numa-snc-80cpu";

    private sealed record Options(int Vms, int Runs, int Seed, int PinnedPercent, bool Keep);

    private sealed record Result(IReadOnlyDictionary<string, string> Fields, double ProcessMs)
    {
        public double WallMs => Number("wall_ms");

        public double PeakRssMiB => Number("peak_rss_kib") / 1024;

        public double Number(string key) => double.Parse(Fields[key], CultureInfo.InvariantCulture);
    }

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } options)
        {
            Console.Error.WriteLine("usage: KvmConfig.Bench [--vms N] [--runs N] [--seed S] [--pinned PERCENT<=50] [--keep]");
            return 2;
        }

#if DEBUG
        Console.WriteLine("WARNING: Debug build; figures are not comparable. Run with -c Release.");
#endif
        string loadBefore = BenchMachine.LoadAverage();
        string root = RepositoryRoot();
        string sysRoot = Path.Combine(root, "tests", "data", "sysfs", Machine, "sys");
        string directory = Directory.CreateTempSubdirectory("kvmconfig-bench-").FullName;
        try
        {
            DirectoryGenerator.Mix mix = DirectoryGenerator.Write(directory, options.Vms, options.Seed, options.PinnedPercent);
            Console.WriteLine($"directory   {directory}");
            Console.WriteLine($"generated   00-cpu.conf + {mix.Vms} VM files, {mix.Bytes / 1024.0:F0} KiB, seed {options.Seed}: " +
                $"database {mix.Database}, web {mix.Web}, monitoring {mix.Monitoring}, no profile {mix.Plain}; " +
                $"explicit cpus {mix.ExplicitCpus} (--pinned {options.PinnedPercent}), auto {mix.Auto}, shared pool {mix.Shared}; mode 0755 {mix.Executable}, rest 0644");
            Console.WriteLine($"host        {sysRoot}");

            // Warm-up: page cache, dotnet's own files; results discarded.
            Measure("baseline", directory, sysRoot);
            Measure("kvmconfig", directory, sysRoot);
            Result phases = Measure("phases", directory, sysRoot);

            var baseline = new List<Result>();
            var check = new List<Result>();
            for (int i = 0; i < options.Runs; i++)
            {
                baseline.Add(Measure("baseline", directory, sysRoot));
                check.Add(Measure("kvmconfig", directory, sysRoot));
                Console.WriteLine($"run {i + 1}/{options.Runs}   baseline {baseline[^1].WallMs,7:F1} ms {baseline[^1].PeakRssMiB,6:F1} MiB   " +
                    $"kvmconfig {check[^1].WallMs,7:F1} ms {check[^1].PeakRssMiB,6:F1} MiB");
            }

            Result last = check[^1];
            Console.WriteLine();
            Console.WriteLine($"diagnostics {last.Fields["diagnostics"]} ({last.Fields["errors"]} errors, {last.Fields["warnings"]} warnings) for {last.Fields["vms"]} bound VMs");
            Console.WriteLine($"by rule     {last.Fields["codes"].Replace(",", ", ", StringComparison.Ordinal)}");
            Console.WriteLine($"phases      read+parse {phases.Fields["read_parse_ms"]} ms, bind {phases.Fields["bind_ms"]} ms, rules {phases.Fields["rules_ms"]} ms (one cold run); host read {last.Fields["host_ms"]} ms (not in the figure)");
            Console.WriteLine();
            Console.WriteLine($"| Measurement ({options.Vms:N0} VM files, {options.Runs} runs after 1 warm-up) | Median wall | Max wall | Median peak RSS | Max peak RSS | Median process wall | Allocated |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Row("baseline: list + sort + File.ReadAllBytes", baseline);
            Row("kvmconfig: DeclarationCheck.Run (read, parse, bind, rules)", check);
            Console.WriteLine();
            BenchMachine.Print();
            Console.WriteLine($"load        {loadBefore} before, {BenchMachine.LoadAverage()} after (1, 5, 15 min; other work on the machine shows here)");

            double median = Median(check.Select(r => r.WallMs));
            double peak = check.Max(r => r.PeakRssMiB);
            bool met = median <= TargetMedianMs && peak <= TargetPeakRssMiB;
            Console.WriteLine();
            Console.WriteLine($"target      median <= {TargetMedianMs} ms: {median:F1} ms {(median <= TargetMedianMs ? "met" : "MISSED")}; " +
                $"peak RSS <= {TargetPeakRssMiB} MiB (every run): {peak:F1} MiB {(peak <= TargetPeakRssMiB ? "met" : "MISSED")}");
            return met ? 0 : 1;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"bench failed: {e.Message}");
            return 2;
        }
        finally
        {
            if (options.Keep)
            {
                Console.WriteLine($"kept        {directory}");
            }
            else
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static Options? Parse(string[] args)
    {
        var options = new Options(Vms: 10_000, Runs: 5, Seed: 20261126, PinnedPercent: 5, Keep: false);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keep":
                    options = options with { Keep = true };
                    break;
                case "--vms" or "--runs" or "--seed" or "--pinned" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int n) && n >= 0:
                    Options? next = args[i] switch
                    {
                        "--vms" when n > 0 => options with { Vms = n },
                        "--runs" when n > 0 => options with { Runs = n },
                        "--seed" => options with { Seed = n },
                        "--pinned" when n <= 50 => options with { PinnedPercent = n },
                        _ => null,
                    };
                    if (next is null)
                    {
                        return null;
                    }

                    options = next;
                    i++;
                    break;
                default:
                    return null;
            }
        }

        return options;
    }

    private static void Row(string label, List<Result> results) =>
        Console.WriteLine($"| {label} | {Median(results.Select(r => r.WallMs)):F1} ms | {results.Max(r => r.WallMs):F1} ms | " +
            $"{Median(results.Select(r => r.PeakRssMiB)):F1} MiB | {results.Max(r => r.PeakRssMiB):F1} MiB | " +
            $"{Median(results.Select(r => r.ProcessMs)):F0} ms | {Median(results.Select(r => r.Number("allocated_bytes"))) / (1024 * 1024):F0} MiB |");

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    // One child process: this program again with --measure. Under `dotnet run` the process is the apphost;
    // under `dotnet KvmConfig.Bench.dll` it is dotnet, which needs the assembly path first.
    private static Result Measure(string mode, string directory, string sysRoot)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running");
        var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Harness).Assembly.Location);
        }

        foreach (string arg in (string[])["--measure", mode, directory, sysRoot])
        {
            start.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using Process child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {self}");
        Task<string> stderr = child.StandardError.ReadToEndAsync();
        string stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        clock.Stop();
        string line = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"measurement '{mode}' exited {child.ExitCode} without a result: {stderr.Result}{stdout}");
        var fields = line["RESULT ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(f => f.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        return new Result(fields, clock.Elapsed.TotalMilliseconds);
    }

    private static string RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "KvmConfig.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("KvmConfig.slnx not found above the bench's directory or the current one");
    }
}
