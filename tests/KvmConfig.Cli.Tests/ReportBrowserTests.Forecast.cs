using System.Text.Json.Nodes;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The forecast section of <c>report --forecast --html</c> as Chromium lays it out: every forecast chart has its
/// measured line and its band drawn, the band to the right of the measured line's end, and its labels inside.
/// </summary>
public sealed partial class ReportBrowserTests
{
    // Per forecast chart: the boxes of the measured line and the band, in SVG units, and the labels outside it.
    private const string ForecastScript = """
        <script>
        (() => {
          const box = el => { if (!el) return null; const b = el.getBBox(); return { x: b.x, width: b.width, height: b.height }; };
          const inside = (svg, el) => { const b = el.getBBox(), v = svg.viewBox.baseVal; return b.x >= v.x - 0.5 && b.x + b.width <= v.x + v.width + 0.5; };
          const charts = [...document.querySelectorAll('svg.chart.forecast')].map(svg => ({
            id: svg.id,
            subject: svg.dataset.subject,
            measured: box(svg.querySelector('polyline.measured')),
            band: box(svg.querySelector('polygon.band')),
            textOutside: [...svg.querySelectorAll('text')].filter(t => !inside(svg, t)).map(t => t.textContent),
          }));
          const page = document.documentElement;
          const out = document.createElement('pre');
          out.id = 'kvmconfig-measurements';
          out.textContent = JSON.stringify({ scrollWidth: page.scrollWidth, clientWidth: page.clientWidth, charts });
          document.body.appendChild(out);
        })();
        </script>
        """;

    [Fact]
    public void The_forecast_band_is_drawn_after_the_measured_line_in_every_forecast_chart()
    {
        // Given a week of a growing VM, a VM with a daily cycle and a flat one, reported with --forecast as HTML
        string history = Path.Combine(_dir, "forecast.db");
        string page = Path.Combine(_dir, "forecast.html");
        ForecastHistory.Write(history, [ForecastCases.Crossing[3], ForecastCases.Crossing[19], ForecastCases.Flat[1]], ForecastCases.HistoryDays, TimeSpan.FromMinutes(5));
        CliResult r = Run("report", "--history", history, "--forecast", "--html", page, "--since", "2025-03-07T00:00Z", "--until", "2025-03-08T00:00Z");
        Assert.True(r.Exit == 0, r.Err);

        // When a copy with the measuring script is laid out
        string measured = Path.Combine(_dir, "forecast-measured.html");
        File.WriteAllText(measured, File.ReadAllText(page).Replace("</body>", $"{ForecastScript}</body>", StringComparison.Ordinal));
        string dom = Chromium("--dump-dom", new Uri(measured).AbsoluteUri);
        int start = dom.IndexOf("<pre id=\"kvmconfig-measurements\">", StringComparison.Ordinal);
        Assert.True(start >= 0, "the measuring script wrote nothing");
        start = dom.IndexOf('>', start) + 1;
        JsonNode m = JsonNode.Parse(System.Net.WebUtility.HtmlDecode(dom[start..dom.IndexOf("</pre>", start, StringComparison.Ordinal)]))!;

        // Then the page does not scroll sideways, and the first chart is the VM that crosses soonest
        Assert.True((int)m["scrollWidth"]! <= (int)m["clientWidth"]!, $"the page scrolls sideways: {m["scrollWidth"]} > {m["clientWidth"]}");
        JsonArray charts = m["charts"]!.AsArray();
        Assert.True(charts.Count >= 3, $"{charts.Count} forecast charts");
        Assert.Equal(ForecastCases.Crossing[3].Name, (string)charts[0]!["subject"]!);

        // and in each, the measured line and the band are drawn, the band from where the line ends to the right
        Assert.All(charts, c =>
        {
            JsonNode line = c!["measured"]!;
            JsonNode band = c["band"]!;
            Assert.True((double)line["width"]! > 0 && (double)band["width"]! > 0, $"{c["id"]}: nothing drawn: {c}");
            Assert.True((double)band["x"]! >= (double)line["x"]! + (double)line["width"]! - 0.5, $"{c["id"]}: the band starts before the measured line ends: {c}");
            Assert.True(c["textOutside"]!.AsArray().Count == 0, $"{c["id"]}: labels outside the chart: {c["textOutside"]}");
        });
    }
}
