using KvmConfig.Core.Cost;
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
