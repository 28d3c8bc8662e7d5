using System.Net;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The exporter against a real libvirtd that is stopped (SIGTERM) and started again under it: what
/// <see cref="ExporterDegradedTests"/> shows with a fake daemon, here with <see cref="HostSweeper"/> on
/// <see cref="LibvirtMonitoredHost"/>, libvirt's close callback and the daemon's own sockets. Stopping the daemon would fail every other test that uses it, so these
/// carry the "Serial" trait (scripts/test.sh runs them after the others, alone) and hold <see cref="DaemonRestart"/>,
/// which always leaves the daemon running. Synchronisation is on the exporter's sweep outcomes, never on sleeps.
/// </summary>
[Trait("Category", "Serial")]
[Collection(DaemonRestart.Collection)]
public sealed class ServeDaemonRestartTests : IDisposable
{
    // libvirtd takes up to about 10 s to answer again after a start on the test machines; the backoff below adds < 1 s.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Stopping_and_restarting_libvirtd_while_serving_degrades_then_recovers_without_a_restart()
    {
        // Given an exporter that has swept the real daemon
        using DaemonRestart daemon = DaemonRestart.Acquire();
        var log = new StringWriter();
        await using MetricsExporter exporter = Start(log);
        await exporter.WaitForSweepsAsync(1, Timeout);
        await AssertHealthy(exporter);

        // When libvirtd stops under it, and a sweep (or connection) fails after that
        daemon.Stop();
        await NextFailure(exporter).WaitAsync(Timeout);

        // Then /healthz says degraded, /metrics still answers with kvmconfig_libvirt_up 0, and both loops run on
        await AssertDegraded(exporter);
        Assert.False(exporter.Completion.IsCompleted, $"the exporter's loops ended with the daemon: {exporter.Completion.Exception}");

        // When libvirtd starts again
        int sweeps = exporter.Status.Sweeps;
        daemon.Start();
        await exporter.WaitForSweepsAsync(sweeps + 1, Timeout);

        // Then the exporter reconnected by itself, and logged both changes
        await AssertHealthy(exporter);
        string lines = log.ToString();
        Assert.Contains(" degraded: ", lines, StringComparison.Ordinal);
        Assert.Contains("recovered: libvirt reachable again", lines, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_down_at_start_serve_starts_degraded_and_recovers_when_libvirtd_comes_up()
    {
        // Given libvirtd stopped
        using DaemonRestart daemon = DaemonRestart.Acquire();
        daemon.Stop();

        // When the exporter starts: no exception, the endpoint serves, and connections fail (they repeat every backoff)
        var log = new StringWriter();
        await using MetricsExporter exporter = Start(log);
        await NextFailure(exporter).WaitAsync(Timeout);

        // Then it is degraded from the start, with no sweep yet
        Assert.Equal(0, exporter.Status.Sweeps);
        await AssertDegraded(exporter);

        // When libvirtd comes up
        daemon.Start();
        await exporter.WaitForSweepsAsync(1, Timeout);

        // Then the exporter is healthy without a restart
        await AssertHealthy(exporter);
        Assert.Contains("recovered: libvirt reachable again", log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _http.Dispose();

    // A short interval and backoff, so that a stop is seen within a fraction of a second and a start within one.
    private static MetricsExporter Start(StringWriter log) => MetricsExporter.Start(
        new ExporterOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Interval = TimeSpan.FromMilliseconds(200),
            ReconnectInitial = TimeSpan.FromMilliseconds(100),
            ReconnectMax = TimeSpan.FromMilliseconds(500),
        },
        () => HostSweeper.Connect(LibvirtDaemon.Uri, SweepSource.Auto, LibvirtMonitoredHost.Open),
        TextWriter.Synchronized(log));

    // The next sweep (or connection) that fails. Subscribed once the daemon is down, so that a failure from before (a
    // sweep that raced another test's domain exit) cannot stand in for it; while the daemon is down they repeat every
    // backoff, so none that matters is missed.
    private static Task<SweepOutcome> NextFailure(MetricsExporter exporter)
    {
        var failed = new TaskCompletionSource<SweepOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSweep(SweepOutcome outcome)
        {
            if (!outcome.Succeeded && failed.TrySetResult(outcome))
            {
                exporter.SweepCompleted -= OnSweep;
            }
        }

        exporter.SweepCompleted += OnSweep;
        return failed.Task;
    }

    private async Task AssertHealthy(MetricsExporter exporter)
    {
        (HttpStatusCode health, string healthBody) = await Get(exporter, "healthz");
        Assert.True(health == HttpStatusCode.OK, $"/healthz {(int)health}: {healthBody}");
        Assert.Equal("ok\n", healthBody);
        Assert.Equal(1, await LibvirtUp(exporter));
    }

    private async Task AssertDegraded(MetricsExporter exporter)
    {
        (HttpStatusCode health, string healthBody) = await Get(exporter, "healthz");
        Assert.True(health == HttpStatusCode.ServiceUnavailable, $"/healthz {(int)health}: {healthBody}");
        Assert.StartsWith("degraded: ", healthBody, StringComparison.Ordinal);
        Assert.Equal(0, await LibvirtUp(exporter));
    }

    // kvmconfig_libvirt_up from a /metrics that must answer 200 and parse, whatever the daemon's state.
    private async Task<double> LibvirtUp(MetricsExporter exporter)
    {
        (HttpStatusCode status, string body) = await Get(exporter, "metrics");
        Assert.Equal(HttpStatusCode.OK, status);
        return Assert.Single(PrometheusTextParser.Family(body, "kvmconfig_libvirt_up").Samples).Value;
    }

    private async Task<(HttpStatusCode Status, string Body)> Get(MetricsExporter exporter, string path)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://{exporter.Endpoint}/{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}

/// <summary>Restart tests run one at a time, after this assembly's parallel tests: each stops the shared daemon.</summary>
[CollectionDefinition(DaemonRestart.Collection, DisableParallelization = true)]
public sealed class DaemonRestartCollection;
