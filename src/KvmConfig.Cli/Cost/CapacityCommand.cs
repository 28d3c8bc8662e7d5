using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Cluster;
using KvmConfig.Linux;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>kvmconfig capacity</c>: how many nodes of a shape a mix of VMs needs, found by the cluster placement itself;
/// the use of each dimension, the headroom, the dimension that binds, and the largest VM of each kind that still
/// fits; with <c>--nodes N</c>, how many more VMs of each kind N nodes take.
/// </summary>
internal sealed class CapacityCommand : Command<CapacityCommand.Settings>
{
    internal sealed class Settings : ClusterSettings
    {
        [CommandOption("--mix <MIX>")]
        [Description("The VMs: PROFILE=COUNT,... with built-in profiles (database, web, monitoring) or [[profile NAME]] sections of the directory.")]
        public string? Mix { get; init; }

        [CommandOption("--shape <SHAPE>")]
        [Description("Nodes of this shape: SOCKETSxNODESxCORESxTHREADS,MEMORY, e.g. 2x2x16x2,512G.")]
        public string? Shape { get; init; }

        [CommandOption("--sysroot <DIR>")]
        [Description("Nodes like the machine captured in DIR (DIR/sys).")]
        public string? SysRoot { get; init; }

        [CommandOption("--node-like <NODE>")]
        [Description("Nodes like this [[node]] of the inventory (its shape and policy). Default: the first node, or this host.")]
        public string? NodeLike { get; init; }

        [CommandOption("--ha <N>")]
        [Description("Survive losing N nodes.")]
        [DefaultValue(0)]
        public int Ha { get; init; }

        [CommandOption("--nodes <N>")]
        [Description("Instead of counting nodes: how many more VMs of each kind N nodes take beside the mix.")]
        public int? Nodes { get; init; }

        public override ValidationResult Validate() =>
            OptionValue.IsMissing(Mix) ? ValidationResult.Error("--mix is needed: PROFILE=COUNT,..., e.g. --mix database=40,web=100,monitoring=20")
            : CapacityMix.TryParse(Mix!, out string? mixError) is null ? ValidationResult.Error($"--mix {Mix}: {mixError}")
            : new[] { Shape, SysRoot, NodeLike }.Count(o => o is not null) > 1 ? ValidationResult.Error("--shape, --sysroot and --node-like each name the node: give one of them")
            : Shape is not null && MachineShapes.TryParse(Shape, out string? shapeError) is null ? ValidationResult.Error($"--shape {Shape}: {shapeError}")
            : Ha < 0 ? ValidationResult.Error($"--ha {Ha}: give how many nodes to survive losing, 0 or more")
            : Nodes is < 1 ? ValidationResult.Error($"--nodes {Nodes}: give a number of nodes, 1 or more")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        CheckReport report = ClusterCheck.Run(settings.Directory);
        IReadOnlyList<MixEntry> mix = CapacityMix.TryParse(settings.Mix!, out _)!;
        if (!report.Ok)
        {
            Console.Out.Write(CheckText.Render(report, "no host (capacity reads [host] and [profile])", settings.Verbose, Terminal.Color));
            return ExitCodes.Errors;
        }

        if (CapacityMix.Build(report.Source, mix, out string? unknown) is not { } built)
        {
            FailureRenderer.Write(CliErrors.UnknownMixProfile(unknown!, report.Declaration.Profiles.Keys, report.Source.Directory));
            return ExitCodes.CouldNotRun;
        }

        if (Template(settings, report, built.Declaration.Host) is not (ClusterNode template, string like))
        {
            return ExitCodes.CouldNotRun;
        }

        if (settings.Nodes is { } n)
        {
            if (settings.Ha >= n)
            {
                FailureRenderer.Write(CliErrors.HaLeavesNoNode(settings.Ha, n));
                return ExitCodes.CouldNotRun;
            }

            IReadOnlyDictionary<string, int>? more = CapacityPlanner.MoreVms(template, n - settings.Ha, built.Declaration, built.Kinds);
            Console.Out.Write(settings.Json ? CapacityReport.MoreJson(mix, like, n, settings.Ha, more) : CapacityReport.MoreText(mix, like, n, settings.Ha, more));
            return more is null ? ExitCodes.Errors : ExitCodes.Ok;
        }

        CapacityAnswer answer = CapacityPlanner.NodesNeeded(template, built.Declaration, settings.Ha, built.Kinds);
        Console.Out.Write(settings.Json ? CapacityReport.Json(mix, like, settings.Ha, answer) : CapacityReport.Text(mix, like, settings.Ha, answer));
        return answer.Nodes < 0 ? ExitCodes.Errors : ExitCodes.Ok;
    }

    // The node the mix is counted on, and how to name it; null after saying why it could not be read.
    private static (ClusterNode Node, string Like)? Template(Settings settings, CheckReport report, HostPolicy policy)
    {
        try
        {
            if (settings.Shape is { } shape)
            {
                return (new ClusterNode("node", null, MachineShapes.TryParse(shape, out _)!, policy), $"shape {shape}");
            }

            if (settings.SysRoot is { } root)
            {
                return (new ClusterNode("node", null, SysfsTopologyReader.ForSysroot(root).Read(), policy), $"sysroot {root}");
            }

            if (settings.NodeLike is not null || report.Declaration.Nodes.Count > 0)
            {
                string name = settings.NodeLike ?? report.Declaration.Nodes[0].Name;
                if (report.Declaration.Nodes.FirstOrDefault(n => n.Name == name) is not { } spec)
                {
                    FailureRenderer.Write(CliErrors.UnknownNodeLike(name, report.Declaration.Nodes.Select(n => n.Name), report.Source.Directory));
                    return null;
                }

                NodeReading reading = ClusterNodeReader.Read(spec, new HashSet<string>());
                if (!ClusterReadings.ReportUnreachable([reading], skip: false))
                {
                    return null;
                }

                return (reading.Node! with { Running = new Dictionary<string, Core.Planning.Incumbent?>() }, $"node {name}");
            }

            return (new ClusterNode("node", null, SysfsTopologyReader.ForHost().Read(), policy), "this host");
        }
        catch (KvmConfigException e)
        {
            FailureRenderer.Write(e);
            return null;
        }
    }
}
