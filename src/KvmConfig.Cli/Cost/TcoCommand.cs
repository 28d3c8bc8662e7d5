using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Cluster;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Core.Cost;
using KvmConfig.Libvirt.Cluster;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>kvmconfig tco</c>: what the cluster costs over some years, per year and per VM-month, from <c>[cost]</c> (the
/// white paper's figures by default), with the arithmetic shown. The node count is <c>--nodes</c>, else the cluster
/// plan's (a directory with <c>[node]</c> sections), else 1 (one host).
/// </summary>
internal sealed class TcoCommand : Command<TcoCommand.Settings>
{
    internal sealed class Settings : ClusterSettings
    {
        [CommandOption("--nodes <N>")]
        [Description("Nodes to price (default: the nodes the cluster plan uses, or 1 for a single host).")]
        public int? Nodes { get; init; }

        [CommandOption("--years <Y>")]
        [Description("Years to price (default: amortization_years of [[cost]], 5 unless set).")]
        public decimal? Years { get; init; }

        [CommandOption("--vms <N>")]
        [Description("VMs that share the cost, for the cost per VM-month (default: the VMs declared).")]
        public int? Vms { get; init; }

        [CommandOption("--html <FILE>")]
        [Description("Also write the estimate as one HTML page with the cost split drawn as a chart.")]
        public string? Html { get; init; }

        public override ValidationResult Validate() =>
            Nodes is < 0 ? ValidationResult.Error($"--nodes {Nodes}: give a number of nodes, 0 or more")
            : Years is <= 0 or > 100 ? ValidationResult.Error($"--years {Years?.ToString(CultureInfo.InvariantCulture)}: give a number of years above 0 and at most 100")
            : Vms is < 0 ? ValidationResult.Error($"--vms {Vms}: give a number of VMs, 0 or more")
            : OptionValue.IsMissing(Html) ? ValidationResult.Error("--html needs a file name, e.g. --html tco.html")
            : base.Validate();
    }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        CheckReport report = ClusterCheck.Run(settings.Directory);
        if (!report.Ok)
        {
            Console.Out.Write(CheckText.Render(report, "no host (tco reads [cost] only)", settings.Verbose, Terminal.Color));
            return ExitCodes.Errors;
        }

        TcoInputs inputs = Tco.Inputs(report.Declaration.Cost);
        (int nodes, string nodesFrom) = settings.Nodes is { } n ? (n, "--nodes") : report.Declaration.Nodes.Count == 0 ? (1, "a single host (no [node] sections)") : PlannedNodes(settings, report);
        decimal years = settings.Years ?? inputs.AmortizationYears;
        int vms = settings.Vms ?? report.Declaration.Vms.Count;
        TcoEstimate estimate = Tco.Estimate(inputs, nodes, years, vms);

        if (settings.Html is { } file && !TcoHtml.Write(file, estimate, nodesFrom))
        {
            return ExitCodes.CouldNotRun;
        }

        Console.Out.Write(settings.Json ? Json(estimate, nodesFrom) : Text(estimate, nodesFrom));
        return ExitCodes.Ok;
    }

    // The nodes the cluster plan uses (spares for --ha included), read as cluster plan reads them.
    private static (int Nodes, string From) PlannedNodes(Settings settings, CheckReport report)
    {
        HashSet<string> declared = [.. report.Declaration.Vms.Select(v => v.Name)];
        IReadOnlyList<NodeReading> readings = ClusterNodeReader.ReadAll(report.Declaration.Nodes, declared, settings.Concurrency, settings.NodeTimeoutValue);
        ClusterReadings.ReportUnreachable(readings, skip: true);
        ClusterPlan plan = ClusterPlanner.Plan(new ClusterRequest([.. readings.Where(r => r.Reachable).Select(r => r.Node!)], report.Declaration));
        return (plan.NodesUsed, $"the cluster plan ({plan.NodesUsed} of {readings.Count} nodes used)");
    }

    private static string Text(TcoEstimate e, string nodesFrom)
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

    private static string Json(TcoEstimate e, string nodesFrom) =>
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
