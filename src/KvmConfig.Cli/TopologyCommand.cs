using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Topology;
using KvmConfig.Core.Topology;
using Spectre.Console.Cli;

namespace KvmConfig.Cli;

/// <summary><c>kvmconfig topology</c>: the host as kvmconfig sees it.</summary>
internal sealed class TopologyCommand : Command<TopologyCommand.Settings>
{
    internal sealed class Settings : HostSettings
    {
        protected override IReadOnlyList<string> AllowedFormats => ["text", "json", "parse"];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        HostTopology host = settings.ReadHost();
        Console.Out.Write(settings.Format switch
        {
            "json" => TopologyRenderer.Json(host),
            "parse" => TopologyRenderer.Parse(host),
            _ => TopologyRenderer.Text(host),
        });
        return ExitCodes.Ok;
    }
}
