using KvmConfig.Core.Cost;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The white paper's TCO model, against figures computed by hand: hardware and licences once per node, energy and
/// operations every year per node.
/// </summary>
public sealed class TcoTests
{
    /// <summary>A row: the cost inputs, the cluster and period, and the total worked out by hand.</summary>
    public sealed record Row(string Description, CostSpec Cost, int Nodes, decimal Years, int Vms, decimal Total, decimal PerYear, decimal PerVmMonth)
    {
        public override string ToString() => Description;
    }

    public static TheoryData<Row> Rows => new()
    {
        // 4 x 6,250 + 4 x 3,000 + 3 x 4 x (750 + 2,000) = 25,000 + 12,000 + 33,000.
        new("the white paper's defaults, 4 nodes, 3 years, 40 VMs", new CostSpec(), 4, 3, 40, 70_000m, 70_000m / 3, 70_000m / 3 / 12 / 40),
        // KVM alone: no licence. 25,000 + 0 + 33,000.
        new("KVM only (licence 0)", new CostSpec { LicencePerNode = 0 }, 4, 3, 40, 58_000m, 58_000m / 3, 58_000m / 3 / 12 / 40),
        // Energy from watts: 500 W x 8,766 h x 1.5 x 0.20 / 1,000 = 1,314.90 a node-year; 2 x 8,000 + 2 x 3,000 +
        // 5 x 2 x (1,314.90 + 1,500) = 16,000 + 6,000 + 28,149.
        new("energy from power_watts, operations from opex_per_host_year", new CostSpec { HostPrice = 8000, PowerWatts = 500, EnergyPricePerKWh = 0.20m, OpexPerHostYear = 1500 }, 2, 5, 0, 50_149m, 50_149m / 5, 0),
        // energy_per_node_year beside watts wins: 1 x 6,250 + 3,000 + 1 x (100 + 2,000).
        new("energy_per_node_year wins over watts", new CostSpec { EnergyPerNodeYear = 100, PowerWatts = 500, EnergyPricePerKWh = 1 }, 1, 1, 1, 11_350m, 11_350m, 11_350m / 12),
        // The white paper's one year: 25,000 + 12,000 + 3,000 + 8,000 = 48,000; shared by 100 VMs, 48,000 / 12 / 100 = 40.
        new("the white paper's defaults, 4 nodes, 1 year, 100 VMs", new CostSpec(), 4, 1, 100, 48_000m, 48_000m, 40m),
        // Five years (the default amortization): 25,000 + 12,000 + 5 x 11,000 = 92,000; 18,400 a year; 200 VMs: 7.666...
        new("the white paper's defaults, 4 nodes, 5 years, 200 VMs", new CostSpec(), 4, 5, 200, 92_000m, 18_400m, 18_400m / 12 / 200),
        // The legacy keys beside the per-year amounts: operations_per_node_year wins over opex_per_host_year, and
        // energy_per_node_year over watts; host_price is the one key for hardware. 3 x 5,000 + 3 x 1,000 + 2 x 3 x
        // (400 + 2,500) = 15,000 + 3,000 + 17,400 = 35,400.
        new("per-year amounts win over the legacy keys beside them",
            new CostSpec { HostPrice = 5000, LicencePerNode = 1000, PowerWatts = 300, EnergyPricePerKWh = 0.30m, EnergyPerNodeYear = 400, OpexPerHostYear = 900, OperationsPerNodeYear = 2500 },
            3, 2, 10, 35_400m, 17_700m, 17_700m / 12 / 10),
        // The legacy keys alone, as configurations written before the white paper's amounts: energy 250 W x 8,766 h x
        // pue 1.2 x 0.10 / 1,000 = 262.98 a node-year, operations from opex_per_host_year 1,200, licence the default.
        // 2 x 7,000 + 2 x 3,000 + 4 x 2 x (262.98 + 1,200) = 14,000 + 6,000 + 11,703.84 = 31,703.84.
        new("the legacy keys alone: energy from watts, price and pue; operations from opex",
            new CostSpec { HostPrice = 7000, PowerWatts = 250, EnergyPricePerKWh = 0.10m, Pue = 1.2m, OpexPerHostYear = 1200 },
            2, 4, 20, 31_703.84m, 7_925.96m, 7_925.96m / 12 / 20),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_estimate_is_the_hand_computed_one(Row row)
    {
        TcoEstimate estimate = Tco.Estimate(Tco.Inputs(row.Cost), row.Nodes, row.Years, row.Vms);

        Assert.Equal(row.Total, estimate.Total);
        Assert.Equal(decimal.Round(row.PerYear, 2), decimal.Round(estimate.PerYear, 2));
        Assert.Equal(decimal.Round(row.PerVmMonth, 2), decimal.Round(estimate.PerVmMonth, 2));
        Assert.Equal(estimate.Total, estimate.Hardware + estimate.Licence + estimate.Energy + estimate.Operations);
    }

    [Fact]
    public void The_white_papers_cluster_splits_into_its_four_amounts_licence_apart()
    {
        TcoEstimate estimate = Tco.Estimate(Tco.Inputs(new CostSpec()), 4, 3, 40);

        // $25,000 of hardware and $12,000 of licences once; $3,000 of energy and $8,000 of operations a year, 3 years
        Assert.Equal((25_000m, 12_000m, 9_000m, 24_000m), (estimate.Hardware, estimate.Licence, estimate.Energy, estimate.Operations));
        Assert.Equal(70_000m, estimate.Total);

        // written off over 5 years: 37,000 / 5 + 33,000 / 3 = 7,400 + 11,000
        Assert.Equal(18_400m, estimate.AmortizedPerYear);
    }

    [Fact]
    public void Legacy_keys_say_which_of_them_gave_the_amount()
    {
        TcoInputs inputs = Tco.Inputs(new CostSpec { HostPrice = 7000, PowerWatts = 250, EnergyPricePerKWh = 0.10m, Pue = 1.2m, OpexPerHostYear = 1200 });

        Assert.Equal(262.98m, inputs.EnergyPerNodeYear);
        Assert.Equal("power_watts 250 x 8766 h x pue 1.2 x energy_price_kwh 0.10 / 1000", inputs.Sources["energy_per_node_year"]);
        Assert.Equal("[cost] opex_per_host_year", inputs.Sources["operations_per_node_year"]);
        Assert.Equal("[cost] host_price", inputs.Sources["host_price"]);
    }

    [Fact]
    public void A_scenario_names_its_own_keys_and_those_it_takes_from_cost()
    {
        // Given a scenario whose licence is its own and whose host price came from [cost]
        var declared = new Dictionary<string, SourceSpan> { ["host_price"] = new("10-cost.conf", 2, 14, 4), ["licence_per_node"] = new("10-cost.conf", 5, 20, 1) };
        var kvm = new CostSpec { Scenario = "kvm", HostPrice = 8000, LicencePerNode = 0, Origins = new Origins(null, declared, new HashSet<string> { "host_price" }) };

        // When its inputs are read
        TcoInputs inputs = Tco.Inputs(kvm);

        // Then each says which section it came from
        Assert.Equal(("kvm", "kvm"), (inputs.Scenario, inputs.Label));
        Assert.Equal("[cost kvm] licence_per_node", inputs.Sources["licence_per_node"]);
        Assert.Equal("[cost] host_price", inputs.Sources["host_price"]);
        Assert.Equal("the white paper's default", inputs.Sources["operations_per_node_year"]);
    }

    [Fact]
    public void Scenarios_come_in_the_order_named_and_one_name_is_compared_with_cost()
    {
        var declaration = new Declaration(new HostPolicy(), [], new Dictionary<string, ProfileSpec>(), new CostSpec { HostPrice = 5000 })
        {
            CostScenarios = new Dictionary<string, CostSpec>
            {
                ["kvm"] = new() { Scenario = "kvm", LicencePerNode = 0 },
                ["vsphere"] = new() { Scenario = "vsphere", LicencePerNode = 4000 },
            },
        };

        Assert.Equal(["vsphere", "kvm"], Tco.Scenarios(declaration, ["vsphere", "kvm"], out _)!.Select(i => i.Label));
        Assert.Equal(["[cost]", "kvm"], Tco.Scenarios(declaration, ["kvm"], out _)!.Select(i => i.Label));
        Assert.Null(Tco.Scenarios(declaration, ["kvm", "vmware"], out string? unknown));
        Assert.Equal("vmware", unknown);
    }

    [Fact]
    public void The_arithmetic_is_shown_with_its_numbers_and_every_input_says_where_it_came_from()
    {
        // Given the defaults but a declared licence of 0
        TcoInputs inputs = Tco.Inputs(new CostSpec { LicencePerNode = 0 });

        // When 4 nodes are priced over 3 years
        TcoEstimate estimate = Tco.Estimate(inputs, 4, 3, 0);

        // Then the formula carries each step's numbers, and the sources tell declared from default
        Assert.Contains("hardware   = nodes x host_price = 4 x USD 6,250 = USD 25,000 (paid once)", estimate.Formula);
        Assert.Contains("total      = hardware + licence + energy + operations = USD 58,000", estimate.Formula);
        Assert.Equal("[cost] licence_per_node", inputs.Sources["licence_per_node"]);
        Assert.Equal("the white paper's default", inputs.Sources["host_price"]);
    }
}
