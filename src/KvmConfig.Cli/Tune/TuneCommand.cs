using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux.Tuning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Tune;

/// <summary>
/// <c>kvmconfig tune</c>: check the declaration, then set what kvmconfig owns on the host (<see cref="HostTuner"/>):
/// sysctl drop-in and values, turbo, governor and cap of the VMs' CPUs, per-node huge pages; journaled first, and
/// undone by <c>tune --revert</c>.
/// </summary>
internal sealed class TuneCommand : Command<TuneCommand.Settings>
{
    /// <summary>Text for the help screen.</summary>
    public const string ExitHelp = "Exit codes: 0 tuned, reverted or nothing to change, 1 the declaration has errors (nothing written), 2 could not run (not root, KVC085; no journal to revert, KVC086; no confirmation; unreadable sysroot; bad usage), 3 the kernel granted fewer huge pages than asked (KVC087 warning; everything else set, --revert undoes it), 4 the kernel refused a write (KVC087) and every value already written was restored, 5 the restore failed too.";

    internal sealed class Settings : DeclarationSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text (each setting, its value now and wanted, why), or json for scripts.")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];

        [CommandOption("--dry-run")]
        [Description("Show what would change, then stop: nothing is written, no journal.")]
        public bool DryRun { get; init; }

        [CommandOption("-y|--yes")]
        [Description("Do not ask for confirmation. Without a terminal, nothing is changed unless --yes is given.")]
        public bool Yes { get; init; }

        [CommandOption("--revert")]
        [Description("Put back the values the newest tune journal saved (and remove the drop-in it created).")]
        public bool Revert { get; init; }

        [CommandOption("--journal <DIR>")]
        [Description("Where tune journals are: one file per tune holding every value from before.")]
        [DefaultValue(TuneJournal.DefaultRoot)]
        public string JournalRoot { get; init; } = TuneJournal.DefaultRoot;

        public TuneOptions Options => new() { SysRoot = SysRoot ?? "/", JournalRoot = JournalRoot };

        public override ValidationResult Validate() =>
            Connect is not null ? ValidationResult.Error("tune sets this host's own files: --connect is not for it; run kvmconfig tune on the host itself")
            : OptionValue.IsMissing(JournalRoot) ? ValidationResult.Error("--journal needs a directory, e.g. --journal /var/lib/kvmconfig/tune")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TuneOptions options = settings.Options;
        return settings.Revert ? Revert(settings, options) : Tune(settings, options);
    }

    private static int Tune(Settings settings, TuneOptions options)
    {
        TunePreparation prepared = HostTuning.Prepare(settings.Directory, options);
        if (prepared is not TunePreparation.Ready ready)
        {
            Console.Out.Write(settings.Json
                ? CheckJson.Render(prepared.Report, null, settings.HostSource, settings.Verbose)
                : CheckText.Render(prepared.Report, settings.HostLabel, settings.Verbose, Terminal.Color));
            return ExitCodes.Errors;
        }

        IReadOnlyList<TuneSetting> changes = ready.Tune.Changes;
        if (!settings.Json)
        {
            Console.Out.Write(TuneText.Settings(ready.Tune, settings.HostLabel));
        }

        if (settings.DryRun || changes.Count == 0)
        {
            Console.Out.Write(settings.Json ? TuneText.Json(ready.Tune, options.SysRoot, settings.DryRun, null) : TuneText.Unchanged(changes.Count, settings.DryRun));
            return ExitCodes.Ok;
        }

        if (!Confirmation.Ask(settings.Yes, $"Write these {changes.Count} values on {settings.HostLabel}?"))
        {
            return ExitCodes.CouldNotRun;
        }

        TuneOutcome outcome = HostTuning.Commit(ready, options);
        Console.Out.Write(settings.Json ? TuneText.Json(ready.Tune, options.SysRoot, false, outcome) : TuneText.Done(outcome));
        foreach (HugePageShortfall s in outcome.Shortfalls)
        {
            Console.Error.WriteLine($"warning[{Core.Diagnostics.Rules.TuneRefused.Code}]: {s.Path}: asked for {s.Asked} huge pages, the kernel granted {s.Granted}");
            FailureRenderer.Notes(("hint", "the node lacks free contiguous memory: reserve at boot (hugepages= on the kernel command line) or after echo 3 > /proc/sys/vm/drop_caches and echo 1 > /proc/sys/vm/compact_memory, then run tune again"));
        }

        if (outcome.Error is { } error)
        {
            FailureRenderer.Write(error);
            FailureRenderer.Notes(outcome.RestoreErrors is { Count: > 0 } failed
                ? [.. failed.Select(f => ("restore failed", f)), ("note", $"the journal {outcome.Journal.Path} holds every value from before")]
                : [("note", "every value already written was restored")]);
            return outcome.RestoreErrors is { Count: > 0 } ? ExitCodes.RollbackFailed : ExitCodes.ApplyFailed;
        }

        return outcome.Shortfalls.Count > 0 ? ExitCodes.Shortfall : ExitCodes.Ok;
    }

    private static int Revert(Settings settings, TuneOptions options)
    {
        TuneJournal journal = HostTuning.LatestJournal(options);
        if (!settings.Json)
        {
            Console.Out.Write(TuneText.Reverting(journal));
        }

        if (settings.DryRun)
        {
            Console.Out.Write(settings.Json ? TuneText.RevertJson(journal, true, []) : "dry run: nothing was written\n");
            return ExitCodes.Ok;
        }

        if (!Confirmation.Ask(settings.Yes, $"Put back these {journal.Changes.Count} values?"))
        {
            return ExitCodes.CouldNotRun;
        }

        IReadOnlyList<string> failures = HostTuning.Revert(journal, options);
        Console.Out.Write(settings.Json ? TuneText.RevertJson(journal, false, failures) : failures.Count == 0 ? $"reverted: journal {journal.Path}\n" : "");
        foreach (string failure in failures)
        {
            FailureRenderer.Write(Core.Diagnostics.Rules.TuneRefused.Code, $"restore failed: {failure}");
        }

        return failures.Count == 0 ? ExitCodes.Ok : ExitCodes.RollbackFailed;
    }
}
