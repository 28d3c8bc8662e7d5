using System.Globalization;
using System.Net;
using System.Text;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core.Cost;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>tco --html</c>: one self-contained page: the cost split as a bar chart (one bar per item, its share of the
/// total as a stacked bar above), the figures as a table, the arithmetic and the inputs with their sources.
/// </summary>
internal static class TcoHtml
{
    private static readonly (string Label, string Colour)[] Items = [("hardware", "#4e79a7"), ("licence", "#e15759"), ("energy", "#edc948"), ("operations", "#59a14f")];

    /// <summary>Writes the page; false after saying why when the file cannot be written.</summary>
    public static bool Write(string file, TcoEstimate estimate, string nodesFrom)
    {
        try
        {
            File.WriteAllText(file, Render(estimate, nodesFrom));
            Console.Error.WriteLine($"wrote {file}");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailureRenderer.Write(CliErrors.CannotWriteReport(file, "--html", e));
            return false;
        }
    }

    public static string Render(TcoEstimate e, string nodesFrom)
    {
        string c = e.Inputs.Currency;
        decimal[] amounts = [e.Hardware, e.Licence, e.Energy, e.Operations];
        decimal total = Math.Max(e.Total, 0.01m);
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kvmconfig TCO</title>\n");
        sb.Append("<style>body{font-family:sans-serif;margin:2em;max-width:60em}td,th{padding:.2em .8em;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}pre{background:#f4f4f4;padding:1em;overflow-x:auto}</style></head><body>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<h1>Total cost of ownership</h1>\n<p>{e.Nodes} node{(e.Nodes == 1 ? "" : "s")} ({Html(nodesFrom)}) over {e.Years} years{(e.Vms > 0 ? $", shared by {e.Vms} VMs" : "")}: <b>{Html(Tco.Money(e.Total, c))}</b>, {Html(Tco.Money(e.PerYear, c))} a year{(e.Vms > 0 ? $", {Html(Tco.Money(decimal.Round(e.PerVmMonth, 2), c))} per VM-month" : "")}.</p>\n");

        // The split: a stacked bar of shares, then one bar per item scaled to the largest.
        const int Width = 640;
        decimal largest = Math.Max(amounts.Max(), 0.01m);
        sb.Append(CultureInfo.InvariantCulture, $"<svg id=\"split\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width + 220}\" height=\"{60 + (Items.Length * 30)}\" font-size=\"13\">\n");
        decimal x = 0;
        for (int i = 0; i < Items.Length; i++)
        {
            decimal w = amounts[i] / total * Width;
            sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"share\" x=\"{x:0.##}\" y=\"0\" width=\"{w:0.##}\" height=\"24\" fill=\"{Items[i].Colour}\"><title>{Items[i].Label}: {amounts[i] / total * 100:0.#} %</title></rect>\n");
            x += w;
        }

        for (int i = 0; i < Items.Length; i++)
        {
            int y = 44 + (i * 30);
            decimal w = amounts[i] / largest * Width;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 15}\">{Items[i].Label}</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect class=\"item\" x=\"90\" y=\"{y}\" width=\"{w * (Width - 90) / Width:0.##}\" height=\"20\" fill=\"{Items[i].Colour}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{96 + (w * (Width - 90) / Width):0.##}\" y=\"{y + 15}\">{Html(Tco.Money(amounts[i], c))} ({amounts[i] / total * 100:0.#} %)</text>\n");
        }

        sb.Append("</svg>\n<h2>Figures</h2>\n<table>\n");
        foreach ((string label, decimal amount) in (ReadOnlySpan<(string, decimal)>)[("hardware (paid once)", e.Hardware), ("licence (paid once)", e.Licence), ("energy", e.Energy), ("operations", e.Operations), ("total", e.Total), ("per year", e.PerYear), ("amortized per year", e.AmortizedPerYear), ("per VM-month", e.PerVmMonth)])
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html(label)}</td><td>{Html(Tco.Money(decimal.Round(amount, 2), c))}</td></tr>\n");
        }

        sb.Append("</table>\n<h2>How it is computed</h2>\n<pre>");
        sb.Append(Html(string.Join("\n", e.Formula)));
        sb.Append("</pre>\n<h2>Inputs, per node</h2>\n<table>\n");
        foreach ((string key, string source) in e.Inputs.Sources.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"<tr><td>{Html(key)}</td><td>{Html(source)}</td></tr>\n");
        }

        return sb.Append("</table>\n</body></html>\n").ToString();
    }

    private static string Html(string text) => WebUtility.HtmlEncode(text);
}
