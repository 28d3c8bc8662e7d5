using System.Globalization;
using System.Text;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// <c>kvmconfig report</c> on stdout: the range, the worst offenders for CPU ready, memory overhead and disk queue
/// (at most <see cref="MaxRows"/> each), the host's extremes and the alerts. Plain columns, invariant numbers.
/// </summary>
internal static class ReportText
{
    /// <summary>Rows per table; <c>--format json</c> and <c>--html</c> list every domain.</summary>
    public const int MaxRows = 10;

    /// <summary>Alert episodes listed; the counts cover them all.</summary>
    public const int MaxAlerts = 20;

    /// <summary>The text report.</summary>
    public static string Render(HistoryReport report)
    {
        var text = new StringBuilder();
        text.AppendLine($"kvmconfig report: {report.History}");
        text.AppendLine($"range {ReportRange.Time(report.Range.Since)} to {ReportRange.Time(report.Range.Until)} (UTC)");
        if (report.Sweeps == 0)
        {
            text.AppendLine("no samples in this range");
            return text.ToString();
        }

        text.AppendLine(Invariant($"{report.Sweeps} sweeps from {ReportRange.Time(report.First!.Value)} to {ReportRange.Time(report.Last!.Value)}, {report.Domains.Count} domains"));
        if (report.SchemaVersion < 2)
        {
            text.AppendLine("(a history of schema 1: it kept no disk figures or alerts)");
        }

        var t = report.Thresholds;
        if (report.Domains.Count > 0)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"CPU ready, worst first (per vCPU: warning at {t.ReadyWarningPercent} %, critical at {t.ReadyCriticalPercent} %)"));
            Table(text, ["DOMAIN", "READY MAX", "AT", "VCPU", "READY MEAN", ">= WARNING", "CPU MEAN", "ALERTS"],
                report.Domains.Take(MaxRows).Select(d => new[]
                {
                    d.Name, Percent(d.ReadyPercentMax), ReportRange.Time(d.ReadyPercentMaxAt), d.ReadyPercentMaxVcpu?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    Percent(d.ReadyPercentMean), Percent(d.ReadyWarningSharePercent) + " of time", Percent(d.CpuPercentMean),
                    d.AlertsRaised.ToString(CultureInfo.InvariantCulture),
                }));
            More(text, report.Domains.Count);

            List<DomainSummary> memory = [.. report.Domains.Where(d => d.MemoryOverheadPercentMax is not null)
                .OrderByDescending(d => d.MemoryOverheadPercentMax).ThenBy(d => d.Name, StringComparer.Ordinal)];
            if (memory.Count > 0)
            {
                text.AppendLine();
                text.AppendLine(Invariant($"Memory overhead, worst first (warning above {t.MemoryOverheadPercent} %)"));
                Table(text, ["DOMAIN", "MAX", "MEAN"], memory.Take(MaxRows).Select(d => new[] { d.Name, Percent(d.MemoryOverheadPercentMax), Percent(d.MemoryOverheadPercentMean) }));
                More(text, memory.Count);
            }

            List<(string Domain, DiskSummary Disk)> disks = [.. report.Domains.SelectMany(d => d.Disks.Select(k => (d.Name, k)))
                .OrderByDescending(x => x.k.QueueDepthMax).ThenBy(x => x.Name, StringComparer.Ordinal).ThenBy(x => x.k.Device, StringComparer.Ordinal)];
            if (disks.Count > 0)
            {
                text.AppendLine();
                text.AppendLine(Invariant($"Disk queue depth, worst first (warning above {t.DiskQueueDepthRequests} requests in flight)"));
                Table(text, ["DOMAIN", "DEVICE", "QUEUE MAX", "AT", "QUEUE MEAN", "LATENCY MAX"],
                    disks.Take(MaxRows).Select(x => new[]
                    {
                        x.Domain, x.Disk.Device, Number(x.Disk.QueueDepthMax), ReportRange.Time(x.Disk.QueueDepthMaxAt), Number(x.Disk.QueueDepthMean),
                        x.Disk.LatencyMsMax is { } ms ? Number(ms) + " ms" : "-",
                    }));
                More(text, disks.Count);
            }
        }

        if (report.Host is { } host)
        {
            text.AppendLine();
            text.AppendLine(Invariant($"Host ({host.Samples} sweeps)"));
            Table(text, ["FIGURE", "WORST", "THRESHOLD"],
            [
                ["TCP retransmit max", Percent(host.TcpRetransmitPercentMax), Invariant($"above {t.TcpRetransmitPercent} %")],
                ["reclaim efficiency min", Percent(host.ReclaimEfficiencyPercentMin), Invariant($"below {t.ReclaimEfficiencyPercent} %")],
                ["CPU pressure max", Percent(host.CpuPressurePercentMax), Invariant($"above {t.CpuPressurePercent} %")],
                ["memory pressure max", Percent(host.MemoryPressurePercentMax), "-"],
                ["IO pressure max", Percent(host.IoPressurePercentMax), "-"],
            ]);
        }

        text.AppendLine();
        text.AppendLine(Invariant($"Alerts: {report.AlertsRaised} raised ({report.AlertsRaisedCritical} critical), {report.AlertsOpen} still raised at the end"));
        foreach (AlertEpisode a in report.Alerts.Take(MaxAlerts))
        {
            string raised = a.RaisedAt is { } r ? ReportRange.Time(r) : "unknown (pruned)";
            string cleared = a.ClearedAt is { } c ? $"until {ReportRange.Time(c)}" : "still raised";
            text.AppendLine($"  {raised}  {new Alert(a.Subject, a.Metric, a.Value, a.Threshold, a.Severity)}, {cleared}");
        }

        if (report.Alerts.Count > MaxAlerts)
        {
            text.AppendLine(Invariant($"  ... and {report.Alerts.Count - MaxAlerts} more (--format json or --html lists them all)"));
        }

        return text.ToString();
    }

    // Left-aligned columns two spaces apart, the header first.
    private static void Table(StringBuilder text, string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> all = [header, .. rows];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length))];
        foreach (string[] row in all)
        {
            text.Append("  ").AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static void More(StringBuilder text, int count)
    {
        if (count > MaxRows)
        {
            text.AppendLine(Invariant($"  ... and {count - MaxRows} more"));
        }
    }

    private static string Percent(double? value) => value is { } v ? Number(v) + " %" : "-";

    private static string Number(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
