using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Export;

/// <summary>
/// <c>kvmconfig export ansible-inventory</c>: the cluster's <c>[node NAME]</c> sections as an Ansible inventory
/// (<see cref="AnsibleInventory"/>), for the kvmconfig role of <c>deploy/ansible/</c> (docs/ansible.md).
/// </summary>
internal sealed class ExportAnsibleInventoryCommand : Command<ExportAnsibleInventoryCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--config-dir <DIR>")]
        [Description("Configuration directory with the [[node NAME]] sections (default: $KVMCONFIG_DIR or /etc/kvmconfig.d).")]
        public string? ConfigDir { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("Write the inventory to FILE instead of stdout.")]
        public string? Output { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("Inventory format: yaml (Ansible's yaml inventory plugin) or ini.")]
        [DefaultValue("yaml")]
        public string Format { get; init; } = "yaml";

        /// <summary>The directory to read: <c>--config-dir</c>, else <c>$KVMCONFIG_DIR</c>, else <c>/etc/kvmconfig.d</c>.</summary>
        public string Directory =>
            ConfigDirectoryReader.Resolve(ConfigDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));

        public override ValidationResult Validate() =>
            OptionValue.IsMissing(ConfigDir) ? ValidationResult.Error("--config-dir needs a directory, e.g. --config-dir /etc/kvmconfig.d")
            : OptionValue.IsMissing(Output) ? ValidationResult.Error("--output needs a file name, e.g. --output inventory.yml")
            : Format is not ("yaml" or "ini") ? ValidationResult.Error($"--format {Format}: use one of yaml, ini")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (CheckReport report, AnsibleInventory? inventory) = AnsibleInventory.Export(settings.Directory);
        if (inventory is null)
        {
            Console.Out.Write(CheckText.Render(report, $"the cluster inventory ({Units.Plural(report.Declaration.Nodes.Count, "node")})", verbose: false, Terminal.Color));
            return ExitCodes.Errors;
        }

        if (inventory.Hosts.Count == 0)
        {
            FailureRenderer.Write(CliErrors.NoInventory(report.Source.Directory));
            return ExitCodes.CouldNotRun;
        }

        string text = settings.Format == "ini" ? AnsibleInventoryText.Ini(inventory) : AnsibleInventoryText.Yaml(inventory);
        if (settings.Output is not { } file)
        {
            Console.Out.Write(text);
            return ExitCodes.Ok;
        }

        try
        {
            File.WriteAllText(file, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailureRenderer.Write(CliErrors.CannotWriteReport(file, "--output", e));
            return ExitCodes.CouldNotRun;
        }

        Console.Error.WriteLine($"wrote {file}: {Units.Plural(inventory.Hosts.Count, "host")}, {Units.Plural(inventory.Groups.Count, "rack group")}");
        return ExitCodes.Ok;
    }
}
