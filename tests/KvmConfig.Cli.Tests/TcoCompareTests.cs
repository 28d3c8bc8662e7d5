using System.Text.Json;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig tco --compare</c>: <c>[cost NAME]</c> scenarios priced side by side (KVM alone against vSphere's
/// licences on the white paper's cluster), one name against <c>[cost]</c>, and the mistakes: an unknown scenario
/// (KVC083, exit 2), a bad value in a scenario (KVC011 at its place, exit 1), a malformed list (exit 2); none writes a
/// report or a page.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TcoCompareTests : IDisposable
{
    private readonly ConfigDir _dir = new(
        ("00-cpu.conf", "[host]\nsmt = prefer\n"),
        ("90-cost.conf", "[cost]\nhost_price = 6250\n\n[cost kvm]\nlicence_per_node = 0\n\n[cost vsphere]\nlicence_per_node = 5000\noperations_per_node_year = 1500\n"));

    private string Page => Path.Combine(_dir.Dir, "tco.html");

    private CliResult Run(params string[] args) => CliRunner.Run(["tco", "--config-dir", _dir.Dir, "--nodes", "4", "--years", "3", .. args]);

    [Fact]
    public void Two_scenarios_are_priced_side_by_side_in_json_each_with_its_inputs_sources()
    {
        CliResult r = Run("--vms", "40", "--compare", "kvm,vsphere", "--format", "json");

        // kvm: 25,000 + 0 + 9,000 + 24,000 = 58,000. vsphere: 25,000 + 20,000 + 9,000 + 4 x 3 x 1,500 = 72,000.
        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal((4, 3m, 40), (root.GetProperty("nodes").GetInt32(), root.GetProperty("years").GetDecimal(), root.GetProperty("vms").GetInt32()));
        JsonElement[] scenarios = [.. root.GetProperty("scenarios").EnumerateArray()];
        Assert.Equal(["kvm", "vsphere"], scenarios.Select(s => s.GetProperty("scenario").GetString()));
        Assert.Equal([58_000m, 72_000m], scenarios.Select(s => s.GetProperty("total").GetDecimal()));
        Assert.Equal([0m, 20_000m], scenarios.Select(s => s.GetProperty("licence").GetDecimal()));
        Assert.Equal([40.28m, 50m], scenarios.Select(s => s.GetProperty("perVmMonth").GetDecimal()));
        Assert.Equal("[cost kvm] licence_per_node", scenarios[0].GetProperty("inputs").GetProperty("licencePerNode").GetProperty("source").GetString());
        Assert.Equal("[cost] host_price", scenarios[1].GetProperty("inputs").GetProperty("hostPrice").GetProperty("source").GetString());
        Assert.Equal("[cost vsphere] operations_per_node_year", scenarios[1].GetProperty("inputs").GetProperty("operationsPerNodeYear").GetProperty("source").GetString());
    }

    [Fact]
    public void The_text_has_a_column_per_scenario_and_the_arithmetic_of_each()
    {
        CliResult r = Run("--compare", "vsphere,kvm");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("over 3 years: vsphere beside kvm", r.Out, StringComparison.Ordinal);
        Assert.Matches(@"\n  licence +USD 20,000 +USD 0  paid once", r.Out);
        Assert.Matches(@"\n  total +USD 72,000 +USD 58,000\n", r.Out);
        Assert.Contains("How vsphere is computed:", r.Out, StringComparison.Ordinal);
        Assert.Contains("How kvm is computed:", r.Out, StringComparison.Ordinal);
        Assert.Contains("operations = nodes x operations_per_node_year x years = 4 x USD 1,500 x 3 = USD 18,000", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void One_name_is_compared_with_the_plain_cost_section()
    {
        CliResult r = Run("--compare", "kvm", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement[] scenarios = [.. JsonDocument.Parse(r.Out).RootElement.GetProperty("scenarios").EnumerateArray()];
        Assert.Equal([JsonValueKind.Null, JsonValueKind.String], scenarios.Select(s => s.GetProperty("scenario").ValueKind));
        Assert.Equal([70_000m, 58_000m], scenarios.Select(s => s.GetProperty("total").GetDecimal()));
    }

    [Fact]
    public void The_page_draws_both_splits()
    {
        CliResult r = Run("--compare", "kvm,vsphere", "--html", Page);

        Assert.True(r.Exit == 0, r.Out + r.Err);
        string html = File.ReadAllText(Page);
        Assert.Equal(8, System.Text.RegularExpressions.Regex.Count(html, "<rect class=\"item\""));
        Assert.Equal(4, System.Text.RegularExpressions.Regex.Count(html, "<rect class=\"share\" data-scenario=\"kvm\""));
        Assert.Contains("<th>kvm</th><th>vsphere</th>", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kvm,vmware", "'vmware'", "the scenarios are kvm, vsphere")]
    [InlineData("kmv", "'kmv'", "did you mean 'kvm'? the scenarios are kvm, vsphere")]
    public void An_unknown_scenario_is_KVC083_naming_the_known_ones_with_exit_2_and_nothing_written(string names, string named, string hint)
    {
        CliResult r = Run("--compare", names, "--html", Page);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"error[KVC083]: --compare names cost scenario {named}", r.Err, StringComparison.Ordinal);
        Assert.Contains($"= hint: {hint}", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(Page));
    }

    [Fact]
    public void Without_any_scenario_the_hint_shows_how_to_declare_one()
    {
        _dir.Write("90-cost.conf", "[cost]\nhost_price = 6250\n");

        CliResult r = Run("--compare", "kvm");

        Assert.Equal(2, r.Exit);
        Assert.Contains("has no [cost kvm] section", r.Err, StringComparison.Ordinal);
        Assert.Contains("declare scenarios as [cost NAME] sections", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("licence_per_node = -5000", "licence_per_node '-5000' is not a non-negative number")]
    [InlineData("energy_per_node_year = cheap", "energy_per_node_year 'cheap' is not a non-negative number")]
    public void A_bad_value_in_a_scenario_is_KVC011_at_its_line_with_exit_1_and_no_page(string line, string message)
    {
        _dir.Write("95-vmware.conf", $"[cost vmware]\n{line}\n");

        CliResult r = Run("--compare", "kvm,vmware", "--html", Page);

        Assert.Equal(1, r.Exit);
        Assert.Contains("error[KVC011]: " + message, r.Out, StringComparison.Ordinal);
        Assert.Contains("95-vmware.conf:2:", r.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(Page));
    }

    [Theory]
    [InlineData("kvm,,vsphere", "give [cost NAME] scenario names separated by commas")]
    [InlineData("kvm,kvm", "a scenario is named twice")]
    public void A_malformed_list_is_refused_with_exit_2(string names, string says)
    {
        CliResult r = Run("--compare", names);

        Assert.Equal(2, r.Exit);
        Assert.Contains(says, r.Err + r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("TCO:", r.Out, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
