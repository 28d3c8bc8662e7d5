using System.Net;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The exporter while its source is lost: a fake sweeper stands in for libvirtd (the real daemon is shared with
/// parallel tests and must not be restarted), and the test decides when the "daemon" is back.
/// </summary>
public sealed class ExporterDegradedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_daemon_down_at_start_is_degraded_on_healthz_then_recovers_without_a_restart()
    {
        // Given a "daemon" that refuses connections until the test lets it up
        var daemon = new FakeDaemon();
        var log = new StringWriter();
        await using MetricsExporter exporter = MetricsExporter.Start(Options(), daemon.Connect, TextWriter.Synchronized(log));
        using var http = new HttpClient();
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        exporter.SweepCompleted += outcome =>
        {
            if (!outcome.Succeeded)
            {
                failed.TrySetResult();
            }
        };

        // When a connection has failed
        await failed.Task.WaitAsync(Timeout);
        using HttpResponseMessage degraded = await http.GetAsync($"http://{exporter.Endpoint}/healthz");

        // then /healthz says why, and /metrics still answers
        Assert.Equal(HttpStatusCode.ServiceUnavailable, degraded.StatusCode);
        Assert.Equal($"degraded: {FakeDaemon.Down}\n", await degraded.Content.ReadAsStringAsync());
        using HttpResponseMessage metrics = await http.GetAsync($"http://{exporter.Endpoint}/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("\nkvmconfig_libvirt_up 0\n", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // When the daemon is back, the exporter reconnects by itself
        daemon.Up = true;
        await exporter.WaitForSweepsAsync(1, Timeout);
        using HttpResponseMessage healthy = await http.GetAsync($"http://{exporter.Endpoint}/healthz");

        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        using HttpResponseMessage back = await http.GetAsync($"http://{exporter.Endpoint}/metrics");
        Assert.Contains("\nkvmconfig_libvirt_up 1\n", await back.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        string lines = log.ToString();
        Assert.Contains($"degraded: {FakeDaemon.Down}; reconnecting", lines, StringComparison.Ordinal);
        Assert.Contains("recovered: libvirt reachable again", lines, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sweep_that_fails_mid_run_drops_the_connection_and_sweeps_again_on_a_new_one()
    {
        // Given a daemon that is up, then goes away once (as a libvirtd restart closes the connection)
        var daemon = new FakeDaemon { Up = true, FailSweep = 2 };
        await using MetricsExporter exporter = MetricsExporter.Start(Options(), daemon.Connect, TextWriter.Null);

        // When the exporter has swept past the failure
        await exporter.WaitForSweepsAsync(3, Timeout);

        // then it did so on a second connection, and the first one was disposed
        Assert.Equal(2, daemon.Connections);
        Assert.Equal(1, daemon.Disposed);
        Assert.True(exporter.Status.Healthy);
    }

    private static ExporterOptions Options() => new()
    {
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Interval = TimeSpan.FromMilliseconds(50),
        ReconnectInitial = TimeSpan.FromMilliseconds(20),
        ReconnectMax = TimeSpan.FromMilliseconds(100),
    };

    private sealed class FakeDaemon
    {
        public const string Down = "cannot connect to qemu:///system: no such file (fake)";

        private int _sweeps;
        private int _connections;
        private int _disposed;

        public volatile bool Up;

        // The sweep number (1-based, over all connections) that throws as a lost connection would; 0: none.
        public int FailSweep { get; init; }

        public int Connections => _connections;

        public int Disposed => _disposed;

        public IHostSweeper Connect()
        {
            if (!Up)
            {
                throw new KvmConfigException(Rules.LibvirtUnavailable, Down);
            }

            Interlocked.Increment(ref _connections);
            return new Sweeper(this);
        }

        private sealed class Sweeper(FakeDaemon daemon) : IHostSweeper
        {
            public SweepSample Sweep()
            {
                if (Interlocked.Increment(ref daemon._sweeps) == daemon.FailSweep)
                {
                    throw new KvmConfigException(Rules.LibvirtUnavailable, "the connection was closed (fake)");
                }

                var host = new HostSample(LocalSampler.NowNs(), new TcpSegmentCounters(0, 0), new PageReclaimCounters(0, 0),
                    new Dictionary<PressureResource, PressureStall>());
                return new SweepSample([], host);
            }

            public void Dispose() => Interlocked.Increment(ref daemon._disposed);
        }
    }
}
