using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core.Cost;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>tco --html</c>: one self-contained page: the cost split as a chart (per scenario a stacked bar of its items,
/// its length its total; then per item one bar per scenario, all on one scale), a legend, the figures as a table
/// with a column per scenario, the arithmetic and the inputs with their sources.
/// </summary>
internal static class TcoHtml
{
    private static readonly (string Label, string Colour)[] Items = [("hardware", "#4e79a7"), ("licence", "#e15759"), ("energy", "#edc948"), ("operations", "#59a14f")];

    // The chart's geometry: labels left of the bars, bars up to Width, amounts right of them.
    private const int Left = 90;
    private const int Width = 640;
    private const int Right = 230;

    /// <summary>Writes the page; false after saying why when the file cannot be written.</summary>
    public static bool Write(string file, IReadOnlyList<TcoEstimate> estimates, string nodesFrom)
    {
        try
        {
            File.WriteAllText(file, Render(estimates, nodesFrom));
            Console.Error.WriteLine($"wrote {file}");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailureRenderer.Write(CliErrors.CannotWriteReport(file, "--html", e));
            return false;
        }
    }

    public static string Render(IReadOnlyList<TcoEstimate> estimates, string nodesFrom)
    {
        TcoEstimate first = estimates[0];
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kvmconfig TCO</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:2em;max-width:60em}td,th{padding:.2em .8em;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}pre{background:#f4f4f4;padding:1em;overflow-x:auto}</style></head><body>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Total cost of ownership</h1>\n<p>{first.Nodes} node{(first.Nodes == 1 ? "" : "s")} ({Html(nodesFrom)}) over {first.Years} years{(first.Vms > 0 ? $", shared by {first.Vms} VMs" : "")}:</p>\n<ul>\n");
        foreach (TcoEstimate e in estimates)
        {
            string c = e.Inputs.Currency;
            sb.Append(CultureInfo.InvariantCulture, $"<li class=\"summary\">{(estimates.Count > 1 ? Html(e.Inputs.Label) + ": " : "")}<b>{Html(Tco.Money(e.Total, c))}</b>, {Html(Tco.Money(e.PerYear, c))} a year{(e.Vms > 0 ? $", {Html(Tco.Money(decimal.Round(e.PerVmMonth, 2), c))} per VM-month" : "")}</li>\n");
        }

        sb.Append("</ul>\n");
        Chart(sb, estimates);
        sb.Append("<h2>Figures</h2>\n<table>\n<tr><th></th>");
        sb.AppendJoin("", estimates.Select(e => $"<th>{Html(e.Inputs.Label)}</th>")).Append("</tr>\n");
        (string, Func<TcoEstimate, decimal>)[] rows =
        [
            ("hardware (paid once)", e => e.Hardware), ("licence (paid once)", e => e.Licence), ("energy", e => e.Energy), ("operations", e => e.Operations),
            ("total", e => e.Total), ("per year", e => e.PerYear), ("amortized per year", e => e.AmortizedPerYear), ("per VM-month", e => e.PerVmMonth),
        ];
        foreach ((string label, Func<TcoEstimate, decimal> amount) in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html(label)}</td>");
            sb.AppendJoin("", estimates.Select(e => $"<td>{Html(Tco.Money(decimal.Round(amount(e), 2), e.Inputs.Currency))}</td>")).Append("</tr>\n");
        }

        sb.Append("</table>\n");
        foreach (TcoEstimate e in estimates)
        {
            string of = estimates.Count > 1 ? $": {Html(e.Inputs.Label)}" : "";
            sb.Append(CultureInfo.InvariantCulture, $"<h2>How it is computed{of}</h2>\n<pre>{Html(string.Join("\n", e.Formula))}</pre>\n<h2>Inputs, per node{of}</h2>\n<table>\n");
            foreach ((string key, string source) in e.Inputs.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html(key)}</td><td>{Html(source)}</td></tr>\n");
            }

            sb.Append("</table>\n");
        }

        return sb.Append("</body></html>\n").ToString();
    }

    // The legend; per scenario a stacked bar of its items, as long as its total is against the largest total; then
    // per item one bar per scenario, scaled to the largest item of any scenario, its amount and share written after it.
    private static void Chart(StringBuilder sb, IReadOnlyList<TcoEstimate> estimates)
    {
        int n = estimates.Count;
        decimal largestTotal = Math.Max(estimates.Max(e => e.Total), 0.01m);
        decimal largestItem = Math.Max(estimates.Max(e => Amounts(e).Max()), 0.01m);
        int itemsTop = 30 + (n * 30) + 14;
        int height = itemsTop + (Items.Length * ((n * 26) + 8)) + 10;
        sb.Append(CultureInfo.InvariantCulture, $"<svg id=\"split\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + Width + Right}\" height=\"{height}\" font-size=\"13\">\n<g class=\"legend\">");
        for (int i = 0; i < Items.Length; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left + (i * 110)}\" y=\"2\" width=\"12\" height=\"12\" fill=\"{Items[i].Colour}\"/><text class=\"legend-item\" x=\"{Left + (i * 110) + 16}\" y=\"13\">{Items[i].Label}</text>");
        }

        sb.Append("</g>\n");
        for (int s = 0; s < n; s++)
        {
            TcoEstimate e = estimates[s];
            decimal[] amounts = Amounts(e);
            decimal total = Math.Max(e.Total, 0.01m);
            int y = 30 + (s * 30);
            decimal x = Left;
            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"scenario\" x=\"0\" y=\"{y + 16}\">{Html(Short(e.Inputs.Label))}</text>");
            for (int i = 0; i < Items.Length; i++)
            {
                decimal w = amounts[i] / largestTotal * Width;
                sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"share\" data-scenario=\"{Html(e.Inputs.Label)}\" data-item=\"{Items[i].Label}\" data-amount=\"{amounts[i]}\" x=\"{x:0.##}\" y=\"{y}\" width=\"{w:0.##}\" height=\"24\" fill=\"{Items[i].Colour}\"><title>{Items[i].Label}: {amounts[i] / total * 100:0.#} %</title></rect>");
                x += w;
            }

            sb.Append(CultureInfo.InvariantCulture, $"<text class=\"total\" x=\"{x + 6:0.##}\" y=\"{y + 16}\">{Html(Tco.Money(e.Total, e.Inputs.Currency))}</text>\n");
        }

        for (int i = 0; i < Items.Length; i++)
        {
            int groupTop = itemsTop + (i * ((n * 26) + 8));
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{groupTop + 15}\">{Items[i].Label}</text>");
            for (int s = 0; s < n; s++)
            {
                TcoEstimate e = estimates[s];
                decimal amount = Amounts(e)[i];
                decimal w = amount / largestItem * Width;
                int y = groupTop + (s * 26);
                string who = n > 1 ? $"{Html(Short(e.Inputs.Label))}: " : "";
                sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"item\" data-scenario=\"{Html(e.Inputs.Label)}\" data-item=\"{Items[i].Label}\" data-amount=\"{amount}\" x=\"{Left}\" y=\"{y}\" width=\"{w:0.##}\" height=\"20\" fill=\"{Items[i].Colour}\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<text class=\"value\" x=\"{Left + w + 6:0.##}\" y=\"{y + 15}\">{who}{Html(Tco.Money(amount, e.Inputs.Currency))} ({amount / Math.Max(e.Total, 0.01m) * 100:0.#} %)</text>\n");
            }
        }

        sb.Append("</svg>\n");
    }

    private static decimal[] Amounts(TcoEstimate e) => [e.Hardware, e.Licence, e.Energy, e.Operations];

    // A scenario's name as the chart's left column has room for it.
    private static string Short(string label) => label.Length <= 12 ? label : label[..11] + "…";

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
