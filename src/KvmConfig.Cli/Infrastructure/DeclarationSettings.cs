using System.ComponentModel;
using KvmConfig.Config;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Options of the commands that read a declaration and check it against the host (<c>check</c>, <c>plan</c>).</summary>
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

    public override Spectre.Console.ValidationResult Validate() =>
        OptionValue.IsMissing(ConfigDir)
            ? Spectre.Console.ValidationResult.Error("--config-dir needs a directory, e.g. --config-dir /etc/kvmconfig.d")
            : base.Validate();
}
