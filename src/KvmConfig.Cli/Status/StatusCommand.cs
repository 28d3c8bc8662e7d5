using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Apply;
using KvmConfig.Libvirt.Apply;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Status;

/// <summary>
/// <c>kvmconfig status</c>: check and plan the declaration as <c>plan</c> does, then compare every declared VM's
/// domain with its plan (<see cref="StatusReport"/>): the persistent definition, and for a running domain its live
/// state. Exit 3 on any drift. A declaration with errors prints the check's findings and exits 1, like <c>plan</c>.
/// </summary>
internal sealed class StatusCommand : Command<StatusCommand.Settings>
{
    /// <summary>The exit codes, for the help screen.</summary>
    public const string ExitHelp = "Exit codes: 0 every declared VM matches its plan, 1 the declaration has errors, "
        + "2 could not run (missing directory, unreadable sysroot, unsafe permissions, libvirt unreachable, bad usage), "
        + "3 drift (a VM's domain differs from its plan, or libvirt does not know it).";

    internal sealed class Settings : DeclarationSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text (a table, then each drifted field), or json for scripts (docs/status-json.md).")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The host comes from where the other commands read it (sysfs, or libvirt with --connect), so that status
        // plans exactly what plan and apply plan; the domains are read read-only, through the same connection.
        using HostSession host = HostSession.Open(settings);
        if (settings.PlanOrRefuse(host) is not { } planned)
        {
            return ExitCodes.Errors;
        }

        string uri = settings.Connect ?? ConnectSettings.DefaultUri;
        StatusReport status = DomainStatus.Observe(host.Libvirt(uri), planned.Plan);
        Console.Out.Write(settings.Json
            ? StatusJson.Render(status, planned.Report, uri)
            : StatusText.Render(status, planned.Report, new StatusTextOptions(uri, settings.Verbose, Terminal.Color)));
        return status.InSync ? ExitCodes.Ok : ExitCodes.Drift;
    }
}
