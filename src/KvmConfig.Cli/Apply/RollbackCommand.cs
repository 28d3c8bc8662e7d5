using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>
/// <c>kvmconfig rollback [JOURNAL]</c>: put every VM of an apply's journal (the newest one when none is named) back as
/// it was before that apply, persistent definition and live state, under the same lock as apply (<see cref="PendingRollback"/>).
/// </summary>
internal sealed class RollbackCommand : Command<RollbackCommand.Settings>
{
    internal sealed class Settings : ConnectSettings, IChangeOptions
    {
        [CommandArgument(0, "[JOURNAL]")]
        [Description("A journal directory that apply wrote; default: the newest under --journal. The domains are restored through --connect, default the URI that apply used.")]
        public string? JournalDirectory { get; init; }

        [CommandOption("--dry-run")]
        [Description(Change.DryRunHelp)]
        public bool DryRun { get; init; }

        [CommandOption("-y|--yes")]
        [Description(Change.YesHelp)]
        public bool Yes { get; init; }

        [CommandOption("--journal <DIR>")]
        [Description(Change.JournalHelp)]
        [DefaultValue(Journal.DefaultRoot)]
        public string JournalRoot { get; init; } = Journal.DefaultRoot;

        [CommandOption("--lock <FILE>")]
        [Description(Change.LockHelp)]
        [DefaultValue(ApplyLock.DefaultPath)]
        public string LockFile { get; init; } = ApplyLock.DefaultPath;

        [CommandOption("--lock-timeout <SECONDS>")]
        [Description(Change.LockTimeoutHelp)]
        [DefaultValue(30)]
        public int LockTimeoutSeconds { get; init; } = 30;

        public override ValidationResult Validate()
        {
            ValidationResult connect = base.Validate();
            return connect.Successful ? Change.Validate(this) : connect;
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        Journal journal = PendingRollback.OpenJournal(settings.JournalDirectory, settings.JournalRoot);
        string uri = settings.Connect ?? journal.Uri;
        using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: settings.DryRun);
        using PendingRollback pending = PendingRollback.Prepare(connection, journal, Change.Options(settings));
        foreach (string name in pending.Vanished)
        {
            Console.Out.WriteLine($"VM {name}: libvirt no longer knows it; its XML stays in {journal.Directory}");
        }

        Console.Out.Write(ApplyText.Changes(pending.Changes, Terminal.Color));
        int changing = pending.Real.Count;
        if (pending.WouldChange && !Change.Confirmed(settings, $"Restore {Units.Plural(changing, "VM")} on {uri} from {journal.Directory}?"))
        {
            return ExitCodes.CouldNotRun;
        }

        switch (pending.Commit())
        {
            case RollbackResult.Failed failed:
                foreach (string error in failed.Errors)
                {
                    FailureRenderer.Write(Rules.LibvirtError.Code, $"restore failed: {error}");
                }

                FailureRenderer.Notes(("note", $"the other VMs were restored; {journal.Directory} still holds every VM's XML and live state"));
                return ExitCodes.RollbackFailed;
            case RollbackResult.Restored restored:
                Console.Out.WriteLine($"restored: {Units.Plural(restored.Real.Count, "VM")} ({string.Join(", ", restored.Real.Select(r => r.Name))}) from {journal.Directory}");
                return ExitCodes.Ok;
            default:
                Console.Out.WriteLine(changing == 0
                    ? $"nothing to restore: every VM of {journal.Directory} is as it was before that apply"
                    : $"dry run: {Units.Plural(changing, "VM")} would be restored; nothing was changed");
                return ExitCodes.Ok;
        }
    }
}
