using System.Text.Json;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig tco</c>: the white paper's figures by default ($70,000 for 4 nodes over 3 years), a KVM-only estimate,
/// the legacy keys, bad <c>[cost]</c> values refused at their place, and the HTML page's chart
/// (<c>TcoCompareTests</c> has <c>--compare</c>).
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
    [InlineData("operations_per_node_year = 1,500", "operations_per_node_year '1,500' is not a non-negative number")]
    public void A_cost_value_that_is_negative_or_not_a_number_is_KVC011_at_its_place_and_no_page_is_written(string line, string message)
    {
        _dir.Write("90-cost.conf", $"[cost]\n{line}\n");
        string page = Path.Combine(_dir.Dir, "tco.html");

        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--html", page);

        Assert.Equal(1, r.Exit);
        Assert.Contains("error[KVC011]: " + message, r.Out, StringComparison.Ordinal);
        Assert.Contains("90-cost.conf:2:", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("TCO:", r.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(page));
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

    [Fact]
    public void Per_year_and_per_vm_month_follow_years_and_vms()
    {
        // 4 nodes, 1 year: 25,000 + 12,000 + 3,000 + 8,000 = 48,000; over 100 VMs, 48,000 / 12 / 100 = 40 a VM-month
        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "1", "--vms", "100", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal((48_000m, 48_000m, 40m), (root.GetProperty("total").GetDecimal(), root.GetProperty("perYear").GetDecimal(), root.GetProperty("perVmMonth").GetDecimal()));
        Assert.Contains("per VM-month = per year / 12 / VMs = USD 48,000 / 12 / 100 = USD 40", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_legacy_keys_price_beside_the_per_year_amounts_and_each_input_says_which_key_gave_it()
    {
        // Given the older keys for energy and operations, and the white paper's per-year key for operations beside them
        _dir.Write("90-cost.conf", "[cost]\nhost_price = 7000\npower_watts = 250\nenergy_price_kwh = 0.10\npue = 1.2\nopex_per_host_year = 1200\noperations_per_node_year = 1500\n");

        CliResult r = CliRunner.Run("tco", "--config-dir", _dir.Dir, "--nodes", "2", "--years", "4", "--format", "json");

        // Then energy is 250 W x 8,766 h x 1.2 x 0.10 / 1,000 = 262.98 a node-year, operations_per_node_year wins over
        // opex_per_host_year: 2 x 7,000 + 2 x 3,000 + 4 x 2 x (262.98 + 1,500) = 34,103.84
        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        JsonElement inputs = root.GetProperty("inputs");
        Assert.Equal(34_103.84m, root.GetProperty("total").GetDecimal());
        Assert.Equal(262.98m, inputs.GetProperty("energyPerNodeYear").GetProperty("value").GetDecimal());
        Assert.StartsWith("power_watts 250 x 8766 h", inputs.GetProperty("energyPerNodeYear").GetProperty("source").GetString(), StringComparison.Ordinal);
        Assert.Equal("[cost] operations_per_node_year", inputs.GetProperty("operationsPerNodeYear").GetProperty("source").GetString());
        Assert.Equal("[cost] host_price", inputs.GetProperty("hostPrice").GetProperty("source").GetString());
    }

    public void Dispose() => _dir.Dispose();
}
