using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Cost;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>tco</c>'s text and JSON: every figure, the formula with its numbers, and where each input came from; with
/// <c>--compare</c>, the scenarios side by side, one column (or one JSON object) each.
/// </summary>
internal static class TcoReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The inputs as the [cost] keys name them, with the JSON name of each.
    private static readonly (string Key, string Json, Func<TcoInputs, decimal> Value)[] InputRows =
    [
        ("host_price", "hostPrice", i => i.NodePrice),
        ("licence_per_node", "licencePerNode", i => i.LicencePerNode),
        ("energy_per_node_year", "energyPerNodeYear", i => i.EnergyPerNodeYear),
        ("operations_per_node_year", "operationsPerNodeYear", i => i.OperationsPerNodeYear),
        ("amortization_years", "amortizationYears", i => i.AmortizationYears),
    ];

    public static string Text(IReadOnlyList<TcoEstimate> estimates, string nodesFrom)
    {
        TcoEstimate e = estimates[0];
        bool compare = estimates.Count > 1;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"TCO: {e.Nodes} node{(e.Nodes == 1 ? "" : "s")} ({nodesFrom}) over {e.Years} years{(e.Vms > 0 ? $", shared by {e.Vms} VMs" : "")}");
        sb.Append(compare ? $": {string.Join(" beside ", estimates.Select(s => s.Inputs.Label))}\n\n" : "\n\n");
        if (compare)
        {
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"  {"",-19}{string.Concat(estimates.Select(s => $"{s.Inputs.Label,18}"))}").TrimEnd()).Append('\n');
        }

        foreach ((string label, Func<TcoEstimate, decimal> amount, Func<TcoEstimate, string> note, Func<TcoEstimate, string> side) in Rows)
        {
            string notes = compare ? side(e) : note(e);
            string figures = string.Concat(estimates.Select(s => $"{Tco.Money(amount(s), s.Inputs.Currency),18}"));
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"  {label,-19}{figures}  {notes}").TrimEnd()).Append('\n');
        }

        foreach (TcoEstimate s in estimates)
        {
            sb.Append(compare ? $"\nHow {s.Inputs.Label} is computed:\n" : "\nHow it is computed:\n");
            foreach (string line in s.Formula)
            {
                sb.Append("  ").Append(line).Append('\n');
            }
        }

        sb.Append("\nInputs (per node):\n");
        foreach ((string key, _, Func<TcoInputs, decimal> value) in InputRows)
        {
            // Alone: "  host_price  USD 6,250 (source)"; beside others, the key on its own line and a line per scenario.
            if (compare)
            {
                sb.Append("  ").Append(key).Append('\n');
            }

            foreach (TcoEstimate s in estimates)
            {
                string amount = key == "amortization_years" ? value(s.Inputs).ToString(CultureInfo.InvariantCulture) : Tco.Money(value(s.Inputs), s.Inputs.Currency);
                string name = compare ? $"  {s.Inputs.Label}" : key;
                sb.Append(CultureInfo.InvariantCulture, $"  {name,-24} {amount} ({s.Inputs.Sources[key]})\n");
            }
        }

        return sb.ToString();
    }

    // The figures, each with the note its line carries alone, and the one it carries beside other scenarios.
    private static readonly (string Label, Func<TcoEstimate, decimal> Amount, Func<TcoEstimate, string> Note, Func<TcoEstimate, string> Side)[] Rows =
    [
        ("hardware", e => e.Hardware, _ => "paid once", _ => "paid once"),
        ("licence", e => e.Licence, e => e.Licence == 0 ? "none: KVM alone" : "paid once", _ => "paid once (0: KVM alone)"),
        ("energy", e => e.Energy, _ => "every year", _ => "every year"),
        ("operations", e => e.Operations, _ => "every year", _ => "every year"),
        ("total", e => e.Total, _ => "", _ => ""),
        ("per year", e => e.PerYear, _ => "total / years", _ => "total / years"),
        ("amortized per year", e => e.AmortizedPerYear, e => $"hardware and licence over {e.Inputs.AmortizationYears} years", _ => "hardware and licence over amortization_years"),
        ("per VM-month", e => e.PerVmMonth, e => e.Vms == 0 ? "no VMs to share it" : "", e => e.Vms == 0 ? "no VMs to share it" : "per year / 12 / VMs"),
    ];

    /// <summary>One estimate as an object; with <c>--compare</c>, <c>scenarios</c> holds one such object per scenario, in order.</summary>
    public static string Json(IReadOnlyList<TcoEstimate> estimates, string nodesFrom)
    {
        if (estimates.Count == 1)
        {
            JsonObject single = Estimate(estimates[0]);
            single["nodesFrom"] = nodesFrom;
            return Document(single);
        }

        TcoEstimate e = estimates[0];
        return Document(new JsonObject
        {
            ["nodes"] = e.Nodes,
            ["nodesFrom"] = nodesFrom,
            ["years"] = e.Years,
            ["vms"] = e.Vms,
            ["scenarios"] = new JsonArray([.. estimates.Select(s => (JsonNode)Estimate(s))]),
        });
    }

    private static string Document(JsonObject body)
    {
        var root = new JsonObject { ["version"] = ProductVersion.Json };
        foreach ((string key, JsonNode? value) in body.ToList())
        {
            body.Remove(key);
            root[key] = value;
        }

        return root.ToJsonString(Options) + "\n";
    }

    private static JsonObject Estimate(TcoEstimate e) =>
        new()
        {
            ["scenario"] = e.Inputs.Scenario,
            ["currency"] = e.Inputs.Currency,
            ["nodes"] = e.Nodes,
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
            ["inputs"] = new JsonObject([.. InputRows.Select(r => KeyValuePair.Create(r.Json, (JsonNode?)new JsonObject { ["value"] = r.Value(e.Inputs), ["source"] = e.Inputs.Sources[r.Key] }))]),
            ["formula"] = new JsonArray([.. e.Formula.Select(f => (JsonNode)JsonValue.Create(f))]),
        };
}
