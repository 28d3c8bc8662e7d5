using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Reports;

/// <summary>
/// Builds a <see cref="HistoryReport"/> from a history's rows taken one at a time, oldest first, in memory bounded
/// by the domains and devices, not by the range: per domain and device a few running sums and extremes, per chart
/// line at most <see cref="HistoryReport.MaxPointsPerSeries"/> points (<see cref="Downsample"/>), per domain a heatmap
/// row of at most <see cref="HistoryReport.MaxHeatmapColumns"/> cells (<see cref="HeatmapCells"/>). A week of 200
/// domains is 12 million rows; none of them is kept.
/// </summary>
/// <param name="range">The requested range.</param>
/// <param name="thresholds">The thresholds compared with and drawn.</param>
/// <param name="sweeps">How many sweeps with figures the range holds and the first and last, which bound the charts' time axis; null when none.</param>
public sealed class HistoryReportBuilder(ReportRange range, AlertThresholds thresholds, (int Count, DateTimeOffset First, DateTimeOffset Last)? sweeps)
{
    // By domain name (ordinal); each domain's disks by device name.
    private readonly Dictionary<string, DomainTotals> _domains = new(StringComparer.Ordinal);
    private readonly HostTotals _host = new();

    // Host chart lines, in the order they are drawn.
    private readonly Dictionary<string, Downsample> _hostLines = new(StringComparer.Ordinal);

    /// <summary>Takes one domain's figures at one sweep.</summary>
    public void Add(DomainHistoryRow row)
    {
        if (!_domains.TryGetValue(row.Domain, out DomainTotals? domain))
        {
            domain = new DomainTotals(Line, Cells);
            _domains.Add(row.Domain, domain);
        }

        domain.Add(row, thresholds.ReadyWarningPercent);
    }

    /// <summary>Takes the host's figures at one sweep.</summary>
    public void Add(HostHistoryRow row)
    {
        _host.Add(row.Host);
        void Point(string line, double? value)
        {
            if (value is { } v)
            {
                if (!_hostLines.TryGetValue(line, out Downsample? points))
                {
                    points = Line();
                    _hostLines.Add(line, points);
                }

                points.Add(new ChartPoint(row.At, v));
            }
        }

        Point(TcpRetransmit, row.Host.TcpRetransmitPercent);
        Point(CpuPressure, row.Host.CpuPressure?.SomePercent);
        Point(MemoryPressure, row.Host.MemoryPressure?.SomePercent);
        Point(IoPressure, row.Host.IoPressure?.SomePercent);
        Point(ReclaimEfficiency, row.Host.ReclaimEfficiencyPercent);
    }

    /// <summary>
    /// The report, with the alert transitions <paramref name="alerts"/> (oldest first; those before the range tell
    /// which alerts were already raised when it starts). Domains are ranked worst first by their highest vCPU ready
    /// %, then their mean ready %, then name (ordinal): the figure the alerts fire on, then the one that says
    /// whether it was a spike or a habit.
    /// </summary>
    public HistoryReport Build(string history, int schemaVersion, IReadOnlyList<AlertHistoryRow> alerts)
    {
        List<AlertHistoryRow> inRange = [.. alerts.Where(a => a.At >= range.Since && a.Change == AlertChange.Raised)];
        List<DomainSummary> domains = [.. _domains
            .Select(d => d.Value.Summary(d.Key, inRange.Count(a => IsOf(a.Alert.Subject, d.Key))))
            .OrderByDescending(d => d.ReadyPercentMax)
            .ThenByDescending(d => d.ReadyPercentMean)
            .ThenBy(d => d.Name, StringComparer.Ordinal)];
        List<Chart> charts = Charts();
        List<Chart> hostCharts = HostCharts();
        TimeSpan? bucket = sweeps is { } s && charts.Concat(hostCharts).Any(c => c.Downsampled) ? Downsample.BucketWidth(s.First, s.Last, HistoryReport.MaxPointsPerSeries) : null;
        return new HistoryReport(history, schemaVersion, range, thresholds, sweeps?.Count ?? 0, sweeps?.First, sweeps?.Last, domains,
            _host.Summary(), Episodes(alerts, range), charts, hostCharts, ReadyHeatmap(domains), bucket);
    }

    private const string TcpRetransmit = "TCP retransmit";
    private const string CpuPressure = "CPU pressure";
    private const string MemoryPressure = "memory pressure";
    private const string IoPressure = "IO pressure";
    private const string ReclaimEfficiency = "reclaim efficiency";

    private Downsample Line() => sweeps is { } s
        ? new Downsample(s.First, s.Last, HistoryReport.MaxPointsPerSeries)
        : throw new InvalidOperationException("a row was added to a report of a range without sweeps");

    // As many columns as sweeps up to the bound, so that a short range has one sweep per column and no holes.
    private int HeatmapColumns => Math.Min(HistoryReport.MaxHeatmapColumns, sweeps?.Count ?? 1);

    private HeatmapCells Cells() => sweeps is { } s
        ? new HeatmapCells(s.First, s.Last, HeatmapColumns)
        : throw new InvalidOperationException("a row was added to a report of a range without sweeps");

    // The highest vCPU ready % per domain over time, rows in the order of the worst offenders.
    private Heatmap? ReadyHeatmap(List<DomainSummary> domains) =>
        sweeps is { } s && domains.Count > 0
            ? new Heatmap("ready", "CPU ready of the highest vCPU, per VM over time", s.First, s.Last, HeatmapColumns,
                [.. domains.Select(d => new HeatmapRow(d.Name, _domains[d.Name].ReadyCells.Cells))], ReadyThresholds())
            : null;

    private ThresholdLine[] ReadyThresholds() =>
        [new($"warning {Number(thresholds.ReadyWarningPercent)} %", thresholds.ReadyWarningPercent), new($"critical {Number(thresholds.ReadyCriticalPercent)} %", thresholds.ReadyCriticalPercent, Critical: true)];

    // Alert subjects name the domain, then " vcpu N" or " disk DEV" (AlertRules.Of).
    private static bool IsOf(string subject, string domain) =>
        subject == domain
        || (subject.StartsWith(domain, StringComparison.Ordinal)
            && (subject.AsSpan(domain.Length).StartsWith(" vcpu ", StringComparison.Ordinal) || subject.AsSpan(domain.Length).StartsWith(" disk ", StringComparison.Ordinal)));

    /// <summary>
    /// Pairs the transitions into episodes: a raise opens one for its subject and metric (closing the open one, a
    /// change of severity), a clearing closes it; a clearing with nothing open is an episode whose raise the history
    /// no longer holds. Keeps the episodes that overlap the range.
    /// </summary>
    private static List<AlertEpisode> Episodes(IReadOnlyList<AlertHistoryRow> alerts, ReportRange range)
    {
        var episodes = new List<AlertEpisode>();
        var open = new Dictionary<(string, string), int>();
        foreach (AlertHistoryRow row in alerts)
        {
            (string, string) key = (row.Alert.Subject, row.Alert.Metric);
            Alert a = row.Alert;
            if (open.Remove(key, out int index))
            {
                episodes[index] = episodes[index] with { ClearedAt = row.At };
            }
            else if (row.Change == AlertChange.Cleared)
            {
                episodes.Add(new AlertEpisode(a.Subject, a.Metric, a.Severity, a.Value, a.Threshold, null, row.At));
            }

            if (row.Change == AlertChange.Raised)
            {
                open[key] = episodes.Count;
                episodes.Add(new AlertEpisode(a.Subject, a.Metric, a.Severity, a.Value, a.Threshold, row.At, null));
            }
        }

        // Those of unknown start first (by when they cleared), then by when they were raised; the sort is stable.
        return [.. episodes
            .Where(e => e.ClearedAt is not { } cleared || cleared >= range.Since)
            .OrderBy(e => e.RaisedAt ?? DateTimeOffset.MinValue)
            .ThenBy(e => e.ClearedAt ?? DateTimeOffset.MaxValue)];
    }

    private List<Chart> Charts()
    {
        var t = thresholds;
        ThresholdLine[] ready = ReadyThresholds();
        IEnumerable<(string, Downsample)> PerDomain(Func<DomainTotals, Downsample> line) => _domains.Select(d => (d.Key, line(d.Value)));

        Chart?[] charts =
        [
            Make("ready-max", "CPU ready, highest vCPU", "%", PerDomain(d => d.ReadyMaxLine), ready),
            Make("ready-mean", "CPU ready, mean over the vCPUs", "%", PerDomain(d => d.ReadyMeanLine), ready),
            Make("memory-overhead", "Memory overhead (QEMU RSS beyond guest memory)", "%", PerDomain(d => d.MemoryOverheadLine),
                [new($"warning {Number(t.MemoryOverheadPercent)} %", t.MemoryOverheadPercent)]),
            Make("disk-queue", "Disk queue depth per VM device (average requests in flight)", "requests",
                _domains.SelectMany(d => d.Value.Disks.Select(k => ($"{d.Key} {k.Key}", k.Value.QueueLine))),
                [new($"warning {t.DiskQueueDepthRequests} requests", t.DiskQueueDepthRequests)]),
        ];
        return [.. charts.OfType<Chart>()];
    }

    // The host's figures, one chart (one panel of the host's picture) per measure, each on its own axis: retransmits,
    // pressure and reclaim efficiency differ in scale and in which way is bad.
    private List<Chart> HostCharts()
    {
        var t = thresholds;
        IEnumerable<(string, Downsample)> Host(string name) =>
            _hostLines.TryGetValue(name, out Downsample? line) ? [(name, line)] : [];

        Chart?[] charts =
        [
            Make("host-tcp-retransmit", "TCP retransmits", "%", Host(TcpRetransmit), [new($"warning {Number(t.TcpRetransmitPercent)} %", t.TcpRetransmitPercent)]),
            Make("host-cpu-pressure", "CPU pressure (some)", "%", Host(CpuPressure), [new($"warning {Number(t.CpuPressurePercent)} %", t.CpuPressurePercent)]),
            Make("host-memory-pressure", "Memory pressure (some)", "%", Host(MemoryPressure), []),
            Make("host-io-pressure", "IO pressure (some)", "%", Host(IoPressure), []),
            Make("host-reclaim", "Page-reclaim efficiency (warns below)", "%", Host(ReclaimEfficiency),
                [new($"warning below {Number(t.ReclaimEfficiencyPercent)} %", t.ReclaimEfficiencyPercent)]),
        ];
        return [.. charts.OfType<Chart>()];
    }

    // A chart of the lines with the highest peaks (then by name, ordinal), or null when no line has a point.
    private static Chart? Make(string id, string title, string unit, IEnumerable<(string Name, Downsample Line)> lines, ThresholdLine[] thresholds)
    {
        List<(string Name, Downsample Line)> all = [.. lines.Where(l => l.Line.Count > 0)];
        if (all.Count == 0)
        {
            return null;
        }

        List<(string Name, Downsample Line)> worst = [.. all
            .OrderByDescending(l => l.Line.Peak)
            .ThenBy(l => l.Name, StringComparer.Ordinal)
            .Take(HistoryReport.MaxSeriesPerChart)];
        return new Chart(id, title, unit, [.. worst.Select(l => new ChartSeries(l.Name, l.Line.Points))], all.Count, thresholds, worst.Any(l => l.Line.Bucketed));
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>One domain's running figures and lines.</summary>
    private sealed class DomainTotals(Func<Downsample> line, Func<HeatmapCells> cells)
    {
        private int _samples;
        private double _cpuSum;
        private double _readyMeanSum;
        private int _atOrAboveWarning;
        private DomainHistoryRow? _worst;
        private int? _worstVcpu;
        private int _overheadCount;
        private double _overheadSum;
        private double _overheadMax = double.NegativeInfinity;
        private double? _throttledMax;

        public Downsample ReadyMaxLine { get; } = line();

        public Downsample ReadyMeanLine { get; } = line();

        public Downsample MemoryOverheadLine { get; } = line();

        public HeatmapCells ReadyCells { get; } = cells();

        public SortedDictionary<string, DiskTotals> Disks { get; } = new(StringComparer.Ordinal);

        public void Add(DomainHistoryRow row, double readyWarningPercent)
        {
            _samples++;
            _cpuSum += row.CpuPercent;
            _readyMeanSum += row.ReadyPercent;
            _atOrAboveWarning += row.ReadyPercentMax >= readyWarningPercent ? 1 : 0;

            // The worst sweep: the highest vCPU ready %, the earliest on a tie (rows come oldest first).
            if (_worst is null || row.ReadyPercentMax > _worst.ReadyPercentMax)
            {
                _worst = row;
                _worstVcpu = row.Vcpus.Count == 0 ? null : row.Vcpus.MaxBy(v => v.ReadyPercent).Vcpu;
            }

            if (row.MemoryOverheadPercent is { } overhead)
            {
                _overheadCount++;
                _overheadSum += overhead;
                _overheadMax = Math.Max(_overheadMax, overhead);
                MemoryOverheadLine.Add(new ChartPoint(row.At, overhead));
            }

            if (row.ThrottledPercent is { } throttled)
            {
                _throttledMax = Math.Max(_throttledMax ?? 0, throttled);
            }

            foreach (DiskFigures disk in row.Disks)
            {
                if (!Disks.TryGetValue(disk.Device, out DiskTotals? totals))
                {
                    totals = new DiskTotals(line());
                    Disks.Add(disk.Device, totals);
                }

                totals.Add(row.At, disk);
            }

            ReadyMaxLine.Add(new ChartPoint(row.At, row.ReadyPercentMax));
            ReadyCells.Add(new ChartPoint(row.At, row.ReadyPercentMax));
            ReadyMeanLine.Add(new ChartPoint(row.At, row.ReadyPercent));
        }

        public DomainSummary Summary(string name, int alertsRaised) => new(
            name,
            _samples,
            _cpuSum / _samples,
            _readyMeanSum / _samples,
            _worst!.ReadyPercentMax,
            _worst.At,
            _worstVcpu,
            100.0 * _atOrAboveWarning / _samples,
            _overheadCount == 0 ? null : _overheadSum / _overheadCount,
            _overheadCount == 0 ? null : _overheadMax,
            _throttledMax,
            [.. Disks.Select(d => d.Value.Summary(d.Key))],
            alertsRaised);
    }

    /// <summary>One block device's running figures and queue line.</summary>
    private sealed class DiskTotals(Downsample queueLine)
    {
        private int _samples;
        private double _queueSum;
        private double _queueMax = double.NegativeInfinity;
        private DateTimeOffset _queueMaxAt;
        private double? _latencyMax;
        private double _readSum;
        private double _writeSum;

        public Downsample QueueLine { get; } = queueLine;

        public void Add(DateTimeOffset at, DiskFigures disk)
        {
            _samples++;
            _queueSum += disk.QueueDepth;
            if (disk.QueueDepth > _queueMax)
            {
                (_queueMax, _queueMaxAt) = (disk.QueueDepth, at);
            }

            if (disk.LatencyMs is { } latency)
            {
                _latencyMax = Math.Max(_latencyMax ?? 0, latency);
            }

            _readSum += disk.ReadBytesPerSecond;
            _writeSum += disk.WriteBytesPerSecond;
            QueueLine.Add(new ChartPoint(at, disk.QueueDepth));
        }

        public DiskSummary Summary(string device) =>
            new(device, _samples, _queueSum / _samples, _queueMax, _queueMaxAt, _latencyMax, _readSum / _samples, _writeSum / _samples);
    }

    /// <summary>The host's extremes.</summary>
    private sealed class HostTotals
    {
        private int _samples;
        private double? _retransmitMax;
        private double? _reclaimMin;
        private double? _cpuMax;
        private double? _memoryMax;
        private double? _ioMax;

        public void Add(HostGauges host)
        {
            _samples++;
            _retransmitMax = Max(_retransmitMax, host.TcpRetransmitPercent);
            _reclaimMin = host.ReclaimEfficiencyPercent is { } r ? Math.Min(_reclaimMin ?? r, r) : _reclaimMin;
            _cpuMax = Max(_cpuMax, host.CpuPressure?.SomePercent);
            _memoryMax = Max(_memoryMax, host.MemoryPressure?.SomePercent);
            _ioMax = Max(_ioMax, host.IoPressure?.SomePercent);
        }

        public HostSummary? Summary() => _samples == 0 ? null : new HostSummary(_samples, _retransmitMax, _reclaimMin, _cpuMax, _memoryMax, _ioMax);

        private static double? Max(double? kept, double? value) => value is { } v ? Math.Max(kept ?? v, v) : kept;
    }
}
