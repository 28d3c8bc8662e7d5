using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Check;

/// <summary>
/// <c>kvmconfig check</c>: validate the declaration against the host and the rules. A directory with <c>[node]</c>
/// sections is a cluster: without <c>--sysroot</c> or <c>--connect</c> it is checked without a host.
/// </summary>
internal sealed class CheckCommand : Command<CheckCommand.Settings>
{
    internal sealed class Settings : DeclarationSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text, or json for scripts (docs/check-json.md).")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // A cluster inventory ([node] sections) is not one host: unless a host is named, check judges what needs no
        // host (syntax, keys, the cluster rules); each node's own rules are judged against it by cluster plan.
        if (settings.SysRoot is null && settings.Connect is null && ClusterCheck.Run(settings.Directory) is { Declaration.Nodes.Count: > 0 } cluster)
        {
            Console.Out.Write(settings.Json
                ? CheckJson.Render(cluster, host: null, "cluster inventory", settings.Verbose)
                : CheckText.Render(cluster, "the cluster inventory, without a host (each node's rules are judged against that node by kvmconfig cluster plan)", settings.Verbose, Terminal.Color));
            return cluster.Ok ? ExitCodes.Ok : ExitCodes.Errors;
        }

        using HostSession host = HostSession.Open(settings);
        CheckReport report = DeclarationCheck.Run(settings.Directory, host.Host);
        Console.Out.Write(settings.Render(report, host));
        return report.Ok ? ExitCodes.Ok : ExitCodes.Errors;
    }
}
