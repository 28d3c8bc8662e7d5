using System.ComponentModel;
using KvmConfig.Core.Topology;
using KvmConfig.Linux;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Options every host-reading command shares.</summary>
internal class HostSettings : CommandSettings
{
    [CommandOption("--sysroot <DIR>")]
    [Description("Read the host from DIR/sys (and DIR/proc) instead of /sys, like lscpu --sysroot. For captured trees.")]
    public string? SysRoot { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("Output format: text or json.")]
    [DefaultValue("text")]
    public string Format { get; init; } = "text";

    public override Spectre.Console.ValidationResult Validate() =>
        AllowedFormats.Contains(Format)
            ? Spectre.Console.ValidationResult.Success()
            : Spectre.Console.ValidationResult.Error($"--format {Format}: use one of {string.Join(", ", AllowedFormats)}");

    protected virtual IReadOnlyList<string> AllowedFormats => ["text", "json"];

    /// <summary>Reads the host topology the options designate.</summary>
    public HostTopology ReadHost() => new SysfsTopologyReader(SysRoot is null ? "/sys" : Path.Combine(SysRoot, "sys")).Read();

    /// <summary>How the host is named in reports.</summary>
    public string HostLabel => SysRoot is null ? "this host" : $"sysroot {SysRoot}";
}

/// <summary>Terminal facts used for colour.</summary>
internal static class Terminal
{
    /// <summary>True when stdout is a terminal and NO_COLOR is unset.</summary>
    public static bool Color => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
}
