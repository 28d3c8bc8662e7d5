using System.ComponentModel;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
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
    /// The opening of <c>plan</c>, <c>apply</c> and <c>status</c>: check and plan the declaration against the host,
    /// keeping every VM where it is placed now while that is valid (its libvirt definition; for <c>--sysroot</c>, the
    /// <c>--incumbent</c> file), unless <paramref name="repack"/> asks for a plan from scratch, whose
    /// <see cref="Core.Planning.Plan.Moves"/> then list what it would move. A declaration with errors prints the
    /// findings exactly as <c>check</c> does and gives null (exit 1): never a partial plan.
    /// </summary>
    public PlanOutcome.Planned? PlanOrRefuse(HostSession host, bool repack = false, string? incumbentFile = null)
    {
        Incumbents found = Incumbents.None;
        IReadOnlyDictionary<string, Incumbent> Where(IReadOnlyList<string> names)
        {
            found = PlacedNow(host, names, incumbentFile);
            return repack ? Incumbents.None.ByName : found.ByName;
        }

        PlanOutcome outcome = DeclarationPlan.Run(Directory, host.Host, Where);
        foreach (string note in found.Notes.Where(_ => Verbose || incumbentFile is not null))
        {
            Console.Error.WriteLine($"note: {note}");
        }

        if (outcome is PlanOutcome.Planned planned)
        {
            return repack ? planned with { Plan = planned.Plan with { Moves = HostPlanner.MovesFrom(found.ByName, planned.Plan) } } : planned;
        }

        Console.Out.Write(Render(outcome.Report, host));
        return null;
    }

    // Where the declared VMs are placed now: the file when given, nothing for a captured tree, else libvirt's
    // definitions (a libvirt that cannot be reached leaves every VM to be placed as new, and says so).
    private Incumbents PlacedNow(HostSession host, IReadOnlyList<string> names, string? file)
    {
        if (file is not null)
        {
            return IncumbentFile.Read(file, host.Host);
        }

        if (SysRoot is not null)
        {
            return Incumbents.None;
        }

        string uri = Connect ?? DefaultUri;
        try
        {
            return LibvirtIncumbents.Read(host.Libvirt(uri), names);
        }
        catch (Exception e) when (e is LibvirtException or KvmConfigException)
        {
            return Incumbents.Unknown($"libvirt {uri} could not be asked where the VMs run ({e.Message}): every VM is placed as new");
        }
    }
}
