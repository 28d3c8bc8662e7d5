using System.ComponentModel;
using System.Globalization;
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

        [CommandOption("--compare <NAMES>")]
        [Description("Price [[cost NAME]] scenarios side by side: --compare kvm,vsphere; one name compares [[cost]] with it.")]
        public string? Compare { get; init; }

        /// <summary>The scenario names of <c>--compare</c>, in order; empty without it.</summary>
        public IReadOnlyList<string> Scenarios => Compare is null ? [] : Compare.Split(',', StringSplitOptions.TrimEntries);

        [CommandOption("--html <FILE>")]
        [Description("Also write the estimate as one HTML page with the cost split drawn as a chart.")]
        public string? Html { get; init; }

        public override ValidationResult Validate() =>
            Nodes is < 0 ? ValidationResult.Error($"--nodes {Nodes}: give a number of nodes, 0 or more")
            : Years is <= 0 or > 100 ? ValidationResult.Error($"--years {Years?.ToString(CultureInfo.InvariantCulture)}: give a number of years above 0 and at most 100")
            : Vms is < 0 ? ValidationResult.Error($"--vms {Vms}: give a number of VMs, 0 or more")
            : OptionValue.IsMissing(Html) ? ValidationResult.Error("--html needs a file name, e.g. --html tco.html")
            : OptionValue.IsMissing(Compare) || Scenarios.Any(n => n.Length == 0) ? ValidationResult.Error($"--compare {Compare}: give [cost NAME] scenario names separated by commas, e.g. --compare kvm,vsphere")
            : Scenarios.Distinct(StringComparer.Ordinal).Count() < Scenarios.Count ? ValidationResult.Error($"--compare {Compare}: a scenario is named twice")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        CheckReport report = ClusterCheck.Run(settings.Directory);
        if (!report.Ok)
        {
            Console.Out.Write(CheckText.Render(report, "no host (tco reads [cost] only)", settings.Verbose, Terminal.Color));
            return ExitCodes.Errors;
        }

        string? unknown = null;
        IReadOnlyList<TcoInputs>? scenarios = settings.Compare is null ? [Tco.Inputs(report.Declaration.Cost)] : Tco.Scenarios(report.Declaration, settings.Scenarios, out unknown);
        if (scenarios is null)
        {
            FailureRenderer.Write(CliErrors.UnknownCostScenario(unknown!, report.Declaration.CostScenarios.Keys, report.Source.Directory));
            return ExitCodes.CouldNotRun;
        }

        (int nodes, string nodesFrom) = settings.Nodes is { } n ? (n, "--nodes") : report.Declaration.Nodes.Count == 0 ? (1, "a single host (no [node] sections)") : PlannedNodes(settings, report);
        int vms = settings.Vms ?? report.Declaration.Vms.Count;

        // Scenarios are compared over the same years: --years, else amortization_years of the plain [cost].
        decimal years = settings.Years ?? report.Declaration.Cost.AmortizationYears;
        TcoEstimate[] estimates = [.. scenarios.Select(i => Tco.Estimate(i, nodes, years, vms))];
        if (settings.Html is { } file && !TcoHtml.Write(file, estimates, nodesFrom))
        {
            return ExitCodes.CouldNotRun;
        }

        Console.Out.Write(settings.Json ? TcoReport.Json(estimates, nodesFrom) : TcoReport.Text(estimates, nodesFrom));
        return ExitCodes.Ok;
    }

    // The nodes the cluster plan uses (spares for --ha included), read as cluster plan reads them.
    private static (int Nodes, string From) PlannedNodes(Settings settings, CheckReport report)
    {
        HashSet<string> declared = [.. report.Declaration.Vms.Select(v => v.Name)];
        IReadOnlyList<NodeReading> readings = ClusterNodeReader.ReadAll(report.Declaration.Nodes, declared, settings.Concurrency, settings.NodeTimeoutValue);
        ClusterReadings.ReportUnreachable(readings, skip: true);
        ClusterPlan plan = ClusterPlanning.Plan(readings, report.Declaration);
        return (plan.NodesUsed, $"the cluster plan ({plan.NodesUsed} of {readings.Count} nodes used)");
    }
}
