using System.Globalization;
using KvmConfig.Bench.Shared;
using KvmConfig.Core;

namespace KvmConfig.MonitorBench;

/// <summary>
/// Part 3, <c>serve-memory</c>: the resident memory of <c>kvmconfig serve</c>'s engine with 200 domains sampled and 7
/// days of history kept.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Generate the synthetic tree of part 2 (200 QEMU processes x 4 vCPUs).</item>
/// <item>Fill a history with 7 days x 8,640 sweeps x 200 domains (<see cref="HistoryFill"/>), timing it, and report its
/// size. <c>--history FILE</c> keeps the file for the next run, which then reuses it.</item>
/// <item>Run the exporter in a child process (<see cref="ExporterChild"/>) three times, each for the same duration: with
/// no domain and no history (the baseline: the runtime's and the exporter's floor), with the 200 domains and no history,
/// and with the 200 domains and the history. With the history the sweep interval (250 ms) stands for the exporter's
/// 10 s, on a clock running 40 x fast (<see cref="CompressedTime"/>): each sweep's row is 10 s after the last, and the
/// hourly prune of the history deletes an hour of the oldest sweeps every 90 s, so a 150 s run appends, prunes and
/// renders what 100 minutes of <c>serve</c> would.</item>
/// <item>Meanwhile the parent rewrites the vCPUs' schedstat files every 100 ms (atomically: the child reads them at the
/// same time), scrapes <c>/metrics</c> over loopback once per interval, and reads the child's <c>VmRSS</c> every
/// 500 ms (<see cref="ChildRun"/>).</item>
/// <item>At the end the child reports <c>VmHWM</c> (its peak), then collects its garbage and reports <c>VmRSS</c> after
/// the collection. Then the peak is reset and 100 scrapes are sent at once, and the burst's peak is reported apart.</item>
/// </list>
/// The target is on the last run's peak in normal operation: <c>VmHWM</c> at most 100 MiB, with no failed sweep.
/// </remarks>
internal static class ServeMemoryBench
{
    private const double TargetMiB = 100;

    public static int Run(string[] args)
    {
        if (Options.Parse(args,
                [("--domains", 200, 1, 5000), ("--vcpus", 4, 1, 16), ("--days", 7, 1, 366), ("--duration-s", 150, 5, 86_400), ("--interval-ms", 250, 10, 600_000), ("--seed", 20261128, 0, int.MaxValue)],
                ["--keep"], ["--history", "--child-env"]) is not { } options
            || options.Text("--child-env")?.Split(',').Any(v => !v.Contains('=', StringComparison.Ordinal)) == true)
        {
            Console.Error.WriteLine("usage: KvmConfig.MonitorBench serve-memory [--domains N (200)] [--vcpus N (4)] [--days N (7)] [--duration-s N (150)] [--interval-ms N (250)] [--history FILE] [--child-env NAME=VALUE,...] [--seed S] [--keep]");
            return 2;
        }

        using var cancel = Interrupt.Create();
        string loadBefore = BenchMachine.LoadAverage();
        string root = Directory.CreateTempSubdirectory("kvmconfig-monitorbench-").FullName;
        try
        {
            SyntheticProcfs tree = SyntheticProcfs.Create(Path.Combine(root, "tree"), options["--domains"], options["--vcpus"], options["--seed"]);
            Console.WriteLine($"tree        {tree.Root}: {tree.Domains.Count} QEMU processes x {options["--vcpus"]} vCPUs, seed {options["--seed"]} ({BenchLibvirt.FileSystem(root)})");

            // 1. The history: filled now, or reused from an earlier run's --history FILE.
            string history = options.Text("--history") is { } given ? Path.GetFullPath(given) : Path.Combine(root, "history.db");
            int days = options["--days"];
            if (File.Exists(history))
            {
                Console.WriteLine($"history     {history} exists: reused as it is (delete it to fill a new one)");
            }
            else
            {
                Console.WriteLine($"history     filling {history}: {days} days x {HistoryFill.SweepsPerDay} sweeps x {tree.Domains.Count} domains, one Append (transaction) per sweep");
                (int sweeps, TimeSpan took) = (0, TimeSpan.Zero);
                try
                {
                    (sweeps, took) = HistoryFill.Fill(history, tree.Domains, days, DateTimeOffset.UtcNow, options["--seed"], Console.WriteLine, cancel.Token);
                }
                catch
                {
                    // A history filled halfway would be reused as it is by the next run with the same --history FILE.
                    foreach (string file in (string[])[history, history + "-wal", history + "-shm"])
                    {
                        File.Delete(file);
                    }

                    throw;
                }

                Console.WriteLine($"history     {sweeps} sweeps ({(long)sweeps * tree.Domains.Count:N0} domain rows) appended in {took.TotalSeconds:F0} s: " +
                    $"{took.TotalMilliseconds / sweeps:F2} ms per sweep of {tree.Domains.Count} domains");
            }

            HistoryContent content = HistoryFill.Content(history);
            long bytes = new FileInfo(history).Length + (File.Exists(history + "-wal") ? new FileInfo(history + "-wal").Length : 0);
            double spanDays = (content.Last - content.First).TotalDays;
            Console.WriteLine($"history     {Format.Bytes(bytes)} for {content.Sweeps:N0} sweeps and {content.DomainRows:N0} domain rows over {spanDays:F2} days: " +
                $"{Format.Bytes(bytes / (double)content.DomainRows)} per domain row, {Format.Bytes(bytes / (tree.Domains.Count * spanDays))} per domain per day");

            // 2. The exporter, three times, each as long.
            int duration = options["--duration-s"];
            int interval = options["--interval-ms"];
            double speed = HistoryFill.Cadence.TotalMilliseconds / interval;
            string[] environment = options.Text("--child-env")?.Split(',') ?? [];
            Console.WriteLine($"child env   {(environment.Length > 0 ? string.Join(' ', environment) : "none (the runtime's defaults)")}");
            var runs = new List<(string Label, ChildRun.Result Result)>();
            var baseline = new ChildRun.Setup(tree, Domains: false, History: null, VirtualStart: null, interval, duration, environment);
            var noHistory = baseline with { Domains = true };
            var full = noHistory with { History = history, VirtualStart = content.Last + HistoryFill.Cadence };
            foreach ((string label, ChildRun.Setup setup) in new[]
            {
                ("baseline: exporter, no domain, no history", baseline),
                ($"exporter, {tree.Domains.Count} domains x {options["--vcpus"]} vCPUs, no history", noHistory),
                ($"**exporter, {tree.Domains.Count} domains x {options["--vcpus"]} vCPUs, {days}-day history**", full),
            })
            {
                Console.WriteLine();
                Console.WriteLine($"run         {label.Trim('*')}: {setup.Seconds} s, a sweep every {interval} ms" +
                    (setup.History is null ? "" : $" standing for {HistoryFill.Cadence.TotalSeconds:F0} s (clock {speed:F0} x fast: history prune every {3600 / speed:F0} s)"));
                runs.Add((label, ChildRun.Run(setup, Console.WriteLine, cancel.Token)));
            }

            string loadAfter = BenchMachine.LoadAverage();
            Console.WriteLine();
            Console.WriteLine($"| Exporter in a child process, sweeping a synthetic /proc every {interval} ms, scraped over loopback once per sweep ({duration} s, same run) " +
                "| Sweeps | Allocated per sweep | Exposition (last scrape) | VmRSS steady (median of 2nd half) | VmRSS after full GC | **VmHWM, normal scraping** | VmHWM, 100 concurrent scrapes | GC heap after GC / committed | Child CPU per sweep (sweep, figures, history, alerts, render, scrape, GC) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach ((string label, ChildRun.Result r) in runs)
            {
                ExporterChild.Report n = r.Normal;
                Console.WriteLine($"| {label} | {r.Sweeps} | {Format.Bytes(r.AllocatedBytesPerSweep)} | {Format.Bytes(r.ExpositionBytes)} | {Format.MiB(r.SteadyRssKiB)} | " +
                    $"{Format.MiB(n.RssAfterGcKiB)} | **{Format.MiB(n.HwmKiB)}** | {Format.MiB(r.Burst.HwmKiB)} | {Format.Bytes(n.HeapBytes)} / {Format.Bytes(n.CommittedBytes)} | " +
                    $"{Format.Ms(r.CpuMsPerSweep)} |");
            }

            ChildRun.Result last = runs[^1].Result;
            Console.WriteLine();
            Console.WriteLine($"scrapes     last run: {last.Scrapes} sequential, median {Format.Ms(last.ScrapeMedianMs)}, p90 {Format.Ms(last.ScrapeP90Ms)} per /metrics; {last.BurstOk}/100 of the burst answered 200");
            Console.WriteLine($"gc          {string.Join("; ", runs.Select(r => $"{r.Result.Normal.Gcs} collections ({r.Result.Normal.Gen2} full)"))}");
            Console.WriteLine($"log         {string.Join("; ", runs.Select(r => $"{r.Result.LogLines} lines"))} on the children's stderr (alert transitions, history errors)");
            Console.WriteLine($"history     after the last run: {Format.Bytes(new FileInfo(history).Length + (File.Exists(history + "-wal") ? new FileInfo(history + "-wal").Length : 0))} (file + WAL)");
            Console.WriteLine();
            BenchMachine.Print();
            Console.WriteLine($"cache       {L3Cache()} per CPU as this machine reports it (the GC sizes its youngest generation's budget from the largest cache)");
            Console.WriteLine($"load        {loadBefore} before, {loadAfter} after (1, 5, 15 min; other work on the machine shows here)");
            Console.WriteLine();
            int failedSweeps = runs.Sum(r => r.Result.Normal.Failed);
            bool met = last.Normal.HwmKiB <= TargetMiB * 1024 && failedSweeps == 0;
            Console.WriteLine($"target      exporter peak VmHWM <= {TargetMiB:F0} MiB with {tree.Domains.Count} domains and {days} days of history: {Format.MiB(last.Normal.HwmKiB)} " +
                $"(steady {Format.MiB(last.SteadyRssKiB)}, after GC {Format.MiB(last.Normal.RssAfterGcKiB)}; baseline peak {Format.MiB(runs[0].Result.Normal.HwmKiB)}) {(met ? "met" : "MISSED")}" +
                (failedSweeps > 0 ? $"; {failedSweeps} sweeps failed" : ""));
            return met ? 0 : 1;
        }
        catch (Exception e) when (e is BenchFailure or KvmConfigException or IOException or OperationCanceledException or HttpRequestException or AggregateException)
        {
            Console.Error.WriteLine($"bench failed: {e.Message}");
            return 2;
        }
        finally
        {
            if (options.Has("--keep"))
            {
                Console.WriteLine($"kept        {root}");
            }
            else
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    // The size of the highest cache level in sysfs (on x86 the L3, index3), as the runtime reads it.
    private static string L3Cache()
    {
        string dir = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(dir))
        {
            return "unknown";
        }

        return Directory.GetDirectories(dir, "index*")
            .Where(d => File.Exists(Path.Combine(d, "level")) && File.Exists(Path.Combine(d, "size")))
            .Select(d => (Level: int.Parse(File.ReadAllText(Path.Combine(d, "level")).Trim(), CultureInfo.InvariantCulture), Size: File.ReadAllText(Path.Combine(d, "size")).Trim()))
            .OrderBy(c => c.Level)
            .Select(c => $"L{c.Level} {c.Size}")
            .LastOrDefault() ?? "unknown";
    }
}
