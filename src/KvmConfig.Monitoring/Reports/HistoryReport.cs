using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Reports;

/// <summary>One guest block device of a domain over the range.</summary>
/// <param name="Device">Target name, e.g. <c>vda</c>.</param>
/// <param name="Samples">Sweeps that measured it.</param>
/// <param name="QueueDepthMean">Mean of the per-interval average requests in flight.</param>
/// <param name="QueueDepthMax">The highest interval's average requests in flight.</param>
/// <param name="QueueDepthMaxAt">When that interval ended.</param>
/// <param name="LatencyMsMax">The highest interval's average request time, or null when no request completed.</param>
/// <param name="ReadBytesPerSecondMean">Mean read throughput.</param>
/// <param name="WriteBytesPerSecondMean">Mean write throughput.</param>
public sealed record DiskSummary(
    string Device,
    int Samples,
    double QueueDepthMean,
    double QueueDepthMax,
    DateTimeOffset QueueDepthMaxAt,
    double? LatencyMsMax,
    double ReadBytesPerSecondMean,
    double WriteBytesPerSecondMean);

/// <summary>One domain over the range (DESIGN.md section 5 figures, each interval's value as the history kept it).</summary>
/// <param name="Name">Domain name.</param>
/// <param name="Samples">Sweeps that measured it.</param>
/// <param name="CpuPercentMean">Mean CPU use, percent of one CPU.</param>
/// <param name="ReadyPercentMean">Mean over the sweeps of the mean ready % over its vCPUs.</param>
/// <param name="ReadyPercentMax">The highest vCPU ready % of any sweep.</param>
/// <param name="ReadyPercentMaxAt">When it was measured.</param>
/// <param name="ReadyPercentMaxVcpu">Which vCPU it was, when known.</param>
/// <param name="ReadyWarningSharePercent">Share of the sweeps in which a vCPU was at or above the ready warning threshold.</param>
/// <param name="MemoryOverheadPercentMean">Mean memory overhead %, or null when never known.</param>
/// <param name="MemoryOverheadPercentMax">Highest memory overhead %, or null when never known.</param>
/// <param name="ThrottledPercentMax">Highest share of CPU periods throttled by its quota, or null when never known.</param>
/// <param name="Disks">Its block devices, by name (ordinal).</param>
/// <param name="AlertsRaised">Alerts raised on it (any vCPU, memory, any disk) in the range.</param>
public sealed record DomainSummary(
    string Name,
    int Samples,
    double CpuPercentMean,
    double ReadyPercentMean,
    double ReadyPercentMax,
    DateTimeOffset ReadyPercentMaxAt,
    int? ReadyPercentMaxVcpu,
    double ReadyWarningSharePercent,
    double? MemoryOverheadPercentMean,
    double? MemoryOverheadPercentMax,
    double? ThrottledPercentMax,
    IReadOnlyList<DiskSummary> Disks,
    int AlertsRaised)
{
    /// <summary>The highest queue depth of any of its disks, or null without disks.</summary>
    public double? DiskQueueDepthMax => Disks.Count == 0 ? null : Disks.Max(d => d.QueueDepthMax);
}

/// <summary>The host over the range; each figure null when no sweep had it.</summary>
/// <param name="Samples">Sweeps with host figures.</param>
/// <param name="TcpRetransmitPercentMax">Highest TCP retransmit %.</param>
/// <param name="ReclaimEfficiencyPercentMin">Lowest page-reclaim efficiency %.</param>
/// <param name="CpuPressurePercentMax">Highest CPU pressure (<c>some</c>) %.</param>
/// <param name="MemoryPressurePercentMax">Highest memory pressure (<c>some</c>) %.</param>
/// <param name="IoPressurePercentMax">Highest IO pressure (<c>some</c>) %.</param>
public sealed record HostSummary(
    int Samples,
    double? TcpRetransmitPercentMax,
    double? ReclaimEfficiencyPercentMin,
    double? CpuPressurePercentMax,
    double? MemoryPressurePercentMax,
    double? IoPressurePercentMax);

/// <summary>
/// One alert from the time it was raised to the time it cleared (a change of severity ends one episode and starts
/// the next), from the transitions the exporter logged.
/// </summary>
/// <param name="Subject">The domain, <c>DOMAIN vcpu N</c>, <c>DOMAIN disk DEV</c>, <c>host</c> or <c>host disk DEV</c>.</param>
/// <param name="Metric">The figure (<see cref="Alert.Metric"/>).</param>
/// <param name="Severity">Warning or critical.</param>
/// <param name="Value">The figure when it was raised (percent; requests for <c>disk_queue</c>).</param>
/// <param name="Threshold">The threshold it crossed.</param>
/// <param name="RaisedAt">When it was raised (before the range for one still raised when it starts), or null when the history no longer says (pruned).</param>
/// <param name="ClearedAt">When it cleared or changed severity, or null when still raised at the end of the range.</param>
public sealed record AlertEpisode(
    string Subject,
    string Metric,
    AlertSeverity Severity,
    double Value,
    double Threshold,
    DateTimeOffset? RaisedAt,
    DateTimeOffset? ClearedAt);

/// <summary>One line of a chart.</summary>
/// <param name="Name">What it is: a domain, <c>DOMAIN DEVICE</c>, or a host figure.</param>
/// <param name="Points">Its points, oldest first, at most the report's bound.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);

/// <summary>A horizontal line at an <c>[alerts]</c> threshold.</summary>
/// <param name="Label">What it is, e.g. <c>critical 10 %</c>.</param>
/// <param name="Value">Where, in the chart's unit.</param>
/// <param name="Critical">True for a critical threshold, false for a warning.</param>
public sealed record ThresholdLine(string Label, double Value, bool Critical = false);

/// <summary>What one chart shows: lines over the report's time axis and threshold lines.</summary>
/// <param name="Id">A stable identifier (<c>ready-max</c>), for the HTML and tests.</param>
/// <param name="Title">Its title.</param>
/// <param name="Unit">The unit of the y axis (<c>%</c>, <c>requests</c>).</param>
/// <param name="Series">The lines drawn, highest peak first.</param>
/// <param name="SeriesTotal">How many lines there were before keeping the highest ones.</param>
/// <param name="Thresholds">Threshold lines.</param>
/// <param name="Downsampled">True when a line had more points than <see cref="HistoryReport.MaxPointsPerSeries"/>.</param>
public sealed record Chart(
    string Id, string Title, string Unit, IReadOnlyList<ChartSeries> Series, int SeriesTotal, IReadOnlyList<ThresholdLine> Thresholds, bool Downsampled);

/// <summary>
/// <c>kvmconfig report</c>'s content, computed from a history's rows (pure): per-domain summaries worst first, the
/// host's, the alert episodes, and the charts. The command's renderers (text, JSON, HTML) only format it.
/// </summary>
/// <param name="History">The history file read.</param>
/// <param name="SchemaVersion">Its schema (1: no devices or alerts were kept).</param>
/// <param name="Range">The requested range.</param>
/// <param name="Thresholds">The <c>[alerts]</c> thresholds compared with and drawn.</param>
/// <param name="Sweeps">Sweeps in the range with any figure.</param>
/// <param name="First">The first of them, or null when none.</param>
/// <param name="Last">The last of them, or null when none.</param>
/// <param name="Domains">Every domain measured in the range, worst first (see <see cref="Build"/>).</param>
/// <param name="Host">The host, or null when no sweep had host figures.</param>
/// <param name="Alerts">Alert episodes that overlap the range (raised in it, or raised before and not cleared before it), by the time they were raised.</param>
/// <param name="Charts">The charts of the domains, in the order the HTML shows them; only those with lines.</param>
/// <param name="HostCharts">The host's figures, one chart per measure (retransmits, CPU, memory and IO pressure, reclaim efficiency); only those measured.</param>
/// <param name="ReadyHeatmap">The highest vCPU ready % of every domain over time, or null when no domain was measured.</param>
/// <param name="BucketWidth">When a line had more points than the bound, the width of the buckets it was cut into; else null.</param>
public sealed record HistoryReport(
    string History,
    int SchemaVersion,
    ReportRange Range,
    AlertThresholds Thresholds,
    int Sweeps,
    DateTimeOffset? First,
    DateTimeOffset? Last,
    IReadOnlyList<DomainSummary> Domains,
    HostSummary? Host,
    IReadOnlyList<AlertEpisode> Alerts,
    IReadOnlyList<Chart> Charts,
    IReadOnlyList<Chart> HostCharts,
    Heatmap? ReadyHeatmap,
    TimeSpan? BucketWidth)
{
    /// <summary>Points per line at most (the rest is downsampled, <see cref="Downsample.Max"/>).</summary>
    public const int MaxPointsPerSeries = 500;

    /// <summary>Lines per chart at most: the ones with the highest peaks.</summary>
    public const int MaxSeriesPerChart = 8;

    /// <summary>Time columns of a heatmap at most (fewer when the range has fewer sweeps).</summary>
    public const int MaxHeatmapColumns = 120;

    /// <summary>Alerts raised in the range (a crossing or a change of severity).</summary>
    public int AlertsRaised => Alerts.Count(a => a.RaisedAt >= Range.Since);

    /// <summary>Of those, the critical ones.</summary>
    public int AlertsRaisedCritical => Alerts.Count(a => a.RaisedAt >= Range.Since && a.Severity == AlertSeverity.Critical);

    /// <summary>Alerts still raised at the end of the range.</summary>
    public int AlertsOpen => Alerts.Count(a => a.ClearedAt is null);

    /// <summary>
    /// <c>kvmconfig report</c> as a library call: the report of what <paramref name="history"/> holds for
    /// <paramref name="range"/>, read row by row in memory bounded by the domains and devices. The sweeps up to the last
    /// one counted (a writer may append meanwhile); the alert log from the start, so that an alert raised before the
    /// range and still raised in it shows.
    /// </summary>
    public static HistoryReport Read(HistoryStore history, ReportRange range, AlertThresholds thresholds)
    {
        (int Count, DateTimeOffset First, DateTimeOffset Last)? span = history.SweepSpan(range.Since, range.Until);
        var builder = new HistoryReportBuilder(range, thresholds, span);
        if (span is { } s)
        {
            history.ReadEach(range.Since, s.Last.AddMilliseconds(1), builder.Add, builder.Add);
        }

        return builder.Build(history.Path, history.FileSchemaVersion, history.ReadAlerts(DateTimeOffset.UnixEpoch, range.Until));
    }

    /// <summary>
    /// The report of <paramref name="rows"/> (all in memory; <see cref="HistoryReportBuilder"/> takes them one by one):
    /// their sweeps, which must lie in <paramref name="range"/>, and their alert transitions, which may start earlier
    /// (to know what was raised when the range starts).
    /// </summary>
    public static HistoryReport Build(string history, int schemaVersion, ReportRange range, AlertThresholds thresholds, HistoryRows rows)
    {
        List<DateTimeOffset> sweeps = [.. rows.Domains.Select(r => r.At).Concat(rows.Host.Select(h => h.At)).Distinct().Order()];
        var builder = new HistoryReportBuilder(range, thresholds, sweeps.Count == 0 ? null : (sweeps.Count, sweeps[0], sweeps[^1]));
        foreach (DomainHistoryRow row in rows.Domains)
        {
            builder.Add(row);
        }

        foreach (HostHistoryRow row in rows.Host)
        {
            builder.Add(row);
        }

        return builder.Build(history, schemaVersion, rows.Alerts);
    }
}
