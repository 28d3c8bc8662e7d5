using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Libvirt.Cluster;
using KvmConfig.Monitoring.Forecasts;
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

        var choice = new NodeChoice(settings.Shape, settings.SysRoot, settings.NodeLike);
        if (settings.FromHistory)
        {
            CapacityForecast forecast = CapacityNodes.FromHistory(report.Declaration, report.Source.Directory, choice, settings.History ?? [], settings.HorizonValue);
            Console.Out.Write(settings.Json ? CapacityHistory.Json(forecast) : CapacityHistory.Text(forecast));
            return ExitCodes.Ok;
        }

        IReadOnlyList<MixEntry> mix = CapacityMix.TryParse(settings.Mix!, out _)!;
        if (CapacityMix.Build(report.Source, mix, out string? unknown) is not { } built)
        {
            FailureRenderer.Write(CliErrors.UnknownMixProfile(unknown!, report.Declaration.Profiles.Keys, report.Source.Directory));
            return ExitCodes.CouldNotRun;
        }

        (ClusterNode template, string like) = CapacityNodes.Template(report.Declaration, report.Source.Directory, built.Declaration.Host, choice);

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
}
