using System.Diagnostics;
using System.Globalization;
using System.Net;
using KvmConfig.Bench.Shared;

namespace KvmConfig.MonitorBench;

/// <summary>
/// The parent side of one exporter run of <c>serve-memory</c>: starts <see cref="ExporterChild"/>, keeps the tree moving,
/// scrapes it, watches its resident set, and collects its reports.
/// </summary>
/// <remarks>
/// A run has two phases. Normal operation, for the run's duration: one scrape per sweep interval, one request after the
/// other (Prometheus scraping every 10 s an exporter that sweeps every 10 s), VmRSS read every 500 ms; then the child
/// reports, its peak (VmHWM) being that of normal operation. Then a burst: the child's peak is reset
/// (<c>clear_refs</c>), 100 scrapes are sent at once, each on its own connection, as the exporter's tests do, and the
/// child reports the burst's peak.
/// </remarks>
internal static class ChildRun
{
    /// <summary>One run.</summary>
    /// <param name="Tree">The synthetic tree the child sweeps.</param>
    /// <param name="Domains">False: the child sweeps no domain (host files only).</param>
    /// <param name="History">The history file, or null for none.</param>
    /// <param name="VirtualStart">Where the child's compressed clock starts (just after the history's last sweep).</param>
    /// <param name="IntervalMs">The child's sweep interval.</param>
    /// <param name="Seconds">How long normal operation lasts after the child is ready.</param>
    /// <param name="Environment">Variables set for the child (GC settings to compare), as NAME=VALUE.</param>
    public sealed record Setup(SyntheticProcfs Tree, bool Domains, string? History, DateTimeOffset? VirtualStart, int IntervalMs, int Seconds, IReadOnlyList<string> Environment);

    /// <summary>What one run measured; memory in KiB as <c>/proc/PID/status</c> gives it.</summary>
    /// <param name="Normal">The child's report after normal operation.</param>
    /// <param name="Burst">The child's report after the burst (its <c>hwm_kib</c> is the burst's peak).</param>
    /// <param name="Scrapes">Sequential scrapes in normal operation.</param>
    /// <param name="ExpositionBytes">Size of the last sequential scrape's body.</param>
    /// <param name="ScrapeMedianMs">Median time of a sequential scrape, request to last byte.</param>
    /// <param name="ScrapeP90Ms">Its 90th percentile.</param>
    /// <param name="BurstOk">Scrapes of the burst answered 200.</param>
    /// <param name="SteadyRssKiB">Median VmRSS over the second half of normal operation.</param>
    /// <param name="MaxSampledRssKiB">Highest VmRSS read in normal operation.</param>
    /// <param name="LogLines">Lines the child wrote on stderr (the exporter's log).</param>
    /// <param name="Sweeps">Sweeps in normal operation (after READY).</param>
    /// <param name="CpuMsPerSweep">The child's CPU time in normal operation per sweep: sweeping, figures, history, alerts, rendering and serving the scrapes, GC.</param>
    /// <param name="AllocatedBytesPerSweep">Managed bytes the child allocated in normal operation per sweep.</param>
    public sealed record Result(
        ExporterChild.Report Normal, ExporterChild.Report Burst, int Scrapes, long ExpositionBytes, double ScrapeMedianMs, double ScrapeP90Ms, int BurstOk,
        double SteadyRssKiB, long MaxSampledRssKiB, int LogLines, int Sweeps, double CpuMsPerSweep, double AllocatedBytesPerSweep);

    // The vCPUs' schedstat files are rewritten this often, whatever the sweep interval: a sampler reading them sees rates
    // off by at most one period over its own interval, 40 % at a 250 ms interval.
    private static readonly TimeSpan RewriteEvery = TimeSpan.FromMilliseconds(100);

    // The schedstat values of the tree follow this clock across runs, so they only grow.
    private static readonly Stopwatch TreeClock = Stopwatch.StartNew();

    private const int Burst = 100;

    public static Result Run(Setup setup, Action<string> report, CancellationToken cancel)
    {
        using Process child = Start(setup);
        int logLines = 0;
        var firstLog = new List<string>();
        Task drain = Task.Run(() =>
        {
            while (child.StandardError.ReadLine() is { } line)
            {
                if (Interlocked.Increment(ref logLines) <= 3)
                {
                    firstLog.Add(line);
                }
            }
        });

        try
        {
            string[] ready = ReadLine(child, TimeSpan.FromSeconds(300), "READY").Split(' ');
            var endpoint = IPEndPoint.Parse(ready[1]);
            Dictionary<string, long> atReady = ready.Skip(2).Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
            string statusPath = $"/proc/{child.Id}/status";
            report($"child       pid {child.Id} ready on {endpoint}, VmRSS {Format.MiB(ExporterChild.Status(statusPath, "VmRSS:"))}");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            Task advance = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    setup.Tree.Advance(TreeClock.Elapsed, atomic: true);
                    await Task.Delay(RewriteEvery, stop.Token).ConfigureAwait(false);
                }
            });

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            var metrics = new Uri($"http://{endpoint}/metrics");
            var latencies = new List<double>();
            string lastBody = "";
            Task scrape = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    long begin = Stopwatch.GetTimestamp();
                    lastBody = await http.GetStringAsync(metrics, stop.Token).ConfigureAwait(false);
                    lock (latencies)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(begin).TotalMilliseconds);
                    }

                    await Task.Delay(setup.IntervalMs, stop.Token).ConfigureAwait(false);
                }
            });

            var rss = new List<(double Seconds, long KiB)>();
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < setup.Seconds)
            {
                cancel.ThrowIfCancellationRequested();
                if (scrape.IsFaulted || advance.IsFaulted)
                {
                    throw new BenchFailure($"scraping or rewriting the tree failed: {(scrape.Exception ?? advance.Exception)!.InnerException!.Message}");
                }

                rss.Add((clock.Elapsed.TotalSeconds, ExporterChild.Status(statusPath, "VmRSS:")));
                if (rss.Count % 30 == 0)
                {
                    report($"  {clock.Elapsed.TotalSeconds,5:F0} s    VmRSS {Format.MiB(rss[^1].KiB)}, {latencies.Count} scrapes");
                }

                Thread.Sleep(500);
            }

            stop.Cancel();
            foreach (Task task in new[] { advance, scrape })
            {
                try
                {
                    task.Wait(TimeSpan.FromSeconds(30));
                }
                catch (AggregateException e) when (e.InnerException is OperationCanceledException or TaskCanceledException)
                {
                }
            }

            ExporterChild.Report normal = Ask(child, "report");
            Ask(child, "reset-peak");
            int burstOk = BurstAsync(http, metrics).GetAwaiter().GetResult();
            ExporterChild.Report burst = Ask(child, "report");
            child.StandardInput.WriteLine("quit");
            if (!child.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                throw new BenchFailure("the exporter child did not exit within 30 s of 'quit'");
            }

            drain.Wait(TimeSpan.FromSeconds(5));
            CheckScrape(lastBody, setup.Domains ? setup.Tree.Domains.Count : 0);
            report($"child log   {logLines} lines on stderr{(firstLog.Count > 0 ? $", first: {string.Join(" | ", firstLog)}" : "")}");
            Summary scrapes = Summary.Of(latencies);
            int sweeps = normal.Sweeps - (int)atReady["sweeps"];
            return new Result(normal, burst, latencies.Count, lastBody.Length, scrapes.Median, scrapes.P90, burstOk,
                Summary.Of(rss.Where(r => r.Seconds >= setup.Seconds / 2.0).Select(r => (double)r.KiB)).Median, rss.Max(r => r.KiB), logLines,
                sweeps, (normal.CpuMs - atReady["cpu_ms"]) / sweeps, (normal.AllocatedBytes - atReady["allocated_bytes"]) / (double)sweeps);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
                child.WaitForExit();
            }
        }
    }

    private static Process Start(Setup setup)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath ?? throw new BenchFailure("no path to this process's executable"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // Started as `dotnet KvmConfig.MonitorBench.dll`, the executable is the dotnet host, which needs the assembly.
        if (Path.GetFileNameWithoutExtension(start.FileName) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ChildRun).Assembly.Location);
        }

        List<string> args = [ExporterChild.Mode, "--proc", setup.Tree.ProcRoot, "--run", setup.Tree.RunRoot, "--cgroup", setup.Tree.CgroupRoot,
            "--interval-ms", setup.IntervalMs.ToString(CultureInfo.InvariantCulture)];
        if (setup.Domains)
        {
            args.AddRange(["--manifest", setup.Tree.Manifest]);
        }

        if (setup.History is { } history)
        {
            args.AddRange(["--history", history, "--virtual-start-ms", setup.VirtualStart!.Value.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)]);
        }

        args.ForEach(start.ArgumentList.Add);
        foreach (string variable in setup.Environment)
        {
            string[] pair = variable.Split('=', 2);
            start.Environment[pair[0]] = pair[1];
        }

        return Process.Start(start) ?? throw new BenchFailure("cannot start the exporter child");
    }

    // Sends a command and parses its RESULT line (reset-peak answers an empty one).
    private static ExporterChild.Report Ask(Process child, string command)
    {
        child.StandardInput.WriteLine(command);
        return ExporterChild.Report.Parse(ReadLine(child, TimeSpan.FromSeconds(60), "RESULT"));
    }

    private static async Task<int> BurstAsync(HttpClient http, Uri metrics)
    {
        HttpStatusCode[] codes = await Task.WhenAll(Enumerable.Range(0, Burst).Select(async _ =>
        {
            using HttpResponseMessage response = await http.GetAsync(metrics).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            return response.StatusCode;
        })).ConfigureAwait(false);
        return codes.Count(c => c == HttpStatusCode.OK);
    }

    // The last scrape must expose every domain the child sweeps: kvmconfig_scrape_domains is their count.
    private static void CheckScrape(string body, int domains)
    {
        string? line = body.Split('\n').FirstOrDefault(l => l.StartsWith("kvmconfig_scrape_domains ", StringComparison.Ordinal));
        if (line is null || line["kvmconfig_scrape_domains ".Length..].Trim() != domains.ToString(CultureInfo.InvariantCulture))
        {
            throw new BenchFailure($"the last /metrics says '{line}', expected {domains} domains");
        }
    }

    // The child's next stdout line starting with PREFIX; anything else before it is a failure.
    private static string ReadLine(Process child, TimeSpan timeout, string prefix)
    {
        Task<string?> read = child.StandardOutput.ReadLineAsync();
        if (!read.Wait(timeout) || read.Result is not { } line)
        {
            throw new BenchFailure($"the exporter child did not print {prefix} within {timeout.TotalSeconds:F0} s{(child.HasExited ? $" (it exited {child.ExitCode})" : "")}");
        }

        return line == prefix || line.StartsWith(prefix + " ", StringComparison.Ordinal) ? line : throw new BenchFailure($"the exporter child printed '{line}', expected {prefix}");
    }
}
