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
internal sealed class CapacityCommand : Command<CapacitySettings>
{
    public override int Execute(CommandContext context, CapacitySettings settings, CancellationToken cancellationToken)
    {
        CheckReport report = ClusterCheck.Run(settings.Directory);
        if (!report.Ok)
        {
            Console.Out.Write(CheckText.Render(report, "no host (capacity reads [host] and [profile])", settings.Verbose, Terminal.Color));
            return ExitCodes.Errors;
        }

        if (settings.FromHistory)
        {
            return Template(settings, report, report.Declaration.Host) is (ClusterNode node, string nodeLike)
                ? CapacityHistory.Run(settings, report.Declaration.Alerts, node, nodeLike)
                : ExitCodes.CouldNotRun;
        }

        IReadOnlyList<MixEntry> mix = CapacityMix.TryParse(settings.Mix!, out _)!;
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
    private static (ClusterNode Node, string Like)? Template(CapacitySettings settings, CheckReport report, HostPolicy policy)
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
