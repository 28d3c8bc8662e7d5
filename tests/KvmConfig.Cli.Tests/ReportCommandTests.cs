using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig report</c> end to end on a history with known contents (<see cref="ReportHistory"/>): the worst
/// offender is the VM made worst, in every format; the HTML is self-contained, its lines bounded, its thresholds
/// drawn; and the bad input of issue 5, each exit 2 with the file left as it was.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ReportCommandTests : IDisposable
{
    // The history's two hours, and a bit on each side.
    private static readonly string[] Range = ["--since", "2025-03-01T00:00Z", "--until", "2025-03-01T03:00Z"];

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-report-").FullName;

    public ReportCommandTests()
    {
        History = Path.Combine(_dir, "history.db");
        ReportHistory.Write(History);
    }

    private string History { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Text_names_the_worst_offenders_and_counts_the_alerts()
    {
        CliResult r = Run(["report", "--history", History, .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        string[] lines = r.Out.Split('\n');
        Assert.Equal($"kvmconfig report: {History}", lines[0]);
        Assert.Equal("range 2025-03-01T00:00:00Z to 2025-03-01T03:00:00Z (UTC)", lines[1]);
        Assert.Equal("720 sweeps from 2025-03-01T00:00:00Z to 2025-03-01T01:59:50Z, 3 domains", lines[2]);

        // CPU ready: db1 first, its 30 % on vCPU 1 at minute 60
        string firstReady = lines[SkipHeader(lines, "CPU ready, worst first")];
        Assert.Matches(@"^  db1 +30\.00 % +2025-03-01T01:00:00Z +1 +", firstReady);

        // Memory overhead: web1 first; disk queue: web1's vda at 250
        Assert.StartsWith("  web1 ", lines[SkipHeader(lines, "Memory overhead, worst first")], StringComparison.Ordinal);
        Assert.Matches(@"^  web1 +vda +250\.00 +2025-03-01T01:30:00Z", lines[SkipHeader(lines, "Disk queue depth, worst first")]);
        Assert.Contains("Alerts: 3 raised (1 critical), 1 still raised at the end", r.Out, StringComparison.Ordinal);
        Assert.Contains("  2025-03-01T01:00:00Z  critical: db1 vcpu 1 ready 30 % (at or above 10 %), until 2025-03-01T01:03:00Z", r.Out, StringComparison.Ordinal);
        Assert.Contains("  2025-03-01T00:00:00Z  warning: web1 memory_overhead 40 % (above 30 %), still raised", r.Out, StringComparison.Ordinal);
        Assert.Contains("TCP retransmit max      6.00 %", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_follows_the_documented_contract()
    {
        CliResult r = Run(["report", "--history", History, "--format", "json", .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        JsonNode document = JsonNode.Parse(r.Out)!;
        Assert.Equal(History, (string?)document["history"]);
        Assert.Equal(HistoryStore.SchemaVersion, (int?)document["schemaVersion"]);
        Assert.Equal("2025-03-01T00:00:00.000Z", (string?)document["since"]);
        Assert.Equal(720, (int?)document["sweeps"]);
        Assert.Equal("2025-03-01T01:59:50.000Z", (string?)document["lastSweep"]);
        Assert.Equal(10, (double?)document["thresholds"]!["readyCriticalPercent"]);

        JsonArray domains = document["domains"]!.AsArray();
        Assert.Equal(["db1", "web1", ReportHistory.OddName], domains.Select(d => (string?)d!["name"]));
        JsonNode db1 = domains[0]!;
        Assert.Equal(30, (double?)db1["readyPercentMax"]);
        Assert.Equal("2025-03-01T01:00:00.000Z", (string?)db1["readyPercentMaxAt"]);
        Assert.Equal(1, (int?)db1["readyPercentMaxVcpu"]);
        Assert.Equal(2.5, (double?)db1["readyWarningSharePercent"]); // 18 of 720 sweeps
        Assert.Equal(1, (int?)db1["alertsRaised"]);
        JsonNode vda = domains[1]!["disks"]!.AsArray().Single()!;
        Assert.Equal(("vda", 250.0, 0.8), ((string?)vda["device"], (double?)vda["queueDepthMax"], (double?)vda["latencyMsMax"]));
        Assert.Equal(540, (int?)domains[2]!["sweeps"]);

        Assert.Equal(6, (double?)document["host"]!["tcpRetransmitPercentMax"]);
        Assert.Equal((3, 1, 1), ((int?)document["alertCounts"]!["raised"], (int?)document["alertCounts"]!["critical"], (int?)document["alertCounts"]!["open"]));
        JsonArray alerts = document["alerts"]!.AsArray();
        Assert.Equal(
            ["web1 memory_overhead", "db1 vcpu 1 ready", "web1 disk vda disk_queue"],
            alerts.Select(a => $"{(string?)a!["subject"]} {(string?)a["metric"]}"));
        Assert.Null((string?)alerts[0]!["clearedAt"]);
        Assert.Equal("2025-03-01T01:31:00.000Z", (string?)alerts[2]!["clearedAt"]);
    }

    [Fact]
    public void Html_is_one_self_contained_file_with_bounded_charts_thresholds_and_alerts()
    {
        string file = Path.Combine(_dir, "report.html");

        CliResult r = Run(["report", "--history", History, "--html", file, .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal($"wrote {file}\n", r.Err);
        Assert.StartsWith("kvmconfig report: ", r.Out, StringComparison.Ordinal);
        string html = File.ReadAllText(file);

        // Self-contained: nothing fetched, no script
        Assert.StartsWith("<!DOCTYPE html>\n", html, StringComparison.Ordinal);
        foreach (string external in (string[])["<script", "<link", "src=", "href=", "@import", "url(", "http:", "https:"])
        {
            Assert.DoesNotContain(external, html, StringComparison.OrdinalIgnoreCase);
        }

        // The worst offender leads the table; the odd name is escaped everywhere
        Assert.Matches("<tbody>\n<tr><td class=\"name\">db1</td><td class=\"critical\">30.00</td>", html);
        Assert.DoesNotContain(ReportHistory.OddName, html, StringComparison.Ordinal);
        Assert.Contains("web&lt;2&gt;&amp;&quot;x&quot;", html, StringComparison.Ordinal);

        // Charts: each line at most 500 points over its polylines, the thresholds drawn; the host's figures one per panel
        Assert.Equal(["ready-max", "ready-mean", "memory-overhead", "disk-queue", "host-tcp-retransmit", "host-cpu-pressure", "host-memory-pressure", "host-io-pressure", "host-reclaim"],
            ChartIds().Matches(html).Select(m => m.Groups[1].Value));
        Assert.All(ChartIds().Matches(html).Where(m => m.Groups[1].Value.StartsWith("host-", StringComparison.Ordinal)),
            m => Assert.Single(Polylines().Matches(Chart(html, m.Groups[1].Value)).Select(p => p.Groups[1].Value).Distinct()));
        foreach (string chart in html.Split("<svg class=\"chart\" ")[1..])
        {
            Dictionary<string, int> points = Polylines().Matches(chart)
                .GroupBy(m => m.Groups[1].Value)
                .ToDictionary(g => g.Key, g => g.Sum(m => m.Groups[2].Value.Split(' ').Length));
            Assert.NotEmpty(points);
            Assert.All(points, p => Assert.InRange(p.Value, 2, 500));
        }

        string readyMax = Chart(html, "ready-max");
        Assert.Contains("class=\"threshold warning\" data-value=\"5\"", readyMax, StringComparison.Ordinal);
        Assert.Contains("class=\"threshold critical\" data-value=\"10\"", readyMax, StringComparison.Ordinal);
        Assert.Contains("data-series=\"web&lt;2&gt;&amp;&quot;x&quot;\"", readyMax, StringComparison.Ordinal);
        Assert.Contains("class=\"threshold warning\" data-value=\"30\"", Chart(html, "memory-overhead"), StringComparison.Ordinal);
        Assert.Contains("class=\"threshold warning\" data-value=\"200\"", Chart(html, "disk-queue"), StringComparison.Ordinal);
        Assert.Contains("data-series=\"web1 vda\"", Chart(html, "disk-queue"), StringComparison.Ordinal);
        Assert.Contains("buckets of 14.4 s", html, StringComparison.Ordinal);

        // The alerts raised
        Assert.Contains("<td class=\"time\">2025-03-01T01:00:00Z</td><td class=\"time\">2025-03-01T01:03:00Z</td><td class=\"name critical\">critical</td><td class=\"name\">db1 vcpu 1</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"name\">web1 disk vda</td><td class=\"name\">disk_queue</td><td>250.00 requests</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"time\">still raised</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_heatmap_has_a_row_per_domain_worst_first_coloured_by_the_thresholds_above_the_line_charts()
    {
        string file = Path.Combine(_dir, "report.html");

        Assert.Equal(0, Run(["report", "--history", History, "--html", file, .. Range]).Exit);

        // Above the line charts, a row per domain in the table's order
        string html = File.ReadAllText(file);
        int heatmapAt = html.IndexOf("<svg class=\"heatmap\" id=\"heatmap-ready\"", StringComparison.Ordinal);
        Assert.InRange(heatmapAt, 0, html.IndexOf("<svg class=\"chart\"", StringComparison.Ordinal));
        string heatmap = html[heatmapAt..html.IndexOf("</svg>", heatmapAt, StringComparison.Ordinal)];
        Assert.Equal(["db1", "web1", "web&lt;2&gt;&amp;&quot;x&quot;"], HeatmapNames().Matches(heatmap).Select(m => m.Groups[1].Value));

        // 720 sweeps over 7190 s in 120 columns: db1's three critical minutes from minute 60 are columns 60 to 62
        // (3600 s x 120 / 7190 = 60.1, 3770 s x 120 / 7190 = 62.9), and only those; the rest of its row is below warning
        List<(string Domain, string Class, int From, int To)> cells = [.. HeatmapCells().Matches(heatmap)
            .Select(m => (m.Groups[2].Value, m.Groups[1].Value, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture)))];
        Assert.Equal([("db1", "ok", 0, 59), ("db1", "critical", 60, 62), ("db1", "ok", 63, 119)], cells.Where(c => c.Domain == "db1"));

        // the odd name starts at minute 30: nothing drawn before column 30
        Assert.Equal(30, cells.Where(c => c.Domain != "db1" && c.Domain != "web1").Min(c => c.From));
    }

    [Fact]
    public void The_heatmap_colours_by_the_thresholds_of_the_config_directory()
    {
        // db1's 2.5 % is a warning once the warning is 2 %; its 30 % stays below a critical level of 40 %
        using var config = new ConfigDir(("00-cpu.conf", "[alerts]\nready_warning = 2%\nready_critical = 40%\n"));
        string file = Path.Combine(_dir, "report.html");

        Assert.Equal(0, Run(["report", "--history", History, "--html", file, "--config-dir", config.Dir, .. Range]).Exit);

        string html = File.ReadAllText(file);
        Assert.Equal([("db1", "warning", 0, 119)], HeatmapCells().Matches(html).Where(m => m.Groups[2].Value == "db1")
            .Select(m => (m.Groups[2].Value, m.Groups[1].Value, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Contains("warning, 2 % and above", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_spike_survives_the_downsampling_of_the_chart()
    {
        string file = Path.Combine(_dir, "report.html");

        Assert.Equal(0, Run(["report", "--history", History, "--html", file, .. Range]).Exit);

        // db1's line in the ready-max chart reaches the height of 30 % (the y axis runs 0 to 30 in steps of 5)
        string readyMax = Chart(File.ReadAllText(file), "ready-max");
        double top = double.Parse(YTicks().Matches(readyMax).Single(m => m.Groups[2].Value == "30").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - 4;
        IEnumerable<double> ys = Polylines().Matches(readyMax).Where(m => m.Groups[1].Value == "db1")
            .SelectMany(m => m.Groups[2].Value.Split(' ')).Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(top, ys.Min(), precision: 1);
    }

    [Fact]
    public void An_alert_raised_before_the_range_and_still_raised_is_listed_but_not_counted_as_raised_in_it()
    {
        CliResult r = Run("report", "--history", History, "--format", "json", "--since", "2025-03-01T01:00Z", "--until", "2025-03-01T01:10Z");

        Assert.True(r.Exit == 0, r.Err);
        JsonNode document = JsonNode.Parse(r.Out)!;
        Assert.Equal(
            ["web1 memory_overhead 2025-03-01T00:00:00.000Z -", "db1 vcpu 1 ready 2025-03-01T01:00:00.000Z 2025-03-01T01:03:00.000Z"],
            document["alerts"]!.AsArray().Select(a => $"{(string?)a!["subject"]} {(string?)a["metric"]} {(string?)a["raisedAt"]} {(string?)a["clearedAt"] ?? "-"}"));
        Assert.Equal((1, 1, 1), ((int?)document["alertCounts"]!["raised"], (int?)document["alertCounts"]!["critical"], (int?)document["alertCounts"]!["open"]));
        Assert.Equal(0, (int?)document["domains"]!.AsArray().Single(d => (string?)d!["name"] == "web1")!["alertsRaised"]);
    }

    [Fact]
    public void A_range_without_samples_says_so_and_succeeds()
    {
        string file = Path.Combine(_dir, "empty.html");

        CliResult text = Run("report", "--history", History, "--since", "2024-01-01T00:00Z", "--until", "2024-01-02T00:00Z", "--html", file);
        CliResult json = Run("report", "--history", History, "--since", "2024-01-01T00:00Z", "--until", "2024-01-02T00:00Z", "--format", "json");

        Assert.True(text.Exit == 0, text.Err);
        Assert.EndsWith("range 2024-01-01T00:00:00Z to 2024-01-02T00:00:00Z (UTC)\nno samples in this range\n", text.Out, StringComparison.Ordinal);
        Assert.Contains("No samples in this range.", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.Equal(0, json.Exit);
        JsonNode document = JsonNode.Parse(json.Out)!;
        Assert.Equal(0, (int?)document["sweeps"]);
        Assert.Null(document["firstSweep"]);
        Assert.Empty(document["domains"]!.AsArray());
    }

    [Fact]
    public void Thresholds_come_from_the_config_directory()
    {
        using var config = new ConfigDir(("00-cpu.conf", "[alerts]\nready_warning = 3%\nready_critical = 20%\n"));
        string file = Path.Combine(_dir, "report.html");

        CliResult r = Run(["report", "--history", History, "--html", file, "--config-dir", config.Dir, .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        string readyMax = Chart(File.ReadAllText(file), "ready-max");
        Assert.Contains("class=\"threshold warning\" data-value=\"3\"", readyMax, StringComparison.Ordinal);
        Assert.Contains("class=\"threshold critical\" data-value=\"20\"", readyMax, StringComparison.Ordinal);
        Assert.Contains("(per vCPU: warning at 3 %, critical at 20 %)", r.Out, StringComparison.Ordinal);
    }

    private static int SkipHeader(string[] lines, string title) => Array.FindIndex(lines, l => l.StartsWith(title, StringComparison.Ordinal)) + 2;

    private static string Chart(string html, string id)
    {
        int start = html.IndexOf($"id=\"chart-{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chart {id}");
        return html[start..html.IndexOf("</svg>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<svg class=\"chart\" id=\"chart-([a-z-]+)\"")]
    private static partial Regex ChartIds();

    [GeneratedRegex("<polyline class=\"series\" data-series=\"([^\"]*)\" stroke=\"[^\"]*\" points=\"([^\"]*)\"")]
    private static partial Regex Polylines();

    [GeneratedRegex("<text class=\"tick\" x=\"[0-9.]+\" y=\"([0-9.]+)\" text-anchor=\"end\">([^<]+)</text>")]
    private static partial Regex YTicks();

    [GeneratedRegex("<text class=\"name\" [^>]*>([^<]*)<title>")]
    private static partial Regex HeatmapNames();

    [GeneratedRegex("<rect class=\"cell ([a-z]+)\" data-domain=\"([^\"]*)\" data-from=\"([0-9]+)\" data-to=\"([0-9]+)\"")]
    private static partial Regex HeatmapCells();
}
