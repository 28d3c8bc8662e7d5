using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>The size of a chart in SVG units (the page scales it down to its width, never up).</summary>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
internal sealed record ChartSize(double Width, double Height)
{
    /// <summary>A chart of the domains, across the page.</summary>
    public static readonly ChartSize Wide = new(880, 260);

    /// <summary>One panel of the host's picture, two side by side.</summary>
    public static readonly ChartSize Panel = new(540, 170);

    /// <summary>Time ticks at most, about one per 110 units so that their labels never touch.</summary>
    public int MaxTimeTicks => Math.Max(2, (int)(Width / 110));
}

/// <summary>
/// A <see cref="Chart"/> as an inline SVG line chart: time (UTC) across, the figure up, one polyline per run of
/// consecutive samples of each line (a gap of more than three usual steps, a VM that was stopped, breaks it), dashed
/// threshold lines with their labels. The y axis fits the values: a threshold stretches it only when it is at most
/// twice the highest value, and one further up is named above the plot instead, so that lines far below their
/// threshold are not flattened against the bottom. Pure and deterministic: invariant numbers, one decimal for
/// coordinates.
/// </summary>
/// <remarks>
/// For scripts and tests: each line's polylines carry <c>class="series"</c> and <c>data-series</c> (its name),
/// each threshold on the axis a <c>line</c> with <c>class="threshold warning|critical"</c> and <c>data-value</c>, each
/// threshold above it a <c>tspan class="threshold-label above warning|critical"</c> with <c>data-value</c>.
/// </remarks>
internal static class ReportSvg
{
    /// <summary>Line colours, in the order of the chart's lines (Tableau 10's first eight, legible on white).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"];

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

    // Average advance of a character of the 11px tick labels, for the left margin to hold the widest.
    private const double DigitWidth = 6.6;

    /// <summary>
    /// The chart over <paramref name="from"/>..<paramref name="to"/> (the report's first and last sweep), of
    /// <paramref name="size"/> (<see cref="ChartSize.Wide"/> by default).
    /// </summary>
    public static string Render(Chart chart, DateTimeOffset from, DateTimeOffset to, ChartSize? size = null)
    {
        size ??= ChartSize.Wide;
        (from, to) = Widen(from, to);
        double[] values = [.. chart.Series.SelectMany(s => s.Points.Select(p => p.Value))];
        (List<ThresholdLine> onAxis, List<ThresholdLine> above) = FitThresholds(chart.Thresholds, values.Max());
        double[] axis = [.. values, .. onAxis.Select(t => t.Value)];
        (double low, double high, double step) = Scale(Math.Min(0, axis.Min()), Math.Max(0, axis.Max()));

        // The left margin holds the widest tick label and the unit written above them.
        double left = (YTicks(low, high, step).Select(v => Tick(v).Length).Append(chart.Unit.Length).Max() * DigitWidth) + 14;
        double plotWidth = size.Width - left - Right;
        double plotHeight = size.Height - Top - Bottom;
        double X(DateTimeOffset at) => left + ((at - from) / (to - from) * plotWidth);
        double Y(double value) => Top + ((high - value) / (high - low) * plotHeight);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" id=\"chart-{chart.Id}\" viewBox=\"0 0 {N(size.Width)} {N(size.Height)}\" width=\"{N(size.Width)}\" height=\"{N(size.Height)}\" role=\"img\" aria-label=\"{E(chart.Title)}\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{E(chart.Title)}</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"plot\" x=\"{N(left)}\" y=\"{N(Top)}\" width=\"{N(plotWidth)}\" height=\"{N(plotHeight)}\"/>\n");

        // Y axis: gridlines and labels at every step, the unit above the labels.
        foreach (double v in YTicks(low, high, step))
        {
            double y = Y(v);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(left)}\" y1=\"{N(y)}\" x2=\"{N(size.Width - Right)}\" y2=\"{N(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(left - 6)}\" y=\"{N(y + 4)}\" text-anchor=\"end\">{Tick(v)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<text class=\"unit\" x=\"{N(left - 6)}\" y=\"{N(Top - 12)}\" text-anchor=\"end\">{E(chart.Unit)}</text>\n");

        foreach ((DateTimeOffset at, string label) in TimeTicks(from, to, size.MaxTimeTicks))
        {
            double x = X(at);
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(x)}\" y1=\"{N(Top)}\" x2=\"{N(x)}\" y2=\"{N(size.Height - Bottom)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(x)}\" y=\"{N(size.Height - Bottom + 16)}\" text-anchor=\"middle\">{label}</text>\n");
        }

        if (above.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"threshold-above\" x=\"{N(size.Width - Right)}\" y=\"{N(Top - 8)}\" text-anchor=\"end\">above this axis: ");
            svg.AppendJoin(", ", above.Select(t => $"<tspan class=\"threshold-label above {(t.Critical ? "critical" : "warning")}\" data-value=\"{Tick(t.Value)}\">{E(t.Label)}</tspan>"));
            svg.Append("</text>\n");
        }

        foreach (ThresholdLine threshold in onAxis)
        {
            double y = Y(threshold.Value);
            string kind = threshold.Critical ? "critical" : "warning";
            svg.Append(CultureInfo.InvariantCulture, $"<line class=\"threshold {kind}\" data-value=\"{Tick(threshold.Value)}\" x1=\"{N(left)}\" y1=\"{N(y)}\" x2=\"{N(size.Width - Right)}\" y2=\"{N(y)}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"threshold-label {kind}\" x=\"{N(size.Width - Right - 4)}\" y=\"{N(y - 4)}\" text-anchor=\"end\">{E(threshold.Label)}</text>\n");
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
    /// The thresholds drawn on the axis (at most twice the highest value, <paramref name="peak"/>) and those named
    /// above it.
    /// </summary>
    internal static (List<ThresholdLine> OnAxis, List<ThresholdLine> Above) FitThresholds(IEnumerable<ThresholdLine> thresholds, double peak)
    {
        ILookup<bool, ThresholdLine> near = thresholds.ToLookup(t => t.Value <= 2 * Math.Max(peak, 0));
        return ([.. near[true]], [.. near[false]]);
    }

    /// <summary>
    /// The time ticks of <paramref name="from"/>..<paramref name="to"/>: whole multiples in UTC of the first step
    /// giving at most <paramref name="maxTicks"/>, labelled as briefly as the range allows.
    /// </summary>
    internal static IEnumerable<(DateTimeOffset At, string Label)> TimeTicks(DateTimeOffset from, DateTimeOffset to, int maxTicks)
    {
        TimeSpan timeStep = TimeSteps.FirstOrDefault(s => (to - from) / s <= maxTicks, TimeSteps[^1]);
        string format = timeStep >= TimeSpan.FromDays(1) ? "yyyy-MM-dd" : to - from <= TimeSpan.FromDays(1) ? "HH:mm" : "MM-dd HH:mm";
        if (timeStep < TimeSpan.FromMinutes(1))
        {
            format = "HH:mm:ss";
        }

        long stepMs = (long)timeStep.TotalMilliseconds;
        for (long ms = (from.ToUnixTimeMilliseconds() + stepMs - 1) / stepMs * stepMs; ms <= to.ToUnixTimeMilliseconds(); ms += stepMs)
        {
            DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(ms);
            yield return (at, at.UtcDateTime.ToString(format, CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A single sweep, or a few seconds of them, still gets a minute of axis so that it has a place.</summary>
    internal static (DateTimeOffset From, DateTimeOffset To) Widen(DateTimeOffset from, DateTimeOffset to)
    {
        if (to - from >= TimeSpan.FromMinutes(1))
        {
            return (from, to);
        }

        DateTimeOffset middle = from + ((to - from) / 2);
        return (middle - TimeSpan.FromSeconds(30), middle + TimeSpan.FromSeconds(30));
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

    private static IEnumerable<double> YTicks(double low, double high, double step)
    {
        for (double v = low; v <= high + (step / 2); v += step)
        {
            yield return v;
        }
    }

    /// <summary>A number of SVG coordinates: invariant, one decimal at most.</summary>
    internal static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A tick or threshold value: invariant, three decimals at most.</summary>
    internal static string Tick(double value) => Math.Round(value, 6).ToString("0.###", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
