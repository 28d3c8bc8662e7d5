using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux;
using KvmConfig.Linux.Tuning;

namespace KvmConfig.Config;

/// <summary>How <c>tune</c> runs.</summary>
public sealed record TuneOptions
{
    /// <summary>The host's root: <c>/</c>, or a copied tree whose <c>sys/</c>, <c>proc/sys/</c> and <c>etc/</c> stand for the host's.</summary>
    public string SysRoot { get; init; } = "/";

    /// <summary>Where journals are written and read.</summary>
    public string JournalRoot { get; init; } = TuneJournal.DefaultRoot;

    /// <summary>The effective uid: root is needed to write this host's own files (not a copied tree's).</summary>
    public Func<uint> EffectiveUid { get; init; } = () => FileTrust.EffectiveUid;

    /// <summary>The files written; null for the sysroot's own (<see cref="KernelSettingFiles"/>).</summary>
    public IKernelSettingFiles? Files { get; init; }

    /// <summary>The clock of the journal's name and time.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    internal IKernelSettingFiles FilesOrDefault => Files ?? new KernelSettingFiles(SysRoot);
}

/// <summary>What <c>tune</c> found before writing: the declaration refused, or a plan of changes.</summary>
/// <param name="Report">The check on the host as tune would leave it.</param>
public abstract record TunePreparation(CheckReport Report)
{
    /// <summary>The declaration has errors: nothing may be tuned.</summary>
    public sealed record Refused(CheckReport Report) : TunePreparation(Report);

    /// <summary>The declaration holds on the tuned host; <see cref="Tune"/> says what changes.</summary>
    /// <param name="Report">The check.</param>
    /// <param name="Plan">The VMs' placement the settings follow.</param>
    /// <param name="Tune">Every setting and what changes.</param>
    public sealed record Ready(CheckReport Report, Plan Plan, TunePlan Tune) : TunePreparation(Report);
}

/// <summary><c>kvmconfig tune</c> and <c>tune --revert</c> as library calls.</summary>
public static class HostTuning
{
    /// <summary>
    /// Reads the host under <see cref="TuneOptions.SysRoot"/> and the declaration in <paramref name="directory"/>, and
    /// decides what to set. The declaration is checked twice: first with room in every huge page pool (so that the
    /// pages tune is about to reserve do not fail the check), then on the host as the plan leaves it, pools grown;
    /// only a declaration that holds there is tuned.
    /// </summary>
    public static TunePreparation Prepare(string directory, TuneOptions options)
    {
        HostTopology host = (HostPaths.IsHostRoot(options.SysRoot) ? SysfsTopologyReader.ForHost() : SysfsTopologyReader.ForSysroot(options.SysRoot)).Read();
        ConfigSource source = new ConfigDirectoryReader(directory).Read();
        CheckReport roomy = DeclarationCheck.Run(source, HostTuner.Roomy(host));
        if (!roomy.Ok || roomy.Plan is null)
        {
            return new TunePreparation.Refused(roomy);
        }

        TuneFacts facts = new TuneFactsReader(options.FilesOrDefault).Read(host.Online, options.SysRoot);
        TunePlan tune = HostTuner.Plan(roomy.Declaration.Host, roomy.Plan, host, facts);
        CheckReport tuned = DeclarationCheck.Run(source, HostTuner.Tuned(host, tune));
        return tuned is { Ok: true, Plan: { } plan }
            ? new TunePreparation.Ready(tuned, plan, HostTuner.Plan(tuned.Declaration.Host, plan, host, facts))
            : new TunePreparation.Refused(tuned);
    }

    /// <summary>
    /// Writes <paramref name="ready"/>'s changes, journaled first (KVC085 without root on this host's own files).
    /// A refused write restores what was written before it (<see cref="TuneOutcome.Error"/>).
    /// </summary>
    public static TuneOutcome Commit(TunePreparation.Ready ready, TuneOptions options)
    {
        RequireRoot(options);
        return TuneApplier.Apply(ready.Tune.Changes, options.FilesOrDefault, options.SysRoot, options.JournalRoot, options.Clock.GetUtcNow());
    }

    /// <summary>The newest journal that <see cref="Revert"/> would undo (KVC086 when there is none).</summary>
    public static TuneJournal LatestJournal(TuneOptions options) => TuneJournal.Latest(options.JournalRoot);

    /// <summary>
    /// Puts back the values of <paramref name="journal"/> under the sysroot it was written to; returns the restores that
    /// failed (KVC085 without root on this host's own files).
    /// </summary>
    public static IReadOnlyList<string> Revert(TuneJournal journal, TuneOptions options)
    {
        TuneOptions target = options with { SysRoot = journal.SysRoot };
        RequireRoot(target);
        return TuneApplier.Revert(journal, target.FilesOrDefault);
    }

    private static void RequireRoot(TuneOptions options) => HostPaths.RequireRoot(options.SysRoot, options.EffectiveUid());
}
