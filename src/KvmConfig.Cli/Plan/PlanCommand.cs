using System.ComponentModel;
using KvmConfig.Cli.Check;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Planning;

/// <summary>
/// <c>kvmconfig plan</c>: check the declaration as <c>check</c> does, then show where every VM lands. A declaration
/// with errors, the planner's KVC047 included, prints the check's findings and exits 1: never a partial plan.
/// </summary>
/// <remarks>The namespace is <c>Planning</c>, not <c>Plan</c>, so that it does not hide the <see cref="Plan"/> type.</remarks>
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
        [Description("Also draw the plan as an SVG picture in FILE: packages, NUMA nodes, L3 groups, cores and threads coloured by VM, with a legend.")]
        public string? Svg { get; init; }

        [CommandOption("--explain")]
        [Description("After the table, say for each VM why it landed where it did and what it would need to land elsewhere.")]
        public bool Explain { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            OptionValue.IsMissing(Svg)
                ? Spectre.Console.ValidationResult.Error("--svg needs a file name, e.g. --svg plan.svg")
                : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        HostTopology host = settings.ReadHost();
        CheckReport report = DeclarationCheck.Run(settings.Directory, host);
        bool json = settings.Format == "json";
        if (!report.Ok)
        {
            return CheckCommand.RefuseWithFindings(report, host, settings);
        }

        string output = json
            ? PlanJson.Render(report, host, settings.SysRoot ?? "/sys")
            : PlanText.Render(report, host, new PlanTextOptions(settings.HostLabel, settings.Explain, settings.Verbose, Terminal.Color));
        if (settings.Svg is { } file && !WriteSvg(file, PlanSvg.Render(PlanOf(report), host, Title(settings.HostLabel, host))))
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

    /// <summary>The plan of a report without errors. The checker always plans a clean declaration.</summary>
    internal static Plan PlanOf(CheckReport report) =>
        report.Plan ?? throw new InvalidOperationException("the declaration passed every rule but the report holds no plan");

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
            Console.Error.WriteLine($"error: cannot write {file}: {e.Message}");
            Console.Error.WriteLine("  = hint: give --svg a path in a directory that exists and that you may write to");
            return false;
        }
    }
}
