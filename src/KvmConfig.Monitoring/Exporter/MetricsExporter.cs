using System.Net;
using System.Text;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Prometheus;
using KvmConfig.Monitoring.Sweeping;
using Microsoft.AspNetCore.Builder;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>The exporter's state after its last sweep, replaced as a whole (readers never see half of one).</summary>
/// <param name="Latest">The last successful sweep, or null before the first.</param>
/// <param name="Figures">The figures between the last two successful sweeps of one connection, or null.</param>
/// <param name="Host">The host's gauges over that interval, or null.</param>
/// <param name="Sweeps">Successful sweeps since start.</param>
/// <param name="Degraded">Why the last sweep failed (libvirt unreachable), or null when it succeeded.</param>
public sealed record ExporterStatus(SweepSample? Latest, SweepFigures? Figures, HostGauges? Host, int Sweeps, string? Degraded)
{
    /// <summary>True when the last sweep succeeded and the history (if any) is sound.</summary>
    public bool Healthy => Sweeps > 0 && Degraded is null && HistoryProblem is null;

    /// <summary>
    /// Why the history file given at start is no longer written (found damaged; a fresh one beside it is written
    /// instead), or null. It stays until the exporter restarts: someone should look at the damaged file.
    /// </summary>
    public string? HistoryProblem { get; init; }

    // The exposition of Latest, rendered once per sweep rather than once per scrape.
    internal byte[] Metrics { get; init; } = [];
}

/// <summary>One sweep's outcome, as <see cref="MetricsExporter.SweepCompleted"/> reports it.</summary>
/// <param name="Succeeded">False when the sweep (or the connection before it) failed.</param>
/// <param name="Status">The status published after it.</param>
public sealed record SweepOutcome(bool Succeeded, ExporterStatus Status);

/// <summary>
/// <c>kvmconfig serve</c>'s engine: a background loop that sweeps the host every interval, and an HTTP/1.1 endpoint on
/// one address serving <c>GET /metrics</c> (the Prometheus exposition of the last sweep) and <c>GET /healthz</c>.
/// </summary>
/// <remarks>
/// <para>
/// Sampling: one sweep per <see cref="ExporterOptions.Interval"/>. From the second sweep of a connection on, the
/// interval's figures are appended to the history (when there is one), compared with the thresholds (crossings and
/// clearings logged, one line each), and the history is pruned to its retention once per
/// <see cref="ExporterOptions.PruneEvery"/>. A failed sweep or connection marks the exporter degraded, drops the
/// connection, and retries after 1 s, 2 s, 4 s ... up to 30 s; the next success clears it. Nothing a sweep throws ends
/// the loop.
/// </para>
/// <para>
/// HTTP: ASP.NET Core's Kestrel, HTTP/1.1 only, with the limits of <c>MetricsExporter.Http.cs</c> (a client that does
/// not send its request head in 5 s is dropped; heads over 8 KiB and any body are refused), GET and HEAD of
/// <c>/metrics</c> and <c>/healthz</c>. A hand-written server once held every half-open connection until the
/// process ran out of heap.
/// </para>
/// </remarks>
public sealed partial class MetricsExporter : IAsyncDisposable
{
    private readonly ExporterOptions _options;
    private readonly Func<IHostSweeper> _connect;
    private readonly TextWriter _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _logGate = new();
    private volatile ExporterStatus _status;
    private readonly BasicAuthUsers _users;
    private WebApplication? _web;

    // The history written now: the one given, or the fresh file that replaced it once it was found damaged (owned here).
    private HistoryStore? _history;
    private HistoryStore? _replacement;
    private string? _historyProblem;
    private int _sweepsSinceCheck;
    private double _sweepMs = 1;
    private Task _sampling = Task.CompletedTask;

    private MetricsExporter(ExporterOptions options, Func<IHostSweeper> connect, TextWriter log)
    {
        _options = options;
        _connect = connect;
        _log = log;
        _status = new ExporterStatus(null, null, null, 0, null) { Metrics = Render(null, null, libvirtUp: false) };
        _users = new BasicAuthUsers(options.Web.BasicAuthUsers);
        _history = options.History;
        Endpoint = options.Listen;
    }

    /// <summary>Raised after every sweep (successful or not), once its status is published; handlers must be quick.</summary>
    public event Action<SweepOutcome>? SweepCompleted;

    /// <summary>The address the HTTP endpoint listens on (with the actual port when port 0 was asked for).</summary>
    public IPEndPoint Endpoint { get; private set; }

    /// <summary>The state after the last sweep.</summary>
    public ExporterStatus Status => _status;

    /// <summary>The sampling loop; faults only on a bug, never because libvirt or a client failed.</summary>
    public Task Completion => _sampling;

    /// <summary>
    /// Binds <see cref="ExporterOptions.Listen"/>, then starts the HTTP endpoint and the sampling loop (whose first
    /// connection is made by <paramref name="connect"/>, in the background: a daemon down at start means degraded, not
    /// an error). Throws <see cref="KvmConfigException"/> (<see cref="Rules.ListenUnavailable"/>) when the address cannot
    /// be bound; nothing is started then.
    /// </summary>
    /// <param name="options">Address, interval, thresholds, history.</param>
    /// <param name="connect">Opens a sweeper of the host; called again after each failure.</param>
    /// <param name="log">Where alert transitions and connection changes are written, one line each.</param>
    public static MetricsExporter Start(ExporterOptions options, Func<IHostSweeper> connect, TextWriter log)
    {
        var exporter = new MetricsExporter(options, connect, log);
        exporter._web = Listen(options.Listen, options.Web, exporter.HandleAsync);
        exporter.Endpoint = BoundEndpoint(exporter._web, options.Listen);
        exporter._sampling = Task.Run(() => exporter.SampleAsync(exporter._stop.Token));
        return exporter;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> sweeps have succeeded since start; throws <see cref="TimeoutException"/>
    /// after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForSweepsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSweep(SweepOutcome outcome)
        {
            if (outcome.Status.Sweeps >= count)
            {
                reached.TrySetResult();
            }
        }

        SweepCompleted += OnSweep;
        try
        {
            if (_status.Sweeps >= count)
            {
                return;
            }

            await reached.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            SweepCompleted -= OnSweep;
        }
    }

    /// <summary>Stops listening and sampling and waits for both loops; the history is left to its owner.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        if (_web is not null)
        {
            await _web.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await _web.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _replacement?.Dispose();
        _stop.Dispose();
    }

    // The exposition of the latest sample plus kvmconfig_libvirt_up: 1 while sweeps succeed, 0 while the exporter is
    // degraded, so that Prometheus sees the outage (the domain series then hold the last good sample).
    private static byte[] Render(SweepSample? sample, HostGauges? host, bool libvirtUp = true)
    {
        var families = new List<MetricFamily>(MetricsExposition.Families(sample?.Domains ?? [], host, sample?.Host))
        {
            new("kvmconfig_libvirt_up", MetricType.Gauge, "1 when the last sweep reached libvirt, 0 while the exporter is degraded (the other series are then the last good sample).",
                [new MetricSample(libvirtUp ? 1 : 0)]),
        };
        return Encoding.UTF8.GetBytes(PrometheusTextWriter.Write(families.OrderBy(f => f.Name, StringComparer.Ordinal)));
    }

    private void Log(string line)
    {
        lock (_logGate)
        {
            try
            {
                _log.WriteLine($"{_options.Time.GetUtcNow():yyyy-MM-ddTHH:mm:ssZ} {line}");
                _log.Flush();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A closed stderr must not stop the exporter.
            }
        }
    }
}
