using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>
/// <c>kvmconfig rollback [JOURNAL]</c>: put every VM of an apply's journal (the newest one when none is named) back as
/// it was before that apply, persistent definition and live state, under the same lock as apply.
/// </summary>
internal sealed class RollbackCommand : Command<RollbackCommand.Settings>
{
    internal sealed class Settings : CommandSettings, IChangeOptions
    {
        [CommandArgument(0, "[JOURNAL]")]
        [Description("A journal directory that apply wrote; default: the newest under --journal.")]
        public string? JournalDirectory { get; init; }

        [CommandOption("--connect <URI>")]
        [Description("The libvirt URI to restore through; default: the one the journal's apply used.")]
        public string? Connect { get; init; }

        [CommandOption("--dry-run")]
        [Description("Show what would be restored, then stop.")]
        public bool DryRun { get; init; }

        [CommandOption("-y|--yes")]
        [Description("Do not ask for confirmation (required without a terminal).")]
        public bool Yes { get; init; }

        [CommandOption("--journal <DIR>")]
        [Description("Where apply keeps its journals.")]
        [DefaultValue(Journal.DefaultRoot)]
        public string JournalRoot { get; init; } = Journal.DefaultRoot;

        [CommandOption("--lock <FILE>")]
        [Description("The lock file shared with apply.")]
        [DefaultValue(ApplyLock.DefaultPath)]
        public string LockFile { get; init; } = ApplyLock.DefaultPath;

        [CommandOption("--lock-timeout <SECONDS>")]
        [Description("How long to wait for a running apply before refusing.")]
        [DefaultValue(30)]
        public int LockTimeoutSeconds { get; init; } = 30;

        public override ValidationResult Validate() =>
            Connect is not null && OptionValue.IsMissing(Connect)
                ? ValidationResult.Error("--connect needs a libvirt URI, e.g. --connect qemu:///system")
                : Change.Validate(this);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string directory = settings.JournalDirectory
            ?? Journal.Latest(settings.JournalRoot)
            ?? throw new KvmConfigException(Rules.Unreadable, $"no journal in {settings.JournalRoot}: nothing to roll back", settings.JournalRoot,
                "apply writes a journal there before it changes anything; name another directory with --journal");
        Journal journal = Journal.Open(directory);
        string uri = settings.Connect ?? journal.Uri;
        using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: settings.DryRun);
        using ApplyLock? hold = settings.DryRun ? null : Change.Lock(settings);
        using var port = new LibvirtApplyPort(connection);

        // What a restore would do, VM by VM: the definition back to the journal's, and the live values back. Only a
        // domain that is still the one the journal saved (same name, same uuid) is touched: a new domain that took the
        // name meanwhile is another machine.
        var pending = new List<DomainChange>();
        for (int i = 0; i < journal.Domains.Count; i++)
        {
            DomainView before = journal.Domains[i];
            DomainView? now = port.Find(before.Name);
            if (now is null)
            {
                Console.Out.WriteLine($"VM {before.Name}: libvirt no longer knows it; its XML stays in {directory}");
                continue;
            }

            string? uuid = DomainXml.ReadIdentity(now.PersistentXml).Uuid;
            if (uuid != journal.Uuids[i])
            {
                throw new KvmConfigException(Rules.Unreadable,
                    $"the journal {directory} saved VM '{before.Name}' with uuid {journal.Uuids[i] ?? "none"}, but libvirt's '{before.Name}' is uuid {uuid ?? "none"}: another domain took the name, and rollback does not touch it",
                    directory,
                    $"nothing was changed; restore '{before.Name}' by hand from {Path.Combine(directory, before.Name + ".xml")} if it is really the same machine");
            }

            IReadOnlyList<LiveOperation> live = now.Live is { } l && before.Live is { } b ? LiveChanges.Back(l, b) : [];
            pending.Add(new DomainChange(before.Name, now.PersistentXml, before.PersistentXml, live, [], $"journal {Path.GetFileName(directory)}"));
        }

        Console.Out.Write(ApplyText.Changes(pending, Terminal.Color));
        List<DomainChange> real = [.. pending.Where(p => !p.IsEmpty)];
        if (real.Count == 0 || settings.DryRun)
        {
            Console.Out.WriteLine(real.Count == 0
                ? $"nothing to restore: every VM of {directory} is as it was before that apply"
                : $"dry run: {Units.Plural(real.Count, "VM")} would be restored; nothing was changed");
            return ExitCodes.Ok;
        }

        if (!Change.Confirmed(settings, $"Restore {Units.Plural(real.Count, "VM")} on {uri} from {directory}?"))
        {
            return ExitCodes.CouldNotRun;
        }

        IReadOnlyList<string> errors = Applier.Restore(port, [.. journal.Domains.Where(d => real.Any(r => r.Name == d.Name))], journal.UuidOf);
        if (errors.Count > 0)
        {
            journal.Mark("rollback-failed");
            foreach (string error in errors)
            {
                Console.Error.WriteLine($"error[{Rules.LibvirtError.Code}]: restore failed: {error}");
            }

            Console.Error.WriteLine($"  = note: the other VMs were restored; {directory} still holds every VM's XML and live state");
            return ExitCodes.RollbackFailed;
        }

        journal.Mark("restored");
        Console.Out.WriteLine($"restored: {Units.Plural(real.Count, "VM")} ({string.Join(", ", real.Select(r => r.Name))}) from {directory}");
        return ExitCodes.Ok;
    }
}
