using System.Net;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>How a <see cref="MetricsExporter"/> listens, samples, keeps history and reconnects.</summary>
public sealed record ExporterOptions
{
    /// <summary>The default <c>--listen</c> address: loopback only, never all interfaces unless the user says so.</summary>
    public static readonly IPEndPoint DefaultListen = new(IPAddress.Loopback, 9477);

    /// <summary>Where the HTTP endpoint listens; port 0 picks a free port (<see cref="MetricsExporter.Endpoint"/> says which).</summary>
    public IPEndPoint Listen { get; init; } = DefaultListen;

    /// <summary>TLS and basic authentication for the endpoint (<see cref="WebConfig.Load"/>); none by default.</summary>
    public WebConfig Web { get; init; } = WebConfig.None;

    /// <summary>Time between sweeps; figures and alerts are averages over it.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The <c>[alerts]</c> thresholds whose crossings and clearings are logged.</summary>
    public AlertThresholds Thresholds { get; init; } = AlertThresholds.Default;

    /// <summary>Where each interval's figures are appended, or null for no history. The caller owns (and disposes) it.</summary>
    public HistoryStore? History { get; init; }

    /// <summary>How long history is kept; older sweeps are pruned every <see cref="PruneEvery"/>.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>How often the history is pruned to <see cref="Retention"/>.</summary>
    public TimeSpan PruneEvery { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The wait after the first failed sweep or connection; doubled after each further failure.</summary>
    public TimeSpan ReconnectInitial { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between reconnection attempts.</summary>
    public TimeSpan ReconnectMax { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock: wall time for history rows and log lines, and the timer for intervals and backoff.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
