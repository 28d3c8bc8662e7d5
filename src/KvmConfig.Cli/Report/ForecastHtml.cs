using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Core.Forecasting;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// The HTML report's <b>Forecast</b> section (<c>report --forecast --html FILE</c>): the table of what is expected to
/// reach its threshold (or whose band does), then one
/// chart per measure with a threshold, most urgent first (at most <see cref="MaxCharts"/>): the measured history as
/// the forecast saw it (bucket means), then after it the forecast line and its 95 % band, the threshold dashed,
/// and where the forecast crosses it a marker over the interval. Inline SVG, deterministic, names escaped.
/// </summary>
/// <remarks>
/// For scripts and tests: each chart is <c>&lt;svg class="chart forecast" id="forecast-N"
/// data-subject="S" data-measure="M"&gt;</c>; the measured line a <c>polyline class="series measured"</c>, the
/// band a <c>polygon class="band"</c> starting where the measured line ends, the forecast a <c>polyline
/// class="forecast"</c>, the threshold a <c>line class="threshold warning"</c>, the crossing's interval a
/// <c>rect class="crossing-interval"</c> and its point a <c>line class="crossing"</c>.
/// </remarks>
internal static class ForecastHtml
{
    /// <summary>Charts at most; the table lists every measure with a threshold.</summary>
    public const int MaxCharts = 12;

    /// <summary>The section's style, added to the page's.</summary>
    public const string Style = """
        svg.chart .measured { stroke: #1f77b4; }
        svg.chart .forecast { fill: none; stroke: #6a3d9a; stroke-width: 1.5; stroke-dasharray: 4 3; }
        svg.chart .band { fill: #cab2d6; fill-opacity: 0.45; stroke: none; }
        svg.chart .crossing { stroke: #c62828; stroke-width: 1.5; }
        svg.chart .crossing-interval { fill: #f8d7da; fill-opacity: 0.6; }
        """;

    private static readonly ChartSize Size = ChartSize.Wide;
    private const double Left = 56;
    private const double Right = 16;
    private const double Top = 26;
    private const double Bottom = 28;

    /// <summary>The section.</summary>
    public static string Render(HistoryForecast forecast)
    {
        var html = new StringBuilder();
        html.Append("<h2 id=\"forecast\">Forecast</h2>\n");
        html.Append(Invariant($"<p class=\"meta\">From {forecast.Sweeps} sweeps, {ReportRange.Time(forecast.First)} to {ReportRange.Time(forecast.Last)}, averaged per {Forecaster.Show(forecast.Step)}{(forecast.SeasonLength > 0 ? " with a daily season" : " (trend only: a daily season needs two days of history)")}; horizon {Forecaster.Show(forecast.Horizon)}. Bands are 95 % prediction intervals; the method is in docs/capacity.md.</p>\n"));
        List<MeasureForecast> judged = [.. forecast.Measures.Where(m => m.Forecast?.Crossing is not null)];
        List<MeasureForecast> crossing = [.. judged.Where(m => m.Forecast!.Crossing!.Status != CrossingStatus.NotWithinHorizon || m.Forecast.Crossing.Earliest is not null)];
        html.Append(Invariant($"<p class=\"meta\">{crossing.Count} of {judged.Count} measures with a threshold are expected to reach it, or may (their band does), within the horizon; the others stay below it, band included.</p>\n"));
        html.Append("<div class=\"table\"><table>\n<tr><th class=\"name\">Subject</th><th class=\"name\">Measure</th><th>Now</th><th>Trend a day</th><th>Threshold</th><th class=\"time\">Expected</th><th class=\"time\">Interval</th><th class=\"name\">Method</th></tr>\n");
        foreach (MeasureForecast m in crossing)
        {
            SeriesForecast f = m.Forecast!;
            string css = f.Crossing!.Status switch { CrossingStatus.Already => " class=\"critical\"", CrossingStatus.Expected => " class=\"warning\"", _ => "" };
            html.Append(Invariant($"<tr><td class=\"name\">{E(m.Subject)}</td><td class=\"name\">{E(m.Measure)}</td><td>{N2(f.Current)} {E(m.Unit)}</td><td>{N2(f.SlopePerDay)}</td><td>{N2(f.Crossing.Threshold)} {E(m.Unit)}</td>"));
            html.Append(Invariant($"<td class=\"time\"{css}>{ForecastText.Expected(f.Crossing)}</td><td class=\"time\">{ForecastText.Interval(f.Crossing)}</td><td class=\"name\" title=\"{E(f.Note)}\">{Forecaster.Id(f.Method)}</td></tr>\n"));
        }

        html.Append("</table></div>\n");
        int index = 0;
        foreach (MeasureForecast m in judged.Where(m => m.Measured is not null).Take(MaxCharts))
        {
            html.Append(Invariant($"<h3>{E(m.Subject)} {E(m.Measure)} against its {E(m.ThresholdName ?? "threshold")}</h3>\n"));
            html.Append(Chart(m, index++));
        }

        return html.ToString();
    }

    /// <summary>One measure's history and forecast as an SVG chart.</summary>
    internal static string Chart(MeasureForecast m, int index)
    {
        SeriesForecast f = m.Forecast!;
        RegularSeries measured = m.Measured!;
        double threshold = f.Crossing!.Threshold;
        DateTimeOffset from = measured.TimeOf(0);
        DateTimeOffset to = f.End.At;
        double[] values = [.. measured.Values, .. f.Points.Select(p => p.Lower), .. f.Points.Select(p => p.Upper), threshold];
        (double low, double high, double step) = ReportSvg.Scale(Math.Min(0, values.Min()), values.Max());
        double plotWidth = Size.Width - Left - Right;
        double plotHeight = Size.Height - Top - Bottom;
        double X(DateTimeOffset at) => Left + ((at - from) / (to - from) * plotWidth);
        double Y(double value) => Top + ((high - Math.Clamp(value, low, high)) / (high - low) * plotHeight);

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg class=\"chart forecast\" id=\"forecast-{index}\" data-subject=\"{E(m.Subject)}\" data-measure=\"{E(m.Measure)}\" viewBox=\"0 0 {N(Size.Width)} {N(Size.Height)}\" width=\"{N(Size.Width)}\" height=\"{N(Size.Height)}\" role=\"img\" aria-label=\"{E(m.Subject)} {E(m.Measure)} forecast\">\n"));
        svg.Append(Invariant($"<rect class=\"plot\" x=\"{N(Left)}\" y=\"{N(Top)}\" width=\"{N(plotWidth)}\" height=\"{N(plotHeight)}\"/>\n"));
        for (double v = low; v <= high + (step / 2); v += step)
        {
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{N(Left)}\" y1=\"{N(Y(v))}\" x2=\"{N(Size.Width - Right)}\" y2=\"{N(Y(v))}\"/><text class=\"tick\" x=\"{N(Left - 6)}\" y=\"{N(Y(v) + 4)}\" text-anchor=\"end\">{ReportSvg.Tick(v)}</text>\n"));
        }

        svg.Append(Invariant($"<text class=\"unit\" x=\"{N(Left - 6)}\" y=\"{N(Top - 12)}\" text-anchor=\"end\">{E(m.Unit)}</text>\n"));
        foreach ((DateTimeOffset at, string label) in ReportSvg.TimeTicks(from, to, Size.MaxTimeTicks))
        {
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{N(X(at))}\" y1=\"{N(Top)}\" x2=\"{N(X(at))}\" y2=\"{N(Size.Height - Bottom)}\"/><text class=\"tick\" x=\"{N(X(at))}\" y=\"{N(Size.Height - Bottom + 16)}\" text-anchor=\"middle\">{label}</text>\n"));
        }

        if (f.Crossing.Status == CrossingStatus.Expected || f.Crossing.Earliest is not null)
        {
            double x0 = X(f.Crossing.Earliest ?? to);
            double x1 = X(f.Crossing.Latest ?? to);
            svg.Append(Invariant($"<rect class=\"crossing-interval\" x=\"{N(x0)}\" y=\"{N(Top)}\" width=\"{N(Math.Max(1, x1 - x0))}\" height=\"{N(plotHeight)}\"><title>interval {ForecastText.Interval(f.Crossing)}</title></rect>\n"));
        }

        // The band from the last measured value (no width there) through every forecast point, back along the lower edge.
        ForecastPoint origin = new(measured.Origin, f.Current, f.Current, f.Current);
        List<ForecastPoint> ahead = [origin, .. f.Points];
        svg.Append("<polygon class=\"band\" points=\"");
        svg.AppendJoin(" ", ahead.Select(p => $"{N(X(p.At))},{N(Y(p.Upper))}").Concat(Enumerable.Reverse(ahead).Select(p => $"{N(X(p.At))},{N(Y(p.Lower))}")));
        svg.Append("\"><title>95 % prediction interval</title></polygon>\n");
        svg.Append(Invariant($"<line class=\"threshold warning\" data-value=\"{ReportSvg.Tick(threshold)}\" x1=\"{N(Left)}\" y1=\"{N(Y(threshold))}\" x2=\"{N(Size.Width - Right)}\" y2=\"{N(Y(threshold))}\"/>"));
        svg.Append(Invariant($"<text class=\"threshold-label warning\" x=\"{N(Left + 4)}\" y=\"{N(Y(threshold) - 4)}\">{E(m.ThresholdName ?? "threshold")} {ReportSvg.Tick(threshold)} {E(m.Unit)}</text>\n"));
        svg.Append("<polyline class=\"series measured\" points=\"");
        svg.AppendJoin(" ", measured.Values.Select((v, i) => $"{N(X(measured.TimeOf(i)))},{N(Y(v))}"));
        svg.Append("\"><title>measured</title></polyline>\n");
        svg.Append("<polyline class=\"forecast\" points=\"");
        svg.AppendJoin(" ", ahead.Select(p => $"{N(X(p.At))},{N(Y(p.Value))}"));
        svg.Append("\"><title>forecast</title></polyline>\n");
        if (f.Crossing.At is { } at2)
        {
            svg.Append(Invariant($"<line class=\"crossing\" x1=\"{N(X(at2))}\" y1=\"{N(Top)}\" x2=\"{N(X(at2))}\" y2=\"{N(Size.Height - Bottom)}\"><title>expected {ReportRange.Time(at2)}</title></line>\n"));
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static string N(double value) => ReportSvg.N(value);

    private static string N2(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
