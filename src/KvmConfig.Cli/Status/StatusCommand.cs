using System.ComponentModel;
using KvmConfig.Cli.Check;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Planning;
using KvmConfig.Config;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Verify;

/// <summary>
/// <c>kvmconfig status</c>: check and plan the declaration as <c>plan</c> does, then compare every declared VM's
/// domain with its plan (<see cref="StatusReport"/>): the persistent definition, and for a running domain its live
/// state. Exit 3 on any drift. A declaration with errors prints the check's findings and exits 1, like <c>plan</c>.
/// </summary>
/// <remarks>
/// The namespace is <c>Verify</c> (the flow's name in DESIGN.md), not <c>Status</c>, so that it does not hide
/// Spectre.Console's <c>Status</c> type from the rest of the CLI.
/// </remarks>
internal sealed class StatusCommand : Command<StatusCommand.Settings>
{
    /// <summary>The libvirt URI read when <c>--connect</c> is not given: the local system daemon, as virsh's default as root.</summary>
    public const string DefaultUri = "qemu:///system";

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

        /// <summary>Where the domains are read: <c>--connect</c>, else <see cref="DefaultUri"/>.</summary>
        public string LibvirtUri => Connect ?? DefaultUri;
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The host comes from where the other commands read it (sysfs, or libvirt with --connect), so that status
        // plans exactly what plan and apply plan.
        HostTopology host = settings.ReadHost();
        CheckReport report = DeclarationCheck.Run(settings.Directory, host);
        bool json = settings.Format == "json";
        if (!report.Ok)
        {
            return CheckCommand.RefuseWithFindings(report, host, settings);
        }

        // Read-only: status never changes a domain, and a read-only connection needs no polkit rule.
        StatusReport status;
        using (LibvirtConnection connection = LibvirtConnection.Open(settings.LibvirtUri, readOnly: true))
        {
            status = Observe(connection, PlanCommand.PlanOf(report));
        }

        Console.Out.Write(json
            ? StatusJson.Render(status, report, settings.LibvirtUri)
            : StatusText.Render(status, report, new StatusTextOptions(settings.LibvirtUri, settings.Verbose, Terminal.Color)));
        return status.InSync ? ExitCodes.Ok : ExitCodes.Drift;
    }

    /// <summary>
    /// Reads every domain of <paramref name="connection"/> once: a declared one with its persistent XML and, when it
    /// runs, its live state; any other by name and state only.
    /// </summary>
    internal static StatusReport Observe(LibvirtConnection connection, Plan plan)
    {
        Dictionary<string, DomainTuning> desired = plan.Vms.ToDictionary(v => v.Name, DomainTuning.From, StringComparer.Ordinal);
        var observed = new Dictionary<string, ObservedDomain?>(StringComparer.Ordinal);
        var unmanaged = new List<UnmanagedDomain>();
        IReadOnlyList<LibvirtDomain> domains = connection.ListAllDomains();
        try
        {
            foreach (LibvirtDomain domain in domains)
            {
                try
                {
                    DomainState state = domain.State;
                    if (desired.ContainsKey(domain.Name))
                    {
                        bool active = domain.IsActive;
                        var view = new DomainView(domain.Name, active, domain.Xml(inactive: true), active ? LibvirtApplyPort.ReadLive(domain) : null);
                        observed[domain.Name] = new ObservedDomain(view, StateName(state));
                    }
                    else
                    {
                        unmanaged.Add(new UnmanagedDomain(domain.Name, StateName(state)));
                    }
                }
                catch (LibvirtException e) when (e.Code == LibvirtException.NoDomain)
                {
                    // Undefined (a transient domain: stopped) between the listing and the reading: it is gone.
                }
            }
        }
        finally
        {
            foreach (LibvirtDomain domain in domains)
            {
                domain.Dispose();
            }
        }

        return StatusReport.Build(desired, observed, unmanaged);
    }

    /// <summary>A state in the words of <c>virsh list</c> and <c>virsh domstate</c>.</summary>
    internal static string StateName(DomainState state) => state switch
    {
        DomainState.Running => "running",
        DomainState.Blocked => "idle",
        DomainState.Paused => "paused",
        DomainState.Shutdown => "in shutdown",
        DomainState.Shutoff => "shut off",
        DomainState.Crashed => "crashed",
        DomainState.PmSuspended => "pmsuspended",
        _ => "no state",
    };
}
