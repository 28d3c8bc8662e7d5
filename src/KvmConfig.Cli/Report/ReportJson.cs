using System.Text.Json.Nodes;
using System.Text.Json;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary><c>kvmconfig report --format json</c>: the contract is docs/report.md. Figures rounded to two decimals.</summary>
internal static class ReportJson
{
    /// <summary>The JSON document, indented, with a final newline; with <paramref name="forecast"/>, a last member <c>forecast</c>.</summary>
    public static string Render(HistoryReport report, HistoryForecast? forecast = null)
    {
        var t = report.Thresholds;
        var document = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["history"] = report.History,
            ["schemaVersion"] = report.SchemaVersion,
            ["since"] = ReportRange.TimeMs(report.Range.Since),
            ["until"] = ReportRange.TimeMs(report.Range.Until),
            ["sweeps"] = report.Sweeps,
            ["firstSweep"] = report.First is { } first ? ReportRange.TimeMs(first) : null,
            ["lastSweep"] = report.Last is { } last ? ReportRange.TimeMs(last) : null,
            ["thresholds"] = new JsonObject
            {
                ["readyWarningPercent"] = t.ReadyWarningPercent,
                ["readyCriticalPercent"] = t.ReadyCriticalPercent,
                ["memoryOverheadPercent"] = t.MemoryOverheadPercent,
                ["diskQueueDepthRequests"] = t.DiskQueueDepthRequests,
                ["tcpRetransmitPercent"] = t.TcpRetransmitPercent,
                ["reclaimEfficiencyPercent"] = t.ReclaimEfficiencyPercent,
                ["cpuPressurePercent"] = t.CpuPressurePercent,
            },
            ["domains"] = new JsonArray([.. report.Domains.Select(Domain)]),
            ["host"] = report.Host is { } host
                ? new JsonObject
                {
                    ["sweeps"] = host.Samples,
                    ["tcpRetransmitPercentMax"] = Round(host.TcpRetransmitPercentMax),
                    ["reclaimEfficiencyPercentMin"] = Round(host.ReclaimEfficiencyPercentMin),
                    ["cpuPressurePercentMax"] = Round(host.CpuPressurePercentMax),
                    ["memoryPressurePercentMax"] = Round(host.MemoryPressurePercentMax),
                    ["ioPressurePercentMax"] = Round(host.IoPressurePercentMax),
                }
                : null,
            ["alertCounts"] = new JsonObject
            {
                ["raised"] = report.AlertsRaised,
                ["critical"] = report.AlertsRaisedCritical,
                ["open"] = report.AlertsOpen,
            },
            ["alerts"] = new JsonArray([.. report.Alerts.Select(a => (JsonNode)new JsonObject
            {
                ["subject"] = a.Subject,
                ["metric"] = a.Metric,
                ["severity"] = a.Severity == AlertSeverity.Critical ? "critical" : "warning",
                ["value"] = Round(a.Value),
                ["threshold"] = Round(a.Threshold),
                ["raisedAt"] = a.RaisedAt is { } r ? ReportRange.TimeMs(r) : null,
                ["clearedAt"] = a.ClearedAt is { } c ? ReportRange.TimeMs(c) : null,
            })]),
        };
        if (forecast is not null)
        {
            document["forecast"] = ForecastJson.Render(forecast);
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonNode Domain(DomainSummary d) => new JsonObject
    {
        ["name"] = d.Name,
        ["sweeps"] = d.Samples,
        ["readyPercentMax"] = Round(d.ReadyPercentMax),
        ["readyPercentMaxAt"] = ReportRange.TimeMs(d.ReadyPercentMaxAt),
        ["readyPercentMaxVcpu"] = d.ReadyPercentMaxVcpu,
        ["readyPercentMean"] = Round(d.ReadyPercentMean),
        ["readyWarningSharePercent"] = Round(d.ReadyWarningSharePercent),
        ["cpuPercentMean"] = Round(d.CpuPercentMean),
        ["memoryOverheadPercentMean"] = Round(d.MemoryOverheadPercentMean),
        ["memoryOverheadPercentMax"] = Round(d.MemoryOverheadPercentMax),
        ["throttledPercentMax"] = Round(d.ThrottledPercentMax),
        ["disks"] = new JsonArray([.. d.Disks.Select(k => (JsonNode)new JsonObject
        {
            ["device"] = k.Device,
            ["queueDepthMax"] = Round(k.QueueDepthMax),
            ["queueDepthMaxAt"] = ReportRange.TimeMs(k.QueueDepthMaxAt),
            ["queueDepthMean"] = Round(k.QueueDepthMean),
            ["latencyMsMax"] = Round(k.LatencyMsMax),
            ["readBytesPerSecondMean"] = Round(k.ReadBytesPerSecondMean),
            ["writeBytesPerSecondMean"] = Round(k.WriteBytesPerSecondMean),
        })]),
        ["alertsRaised"] = d.AlertsRaised,
    };

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 2, MidpointRounding.AwayFromZero) : null;
}
