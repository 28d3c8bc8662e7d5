using System.Text.Json.Nodes;
using KvmConfig.Core.Cost;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig tco --compare kvm,vsphere --html</c> as a real browser draws it: Debian's headless Chromium lays out a
/// copy of the page with a small script appended that writes what it drew (each bar's drawn width, the amount it
/// stands for, the labels and the legend) into the DOM, which <c>--dump-dom</c> prints; the figures are compared with
/// those of <c>--format json</c> from the same run.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TcoBrowserTests : IDisposable
{
    private const string MeasureScript = """
        <script>
        (() => {
          const svg = document.getElementById('split');
          const box = svg.getBoundingClientRect();
          const bar = r => ({ scenario: r.dataset.scenario, item: r.dataset.item, amount: Number(r.dataset.amount), width: r.getBBox().width, visible: getComputedStyle(r).visibility === 'visible' });
          const out = document.createElement('pre');
          out.id = 'kvmconfig-measurements';
          out.textContent = JSON.stringify({
            chart: { width: box.width, height: box.height },
            legend: [...svg.querySelectorAll('.legend-item')].map(t => t.textContent),
            shares: [...svg.querySelectorAll('rect.share')].map(bar),
            items: [...svg.querySelectorAll('rect.item')].map(bar),
            values: [...svg.querySelectorAll('text.value')].map(t => t.textContent),
            totals: [...svg.querySelectorAll('text.total')].map(t => t.textContent),
            textOutside: [...svg.querySelectorAll('text')].filter(t => { const b = t.getBBox(); return b.x < 0 || b.x + b.width > svg.width.baseVal.value + 0.5; }).map(t => t.textContent),
          });
          document.body.appendChild(out);
        })();
        </script>
        """;

    private static readonly string[] Items = ["hardware", "licence", "energy", "operations"];

    private readonly ConfigDir _dir = new(
        ("00-cpu.conf", "[host]\nsmt = prefer\n"),
        ("90-cost.conf", "[cost]\nhost_price = 6250\n\n[cost kvm]\nlicence_per_node = 0\n\n[cost vsphere]\nlicence_per_node = 5000\n"));

    private readonly string _work = Directory.CreateTempSubdirectory("kvmconfig-tco-browser-").FullName;

    [Fact]
    public void The_compared_scenarios_are_drawn_with_the_figures_of_the_json()
    {
        // Given the white paper's cluster priced as KVM alone and with vSphere's licences, as JSON and as a page
        string page = Path.Combine(_work, "tco.html");
        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "3", "--vms", "40", "--compare", "kvm,vsphere", "--format", "json", "--html", page);
        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonArray scenarios = JsonNode.Parse(r.Out)!["scenarios"]!.AsArray();

        // When Chromium lays out a copy with the measuring script
        string measured = Path.Combine(_work, "measured.html");
        File.WriteAllText(measured, File.ReadAllText(page).Replace("</body>", $"{MeasureScript}</body>", StringComparison.Ordinal));
        string dom = HeadlessChromium.Run(_work, 1280, 900, "--dump-dom", new Uri(measured).AbsoluteUri);
        int start = dom.IndexOf("<pre id=\"kvmconfig-measurements\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the measuring script wrote nothing; the DOM was:\n{dom[..Math.Min(dom.Length, 2000)]}");
        start = dom.IndexOf('>', start) + 1;
        JsonNode m = JsonNode.Parse(System.Net.WebUtility.HtmlDecode(dom[start..dom.IndexOf("</pre>", start, StringComparison.Ordinal)]))!;

        // Then the chart is laid out, with a legend of the four items and no label outside it
        Assert.True((double)m["chart"]!["width"]! > 0 && (double)m["chart"]!["height"]! > 0, $"the chart has no size: {m["chart"]}");
        Assert.Equal(Items, m["legend"]!.AsArray().Select(t => (string)t!));
        Assert.Empty(m["textOutside"]!.AsArray());

        // each scenario has a bar per item standing for the JSON's amount, drawn in proportion to it (licence 0: no width)
        JsonNode[] items = [.. m["items"]!.AsArray().Select(i => i!)];
        Assert.Equal(8, items.Length);
        double scale = items.Where(i => (double)i["amount"]! > 0).Select(i => (double)i["width"]! / (double)i["amount"]!).First();
        foreach (JsonNode scenario in scenarios.Select(s => s!))
        {
            string name = (string)scenario["scenario"]!;
            foreach (string item in Items)
            {
                JsonNode drawn = items.Single(i => (string)i["scenario"]! == name && (string)i["item"]! == item);
                Assert.Equal((decimal)scenario[item]!, (decimal)(double)drawn["amount"]!);
                Assert.True(Math.Abs(((double)drawn["amount"]! * scale) - (double)drawn["width"]!) < 1, $"{name} {item}: {drawn["width"]} px for {drawn["amount"]}, the scale is {scale} px a unit");
                Assert.True((bool)drawn["visible"]!, $"{name} {item} is hidden");

                // and its label says the amount as the text and JSON reports write it
                Assert.Contains(m["values"]!.AsArray(), v => ((string)v!).StartsWith($"{name}: {Tco.Money((decimal)scenario[item]!, "USD")} (", StringComparison.Ordinal));
            }
        }

        // the stacked bars are as long as each total against the largest, and end with the total written
        double[] stacked = [.. scenarios.Select(s => m["shares"]!.AsArray().Where(b => (string)b!["scenario"]! == (string)s!["scenario"]!).Sum(b => (double)b!["width"]!))];
        decimal[] totals = [.. scenarios.Select(s => (decimal)s!["total"]!)];
        Assert.Equal([58_000m, 78_000m], totals);
        Assert.True(Math.Abs((stacked[0] / stacked[1]) - (double)(totals[0] / totals[1])) < 0.005, $"stacked bars {string.Join(", ", stacked)} px for totals {string.Join(", ", totals)}");
        Assert.Equal(totals.Select(t => Tco.Money(t, "USD")), m["totals"]!.AsArray().Select(t => (string)t!));
    }

    public void Dispose()
    {
        _dir.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
