using System.Globalization;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Cost;

/// <summary>
/// The inputs of a total-cost-of-ownership estimate, per node, each with where it came from: a <c>[cost]</c> key, a
/// value derived from other keys (energy from watts), or the white paper's default.
/// </summary>
/// <param name="Currency">ISO 4217 code of every amount.</param>
/// <param name="NodePrice">Hardware per node, paid once.</param>
/// <param name="AmortizationYears">Years over which hardware and licences are written off.</param>
/// <param name="LicencePerNode">Licences per node, paid once.</param>
/// <param name="EnergyPerNodeYear">Energy per node per year.</param>
/// <param name="OperationsPerNodeYear">Operations per node per year.</param>
/// <param name="Sources">For each input above (by its key name), where its value came from.</param>
public sealed record TcoInputs(
    string Currency,
    decimal NodePrice,
    decimal AmortizationYears,
    decimal LicencePerNode,
    decimal EnergyPerNodeYear,
    decimal OperationsPerNodeYear,
    IReadOnlyDictionary<string, string> Sources)
{
    /// <summary>The <c>[cost NAME]</c> scenario priced, null for the plain <c>[cost]</c>.</summary>
    public string? Scenario { get; init; }

    /// <summary>How a reader names these inputs: the scenario's name, or <c>[cost]</c>.</summary>
    public string Label => Scenario ?? "[cost]";
}

/// <summary>A cost estimate for <see cref="Nodes"/> nodes over <see cref="Years"/> years, with its arithmetic.</summary>
/// <param name="Inputs">What was priced.</param>
/// <param name="Nodes">Nodes priced.</param>
/// <param name="Years">Years priced.</param>
/// <param name="Vms">VMs the cost is shared by (for the cost per VM-month); 0 when none.</param>
/// <param name="Hardware">Nodes x node price, paid once.</param>
/// <param name="Licence">Nodes x licence, paid once (0 for KVM alone).</param>
/// <param name="Energy">Nodes x energy per node-year x years.</param>
/// <param name="Operations">Nodes x operations per node-year x years.</param>
/// <param name="Formula">The arithmetic, one line per figure, with the numbers in.</param>
public sealed record TcoEstimate(TcoInputs Inputs, int Nodes, decimal Years, int Vms, decimal Hardware, decimal Licence, decimal Energy, decimal Operations, IReadOnlyList<string> Formula)
{
    /// <summary>Everything paid over the years.</summary>
    public decimal Total => Hardware + Licence + Energy + Operations;

    /// <summary>The total over the years, per year (what the period costs on average, cash out).</summary>
    public decimal PerYear => Years == 0 ? 0 : Total / Years;

    /// <summary>What one year costs with hardware and licences written off over <see cref="TcoInputs.AmortizationYears"/>.</summary>
    public decimal AmortizedPerYear => ((Hardware + Licence) / Inputs.AmortizationYears) + ((Energy + Operations) / Math.Max(Years, 1));

    /// <summary>The cost per year shared by every VM, per month; 0 without VMs.</summary>
    public decimal PerVmMonth => Vms == 0 ? 0 : PerYear / 12 / Vms;
}

/// <summary>
/// The white paper's TCO model: hardware and licences are paid once per node, energy and operations every year per
/// node. Pure arithmetic on <see cref="CostSpec"/>; the defaults are the white paper's four-node figures per node.
/// </summary>
public static class Tco
{
    /// <summary>The white paper's cluster: $25,000 of hardware for 4 nodes, per node.</summary>
    public const decimal DefaultNodePrice = 6250m;

    /// <summary>The white paper's $12,000 of licences for 4 nodes, per node, paid once.</summary>
    public const decimal DefaultLicencePerNode = 3000m;

    /// <summary>The white paper's $3,000 of energy a year for 4 nodes, per node.</summary>
    public const decimal DefaultEnergyPerNodeYear = 750m;

    /// <summary>The white paper's $8,000 of operations a year for 4 nodes, per node.</summary>
    public const decimal DefaultOperationsPerNodeYear = 2000m;

    /// <summary>Hours in an average year (365.25 days), for energy from watts.</summary>
    public const decimal HoursPerYear = 8766m;

    /// <summary>The inputs <paramref name="cost"/> declares, the defaults filling the rest, each with its source.</summary>
    public static TcoInputs Inputs(CostSpec cost)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);

        // A scenario's own key is "[cost kvm] licence_per_node"; one it takes from [cost] is "[cost] host_price".
        string Written(string key) => cost.Scenario is { } name && !cost.Origins.FromProfile(key) ? $"[cost {name}] {key}" : $"[cost] {key}";
        decimal Pick(string key, decimal? declared, decimal fallback, string fallbackSource)
        {
            sources[key] = declared is null ? fallbackSource : Written(key);
            return declared ?? fallback;
        }

        decimal energy = cost.EnergyPerNodeYear is { } perYear
            ? Pick("energy_per_node_year", perYear, 0, "")
            : cost is { PowerWatts: { } watts, EnergyPricePerKWh: { } price }
                ? Pick("energy_per_node_year", null, watts * HoursPerYear * cost.Pue * price / 1000m, Invariant($"power_watts {watts} x {HoursPerYear} h x pue {cost.Pue} x energy_price_kwh {price} / 1000"))
                : Pick("energy_per_node_year", null, DefaultEnergyPerNodeYear, "the white paper's default");
        decimal operations = cost.OperationsPerNodeYear is null && cost.OpexPerHostYear is { } opex
            ? Pick("operations_per_node_year", null, opex, Written("opex_per_host_year"))
            : Pick("operations_per_node_year", cost.OperationsPerNodeYear, DefaultOperationsPerNodeYear, "the white paper's default");
        return new TcoInputs(
            cost.Currency,
            Pick("host_price", cost.HostPrice, DefaultNodePrice, "the white paper's default"),
            Pick("amortization_years", cost.Origins.Declared("amortization_years") ? cost.AmortizationYears : null, cost.AmortizationYears, "the default"),
            Pick("licence_per_node", cost.LicencePerNode, DefaultLicencePerNode, "the white paper's default"),
            energy,
            operations,
            sources)
        {
            Scenario = cost.Scenario,
        };
    }

    /// <summary>
    /// The inputs of each scenario <paramref name="names"/> lists, in that order: <c>[cost NAME]</c> sections of
    /// <paramref name="declaration"/>, the plain <c>[cost]</c> first when only one is named (it is compared with
    /// <c>[cost]</c>). Null with the first name no section declares in <paramref name="unknown"/>.
    /// </summary>
    public static IReadOnlyList<TcoInputs>? Scenarios(Declaration declaration, IReadOnlyList<string> names, out string? unknown)
    {
        unknown = names.FirstOrDefault(n => !declaration.CostScenarios.ContainsKey(n));
        if (unknown is not null)
        {
            return null;
        }

        List<TcoInputs> inputs = [.. names.Select(n => Inputs(declaration.CostScenarios[n]))];
        return names.Count == 1 ? [Inputs(declaration.Cost), .. inputs] : inputs;
    }

    /// <summary>The cost of <paramref name="nodes"/> nodes over <paramref name="years"/> years, shared by <paramref name="vms"/> VMs.</summary>
    public static TcoEstimate Estimate(TcoInputs inputs, int nodes, decimal years, int vms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        ArgumentOutOfRangeException.ThrowIfNegative(years);
        decimal hardware = nodes * inputs.NodePrice;
        decimal licence = nodes * inputs.LicencePerNode;
        decimal energy = nodes * inputs.EnergyPerNodeYear * years;
        decimal operations = nodes * inputs.OperationsPerNodeYear * years;
        string c = inputs.Currency;
        decimal total = hardware + licence + energy + operations;
        List<string> formula =
        [
            Invariant($"hardware   = nodes x host_price = {nodes} x {Money(inputs.NodePrice, c)} = {Money(hardware, c)} (paid once)"),
            Invariant($"licence    = nodes x licence_per_node = {nodes} x {Money(inputs.LicencePerNode, c)} = {Money(licence, c)} (paid once)"),
            Invariant($"energy     = nodes x energy_per_node_year x years = {nodes} x {Money(inputs.EnergyPerNodeYear, c)} x {years} = {Money(energy, c)}"),
            Invariant($"operations = nodes x operations_per_node_year x years = {nodes} x {Money(inputs.OperationsPerNodeYear, c)} x {years} = {Money(operations, c)}"),
            Invariant($"total      = hardware + licence + energy + operations = {Money(total, c)}"),
            Invariant($"per year   = total / years = {Money(total, c)} / {years} = {Money(years == 0 ? 0 : total / years, c)}"),
        ];
        if (vms > 0 && years > 0)
        {
            formula.Add(Invariant($"per VM-month = per year / 12 / VMs = {Money(total / years, c)} / 12 / {vms} = {Money(total / years / 12 / vms, c)}"));
        }

        return new TcoEstimate(inputs, nodes, years, vms, hardware, licence, energy, operations, formula);
    }

    /// <summary>An amount as finance reads it: the currency code, thousands separated, cents when there are any.</summary>
    public static string Money(decimal amount, string currency) =>
        Invariant($"{currency} {(decimal.Round(amount, 2) == decimal.Round(amount, 0) ? amount.ToString("N0", CultureInfo.InvariantCulture) : amount.ToString("N2", CultureInfo.InvariantCulture))}");

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
