using System.ComponentModel;
using System.Text;
using KvmConfig.Cli.Check;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Capabilities;
using KvmConfig.Libvirt.Apply;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>
/// <c>kvmconfig apply</c>: check and plan the declaration, then push the plan to libvirt for every declared VM, all or
/// nothing: a diff first, a journal of every touched VM before any change, the persistent definitions and the live
/// state of running VMs, and a restore of everything already changed when any step fails.
/// </summary>
internal sealed class ApplyCommand : Command<ApplyCommand.Settings>
{
    internal sealed class Settings : ChangeSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text (diffs, live changes, outcome), or json for scripts.")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];
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

        Plan plan = report.Plan ?? throw new InvalidOperationException("a clean check holds a plan");
        string uri = settings.Connect ?? Change.DefaultUri;
        using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: settings.DryRun);

        // A plan is for the CPUs and nodes it was made on: one made from a --sysroot capture, or from this machine for a
        // remote URI, would pin onto CPUs the connected host may not have. Refused before anything is read or changed.
        if (settings.Connect is null && !settings.DryRun && host.PlacementDifference(LibvirtHost.Read(connection)) is { } difference)
        {
            throw new KvmConfigException(Rules.PlanForAnotherHost,
                $"the plan was made for {settings.HostLabel}, but libvirt at {uri} reaches another host: {difference}; nothing was changed",
                settings.SysRoot,
                $"plan against the host you apply to: drop --sysroot, or pass --connect {uri} so that the host is read through libvirt");
        }

        // The lock is taken before the domains are read, so that what is shown is what gets changed.
        using ApplyLock? hold = settings.DryRun ? null : Change.Lock(settings);
        using var port = new LibvirtApplyPort(connection);
        var views = plan.Vms.Select(v => (Placement: v, View: port.Find(v.Name))).ToList();
        string[] unknown = [.. views.Where(v => v.View is null).Select(v => v.Placement.Name)];
        if (unknown.Length > 0)
        {
            Console.Error.WriteLine($"error[{Rules.LibvirtError.Code}]: libvirt at {uri} knows no domain named {string.Join(", ", unknown.Select(n => $"'{n}'"))}; nothing was changed");
            Console.Error.WriteLine($"  = hint: define {(unknown.Length == 1 ? "it" : "them")} first (virsh define FILE.xml), or remove {(unknown.Length == 1 ? "its file" : "their files")} from {settings.Directory}");
            return ExitCodes.CouldNotRun;
        }

        IReadOnlyList<DomainChange> changes = [.. views.Select(v => DomainChange.Plan(v.View!, DomainTuning.From(v.Placement)))];
        List<DomainChange> real = [.. changes.Where(c => !c.IsEmpty)];
        if (!json)
        {
            Console.Out.Write(ApplyText.Changes(changes, Terminal.Color));
        }

        if (real.Count == 0 || settings.DryRun)
        {
            if (json)
            {
                Console.Out.Write(ApplyText.Json(uri, changes, null, null, settings.DryRun));
            }
            else
            {
                Console.Out.WriteLine(real.Count == 0
                    ? (changes.Count == 1 ? "nothing to change: the VM already matches the plan" : $"nothing to change: all {changes.Count} VMs already match the plan")
                    : $"dry run: {Units.Plural(real.Count, "VM")} would change; nothing was changed");
            }

            return ExitCodes.Ok;
        }

        if (!Change.Confirmed(settings, $"Apply these changes to {Units.Plural(real.Count, "VM")} on {uri}?"))
        {
            return ExitCodes.CouldNotRun;
        }

        // Someone may have changed a domain while the question waited: the approved diff no longer holds for it.
        List<DomainView> approved = [.. views.Where(v => real.Any(c => c.Name == v.Placement.Name)).Select(v => v.View!)];
        if (Applier.ChangedSince(port, approved) is { Count: > 0 } changedMeanwhile)
        {
            foreach (string change in changedMeanwhile)
            {
                Console.Error.WriteLine($"error[{Rules.LibvirtError.Code}]: {change} while apply waited for confirmation; nothing was changed");
            }

            Console.Error.WriteLine("  = hint: run apply again to see the diff against the domains as they are now");
            return ExitCodes.CouldNotRun;
        }

        Journal journal = Journal.Create(settings.JournalRoot, uri, DateTimeOffset.UtcNow, approved);
        ApplyOutcome outcome = Applier.Apply(port, changes, journal);
        if (json)
        {
            Console.Out.Write(ApplyText.Json(uri, changes, outcome, journal, dryRun: false));
        }
        else if (outcome.Succeeded)
        {
            Console.Out.Write(ApplyText.Applied(outcome, journal));
        }

        if (outcome.Error is { } error)
        {
            Console.Error.WriteLine($"error[{error.Descriptor.Code}]: apply failed on VM '{outcome.FailedDomain}' at {outcome.FailedStep}: {error.Message}");
            if (outcome.RollbackErrors.Count == 0)
            {
                Console.Error.WriteLine($"  = note: every VM already changed was restored from the journal {journal.Directory}");
            }
            else
            {
                foreach (string failure in outcome.RollbackErrors)
                {
                    Console.Error.WriteLine($"  = restore failed: {failure}");
                }

                Console.Error.WriteLine($"  = note: the journal {journal.Directory} holds every VM's XML and live state from before; kvmconfig rollback {journal.Directory} tries again");
            }

            if (error.Hint is not null)
            {
                Console.Error.WriteLine($"  = hint: {error.Hint}");
            }

            return outcome.RollbackErrors.Count == 0 ? ExitCodes.ApplyFailed : ExitCodes.RollbackFailed;
        }

        return ExitCodes.Ok;
    }
}
