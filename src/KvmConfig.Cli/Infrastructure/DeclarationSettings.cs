using System.ComponentModel;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Options of the commands that read a declaration and check it against the host (<c>check</c>, <c>plan</c>, <c>status</c>, <c>apply</c>).</summary>
internal abstract class DeclarationSettings : HostSettings
{
    [CommandOption("--config-dir <DIR>")]
    [Description("Configuration directory (default: $KVMCONFIG_DIR or /etc/kvmconfig.d).")]
    public string? ConfigDir { get; init; }

    [CommandOption("-v|--verbose")]
    [Description("Also show notes: defaults applied, drop-in overrides, values derived.")]
    public bool Verbose { get; init; }

    /// <summary>The directory to read: <c>--config-dir</c>, else <c>$KVMCONFIG_DIR</c>, else <c>/etc/kvmconfig.d</c>.</summary>
    public string Directory =>
        ConfigDirectoryReader.Resolve(ConfigDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));

    /// <summary>True for <c>--format json</c>.</summary>
    public bool Json => Format == "json";

    public override ValidationResult Validate() =>
        OptionValue.IsMissing(ConfigDir)
            ? ValidationResult.Error("--config-dir needs a directory, e.g. --config-dir /etc/kvmconfig.d")
            : base.Validate();

    /// <summary>A check's report, as <c>check</c> prints it in the chosen format.</summary>
    public string Render(CheckReport report, HostSession host) =>
        Json ? CheckJson.Render(report, host.Host, HostSource, Verbose) : CheckText.Render(report, host.Host, host.Label, Verbose, Terminal.Color);

    /// <summary>
    /// The opening of <c>plan</c>, <c>apply</c> and <c>status</c>: check and plan the declaration against the host.
    /// A declaration with errors prints the findings exactly as <c>check</c> does and gives null (exit 1): never a
    /// partial plan.
    /// </summary>
    public PlanOutcome.Planned? PlanOrRefuse(HostSession host)
    {
        PlanOutcome outcome = DeclarationPlan.Run(Directory, host.Host);
        if (outcome is PlanOutcome.Planned planned)
        {
            return planned;
        }

        Console.Out.Write(Render(outcome.Report, host));
        return null;
    }
}
