using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core.Topology;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Plan;

/// <summary>
/// <c>kvmconfig plan</c>: check the declaration as <c>check</c> does, then show where every VM lands. A declaration
/// with errors, the planner's KVC047 included, prints the check's findings and exits 1: never a partial plan.
/// </summary>
internal sealed class PlanCommand : Command<PlanCommand.Settings>
{
    internal sealed class Settings : DeclarationSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text (table, CPU map, fragmentation), or json for scripts (docs/plan-json.md).")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];

        [CommandOption("--svg <FILE>")]
        [Description("Also draw the plan as an SVG picture in FILE: packages, NUMA nodes, L3 groups, cores and threads coloured by VM and marked as in the CPU map, shared-pool VMs each in its own tint, stranded CPUs outlined, with a legend.")]
        public string? Svg { get; init; }

        [CommandOption("--incumbent <FILE>")]
        [Description("With --sysroot: where the VMs run now, as an earlier plan --format json wrote it; they stay there while that is valid. Without --sysroot the VMs' libvirt definitions say it.")]
        public string? Incumbent { get; init; }

        [CommandOption("--repack")]
        [Description("Plan from scratch for the best packing, ignoring where the VMs run now, and list the VMs that would move.")]
        public bool Repack { get; init; }

        [CommandOption("--explain")]
        [Description("After the table, say for each VM why it landed where it did and what it would need to land elsewhere.")]
        public bool Explain { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            OptionValue.IsMissing(Svg) ? Spectre.Console.ValidationResult.Error("--svg needs a file name, e.g. --svg plan.svg")
            : OptionValue.IsMissing(Incumbent) ? Spectre.Console.ValidationResult.Error("--incumbent needs a file, e.g. --incumbent plan.json (an earlier plan --format json)")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HostSession host = HostSession.Open(settings);
        if (settings.PlanOrRefuse(host, settings.Repack, settings.Incumbent) is not { } planned)
        {
            return ExitCodes.Errors;
        }

        string output = settings.Json
            ? PlanJson.Render(planned, host.Host, settings.HostSource)
            : PlanText.Render(planned, host.Host, new PlanTextOptions(settings.HostLabel, settings.Explain, settings.Verbose, Terminal.Color));
        if (settings.Svg is { } file && !WriteSvg(file, PlanSvg.Render(planned.Plan, host.Host, Title(PictureLabel(settings), host.Host))))
        {
            return ExitCodes.CouldNotRun;
        }

        Console.Out.Write(output);
        if (settings.Svg is not null)
        {
            Console.Error.WriteLine($"wrote {settings.Svg}");
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// How the picture names the host: a sysroot by its folder's name (<c>sysroot xeon-2s</c>), not the path it
    /// was read from on this machine, which means nothing to whoever looks at the picture.
    /// </summary>
    internal static string PictureLabel(Settings settings) =>
        settings.SysRoot is { } sysroot ? $"sysroot {Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(sysroot)))}" : settings.HostLabel;

    /// <summary>How the SVG names the host: <c>sysroot DIR (80 CPUs, 4 NUMA nodes)</c>.</summary>
    internal static string Title(string hostLabel, HostTopology host) =>
        $"{hostLabel} ({host.OnlineCpuCount} CPUs, {host.Nodes.Count} NUMA node{(host.Nodes.Count == 1 ? "" : "s")})";

    // A picture that cannot be written is an environment failure (exit 2), reported like the others: no stack trace.
    private static bool WriteSvg(string file, string svg)
    {
        try
        {
            File.WriteAllText(file, svg);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailureRenderer.Write(null, $"cannot write {file}: {e.Message}", ("hint", "give --svg a path in a directory that exists and that you may write to"));
            return false;
        }
    }
}
