using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt.Apply;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>
/// <c>kvmconfig apply</c>: check and plan the declaration, then push the plan to libvirt for every declared VM, all or
/// nothing (<see cref="PendingApply"/>): a diff first, a journal of every touched VM before any change, the persistent
/// definitions and the live state of running VMs, and a restore of everything already changed when any step fails.
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

        [CommandOption("--repack")]
        [Description("Plan from scratch for the best packing and move the VMs that need it; without it, VMs stay where they run while that is valid.")]
        public bool Repack { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using HostSession host = HostSession.Open(settings, readOnly: settings.DryRun);
        if (settings.PlanOrRefuse(host, settings.Repack) is not { } planned)
        {
            return ExitCodes.Errors;
        }

        string uri = settings.Connect ?? ConnectSettings.DefaultUri;
        var origin = new PlanOrigin(host.Host, settings.HostLabel, settings.Directory, settings.SysRoot, host.ReadThroughLibvirt);
        using PendingApply pending = PendingApply.Prepare(host.Libvirt(uri), planned.Plan, origin, Change.Options(settings));
        if (!settings.Json)
        {
            Console.Out.Write(ApplyText.Moves(planned.Plan.Moves));
            Console.Out.Write(ApplyText.Changes(pending.Changes, Terminal.Color));
        }

        int changing = pending.Real.Count;
        return pending.WouldChange && !Change.Confirmed(settings, $"Apply these changes to {Units.Plural(changing, "VM")} on {uri}?")
            ? ExitCodes.CouldNotRun
            : Show(pending.Commit(), settings.Json);
    }

    // What happened, on stdout (text or JSON) and, for a failure, on stderr; the exit code.
    private static int Show(ApplyResult result, bool json)
    {
        switch (result)
        {
            case ApplyResult.Unchanged unchanged:
                Console.Out.Write(json
                    ? ApplyText.Json(result.Uri, result.Changes, null, null, unchanged.DryRun)
                    : ApplyText.Unchanged(result.Changes, unchanged.DryRun) + "\n");
                return ExitCodes.Ok;
            case ApplyResult.Stale stale:
                foreach (string change in stale.ChangedMeanwhile)
                {
                    FailureRenderer.Write(Rules.LibvirtError.Code, $"{change} while apply waited for confirmation; nothing was changed");
                }

                FailureRenderer.Notes(("hint", "run apply again to see the diff against the domains as they are now"));
                return ExitCodes.CouldNotRun;
            case ApplyResult.Applied { Outcome: var outcome, Journal: var journal }:
                if (json)
                {
                    Console.Out.Write(ApplyText.Json(result.Uri, result.Changes, outcome, journal, dryRun: false));
                }
                else if (outcome.Succeeded)
                {
                    Console.Out.Write(ApplyText.Applied(outcome, journal));
                }

                return outcome.Error is { } error ? Failed(outcome, error, journal) : ExitCodes.Ok;
            default:
                return ExitCodes.CouldNotRun;
        }
    }

    private static int Failed(ApplyOutcome outcome, KvmConfigException error, Journal journal)
    {
        FailureRenderer.Write(error.Descriptor.Code, $"apply failed on VM '{outcome.FailedDomain}' at {outcome.FailedStep}: {error.Message}");
        if (outcome.RollbackErrors.Count == 0)
        {
            FailureRenderer.Notes(("note", $"every VM already changed was restored from the journal {journal.Directory}"));
        }
        else
        {
            FailureRenderer.Notes([.. outcome.RollbackErrors.Select(failure => ("restore failed", failure)),
                ("note", $"the journal {journal.Directory} holds every VM's XML and live state from before; kvmconfig rollback {journal.Directory} tries again")]);
        }

        if (error.Hint is not null)
        {
            FailureRenderer.Notes(("hint", error.Hint));
        }

        return outcome.RollbackErrors.Count == 0 ? ExitCodes.ApplyFailed : ExitCodes.RollbackFailed;
    }
}
