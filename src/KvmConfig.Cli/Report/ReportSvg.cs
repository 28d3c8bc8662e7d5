using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// A <see cref="Chart"/> as an inline SVG line chart: time (UTC) across, the figure up, one polyline per run of
/// consecutive samples of each line (a gap of more than three usual steps, a VM that was stopped, breaks it), dashed
/// threshold lines with their labels. Pure and deterministic: invariant numbers, one decimal for coordinates.
/// </summary>
/// <remarks>
/// For scripts and tests: each line's polylines carry <c>class="series"</c> and <c>data-series</c> (its name),
/// each threshold a <c>line</c> with <c>class="threshold warning|critical"</c> and <c>data-value</c>.
/// </remarks>
internal static class ReportSvg
{
    /// <summary>Line colours, in the order of the chart's lines (Tableau 10's first eight, legible on white).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"];

    private const double Width = 880;
    private const double Height = 260;
    private const double Left = 60;
    private const double Right = 16;
    private const double Top = 26;
    private const double Bottom = 28;

    // Time steps the x axis may tick at; the first giving at most eight ticks is used.
    private static readonly TimeSpan[] TimeSteps =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2),
        TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromDays(7),
        TimeSpan.FromDays(14), TimeSpan.FromDays(30), TimeSpan.FromDays(90), TimeSpan.FromDays(365),
    ];

    /// <summary>The chart over <paramref name="from"/>..<paramref name="to"/> (the report's first and last sweep).</summary>
    public static string Render(Chart chart, DateTimeOffset from, DateTimeOffset to)
    {
        // A single sweep, or a few seconds of them, still gets a minute of axis so that it has a place.
        if (to - from < TimeSpan.FromMinutes(1))
        {
            DateTimeOffset middle = from + ((to - from) / 2);
            (from, to) = (middle - TimeSpan.FromSeconds(30), middle + TimeSpan.FromSeconds(30));
        }

        IEnumerable<double> values = chart.Series.SelectMany(s => s.Points.Select(p => p.Value)).Concat(chart.Thresholds.Select(t => t.Value));
        (double low, double high, double step) = Scale(Math.Min(0, values.Min()), Math.Max(0, values.Max()));
        double plotWidth = Width - Left - Right;
        double plotHeight = Height - Top - Bottom;
        double X(DateTimeOffset at) => Left + ((at - from) / (to - from) * plotWidth);
        double Y(double value) => Top + ((high - value) / (high - low) * plotHeight);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" id=\"chart-{chart.Id}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" width=\"{N(Width)}\" height=\"{N(Height)}\" role=\"img\" aria-label=\"{E(chart.Title)}\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{E(chart.Title)}</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"plot\" x=\"{N(Left)}\" y=\"{N(Top)}\" width=\"{N(plotWidth)}\" height=\"{N(plotHeight)}\"/>\n");

        // Y axis: gridlines and labels at every step, the unit above the labels.
        for (double v = low; v <= high + (step / 2); v += step)
        {
            double y = Y(v);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(Width - Right)}\" y2=\"{N(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(Left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{Tick(v)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"unit\" x=\"{N(Left - 6)}\" y=\"{N(Top - 12)}\" text-anchor=\"end\">{E(chart.Unit)}</text>\n");

        // X axis: ticks at whole multiples of the step in UTC.
        TimeSpan timeStep = TimeSteps.FirstOrDefault(s => (to - from) / s <= 8, TimeSteps[^1]);
        string format = timeStep >= TimeSpan.FromDays(1) ? "yyyy-MM-dd" : to - from <= TimeSpan.FromDays(1) ? "HH:mm" : "MM-dd HH:mm";
        if (timeStep < TimeSpan.FromMinutes(1))
        {
            format = "HH:mm:ss";
        }

        long stepMs = (long)timeStep.TotalMilliseconds;
        for (long ms = (from.ToUnixTimeMilliseconds() + stepMs - 1) / stepMs * stepMs; ms <= to.ToUnixTimeMilliseconds(); ms += stepMs)
        {
            DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            double x = X(at);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(x)}\" y1=\"{N(Top)}\" x2=\"{N(x)}\" y2=\"{N(Height - Bottom)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(x)}\" y=\"{N(Height - Bottom + 16)}\" text-anchor=\"middle\">{at.UtcDateTime.ToString(format, CultureInfo.InvariantCulture)}</text>\n");
        }

        foreach (ThresholdLine threshold in chart.Thresholds)
        {
            double y = Y(threshold.Value);
            string kind = threshold.Critical ? "critical" : "warning";
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"threshold {kind}\" data-value=\"{Tick(threshold.Value)}\" x1=\"{N(Left)}\" y1=\"{N(y)}\" x2=\"{N(Width - Right)}\" y2=\"{N(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"threshold-label {kind}\" x=\"{N(Width - Right - 4)}\" y=\"{N(y - 4)}\" text-anchor=\"end\">{E(threshold.Label)}</text>\n");
        }

        for (int i = 0; i < chart.Series.Count; i++)
        {
            ChartSeries series = chart.Series[i];
            string color = Palette[i % Palette.Length];
            foreach (List<ChartPoint> run in Runs(series.Points))
            {
                if (run.Count == 1)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle class=\"series\" data-series=\"{E(series.Name)}\" cx=\"{N(X(run[0].At))}\" cy=\"{N(Y(run[0].Value))}\" r=\"2\" fill=\"{color}\"><title>{E(series.Name)}</title></circle>\n");
                    continue;
                }

                svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"series\" data-series=\"{E(series.Name)}\" stroke=\"{color}\" points=\"");
                for (int p = 0; p < run.Count; p++)
                {
                    svg.Append(p == 0 ? "" : " ").Append(N(X(run[p].At))).Append(',').Append(N(Y(run[p].Value)));
                }

                svg.Append(CultureInfo.InvariantCulture, $"\"><title>{E(series.Name)}</title></polyline>\n");
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>
    /// The runs of consecutive samples of a line: a new run starts after a gap of more than three times the line's
    /// median step (its sweep interval, or its bucket width once downsampled).
    /// </summary>
    internal static List<List<ChartPoint>> Runs(IReadOnlyList<ChartPoint> points)
    {
        var runs = new List<List<ChartPoint>>();
        if (points.Count == 0)
        {
            return runs;
        }

        List<TimeSpan> steps = [.. points.Zip(points.Skip(1), (a, b) => b.At - a.At).Order()];
        TimeSpan gap = steps.Count == 0 ? TimeSpan.MaxValue : steps[steps.Count / 2] * 3;
        var run = new List<ChartPoint> { points[0] };
        for (int i = 1; i < points.Count; i++)
        {
            if (points[i].At - points[i - 1].At > gap)
            {
                runs.Add(run);
                run = [];
            }

            run.Add(points[i]);
        }

        runs.Add(run);
        return runs;
    }

    /// <summary>
    /// The y axis for values from <paramref name="min"/> to <paramref name="max"/>: bounds at whole steps, the step
    /// 1, 2, 2.5 or 5 times a power of ten giving about five intervals.
    /// </summary>
    internal static (double Low, double High, double Step) Scale(double min, double max)
    {
        if (max - min < 1e-9)
        {
            max = min + 1;
        }

        double raw = (max - min) / 5;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw - 1e-12);
        return (Math.Floor((min / step) + 1e-9) * step, Math.Ceiling((max / step) - 1e-9) * step, step);
    }

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Tick(double value) => Math.Round(value, 6).ToString("0.###", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
