using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// <c>kvmconfig report --html FILE</c>: one self-contained HTML file (its CSS inline, its charts inline SVG, no
/// script, font, image or stylesheet fetched from anywhere), readable offline and attachable to a ticket. Sections:
/// the range and thresholds, the worst offenders, CPU ready of every domain as a heatmap (<see cref="ReportHeatmap"/>)
/// above the line charts (<see cref="ReportSvg"/>), the host with one chart panel per measure, the alerts. Tables keep
/// names and times on one line and fit the page's width at 1280 pixels with 50 and more domains.
/// Every name from the history (domains, devices, alert subjects) and the file's path are HTML-escaped. Pure and
/// deterministic for a given report: no clock, invariant numbers.
/// </summary>
internal static class ReportHtml
{
    // The page's only style; system fonts, so nothing is fetched.
    private const string Style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        h1 { font-size: 1.5em; margin-bottom: 0.2em; }
        h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
        h3 { font-size: 1em; margin: 1.2em 0 0.3em; }
        p.meta, p.note { color: #555; margin: 0.3em 0; }
        div.table { max-width: 100%; overflow-x: auto; }
        table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
        th, td { border: 1px solid #ddd; padding: 3px 6px; text-align: right; }
        th { background: #f4f4f4; vertical-align: bottom; }
        td { white-space: nowrap; }
        td.name, th.name, td.time, th.time { text-align: left; }
        td.warning { background: #fff3cd; }
        td.critical { background: #f8d7da; }
        code { background: #f4f4f4; padding: 0 3px; overflow-wrap: anywhere; }
        svg.chart, svg.heatmap { display: block; max-width: 100%; height: auto; font-size: 11px; }
        svg.heatmap .name { font-size: 10px; fill: #333; }
        svg.heatmap .grid { stroke: #999; }
        svg.heatmap .tick { fill: #555; }
        div.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 4px 24px; }
        div.panels h3 { margin-top: 0.6em; }
        svg.chart .plot { fill: #fff; stroke: #bbb; }
        svg.chart .grid { stroke: #eee; }
        svg.chart .tick, svg.chart .unit { fill: #555; }
        svg.chart .series { fill: none; stroke-width: 1.5; }
        svg.chart circle.series { stroke: none; }
        svg.chart .threshold { stroke-width: 1; stroke-dasharray: 6 4; }
        svg.chart .threshold.warning { stroke: #d08700; }
        svg.chart .threshold.critical { stroke: #c62828; }
        svg.chart .threshold-label.warning { fill: #a06800; }
        svg.chart .threshold-label.critical { fill: #c62828; }
        svg.chart .threshold-above { fill: #555; }
        ul.legend { list-style: none; padding: 0; margin: 0.2em 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.9em; }
        ul.legend span { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 5px; }
        ul.legend.cells span { height: 10px; }
        """;

    /// <summary>The HTML document; with <paramref name="forecast"/>, its section last (<see cref="ForecastHtml"/>).</summary>
    public static string Render(HistoryReport report, HistoryForecast? forecast = null)
    {
        string end = (forecast is null ? "" : ForecastHtml.Render(forecast)) + "</body>\n</html>\n";
        var html = new StringBuilder();
        string range = $"{ReportRange.Time(report.Range.Since)} to {ReportRange.Time(report.Range.Until)}";
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta name=\"generator\" content=\"kvmconfig report\">\n");
        html.Append(Invariant($"<title>kvmconfig report, {E(range)}</title>\n<style>\n{Style}{(forecast is null ? "" : ForecastHtml.Style)}</style>\n</head>\n<body>\n"));
        html.Append("<h1>kvmconfig report</h1>\n");
        html.Append(Invariant($"<p class=\"meta\">History <code>{E(report.History)}</code>, from {E(range)} (all times UTC).</p>\n"));

        if (report.Sweeps == 0)
        {
            html.Append("<p class=\"empty\">No samples in this range.</p>\n").Append(end);
            return html.ToString();
        }

        html.Append(Invariant($"<p class=\"meta\">{report.Sweeps} sweeps from {ReportRange.Time(report.First!.Value)} to {ReportRange.Time(report.Last!.Value)}, {report.Domains.Count} domains.</p>\n"));
        if (report.SchemaVersion < 2)
        {
            html.Append("<p class=\"note\">This history is of schema 1: it kept no disk figures and no alerts.</p>\n");
        }

        var t = report.Thresholds;
        html.Append(Invariant($"<p class=\"meta\">Thresholds ([alerts]): CPU ready per vCPU warning at {t.ReadyWarningPercent} %, critical at {t.ReadyCriticalPercent} %; memory overhead above {t.MemoryOverheadPercent} %; disk queue above {t.DiskQueueDepthRequests} requests; TCP retransmits above {t.TcpRetransmitPercent} %; page-reclaim efficiency below {t.ReclaimEfficiencyPercent} %; CPU pressure above {t.CpuPressurePercent} %.</p>\n"));

        Offenders(html, report);
        Charts(html, report);
        Host(html, report);
        Alerts(html, report);
        html.Append(end);
        return html.ToString();
    }

    private static void Offenders(StringBuilder html, HistoryReport report)
    {
        var t = report.Thresholds;
        html.Append("<h2 id=\"offenders\">Worst offenders</h2>\n");
        html.Append("<p class=\"note\">Every domain measured in the range, worst first: by the highest CPU ready % of any vCPU, then by the mean.</p>\n");
        html.Append("<div class=\"table\"><table class=\"offenders\">\n<thead><tr><th class=\"name\">Domain</th><th>Ready max %</th><th class=\"time\">at</th><th>vCPU</th><th>Ready mean %</th>"
            + "<th>Time at or above warning</th><th>CPU mean %</th><th>Memory overhead max %</th><th>Disk queue max</th><th>Throttled max %</th><th>Alerts raised</th></tr></thead>\n<tbody>\n");
        foreach (DomainSummary d in report.Domains)
        {
            string readyClass = d.ReadyPercentMax >= t.ReadyCriticalPercent ? "critical" : d.ReadyPercentMax >= t.ReadyWarningPercent ? "warning" : "";
            string memoryClass = d.MemoryOverheadPercentMax > t.MemoryOverheadPercent ? "warning" : "";
            string diskClass = d.DiskQueueDepthMax > t.DiskQueueDepthRequests ? "warning" : "";
            html.Append(Invariant($"<tr><td class=\"name\">{E(d.Name)}</td>{Cell(Number(d.ReadyPercentMax), readyClass)}<td class=\"time\">{ReportRange.Time(d.ReadyPercentMaxAt)}</td>"));
            html.Append(Invariant($"<td>{d.ReadyPercentMaxVcpu?.ToString(CultureInfo.InvariantCulture) ?? "-"}</td><td>{Number(d.ReadyPercentMean)}</td><td>{Number(d.ReadyWarningSharePercent)} %</td>"));
            html.Append(Invariant($"<td>{Number(d.CpuPercentMean)}</td>{Cell(Number(d.MemoryOverheadPercentMax), memoryClass)}{Cell(Number(d.DiskQueueDepthMax), diskClass)}"));
            html.Append(Invariant($"<td>{Number(d.ThrottledPercentMax)}</td><td>{d.AlertsRaised}</td></tr>\n"));
        }

        html.Append("</tbody>\n</table></div>\n");
    }

    private static void Charts(StringBuilder html, HistoryReport report)
    {
        html.Append("<h2 id=\"charts\">Over time</h2>\n");
        string lines = Invariant($"Each chart draws at most the {HistoryReport.MaxSeriesPerChart} lines with the highest peaks.");
        string points = report.BucketWidth is { } width
            ? Invariant($" Long lines are cut into {HistoryReport.MaxPointsPerSeries} buckets of {Duration(width)} and keep the highest value of each, so spikes survive.")
            : "";
        if (report.ReadyHeatmap is { } map)
        {
            Heatmap(html, map, report.Thresholds);
        }

        html.Append(Invariant($"<p class=\"note\">{lines}{points} Dashed lines are the [alerts] thresholds; a threshold more than twice the highest value is named above the chart instead of stretching its axis.</p>\n"));
        foreach (Chart chart in report.Charts)
        {
            LineChart(html, chart, report, ChartSize.Wide);
        }
    }

    private static void Heatmap(StringBuilder html, Heatmap map, AlertThresholds t)
    {
        html.Append(Invariant($"<h3>{E(map.Title)}</h3>\n"));
        string cell = map.ColumnWidth > TimeSpan.Zero ? $"the highest vCPU ready % of the sweeps in its {Duration(map.ColumnWidth)}" : "the highest vCPU ready % of the one sweep";
        html.Append(Invariant($"<p class=\"note\">One row per domain, worst first as in the table; each cell is {cell}, coloured by the [alerts] thresholds.</p>\n"));
        html.Append(ReportHeatmap.Render(map));
        html.Append("<ul class=\"legend cells\">");
        html.Append(Invariant($"<li><span style=\"background:{ReportHeatmap.Fills["ok"]}\"></span>below {Number(t.ReadyWarningPercent, "0.##")} %</li>"));
        html.Append(Invariant($"<li><span style=\"background:{ReportHeatmap.Fills["warning"]}\"></span>warning, {Number(t.ReadyWarningPercent, "0.##")} % and above</li>"));
        html.Append(Invariant($"<li><span style=\"background:{ReportHeatmap.Fills["critical"]}\"></span>critical, {Number(t.ReadyCriticalPercent, "0.##")} % and above</li>"));
        html.Append(Invariant($"<li><span style=\"background:{ReportHeatmap.NotMeasuredFill}\"></span>not measured</li>"));
        html.Append("</ul>\n");
    }

    private static void LineChart(StringBuilder html, Chart chart, HistoryReport report, ChartSize size)
    {
        html.Append(Invariant($"<h3>{E(chart.Title)}</h3>\n"));
        if (chart.SeriesTotal > chart.Series.Count)
        {
            html.Append(Invariant($"<p class=\"note\">{chart.Series.Count} of {chart.SeriesTotal} lines: the highest peaks.</p>\n"));
        }

        html.Append(ReportSvg.Render(chart, report.First!.Value, report.Last!.Value, size));
        html.Append("<ul class=\"legend\">");
        for (int i = 0; i < chart.Series.Count; i++)
        {
            html.Append(Invariant($"<li><span style=\"background:{ReportSvg.Palette[i % ReportSvg.Palette.Length]}\"></span>{E(chart.Series[i].Name)}</li>"));
        }

        html.Append("</ul>\n");
    }

    private static void Host(StringBuilder html, HistoryReport report)
    {
        if (report.Host is not { } host)
        {
            return;
        }

        var t = report.Thresholds;
        html.Append("<h2 id=\"host\">Host</h2>\n");
        html.Append(Invariant($"<p class=\"note\">{host.Samples} sweeps with host figures.</p>\n"));
        html.Append("<div class=\"table\"><table class=\"host\">\n<thead><tr><th class=\"name\">Figure</th><th>Worst</th><th>Threshold</th></tr></thead>\n<tbody>\n");
        html.Append(Invariant($"<tr><td class=\"name\">TCP retransmit max %</td>{Cell(Number(host.TcpRetransmitPercentMax), host.TcpRetransmitPercentMax > t.TcpRetransmitPercent ? "warning" : "")}<td>above {t.TcpRetransmitPercent}</td></tr>\n"));
        html.Append(Invariant($"<tr><td class=\"name\">Page-reclaim efficiency min %</td>{Cell(Number(host.ReclaimEfficiencyPercentMin), host.ReclaimEfficiencyPercentMin < t.ReclaimEfficiencyPercent ? "warning" : "")}<td>below {t.ReclaimEfficiencyPercent}</td></tr>\n"));
        html.Append(Invariant($"<tr><td class=\"name\">CPU pressure max %</td>{Cell(Number(host.CpuPressurePercentMax), host.CpuPressurePercentMax > t.CpuPressurePercent ? "warning" : "")}<td>above {t.CpuPressurePercent}</td></tr>\n"));
        html.Append(Invariant($"<tr><td class=\"name\">Memory pressure max %</td><td>{Number(host.MemoryPressurePercentMax)}</td><td>-</td></tr>\n"));
        html.Append(Invariant($"<tr><td class=\"name\">IO pressure max %</td><td>{Number(host.IoPressurePercentMax)}</td><td>-</td></tr>\n"));
        html.Append("</tbody>\n</table></div>\n");
        if (report.HostCharts.Count > 0)
        {
            html.Append("<p class=\"note\">One panel per measure, each on its own axis.</p>\n<div class=\"panels\">\n");
            foreach (Chart chart in report.HostCharts)
            {
                html.Append("<div class=\"panel\">\n");
                LineChart(html, chart, report, ChartSize.Panel);
                html.Append("</div>\n");
            }

            html.Append("</div>\n");
        }
    }

    private static void Alerts(StringBuilder html, HistoryReport report)
    {
        html.Append("<h2 id=\"alerts\">Alerts raised</h2>\n");
        html.Append(Invariant($"<p class=\"note\">{report.AlertsRaised} raised ({report.AlertsRaisedCritical} critical), {report.AlertsOpen} still raised at the end of the range.</p>\n"));
        if (report.Alerts.Count == 0)
        {
            return;
        }

        html.Append("<div class=\"table\"><table class=\"alerts\">\n<thead><tr><th class=\"time\">Raised</th><th class=\"time\">Cleared</th><th class=\"name\">Severity</th><th class=\"name\">Subject</th>"
            + "<th class=\"name\">Metric</th><th>Value</th><th>Threshold</th></tr></thead>\n<tbody>\n");
        foreach (AlertEpisode a in report.Alerts)
        {
            string severity = a.Severity == AlertSeverity.Critical ? "critical" : "warning";
            string unit = a.Metric == Alert.DiskQueue ? " requests" : " %";
            html.Append(Invariant($"<tr><td class=\"time\">{(a.RaisedAt is { } r ? ReportRange.Time(r) : "unknown (pruned)")}</td>"));
            html.Append(Invariant($"<td class=\"time\">{(a.ClearedAt is { } c ? ReportRange.Time(c) : "still raised")}</td><td class=\"name {severity}\">{severity}</td>"));
            html.Append(Invariant($"<td class=\"name\">{E(a.Subject)}</td><td class=\"name\">{E(a.Metric)}</td><td>{Number(a.Value)}{unit}</td><td>{Number(a.Threshold)}{unit}</td></tr>\n"));
        }

        html.Append("</tbody>\n</table></div>\n");
    }

    private static string Cell(string text, string cssClass) => cssClass.Length == 0 ? $"<td>{text}</td>" : $"<td class=\"{cssClass}\">{text}</td>";

    private static string Number(double? value, string format = "0.00") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    // A bucket width as people say it: 20 min, 1.5 h, 2 d.
    private static string Duration(TimeSpan width) =>
        width.TotalMinutes < 1 ? Invariant($"{width.TotalSeconds:0.#} s")
        : width.TotalHours < 1 ? Invariant($"{width.TotalMinutes:0.#} min")
        : width.TotalDays < 1 ? Invariant($"{width.TotalHours:0.#} h")
        : Invariant($"{width.TotalDays:0.#} d");

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
