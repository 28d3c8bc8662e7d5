using System.ComponentModel;
using System.Globalization;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Validation;
using KvmConfig.Libvirt.Cluster;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Cluster;

/// <summary>
/// <c>kvmconfig cluster plan</c>: which node each VM goes to, so that the node's own planner can place it; the nodes
/// used against a lower bound; VMs that move or fit nowhere, and why. Exit 0 when every VM is placed, 1 when some
/// cannot be (or the declaration has errors), 2 when a node cannot be read (unless <c>--skip-unreachable</c>).
/// </summary>
internal sealed class ClusterPlanCommand : Command<ClusterPlanCommand.Settings>
{
    internal sealed class Settings : ClusterSettings
    {
        [CommandOption("--exact")]
        [Description("Solve exactly with CP-SAT (OR-Tools) within --time-limit, warm-started from the heuristic; says whether the result is proven optimal.")]
        public bool Exact { get; init; }

        [CommandOption("--time-limit <DURATION>")]
        [Description("With --exact: the most time the solver may take.")]
        [DefaultValue("10s")]
        public string TimeLimit { get; init; } = "10s";

        [CommandOption("--policy <POLICY>")]
        [Description("pack: the fewest nodes; spread: balance the most loaded dimension (CPUs or memory) over the nodes.")]
        [DefaultValue("pack")]
        public string Policy { get; init; } = "pack";

        [CommandOption("--ha <N>")]
        [Description("Survive losing any N nodes: N unused nodes, each as large as the most loaded one, are held empty for their VMs.")]
        [DefaultValue(0)]
        public int Ha { get; init; }

        [CommandOption("--svg <FILE>")]
        [Description("Also draw the plan in FILE: nodes grouped by rack, each with its VMs and its use of CPUs and memory.")]
        public string? Svg { get; init; }

        [CommandOption("--node <NAME>")]
        [Description("Show the plan of one node exactly as plan shows it on that node (pinning, NUMA nodes, CPU map).")]
        public string? Node { get; init; }

        [CommandOption("--skip-unreachable")]
        [Description("Plan on the nodes that can be read when some cannot, instead of stopping (each is still named, with the cause).")]
        public bool SkipUnreachable { get; init; }

        public PlacementPolicy PolicyValue => Policy == "spread" ? PlacementPolicy.Spread : PlacementPolicy.Pack;

        public override ValidationResult Validate() =>
            Policy is not ("pack" or "spread") ? ValidationResult.Error($"--policy {Policy}: use pack or spread")
            : Ha < 0 ? ValidationResult.Error($"--ha {Ha.ToString(CultureInfo.InvariantCulture)}: give how many nodes the plan must survive losing, 0 or more")
            : Core.Durations.Parse(TimeLimit) is not { TotalSeconds: >= 0.1 } ? ValidationResult.Error($"--time-limit {TimeLimit}: give a duration of at least 100ms, e.g. 10s")
            : OptionValue.IsMissing(Svg) ? ValidationResult.Error("--svg needs a file name, e.g. --svg cluster.svg")
            : OptionValue.IsMissing(Node) ? ValidationResult.Error("--node needs a node name, one of the [node NAME] sections")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Open(out int exit) is not { } opened)
        {
            return exit;
        }

        (CheckReport report, IReadOnlyList<NodeReading> readings) = opened;
        if (!ClusterReadings.ReportUnreachable(readings, settings.SkipUnreachable))
        {
            return ExitCodes.CouldNotRun;
        }

        var options = new ClusterPlanOptions(settings.PolicyValue, settings.Ha, settings.Exact ? Core.Durations.Parse(settings.TimeLimit) : null, settings.Node);
        ClusterRequest request = ClusterPlanning.Request(readings, report.Declaration, options);

        using var solving = new ProgressLine(settings.Exact ? $"solving with CP-SAT (up to {settings.TimeLimit})" : "placing");
        solving.Report($"{report.Declaration.Vms.Count} VMs on {request.Nodes.Count} nodes");
        ClusterPlan plan = ClusterPlanning.Solve(request, options);
        solving.Done();

        if (settings.Node is { } one)
        {
            return NodeView(settings, report, plan.Assignments.Single(a => a.Node.Name == one));
        }

        if (settings.Svg is { } file && !ClusterSvg.Write(file, plan))
        {
            return ExitCodes.CouldNotRun;
        }

        Console.Out.Write(settings.Json ? ClusterJson.Render(plan, request, readings) : ClusterText.Render(plan, request, readings, settings.Verbose));
        return plan.Unplaced.Count == 0 ? ExitCodes.Ok : ExitCodes.Errors;
    }

    // --node: the node's VMs as plan shows them there, warnings of its own rules included.
    private static int NodeView(Settings settings, CheckReport report, NodeAssignment node)
    {
        if (node.Plan is not { } plan)
        {
            Console.Out.WriteLine($"node {node.Node.Name} runs no VM in this plan{(node.Spare ? " (it is held empty for --ha)" : "")}");
            return ExitCodes.Ok;
        }

        Declaration declaration = report.Declaration with { Host = node.Node.Policy, Vms = node.Vms, Nodes = [] };
        var nodeReport = new CheckReport(report.Source, declaration, DeclarationRules.Check(declaration, node.Node.Host), plan);
        var planned = new PlanOutcome.Planned(nodeReport, plan);
        Console.Out.Write(settings.Json
            ? PlanJson.Render(planned, node.Node.Host, $"node {node.Node.Name}")
            : PlanText.Render(planned, node.Node.Host, new PlanTextOptions($"node {node.Node.Name}", Explain: false, settings.Verbose, Terminal.Color)));
        return ExitCodes.Ok;
    }
}
