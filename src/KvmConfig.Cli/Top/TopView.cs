using System.Globalization;
using System.Text.Json.Nodes;
using System.Text;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring;
using Spectre.Console.Rendering;
using Spectre.Console;

namespace KvmConfig.Cli.Top;

/// <summary>How <c>top</c> shows one interval: a plain table, a live Spectre table, or a JSON document.</summary>
internal static class TopView
{
    /// <summary>The host line and one row per domain, sorted by ready % (highest first), then the alerts.</summary>
    public static string Text(SweepFigures figures, AlertThresholds thresholds, bool color)
    {
        var text = new StringBuilder();
        text.Append(HostLine(figures.Host)).Append('\n');
        text.Append(CultureInfo.InvariantCulture, $"{"DOMAIN",-24} {"CPU%",7} {"READY%",7} {"MAX%",7} {"MEM+%",7} {"QUEUE",6}  VCPU READY%\n");
        foreach (DomainFigures d in figures.Domains)
        {
            string vcpus = string.Join(" ", d.Vcpus.Select(v => $"{v.Vcpu}:{v.ReadyPercent:0.0}"));
            text.Append(CultureInfo.InvariantCulture, $"{d.Domain,-24} {d.CpuPercent,7:0.0} {d.ReadyPercent,7:0.0} {d.ReadyPercentMax,7:0.0} {Percent(d.MemoryOverheadPercent),7} {Queue(d),6}  {vcpus}\n");
        }

        if (figures.Domains.Count == 0)
        {
            text.Append("(no running domain)\n");
        }

        foreach (Alert alert in AlertsOf(figures, thresholds))
        {
            text.Append(color && alert.Severity == AlertSeverity.Critical ? $"\u001b[31m{alert}\u001b[0m" : alert.ToString()).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    /// <summary>The live view: thresholds coloured (yellow warning, red critical).</summary>
    public static IRenderable Table(SweepFigures figures, AlertThresholds thresholds, string uri, string interval)
    {
        var table = new Table().Border(TableBorder.Simple)
            .Title($"kvmconfig top: {Markup.Escape(uri)}, every {Markup.Escape(interval)}; {Markup.Escape(HostLine(figures.Host))}")
            .AddColumn("domain").AddColumn(new TableColumn("CPU %").RightAligned()).AddColumn(new TableColumn("ready %").RightAligned())
            .AddColumn(new TableColumn("max %").RightAligned()).AddColumn(new TableColumn("mem overhead %").RightAligned())
            .AddColumn(new TableColumn("disk queue").RightAligned()).AddColumn("ready % per vCPU");
        foreach (DomainFigures d in figures.Domains)
        {
            table.AddRow(
                Markup.Escape(d.Domain),
                d.CpuPercent.ToString("0.0", CultureInfo.InvariantCulture),
                Ready(d.ReadyPercent, thresholds),
                Ready(d.ReadyPercentMax, thresholds),
                d.MemoryOverheadPercent is { } m && m > thresholds.MemoryOverheadPercent ? $"[yellow]{m:0.0}[/]" : Percent(d.MemoryOverheadPercent),
                d.Disks.Count > 0 && d.Disks.Max(k => k.QueueDepth) > thresholds.DiskQueueDepthRequests ? $"[yellow]{Queue(d)}[/]" : Queue(d),
                string.Join(" ", d.Vcpus.Select(v => $"{v.Vcpu}:{Ready(v.ReadyPercent, thresholds)}")));
        }

        return table;
    }

    /// <summary>One JSON document (docs/top-json.md).</summary>
    public static string Json(SweepFigures figures, AlertThresholds thresholds, string uri)
    {
        HostFigures? host = figures.Host;
        var pressure = new JsonObject();
        if (host is not null)
        {
            foreach ((PressureResource resource, double percent) in host.PressureSomePercent.OrderBy(p => p.Key))
            {
                pressure[resource.ToString().ToLowerInvariant()] = Round(percent);
            }
        }

        var domains = new JsonArray();
        foreach (DomainFigures d in figures.Domains)
        {
            domains.Add(new JsonObject
            {
                ["name"] = d.Domain,
                ["cpuPercent"] = Round(d.CpuPercent),
                ["readyPercent"] = Round(d.ReadyPercent),
                ["readyPercentMax"] = Round(d.ReadyPercentMax),
                ["vcpus"] = new JsonArray([.. d.Vcpus.Select(v => (JsonNode)new JsonObject { ["vcpu"] = v.Vcpu, ["readyPercent"] = Round(v.ReadyPercent), ["cpuPercent"] = Round(v.UsedPercent) })]),
                ["memoryOverheadPercent"] = d.MemoryOverheadPercent is { } m ? Round(m) : null,
                ["disks"] = new JsonArray([.. d.Disks.Select(DiskJson)]),
                ["network"] = new JsonArray([.. d.Interfaces.Select(n => (JsonNode)new JsonObject
                {
                    ["device"] = n.Device,
                    ["receivedBytesPerSecond"] = Math.Round(n.ReceivedBytesPerSecond),
                    ["sentBytesPerSecond"] = Math.Round(n.SentBytesPerSecond),
                })]),
                ["throttledPercent"] = d.ThrottledPercent is { } t ? Round(t) : null,
                ["hostIo"] = new JsonArray([.. d.HostIo.Select(h => (JsonNode)new JsonObject
                {
                    ["device"] = h.Device,
                    ["readBytesPerSecond"] = Math.Round(h.ReadBytesPerSecond),
                    ["writeBytesPerSecond"] = Math.Round(h.WriteBytesPerSecond),
                    ["readsPerSecond"] = Round(h.ReadOpsPerSecond),
                    ["writesPerSecond"] = Round(h.WriteOpsPerSecond),
                })]),
                ["alerts"] = new JsonArray([.. AlertRules.Of(d, thresholds).Select(AlertJson)]),
            });
        }

        var document = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["uri"] = uri,
            ["intervalSeconds"] = figures.Domains.Count > 0 ? Round(figures.Domains[0].IntervalNs / 1e9) : null,
            ["host"] = new JsonObject
            {
                ["tcpRetransmitPercent"] = host?.TcpRetransmitPercent is { } r ? Round(r) : null,
                ["reclaimEfficiencyPercent"] = host?.ReclaimEfficiencyPercent is { } e ? Round(e) : null,
                ["pressure"] = pressure,
                ["disks"] = new JsonArray([.. (host?.Disks ?? []).Select(h => (JsonNode)new JsonObject
                {
                    ["device"] = h.Device,
                    ["inFlight"] = h.InFlight,
                    ["queueDepth"] = Round(h.QueueDepth),
                    ["latencyMs"] = h.LatencyMs is { } l ? Round(l) : null,
                })]),
                ["alerts"] = new JsonArray([.. (host is null ? [] : AlertRules.Of(host, thresholds)).Select(AlertJson)]),
            },
            ["domains"] = domains,
        };
        return document.ToJsonString() + "\n";   // one compact line per sample (NDJSON), so that a pipe to jq reads each as it comes
    }

    private static IEnumerable<Alert> AlertsOf(SweepFigures figures, AlertThresholds thresholds) =>
        (figures.Host is null ? [] : AlertRules.Of(figures.Host, thresholds)).Concat(figures.Domains.SelectMany(d => AlertRules.Of(d, thresholds)));

    private static JsonNode DiskJson(DiskFigures disk) => new JsonObject
    {
        ["device"] = disk.Device,
        ["queueDepth"] = Round(disk.QueueDepth),
        ["latencyMs"] = disk.LatencyMs is { } l ? Round(l) : null,
        ["readBytesPerSecond"] = Math.Round(disk.ReadBytesPerSecond),
        ["writeBytesPerSecond"] = Math.Round(disk.WriteBytesPerSecond),
    };

    private static JsonNode AlertJson(Alert a) => new JsonObject
    {
        ["subject"] = a.Subject,
        ["metric"] = a.Metric,
        ["severity"] = a.Severity.ToString().ToLowerInvariant(),
        ["value"] = Round(a.Value),
        ["threshold"] = a.Threshold,
    };

    private static string HostLine(HostFigures? host) =>
        host is null
            ? "host: no interval yet"
            : $"host: tcp retransmit {Percent(host.TcpRetransmitPercent)} %, reclaim efficiency {Percent(host.ReclaimEfficiencyPercent)} %, pressure "
              + (host.PressureSomePercent.Count == 0 ? "n/a" : string.Join(", ", host.PressureSomePercent.OrderBy(p => p.Key).Select(p => $"{p.Key.ToString().ToLowerInvariant()} {p.Value:0.0} %")));

    private static string Ready(double percent, AlertThresholds thresholds)
    {
        string value = percent.ToString("0.0", CultureInfo.InvariantCulture);
        return percent >= thresholds.ReadyCriticalPercent ? $"[red]{value}[/]" : percent >= thresholds.ReadyWarningPercent ? $"[yellow]{value}[/]" : value;
    }

    /// <summary>The deepest average queue over the domain's block devices, or "-" without any.</summary>
    private static string Queue(DomainFigures d) =>
        d.Disks.Count == 0 ? "-" : d.Disks.Max(k => k.QueueDepth).ToString("0.0", CultureInfo.InvariantCulture);

    private static string Percent(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "-";

    private static double Round(double value) => Math.Round(value, 2);
}
