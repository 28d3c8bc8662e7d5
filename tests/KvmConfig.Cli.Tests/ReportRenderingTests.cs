using System.Text.RegularExpressions;
using KvmConfig.Cli.Report;
using KvmConfig.Monitoring.Reports;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>The report's pure pieces: the range, downsampling, the chart's runs, scale and axis, and a golden HTML page.</summary>
public sealed partial class ReportRenderingTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2025, 3, 8, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string?, string?, string?> Ranges => new()
    {
        { "the default: the last day", "24h", null, "2025-03-07T12:00:00Z", "2025-03-08T12:00:00Z" },
        { "both durations back from now, as journalctl", "2h", "30m", "2025-03-08T10:00:00Z", "2025-03-08T11:30:00Z" },
        { "times; one without an offset is UTC", "2025-03-01T00:00", "2025-03-01T06:00+02:00", "2025-03-01T00:00:00Z", "2025-03-01T04:00:00Z" },
        { "a duration longer than history goes back to the Unix epoch", "36000d", null, "1970-01-01T00:00:00Z", "2025-03-08T12:00:00Z" },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Since_and_until_are_durations_back_from_now_or_times(string description, string since, string? until, string? from, string? to)
    {
        _ = description;
        (ReportRange? range, string? error) = ReportRange.Parse(since, until, Now);

        Assert.Null(error);
        Assert.Equal((from, to), (ReportRange.Time(range!.Since), ReportRange.Time(range.Until)));
    }

    [Fact]
    public void Downsampling_bounds_the_points_and_keeps_the_highest_of_each_bucket()
    {
        // Given a week of 10 s samples at 1 % with a single 10 s spike to 42 % in the middle
        List<ChartPoint> week = [.. Enumerable.Range(0, 60480).Select(i => new ChartPoint(T0.AddSeconds(10 * i), i == 30000 ? 42 : 1))];

        IReadOnlyList<ChartPoint> kept = Downsample.Max(week, week[0].At, week[^1].At, 500);

        Assert.Equal(500, kept.Count);
        Assert.Equal(new ChartPoint(T0.AddSeconds(300000), 42), kept.Single(p => p.Value > 1));
        Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First.At < p.Second.At), "oldest first");
        Assert.Equal(week, Downsample.Max(week, week[0].At, week[^1].At, 60480));
    }

    [Fact]
    public void A_gap_of_more_than_three_steps_breaks_a_line_into_runs()
    {
        // 10 s steps, then a 5 minute gap (the VM was stopped), then 10 s steps again, then a single sample
        List<ChartPoint> points = [.. new[] { 0, 10, 20, 30, 330, 340, 350, 900 }.Select(s => new ChartPoint(T0.AddSeconds(s), 1))];

        List<List<ChartPoint>> runs = ReportSvg.Runs(points);

        Assert.Equal([4, 3, 1], runs.Select(r => r.Count));
    }

    [Theory]
    [InlineData(0, 30, 0, 30, 10)]
    [InlineData(0, 12.345, 0, 12.5, 2.5)]
    [InlineData(-4, 40, -10, 40, 10)]
    [InlineData(0, 0, 0, 1, 0.2)]
    [InlineData(0, 250, 0, 250, 50)]
    public void The_y_axis_ends_on_whole_steps_of_1_2_2_5_or_5(double min, double max, double low, double high, double step)
    {
        Assert.Equal((low, high, step), ReportSvg.Scale(min, max));
    }

    [Fact]
    public void A_threshold_far_above_the_values_is_named_above_the_axis_instead_of_flattening_them()
    {
        // Given memory overhead lines of 2 to 3 % under a warning at 30 %
        ThresholdLine[] warning = [new("warning 30 %", 30)];
        var low = new Chart("memory-overhead", "Memory overhead", "%", [new ChartSeries("vm1", [new(T0, 2), new(T0.AddMinutes(5), 3)])], 1, warning, false);

        string svg = ReportSvg.Render(low, T0, T0.AddMinutes(5));

        // Then the axis ends at the values' top, and the threshold is named above it, not drawn
        Assert.Equal(3, YTicks().Matches(svg).Max(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("<tspan class=\"threshold-label above warning\" data-value=\"30\">warning 30 %</tspan>", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<line class=\"threshold", svg, StringComparison.Ordinal);

        // When a line comes within half of it, the axis reaches it and draws it
        string near = ReportSvg.Render(low with { Series = [new ChartSeries("vm1", [new(T0, 2), new(T0.AddMinutes(5), 16)])] }, T0, T0.AddMinutes(5));
        Assert.Equal(30, YTicks().Matches(near).Max(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Contains("<line class=\"threshold warning\" data-value=\"30\"", near, StringComparison.Ordinal);
    }

    [Fact]
    public void The_left_margin_holds_the_widest_tick_label()
    {
        // Overheads of tiny guests reach thousands of percent: "12500" needs more room than "10"
        var chart = new Chart("memory-overhead", "Memory overhead", "%", [new ChartSeries("vm1", [new(T0, 100), new(T0.AddMinutes(5), 12345)])], 1, [], false);

        string svg = ReportSvg.Render(chart, T0, T0.AddMinutes(5));

        // Right-aligned at x, a label of n characters of about 6.6 units starts at x - 6.6 n, which must not be below 0
        Assert.All(YTickLabels().Matches(svg), m => Assert.True(
            double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - (6.6 * m.Groups[2].Value.Length) >= 0, $"tick {m.Groups[2].Value} is cut"));
        Assert.Contains(">12500</text>", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_report_renders_to_the_golden_html()
    {
        // Given twelve sweeps a minute apart of two domains, with a critical alert raised and cleared on one
        var rows = new List<DomainHistoryRow>();
        var host = new List<HostHistoryRow>();
        for (int i = 0; i < 12; i++)
        {
            DateTimeOffset at = T0.AddMinutes(i);
            double spike = i is 5 or 6 ? 14.5 : 1.25;
            rows.Add(new DomainHistoryRow(at, "db<1>", 50, spike / 2, spike, 12.5, [new VcpuReady(0, 0.5), new VcpuReady(1, spike)])
            {
                Disks = [new DiskFigures("vda", i == 8 ? 3.5 : 0.5, 1.2, 4096, 8192)],
            });
            rows.Add(new DomainHistoryRow(at, "web1", 20, 0.5, 0.75, 35, [new VcpuReady(0, 0.75)]));
            host.Add(new HostHistoryRow(at, new HostGauges(0.5, 98, new StallPercent(2, null), new StallPercent(0, 0), new StallPercent(1, 0.25))));
        }

        Alert critical = new("db<1> vcpu 1", "ready", 14.5, 10, AlertSeverity.Critical);
        Alert memory = new("web1", "memory_overhead", 35, 30, AlertSeverity.Warning);
        var history = new HistoryRows(rows, host)
        {
            Alerts =
            [
                new AlertHistoryRow(T0, AlertChange.Raised, memory),
                new AlertHistoryRow(T0.AddMinutes(5), AlertChange.Raised, critical),
                new AlertHistoryRow(T0.AddMinutes(7), AlertChange.Cleared, critical),
            ],
        };
        var range = new ReportRange(T0, T0.AddHours(1));

        // When it is built and rendered
        HistoryReport report = HistoryReport.Build("/var/lib/kvmconfig/history.db", 2, range, AlertThresholds.Default, history);
        string html = ReportHtml.Render(report);

        // Then the worst offender is db<1>, and the page is the golden one, byte for byte
        Assert.Equal(["db<1>", "web1"], report.Domains.Select(d => d.Name));
        Golden.Verify("Report.small.html", html);
        Assert.Equal(html, ReportHtml.Render(HistoryReport.Build("/var/lib/kvmconfig/history.db", 2, range, AlertThresholds.Default, history)));
    }

    [GeneratedRegex("<text class=\"tick\" x=\"[0-9.]+\" y=\"[0-9.]+\" text-anchor=\"end\">([^<]+)</text>")]
    private static partial Regex YTicks();

    [GeneratedRegex("<text class=\"tick\" x=\"([0-9.]+)\" y=\"[0-9.]+\" text-anchor=\"end\">([^<]+)</text>")]
    private static partial Regex YTickLabels();
}
