using System.Globalization;
using System.Net;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.History;

namespace KvmConfig.MonitorBench;

/// <summary>
/// The child side of <c>serve-memory</c>: <c>kvmconfig serve</c>'s engine (<see cref="MetricsExporter"/>) alone in a fresh
/// process, sweeping a synthetic tree through <see cref="SyntheticSweeper"/>, so that the process's resident set is the
/// exporter's and nothing of the harness (the tree's generation, the history fill, the scraping client).
/// </summary>
/// <remarks>
/// Protocol on the standard streams: after its first two sweeps the child prints <c>READY ADDRESS:PORT</c> with its sweeps,
/// CPU time and allocated bytes so far (start-up and JIT, which the per-sweep figures leave out); then it reads
/// commands, one a line: <c>report</c> reads VmRSS and VmHWM, collects the garbage (full, blocking, compacting) and prints
/// one <c>RESULT key=value ...</c> line (<see cref="Report"/>); <c>reset-peak</c> resets VmHWM and prints <c>RESULT</c>;
/// <c>quit</c> stops the exporter and exits 0. The exporter's log (alert transitions, history errors) goes to standard
/// error.
/// </remarks>
internal static class ExporterChild
{
    /// <summary>The hidden part name the parent starts the child with.</summary>
    public const string Mode = "exporter-child";

    public static async Task<int> RunAsync(string[] args)
    {
        if (Options.Parse(args, [("--interval-ms", 100, 1, 600_000)], [], ["--proc", "--run", "--cgroup", "--manifest", "--history", "--virtual-start-ms"]) is not { } options
            || options.Text("--proc") is not { } proc || options.Text("--run") is not { } run || options.Text("--cgroup") is not { } cgroup)
        {
            Console.Error.WriteLine($"usage: KvmConfig.MonitorBench {Mode} --proc DIR --run DIR --cgroup DIR [--manifest FILE] [--history FILE --virtual-start-ms MS] [--interval-ms N]");
            return 2;
        }

        IReadOnlyList<(string Name, long MemoryKiB)> domains = options.Text("--manifest") is { } manifest ? SyntheticProcfs.ReadManifest(manifest) : [];
        var interval = TimeSpan.FromMilliseconds(options["--interval-ms"]);
        TimeProvider time = options.Text("--virtual-start-ms") is { } startMs
            ? new CompressedTime(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(startMs, CultureInfo.InvariantCulture)), HistoryFill.Cadence / interval)
            : TimeProvider.System;
        using HistoryStore? history = options.Text("--history") is { } path ? HistoryStore.Open(path) : null;
        var exporterOptions = new ExporterOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Interval = interval,
            History = history,
            Time = time,
        };

        int failed = 0;
        await using MetricsExporter exporter = MetricsExporter.Start(exporterOptions, () => new SyntheticSweeper(domains, proc, run, cgroup, devices: true), Console.Error);
        exporter.SweepCompleted += outcome =>
        {
            if (!outcome.Succeeded)
            {
                Interlocked.Increment(ref failed);
            }
        };
        await exporter.WaitForSweepsAsync(2, TimeSpan.FromSeconds(120));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"READY {exporter.Endpoint} sweeps={exporter.Status.Sweeps} cpu_ms={CpuClock.Process().TotalMilliseconds:F0} allocated_bytes={GC.GetTotalAllocatedBytes()}"));
        while (Console.ReadLine() is { } command)
        {
            switch (command)
            {
                case "quit":
                    return 0;
                case "reset-peak":
                    // Linux 4.0+: writing 5 to clear_refs resets VmHWM to the current RSS.
                    File.WriteAllText("/proc/self/clear_refs", "5");
                    Console.WriteLine("RESULT");
                    break;
                case "report":
                    long rssBefore = Status("VmRSS:");
                    long hwm = Status("VmHWM:");
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GCMemoryInfo gc = GC.GetGCMemoryInfo();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"RESULT rss_kib={rssBefore} rss_after_gc_kib={Status("VmRSS:")} hwm_kib={hwm} heap_bytes={GC.GetTotalMemory(false)} " +
                        $"committed_bytes={gc.TotalCommittedBytes} sweeps={exporter.Status.Sweeps} failed={failed} cpu_ms={CpuClock.Process().TotalMilliseconds:F0} " +
                        $"allocated_bytes={GC.GetTotalAllocatedBytes()} gcs={GC.CollectionCount(0)} gen2={GC.CollectionCount(2)}"));
                    break;
                default:
                    Console.Error.WriteLine($"unknown command '{command}'");
                    break;
            }
        }

        return 0;
    }

    /// <summary>A <c>kB</c> field of <c>/proc/self/status</c> (<c>VmRSS:</c>, <c>VmHWM:</c>), in KiB.</summary>
    public static long Status(string field) => Status("/proc/self/status", field);

    /// <summary>A <c>kB</c> field of a process's status file, in KiB; -1 when the file or the field is gone.</summary>
    public static long Status(string path, string field)
    {
        try
        {
            //   VmRSS:	   42036 kB
            //   1     	   2     3      1 field name   2 value   3 unit (always kB)
            string? line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? -1 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>One <c>RESULT</c> line.</summary>
    /// <param name="RssKiB">VmRSS before the collection.</param>
    /// <param name="RssAfterGcKiB">VmRSS after it.</param>
    /// <param name="HwmKiB">VmHWM: the peak since start or since the last <c>reset-peak</c>.</param>
    /// <param name="HeapBytes">Live managed objects after the collection.</param>
    /// <param name="CommittedBytes">Memory the GC keeps committed after it (live objects and free space it holds).</param>
    /// <param name="Sweeps">Successful sweeps since start.</param>
    /// <param name="Failed">Failed sweeps since start.</param>
    /// <param name="CpuMs">The process's CPU time since start (getrusage).</param>
    /// <param name="AllocatedBytes">Managed bytes allocated since start.</param>
    /// <param name="Gcs">Collections since start (any generation).</param>
    /// <param name="Gen2">Full collections since start.</param>
    public sealed record Report(long RssKiB, long RssAfterGcKiB, long HwmKiB, long HeapBytes, long CommittedBytes, int Sweeps, int Failed, double CpuMs,
        long AllocatedBytes, int Gcs, int Gen2)
    {
        public static Report Parse(string line)
        {
            if (line == "RESULT")
            {
                return new Report(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
            }

            Dictionary<string, long> f = line.Split(' ').Skip(1).Select(p => p.Split('=', 2))
                .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
            return new Report(f["rss_kib"], f["rss_after_gc_kib"], f["hwm_kib"], f["heap_bytes"], f["committed_bytes"], (int)f["sweeps"], (int)f["failed"],
                f["cpu_ms"], f["allocated_bytes"], (int)f["gcs"], (int)f["gen2"]);
        }
    }
}
