using System.Text.Json;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig tco</c>: the white paper's figures by default ($70,000 for 4 nodes over 3 years), a KVM-only estimate,
/// bad <c>[cost]</c> values refused at their place, and the HTML page's chart.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TcoCommandTests : IDisposable
{
    private readonly ConfigDir _dir = new(("00-cpu.conf", "[host]\nsmt = prefer\n"));

    [Fact]
    public void The_defaults_price_four_nodes_over_three_years_at_the_white_papers_70000()
    {
        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "3", "--vms", "40", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(70_000m, root.GetProperty("total").GetDecimal());
        Assert.Equal(23_333.33m, root.GetProperty("perYear").GetDecimal());
        Assert.Equal(48.61m, root.GetProperty("perVmMonth").GetDecimal());
        Assert.Equal(12_000m, root.GetProperty("licence").GetDecimal());
        Assert.Equal("the white paper's default", root.GetProperty("inputs").GetProperty("hostPrice").GetProperty("source").GetString());
    }

    [Fact]
    public void A_kvm_only_estimate_reads_licence_0_and_the_arithmetic_shows_it()
    {
        _dir.Write("90-cost.conf", "[cost]\nlicence_per_node = 0\n");

        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "3");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("licence    = nodes x licence_per_node = 4 x USD 0 = USD 0 (paid once)", r.Out, StringComparison.Ordinal);
        Assert.Contains("USD 58,000", r.Out, StringComparison.Ordinal);
        Assert.Contains("none: KVM alone", r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("host_price = -5000", "host_price '-5000' is not a non-negative number")]
    [InlineData("energy_per_node_year = lots", "energy_per_node_year 'lots' is not a non-negative number")]
    public void A_cost_value_that_is_negative_or_not_a_number_is_KVC011_at_its_place(string line, string message)
    {
        _dir.Write("90-cost.conf", $"[cost]\n{line}\n");

        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4");

        Assert.Equal(1, r.Exit);
        Assert.Contains("error[KVC011]: " + message, r.Out, StringComparison.Ordinal);
        Assert.Contains("90-cost.conf:2:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_page_draws_each_cost_item_with_its_share()
    {
        string page = Path.Combine(_dir.Dir, "tco.html");

        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "3", "--html", page);

        Assert.True(r.Exit == 0, r.Out + r.Err);
        string html = File.ReadAllText(page);
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(html, "<rect class=\"item\""));
        Assert.Contains("<title>hardware: 35.7 %</title>", html, StringComparison.Ordinal);
        Assert.Contains("USD 70,000", html, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
