using System.Globalization;
using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Forecasts;

/// <summary>One measure's history and forecast.</summary>
/// <param name="Subject">What is measured: a domain, <c>DOMAIN disk DEV</c>, or <c>host</c>.</param>
/// <param name="Measure">Which figure (<see cref="HistoryForecast"/> lists them).</param>
/// <param name="Unit"><c>%</c> or <c>requests</c>.</param>
/// <param name="ThresholdName">What the threshold is (<c>ready warning</c>, <c>saturation of 2 vCPUs</c>); null when the measure has none.</param>
/// <param name="Measured">The history as the forecast saw it: bucket means at the forecast's step.</param>
/// <param name="Forecast">The forecast; null when this measure's own history is too short (<paramref name="Skipped"/> says why).</param>
/// <param name="Skipped">Why there is no forecast, or null.</param>
public sealed record MeasureForecast(
    string Subject, string Measure, string Unit, string? ThresholdName, RegularSeries? Measured, SeriesForecast? Forecast, string? Skipped)
{
    /// <summary>
    /// Sort key, most urgent first: already crossed, then expected crossings by time, then those whose upper band
    /// crosses, then the rest; within each, by subject and measure (ordinal).
    /// </summary>
    public (int, DateTimeOffset) Urgency => Forecast?.Crossing?.Urgency ?? (3, DateTimeOffset.MinValue);
}

/// <summary>
/// <c>kvmconfig report --forecast</c> as a library call: per VM and for the host, the trend of each figure the history
/// keeps and when it is expected to reach its <c>[alerts]</c> threshold.
/// <list type="bullet">
/// <item>per VM: <c>ready</c> (its highest vCPU's ready %, against the ready warning), <c>cpu</c> (CPU use in percent
/// of one CPU, against saturation: 100 % per vCPU), <c>memory</c> (QEMU's resident memory in MiB, no threshold),
/// <c>memory_overhead</c> (against its warning), and per disk <c>disk_queue</c> (requests in flight, against its
/// warning);</item>
/// <item>the host: <c>cpu_pressure</c> (against its warning), <c>vm_cpu</c> and <c>vm_memory</c> (the VMs' CPU use
/// together, in percent of one CPU, and their resident memory together, in MiB; no threshold here,
/// <c>capacity --from-history</c> sets them from the nodes), <c>memory_pressure</c> and <c>io_pressure</c> (no
/// threshold), and per block device <c>disk_queue</c> (the higher of its average queue and its requests in flight,
/// as the alert has it, against the disk queue warning).</item>
/// </list>
/// Memory in bytes and the host's disks are kept from schema 3 on: an older history has neither.
/// </summary>
/// <param name="History">The history file read.</param>
/// <param name="First">Its first sweep read.</param>
/// <param name="Last">Its last sweep read: the forecast starts there.</param>
/// <param name="Sweeps">Sweeps read.</param>
/// <param name="Step">The step the history was averaged to.</param>
/// <param name="SeasonLength">Steps per daily season (0: the history is too short for one).</param>
/// <param name="Horizon">How far the forecast reaches past <paramref name="Last"/>.</param>
/// <param name="Measures">Every measure, most urgent first (<see cref="MeasureForecast.Urgency"/>).</param>
public sealed record HistoryForecast(
    string History, DateTimeOffset First, DateTimeOffset Last, int Sweeps, TimeSpan Step, int SeasonLength, TimeSpan Horizon, IReadOnlyList<MeasureForecast> Measures)
{
    /// <summary>The default horizon: two weeks.</summary>
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromDays(14);

    /// <summary>
    /// Forecasts every measure of <paramref name="history"/>'s sweeps before <paramref name="until"/> (null: all)
    /// for <paramref name="horizon"/> after the last one. Reads the rows one by one into hourly (or, for a history
    /// under two days, finer) buckets; throws <see cref="Core.KvmConfigException"/> KVC084 naming what is needed when
    /// the history is too short (<see cref="Forecaster.TooShort"/>).
    /// </summary>
    public static HistoryForecast Read(HistoryStore history, AlertThresholds thresholds, TimeSpan horizon, DateTimeOffset? until = null)
    {
        if (history.SweepSpan(DateTimeOffset.UnixEpoch, until) is not { } span)
        {
            throw MonitoringErrors.HistoryTooShort(history.Path, Forecaster.TooShort(DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, 0)!);
        }

        if (Forecaster.TooShort(span.First, span.Last, span.Count) is { } why)
        {
            throw MonitoringErrors.HistoryTooShort(history.Path, why);
        }

        TimeSpan sweepInterval = (span.Last - span.First) / Math.Max(1, span.Count - 1);
        (TimeSpan step, int season) = Forecaster.StepFor(span.Last - span.First, sweepInterval);
        int buckets = (int)((span.Last - span.First) / step) + 1;
        var series = new SortedDictionary<(string Subject, string Measure), MeasureSeries>();
        var hostDisks = new SortedSet<string>(StringComparer.Ordinal);
        MeasureSeries Of(string subject, string measure) =>
            series.TryGetValue((subject, measure), out MeasureSeries? s) ? s : series[(subject, measure)] = new MeasureSeries(span.First, step, buckets);

        history.ReadEach(span.First, span.Last.AddMilliseconds(1),
            row =>
            {
                Of(row.Domain, "ready").Add(row.At, row.ReadyPercentMax);
                MeasureSeries cpu = Of(row.Domain, "cpu");
                cpu.Add(row.At, row.CpuPercent);
                cpu.Threshold = Math.Max(cpu.Threshold ?? 0, 100.0 * row.Vcpus.Count);
                if (row.MemoryOverheadPercent is { } overhead)
                {
                    Of(row.Domain, "memory_overhead").Add(row.At, overhead);
                }

                foreach (DiskFigures disk in row.Disks)
                {
                    Of($"{row.Domain} disk {disk.Device}", "disk_queue").Add(row.At, disk.QueueDepth);
                }

                Of("host", "vm_cpu").AddToSweep(row.At, row.CpuPercent);
                if (row.RssKiB is { } rss)
                {
                    Of(row.Domain, "memory").Add(row.At, rss / 1024.0);
                    Of("host", "vm_memory").AddToSweep(row.At, rss / 1024.0);
                }
            },
            row =>
            {
                // A device idle in a sweep is not kept: once seen, its absence reads as an empty queue.
                foreach (HostDiskFigures disk in row.Host.Disks)
                {
                    hostDisks.Add(disk.Device);
                }

                foreach (string device in hostDisks)
                {
                    HostDiskFigures? busy = row.Host.Disks.FirstOrDefault(d => d.Device == device);
                    Of($"host disk {device}", "disk_queue").Add(row.At, busy is null ? 0 : Math.Max(busy.QueueDepth, busy.InFlight));
                }

                if (row.Host.CpuPressure?.SomePercent is { } cpu)
                {
                    Of("host", "cpu_pressure").Add(row.At, cpu);
                }

                if (row.Host.MemoryPressure?.SomePercent is { } memory)
                {
                    Of("host", "memory_pressure").Add(row.At, memory);
                }

                if (row.Host.IoPressure?.SomePercent is { } io)
                {
                    Of("host", "io_pressure").Add(row.At, io);
                }
            });

        List<MeasureForecast> measures = [.. series
            .Select(s => Forecast(s.Key.Subject, s.Key.Measure, s.Value, thresholds, season, horizon))
            .OrderBy(m => m.Urgency)
            .ThenBy(m => m.Subject, StringComparer.Ordinal)
            .ThenBy(m => m.Measure, StringComparer.Ordinal)];
        return new HistoryForecast(history.Path, span.First, span.Last, span.Count, step, season, horizon, measures);
    }

    /// <summary>The measure <paramref name="subject"/> <paramref name="measure"/>, or null when there is none.</summary>
    public MeasureForecast? Find(string subject, string measure) => Measures.FirstOrDefault(m => m.Subject == subject && m.Measure == measure);

    private static MeasureForecast Forecast(string subject, string measure, MeasureSeries samples, AlertThresholds t, int season, TimeSpan horizon)
    {
        (string unit, double? threshold, string? name) = measure switch
        {
            "ready" => ("%", t.ReadyWarningPercent, "ready warning"),
            "cpu" => ("%", samples.Threshold, Saturation(samples.Threshold ?? 0)),
            "memory_overhead" => ("%", t.MemoryOverheadPercent, "memory overhead warning"),
            "disk_queue" => ("requests", t.DiskQueueDepthRequests, "disk queue warning"),
            "cpu_pressure" => ("%", t.CpuPressurePercent, "CPU pressure warning"),
            "memory" or "vm_memory" => ("MiB", (double?)null, (string?)null),
            _ => ("%", (double?)null, (string?)null),
        };
        RegularSeries? measured = samples.Series();
        string? why = Forecaster.TooShort(samples.First, samples.Last, samples.Samples);
        if (why is not null || measured is null)
        {
            return new MeasureForecast(subject, measure, unit, name, measured, null, why);
        }

        return new MeasureForecast(subject, measure, unit, name, measured, Forecaster.Run(measured, season, threshold, horizon, lowest: 0), null);
    }

    private static string Saturation(double percent) => percent == 100 ? "saturation of 1 vCPU" : $"saturation of {Number(percent / 100)} vCPUs";

    /// <summary>A number as forecasts print it: invariant, at most two decimals.</summary>
    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
