using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

/// <summary>
/// <c>[cost NAME]</c>: named cost scenarios over <c>[cost]</c> (what <c>tco --compare</c> prices side by side), their
/// inheritance, and their mistakes reported where they are written, once.
/// </summary>
public sealed partial class DeclarationBinderTests
{
    /// <summary>Rows: description, the directory, the findings (in order).</summary>
    public static TheoryData<string, string, string> CostScenarioFindings => new()
    {
        { "two scenarios over [cost] bind without findings", "[cost]\nhost_price = 6250\n[cost kvm]\nlicence_per_node = 0\n[cost vsphere]\nlicence_per_node = 4500", "" },
        { "a negative amount in a scenario is KVC011 at its value", "[cost kvm]\nlicence_per_node = -1", "KVC011 error 10-test.conf:2:20+2" },
        { "an amount that is no number in a scenario is KVC011", "[cost kvm]\noperations_per_node_year = a lot", "KVC011 error 10-test.conf:2:28+5" },
        { "a negative [cost] amount is reported once, not again for each scenario inheriting it", "[cost]\nhost_price = -6250\n[cost kvm]\nlicence_per_node = 0\n[cost vsphere]\npue = 1.2", "KVC011 error 10-test.conf:2:14+5" },
        { "pue out of range in a scenario is KVC012", "[cost kvm]\npue = 9", "KVC012 error 10-test.conf:2:7+1" },
        { "a key no [cost] takes is KVC010 in a scenario too", "[cost kvm]\nvcpus = 2", "KVC010 error 10-test.conf:2:1+5" },
        { "a key set twice in one scenario is KVC013", "[cost kvm]\npue = 1.2\npue = 1.3", "KVC013 warning 10-test.conf:3:1+3" },
        {
            "a scenario in two files is a drop-in, like [cost]",
            "--- 40-cost.conf\n[cost kvm]\npue = 1.4\n--- 90-cost.conf\n[cost kvm]\npue = 1.2",
            "KVC015 info 90-cost.conf:2:1+3"
        },
        { "a key in a scenario is no override of [cost]'s", "--- 40-cost.conf\n[cost]\npue = 1.4\n[cost kvm]\npue = 1.2", "" },
    };

    [Theory]
    [MemberData(nameof(CostScenarioFindings))]
    public void Cost_scenario_findings_are_where_they_are_written(string description, string directory, string expected)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Render(diagnostics));
    }

    [Fact]
    public void A_cost_scenario_is_cost_with_its_own_keys_over_it()
    {
        // Given [cost] with a price and a currency, and two scenarios that change the licence
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(
            "[cost]\ncurrency = EUR\nhost_price = 8000\nlicence_per_node = 1000\n[cost kvm]\nlicence_per_node = 0\n[cost vsphere]\nlicence_per_node = 4500\nhost_price = 9000");

        // Then each scenario has [cost]'s values where it says nothing, its own where it does
        Assert.Empty(diagnostics);
        Assert.Equal(["kvm", "vsphere"], declaration.CostScenarios.Keys.Order(StringComparer.Ordinal));
        CostSpec kvm = declaration.CostScenarios["kvm"];
        CostSpec vsphere = declaration.CostScenarios["vsphere"];
        Assert.Equal(("kvm", "EUR", 8000m, 0m), (kvm.Scenario, kvm.Currency, kvm.HostPrice, kvm.LicencePerNode));
        Assert.Equal(("vsphere", "EUR", 9000m, 4500m), (vsphere.Scenario, vsphere.Currency, vsphere.HostPrice, vsphere.LicencePerNode));

        // and says which values it took from [cost], each pointing where [cost] wrote it
        Assert.True(kvm.Origins.FromProfile("host_price"));
        Assert.False(kvm.Origins.FromProfile("licence_per_node"));
        Assert.Equal("10-test.conf:3:14+4", ConfigText.Render(kvm.Origins.Of("host_price")));
        Assert.Equal("10-test.conf:6:20+1", ConfigText.Render(kvm.Origins.Of("licence_per_node")));

        // while the plain [cost] is untouched by them
        Assert.Equal((null, 1000m), (declaration.Cost.Scenario, declaration.Cost.LicencePerNode));
    }

    [Fact]
    public void A_refused_cost_value_leaves_the_default_in_every_scenario_that_inherits_it()
    {
        (Declaration declaration, _) = ConfigText.Bind("[cost]\npue = 0.5\n[cost kvm]\nlicence_per_node = 0");

        Assert.Equal(new CostSpec().Pue, declaration.CostScenarios["kvm"].Pue);
        Assert.True(declaration.CostScenarios["kvm"].Origins.Invalid("pue"));
    }
}
