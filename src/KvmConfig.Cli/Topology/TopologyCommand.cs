using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Topology;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Topology;

/// <summary><c>kvmconfig topology</c>: the host as kvmconfig sees it.</summary>
internal sealed class TopologyCommand : Command<TopologyCommand.Settings>
{
    internal sealed class Settings : HostSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text (summary and tree), json (docs/topology-json.md), or parse (lscpu -p compatible CSV).")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats { get; } = Enum.GetNames<TopologyFormat>().Select(n => n.ToLowerInvariant()).ToArray();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HostSession session = HostSession.Open(settings);
        HostTopology host = session.Host;
        var format = Enum.Parse<TopologyFormat>(settings.Format, ignoreCase: true);
        Console.Out.Write(TopologyRenderer.Render(host, format));

        // The text and JSON carry the notes; the lscpu-style CSV has no place for them, so they go to stderr.
        if (format == TopologyFormat.Parse)
        {
            foreach (string line in TopologyRenderer.NoteLines(host))
            {
                Console.Error.WriteLine($"kvmconfig: {line}");
            }
        }

        return ExitCodes.Ok;
    }
}
