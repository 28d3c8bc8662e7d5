using System.Net;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The exporter keeps the alert transitions it logs in the history (schema 2), with the sweep they happened at, so
/// that <c>report</c> can list the alerts raised. A fake sweeper scripts the figures.
/// </summary>
public sealed class ExporterHistoryAlertsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-exporter-alerts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Raised_and_cleared_alerts_are_logged_and_kept_in_the_history()
    {
        // Given a domain whose vCPU waits 20 % of each interval for three intervals, then not at all, and whose QEMU
        // uses its guest's size again outside guest RAM throughout, judged with a 2 s hold (on the sweeps' clock: sweep n
        // is n seconds in) and no clear margin
        var log = new StringWriter();
        using (HistoryStore history = HistoryStore.Open(Path.Combine(_dir, "history.db")))
        {
            var options = new ExporterOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Interval = TimeSpan.FromMilliseconds(20),
                History = history,
                Thresholds = AlertThresholds.Default with { HoldFor = TimeSpan.FromSeconds(2), ClearMarginPercent = 0 },
            };
            await using (MetricsExporter exporter = MetricsExporter.Start(options, () => new ScriptedSweeper(), TextWriter.Synchronized(log)))
            {
                // When it has swept six times (five intervals)
                await exporter.WaitForSweepsAsync(6, Timeout);
            }

            // Then the history holds the transitions the log shows, in its order: both alerts raised at the sweep 2 s
            // after the first interval that crossed (sweep 3), the ready one cleared at the first quiet interval (sweep 4)
            List<string> kept = [.. history.ReadAlerts(DateTimeOffset.UnixEpoch).Select(a => $"{a.Change} {a.Alert.Subject} {a.Alert.Metric} {a.Alert.Severity}")];
            Assert.Equal(["Raised web1 vcpu 0 ready Critical", "Raised web1 memory_overhead Warning", "Cleared web1 vcpu 0 ready Critical"], kept.Take(3));
            List<DateTimeOffset> at = [.. history.ReadAlerts(DateTimeOffset.UnixEpoch).Select(a => a.At)];
            HistoryRows sweeps = history.Read(DateTimeOffset.UnixEpoch);
            List<DateTimeOffset> appended = [.. sweeps.Domains.Select(d => d.At).Distinct().Order()];
            Assert.Equal([appended[2], appended[2], appended[3]], at.Take(3));
            // (log lines are "TIME alert raised: ..." and "TIME alert cleared: ...")
            Assert.Equal(kept.Count, log.ToString().Split('\n').Count(l => l.Contains(" alert raised: ", StringComparison.Ordinal) || l.Contains(" alert cleared: ", StringComparison.Ordinal)));

            // and each transition at the time of a sweep that was appended
            HistoryRows rows = history.Read(DateTimeOffset.UnixEpoch);
            Assert.All(rows.Alerts, a => Assert.Contains(rows.Domains, d => d.At == a.At));
        }
    }

    [Fact]
    public async Task A_history_damaged_under_a_running_exporter_is_noticed_and_a_fresh_file_takes_over()
    {
        // Given an exporter appending to a history every 20 ms
        string path = Path.Combine(_dir, "history.db");
        var log = new StringWriter();
        using HistoryStore history = HistoryStore.Open(path);
        var options = new ExporterOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Interval = TimeSpan.FromMilliseconds(20), History = history };
        await using MetricsExporter exporter = MetricsExporter.Start(options, () => new ScriptedSweeper(), TextWriter.Synchronized(log));
        await exporter.WaitForSweepsAsync(5, Timeout);

        // When the file is damaged under it: its WAL checkpointed into it, then every page after the first overwritten
        Damage(path);
        for (int n = 0; n < 500 && exporter.Status.HistoryProblem is null; n++)
        {
            await exporter.WaitForSweepsAsync(exporter.Status.Sweeps + 1, Timeout);
        }

        // Then the exporter says so (log, /healthz), and sweeps go on into a fresh file beside the damaged one
        string problem = exporter.Status.HistoryProblem ?? throw new Xunit.Sdk.XunitException($"the damage went unnoticed:\n{log}");
        string fresh = Assert.Single(Directory.GetFiles(_dir, "history-*.db"));
        Assert.StartsWith($"history {path} is damaged (SQLite's quick_check: ", problem, StringComparison.Ordinal);
        Assert.EndsWith($"writing to {fresh} from now on", problem, StringComparison.Ordinal);
        Assert.Contains($"degraded: {problem}", log.ToString(), StringComparison.Ordinal);
        using var http = new HttpClient();
        using HttpResponseMessage healthz = await http.GetAsync(new Uri($"http://{exporter.Endpoint}/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, healthz.StatusCode);
        Assert.Equal($"degraded: {problem}\n", await healthz.Content.ReadAsStringAsync());
        await exporter.WaitForSweepsAsync(exporter.Status.Sweeps + 3, Timeout);
        using HistoryStore replacement = HistoryStore.OpenReadOnly(fresh);
        Assert.NotEmpty(replacement.Read(DateTimeOffset.UnixEpoch).Domains);
    }

    // The WAL checkpointed into the file through a connection of the test's own, then pages 2 and on overwritten.
    private static void Damage(string path)
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        file.Position = 4096;
        byte[] garbage = Enumerable.Repeat((byte)0x5A, (int)Math.Max(0, file.Length - 4096)).ToArray();
        file.Write(garbage);
        file.Flush(flushToDisk: true);
    }

    // Sweep n (from 0) is n seconds into the fake clock; the vCPU's run-queue wait grows 0.2 s a sweep until sweep 3.
    private sealed class ScriptedSweeper : IHostSweeper
    {
        private int _sweep;

        public SweepSample Sweep()
        {
            int n = _sweep++;
            ulong waitNs = (ulong)Math.Min(n, 3) * 200_000_000;
            var vcpu = new VcpuThread(0, 1001, new TaskSchedstat((ulong)n * 500_000_000, waitNs, (ulong)n));
            var domain = new DomainSample("web1", 1000, n * 1_000_000_000L, [vcpu], RssKiB: 2_097_152, GuestMemoryKiB: 1_048_576)
            {
                Memory = new QemuMemory(RssKiB: 2_097_152, GuestRamRssKiB: 1_048_576, GuestRamMappings: 1),
            };
            var host = new HostSample(n * 1_000_000_000L, new TcpSegmentCounters(0, 0), new PageReclaimCounters(0, 0), new Dictionary<PressureResource, PressureStall>());
            return new SweepSample([domain], host);
        }

        public void Dispose()
        {
        }
    }
}
