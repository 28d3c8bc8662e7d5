using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Cost;

namespace KvmConfig.Cli.Cost;

/// <summary><c>tco</c>'s text and JSON: every figure, the formula with its numbers, and where each input came from.</summary>
internal static class TcoReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Text(TcoEstimate e, string nodesFrom)
    {
        string c = e.Inputs.Currency;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"TCO: {e.Nodes} node{(e.Nodes == 1 ? "" : "s")} ({nodesFrom}) over {e.Years} years{(e.Vms > 0 ? $", shared by {e.Vms} VMs" : "")}\n\n");
        (string Label, decimal Amount, string Note)[] rows =
        [
            ("hardware", e.Hardware, "paid once"),
            ("licence", e.Licence, e.Licence == 0 ? "none: KVM alone" : "paid once"),
            ("energy", e.Energy, "every year"),
            ("operations", e.Operations, "every year"),
            ("total", e.Total, ""),
            ("per year", e.PerYear, "total / years"),
            ("amortized per year", e.AmortizedPerYear, $"hardware and licence over {e.Inputs.AmortizationYears} years"),
            ("per VM-month", e.PerVmMonth, e.Vms == 0 ? "no VMs to share it" : ""),
        ];
        foreach ((string label, decimal amount, string note) in rows)
        {
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"  {label,-19}{Tco.Money(amount, c),16}  {note}").TrimEnd()).Append('\n');
        }

        sb.Append("\nHow it is computed:\n");
        foreach (string line in e.Formula)
        {
            sb.Append("  ").Append(line).Append('\n');
        }

        sb.Append("\nInputs (per node):\n");
        sb.Append(CultureInfo.InvariantCulture, $"  host_price               {Tco.Money(e.Inputs.NodePrice, c)} ({e.Inputs.Sources["host_price"]})\n");
        sb.Append(CultureInfo.InvariantCulture, $"  licence_per_node         {Tco.Money(e.Inputs.LicencePerNode, c)} ({e.Inputs.Sources["licence_per_node"]})\n");
        sb.Append(CultureInfo.InvariantCulture, $"  energy_per_node_year     {Tco.Money(e.Inputs.EnergyPerNodeYear, c)} ({e.Inputs.Sources["energy_per_node_year"]})\n");
        sb.Append(CultureInfo.InvariantCulture, $"  operations_per_node_year {Tco.Money(e.Inputs.OperationsPerNodeYear, c)} ({e.Inputs.Sources["operations_per_node_year"]})\n");
        sb.Append(CultureInfo.InvariantCulture, $"  amortization_years       {e.Inputs.AmortizationYears} ({e.Inputs.Sources["amortization_years"]})\n");
        return sb.ToString();
    }

    public static string Json(TcoEstimate e, string nodesFrom) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["currency"] = e.Inputs.Currency,
            ["nodes"] = e.Nodes,
            ["nodesFrom"] = nodesFrom,
            ["years"] = e.Years,
            ["vms"] = e.Vms,
            ["hardware"] = e.Hardware,
            ["licence"] = e.Licence,
            ["energy"] = e.Energy,
            ["operations"] = e.Operations,
            ["total"] = e.Total,
            ["perYear"] = decimal.Round(e.PerYear, 2),
            ["amortizedPerYear"] = decimal.Round(e.AmortizedPerYear, 2),
            ["perVmMonth"] = decimal.Round(e.PerVmMonth, 2),
            ["inputs"] = new JsonObject
            {
                ["hostPrice"] = Input(e.Inputs.NodePrice, e.Inputs.Sources["host_price"]),
                ["licencePerNode"] = Input(e.Inputs.LicencePerNode, e.Inputs.Sources["licence_per_node"]),
                ["energyPerNodeYear"] = Input(e.Inputs.EnergyPerNodeYear, e.Inputs.Sources["energy_per_node_year"]),
                ["operationsPerNodeYear"] = Input(e.Inputs.OperationsPerNodeYear, e.Inputs.Sources["operations_per_node_year"]),
                ["amortizationYears"] = Input(e.Inputs.AmortizationYears, e.Inputs.Sources["amortization_years"]),
            },
            ["formula"] = new JsonArray([.. e.Formula.Select(f => (JsonNode)JsonValue.Create(f))]),
        }.ToJsonString(Options) + "\n";

    private static JsonObject Input(decimal value, string source) => new() { ["value"] = value, ["source"] = source };
}
