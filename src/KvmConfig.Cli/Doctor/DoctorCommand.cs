using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core.Host;
using KvmConfig.Libvirt.Host;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Doctor;

/// <summary>
/// <c>kvmconfig doctor</c>: is this host ready for the declared VMs? PASS, WARN, FAIL or UNKNOWN per check, each with
/// what was seen, why it matters and the fix (<see cref="HostDoctor"/>).
/// </summary>
internal sealed class DoctorCommand : Command<DoctorCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--config-dir <DIR>")]
        [Description("Configuration directory (default: $KVMCONFIG_DIR or /etc/kvmconfig.d): the VMs the host is judged for.")]
        public string? ConfigDir { get; init; }

        [CommandOption("--sysroot <DIR>")]
        [Description("Judge the host captured in DIR (DIR/proc, DIR/sys, DIR/etc, DIR/dev) instead of this one. A file the capture lacks makes its check UNKNOWN.")]
        public string? SysRoot { get; init; }

        [CommandOption("--connect <URI>")]
        [Description("The libvirt whose version is checked (default: qemu:///system for this host; none for a --sysroot).")]
        public string? Connect { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text, or json for scripts (docs/host-tuning.md).")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        [CommandOption("-v|--verbose")]
        [Description("Also say why each passing check matters.")]
        public bool Verbose { get; init; }

        public string Directory =>
            ConfigDirectoryReader.Resolve(ConfigDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));

        public override ValidationResult Validate() =>
            OptionValue.IsMissing(ConfigDir) ? ValidationResult.Error("--config-dir needs a directory, e.g. --config-dir /etc/kvmconfig.d")
            : SysRoot is not null && OptionValue.IsMissing(SysRoot) ? ValidationResult.Error("--sysroot needs a directory, e.g. --sysroot /captures/host1")
            : Connect is not null && OptionValue.IsMissing(Connect) ? ValidationResult.Error("--connect needs a libvirt URI, e.g. --connect qemu+ssh://root@kvm1/system")
            : Format is "text" or "json" ? ValidationResult.Success()
            : ValidationResult.Error($"--format {Format}: use one of text, json");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        DoctorOutcome outcome = HostDoctor.Run(settings.Directory, settings.SysRoot, settings.Connect);
        Console.Out.Write(settings.Format == "json" ? DoctorJson.Render(outcome) : DoctorText.Render(outcome, settings.Verbose, Terminal.Color));
        return outcome.Report.Count(CheckStatus.Fail) > 0 ? ExitCodes.Errors : ExitCodes.Ok;
    }
}
