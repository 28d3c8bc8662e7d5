using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Check;

/// <summary><c>kvmconfig check</c>: validate the declaration against the host and the rules.</summary>
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
        using HostSession host = HostSession.Open(settings);
        CheckReport report = DeclarationCheck.Run(settings.Directory, host.Host);
        Console.Out.Write(settings.Render(report, host));
        return report.Ok ? ExitCodes.Ok : ExitCodes.Errors;
    }
}
