using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// A <see cref="Heatmap"/> as inline SVG: one row per domain, worst first, its name on the left (cut with an
/// ellipsis past <see cref="NameChars"/> characters, whole in the tooltip); time (UTC) across, with the ticks of the
/// line charts above the grid; each cell coloured by the <c>[alerts]</c> thresholds it reached: below the warning,
/// at or above the warning, at or above the critical level (as the ready alerts compare), and left grey where the
/// domain was not measured. Neighbouring cells of one colour are drawn as one rectangle whose tooltip gives its span
/// and highest value, so that 200 domains over 120 columns stay a small page.
/// </summary>
/// <remarks>
/// For scripts and tests: <c>svg class="heatmap" id="heatmap-ID"</c>, each row's name a <c>text class="name"</c>,
/// each run of cells a <c>rect class="cell ok|warning|critical"</c> with <c>data-domain</c>, <c>data-from</c> and
/// <c>data-to</c> (first and last column, from 0) and <c>data-max</c>.
/// </remarks>
internal static class ReportHeatmap
{
    /// <summary>Cell colours by class: pale green below the warning, amber at the warning, red at the critical level.</summary>
    public static readonly IReadOnlyDictionary<string, string> Fills = new Dictionary<string, string>
    {
        ["ok"] = "#cfe8cf",
        ["warning"] = "#f6b94a",
        ["critical"] = "#d32f2f",
    };

    /// <summary>The colour of the plot where no cell is drawn: not measured.</summary>
    public const string NotMeasuredFill = "#eeeeee";

    /// <summary>Characters of a domain name shown before it is cut.</summary>
    public const int NameChars = 32;

    private const double Width = 880;
    private const double RowHeight = 12;
    private const double Top = 24;
    private const double Right = 16;
    private const double Bottom = 4;

    // Average advance of a character of the 10px row names.
    private const double CharWidth = 6.0;

    /// <summary>The heatmap's SVG.</summary>
    public static string Render(Heatmap map)
    {
        double left = (Math.Min(NameChars, map.Rows.Max(r => r.Name.Length)) * CharWidth) + 12;
        double plotWidth = Width - left - Right;
        double height = Top + (map.Rows.Count * RowHeight) + Bottom;
        double column = plotWidth / map.Columns;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg class=\"heatmap\" id=\"heatmap-{map.Id}\" viewBox=\"0 0 {N(Width)} {N(height)}\" width=\"{N(Width)}\" height=\"{N(height)}\" role=\"img\" aria-label=\"{E(map.Title)}\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<title>{E(map.Title)}</title>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"plot\" x=\"{N(left)}\" y=\"{N(Top)}\" width=\"{N(plotWidth)}\" height=\"{N(map.Rows.Count * RowHeight)}\" fill=\"{NotMeasuredFill}\"/>\n");

        // Time ticks over the grid, as on the line charts (a range of a single sweep has none: one column).
        if (map.To - map.From >= TimeSpan.FromMinutes(1))
        {
            foreach ((DateTimeOffset at, string label) in ReportSvg.TimeTicks(map.From, map.To, ChartSize.Wide.MaxTimeTicks))
            {
                double x = left + ((at - map.From) / (map.To - map.From) * plotWidth);
                svg.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{N(x)}\" y1=\"{N(Top - 4)}\" x2=\"{N(x)}\" y2=\"{N(Top)}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text class=\"tick\" x=\"{N(x)}\" y=\"{N(Top - 8)}\" text-anchor=\"middle\">{label}</text>\n");
            }
        }

        double warning = map.Thresholds.Where(t => !t.Critical).Select(t => t.Value).DefaultIfEmpty(double.PositiveInfinity).Min();
        double critical = map.Thresholds.Where(t => t.Critical).Select(t => t.Value).DefaultIfEmpty(double.PositiveInfinity).Min();
        string Class(double value) => value >= critical ? "critical" : value >= warning ? "warning" : "ok";

        for (int r = 0; r < map.Rows.Count; r++)
        {
            HeatmapRow row = map.Rows[r];
            double y = Top + (r * RowHeight);
            string name = row.Name.Length <= NameChars ? row.Name : $"{row.Name[..(NameChars - 1)]}\u2026";
            svg.Append(CultureInfo.InvariantCulture, $"<text class=\"name\" x=\"{N(left - 6)}\" y=\"{N(y + RowHeight - 3)}\" text-anchor=\"end\">{E(name)}<title>{E(row.Name)}</title></text>\n");
            foreach ((int from, int to, double max) in Runs(row.Cells, Class))
            {
                string cls = Class(max);
                string span = $"{ReportRange.Time(map.ColumnStart(from))} to {ReportRange.Time(map.ColumnStart(to + 1))}";
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"cell {cls}\" data-domain=\"{E(row.Name)}\" data-from=\"{from}\" data-to=\"{to}\" data-max=\"{ReportSvg.Tick(max)}\" ");
                svg.Append(CultureInfo.InvariantCulture, $"x=\"{N(left + (from * column))}\" y=\"{N(y)}\" width=\"{N((to - from + 1) * column)}\" height=\"{N(RowHeight - 1)}\" fill=\"{Fills[cls]}\">");
                svg.Append(CultureInfo.InvariantCulture, $"<title>{E(row.Name)}, {span}: up to {ReportSvg.Tick(Math.Round(max, 2))} %</title></rect>\n");
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>
    /// The runs of neighbouring measured cells of one class: first and last column and the highest value among them.
    /// An unmeasured cell ends a run.
    /// </summary>
    internal static IEnumerable<(int From, int To, double Max)> Runs(IReadOnlyList<double?> cells, Func<double, string> classOf)
    {
        int start = -1;
        double max = double.NegativeInfinity;
        for (int c = 0; c <= cells.Count; c++)
        {
            double? value = c < cells.Count ? cells[c] : null;
            if (start >= 0 && (value is not { } v || classOf(v) != classOf(max)))
            {
                yield return (start, c - 1, max);
                start = -1;
            }

            if (value is { } measured)
            {
                if (start < 0)
                {
                    (start, max) = (c, measured);
                }

                max = Math.Max(max, measured);
            }
        }
    }

    private static string N(double value) => ReportSvg.N(value);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
