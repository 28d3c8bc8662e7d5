using KvmConfig.Config.Syntax;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Semantics;

// [cost] and [cost NAME]: the TCO inputs, and named scenarios beside them (what `tco --compare` sets side by side).
// A scenario is the [cost] values with its own keys written over them, as a VM is its profile's values with its own
// on top; like [profile NAME] it may be written in several files, a later key overriding an earlier one (KVC015).
public sealed partial class DeclarationBinder
{
    private Dictionary<string, CostSpec> BindCostScenarios(List<ConfigSection> sections, RawSection cost)
    {
        var scenarios = new Dictionary<string, CostSpec>(StringComparer.Ordinal);
        foreach (IGrouping<string, ConfigSection> group in sections.Where(s => s is { Kind: SectionKind.Cost, Name: not null }).GroupBy(s => s.Name!))
        {
            RawSection own = Merge(group, $"[cost {group.Key}]", reportOverrides: true);
            scenarios[group.Key] = BindCost(own, cost, group.Key);
        }

        return scenarios;
    }

    // A scenario reads [cost] as a VM reads its profile: a [cost] value is judged (and reported) once, where it is
    // written, never again for every scenario that inherits it; a refused one leaves the default in its place.
    private CostSpec BindCost(RawSection own, RawSection? inherited, string? scenario)
    {
        var r = new ValueReader(this, own, inherited is null ? null : ("cost", inherited));
        var d = new CostSpec();
        return new CostSpec
        {
            Currency = r.Get("currency", KeyValues.Currency, d.Currency)!,
            HostPrice = r.Get("host_price", KeyValues.HostPrice, null),
            AmortizationYears = r.Get("amortization_years", KeyValues.AmortizationYears, d.AmortizationYears),
            PowerWatts = r.Get("power_watts", KeyValues.PowerWatts, null),
            EnergyPricePerKWh = r.Get("energy_price_kwh", KeyValues.EnergyPrice, null),
            Pue = r.Get("pue", KeyValues.Pue, d.Pue),
            OpexPerHostYear = r.Get("opex_per_host_year", KeyValues.Opex, null),
            LicencePerNode = r.Get("licence_per_node", KeyValues.LicencePerNode, null),
            EnergyPerNodeYear = r.Get("energy_per_node_year", KeyValues.EnergyPerNodeYear, null),
            OperationsPerNodeYear = r.Get("operations_per_node_year", KeyValues.OperationsPerNodeYear, null),
            Scenario = scenario,
            Origins = r.Origins,
        };
    }
}
