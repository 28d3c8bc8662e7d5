using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Linux.Tuning;

/// <summary>A node's huge page pool the kernel did not fill: it had too little free contiguous memory.</summary>
/// <param name="Path">The <c>nr_hugepages</c> file.</param>
/// <param name="Asked">Pages written.</param>
/// <param name="Granted">Pages the kernel reports after the write.</param>
public sealed record HugePageShortfall(string Path, long Asked, long Granted);

/// <summary>What writing a tune plan did.</summary>
/// <param name="Written">The changes made, in order (all of them unless <see cref="Error"/>).</param>
/// <param name="Shortfalls">Pools the kernel granted in part.</param>
/// <param name="Journal">The journal holding the values from before.</param>
/// <param name="Error">The write the kernel refused; every change before it was restored.</param>
/// <param name="RestoreErrors">Restores that failed after <see cref="Error"/>.</param>
public sealed record TuneOutcome(
    IReadOnlyList<TuneSetting> Written,
    IReadOnlyList<HugePageShortfall> Shortfalls,
    TuneJournal Journal,
    KvmConfigException? Error = null,
    IReadOnlyList<string>? RestoreErrors = null)
{
    /// <summary>True when every change was written (shortfalls allowed).</summary>
    public bool Succeeded => Error is null;
}

/// <summary>Writes a tune plan's changes, journaled first, all or nothing; and puts a journal's values back.</summary>
public static class TuneApplier
{
    /// <summary>
    /// Journals <paramref name="changes"/> under <paramref name="journalRoot"/>, then writes them in order. Each
    /// <c>nr_hugepages</c> is read back: the kernel reserves what it can find and says so only there. When a write is
    /// refused, the values already written are put back, newest first.
    /// </summary>
    public static TuneOutcome Apply(IReadOnlyList<TuneSetting> changes, IKernelSettingFiles files, string sysRoot, string journalRoot, DateTimeOffset now)
    {
        TuneJournal journal = TuneJournal.Create(journalRoot, sysRoot, changes, now);
        var written = new List<TuneSetting>();
        var shortfalls = new List<HugePageShortfall>();
        foreach (TuneSetting change in changes)
        {
            try
            {
                files.Write(change.Kind, change.Path, change.Wanted);
            }
            catch (KvmConfigException error)
            {
                List<string> failures = Restore(written, files);
                journal.Mark(failures.Count == 0 ? "restored" : "restore-failed");
                return new TuneOutcome(written, shortfalls, journal, error, failures);
            }

            written.Add(change);
            if (change.Kind == TuneKind.HugePages && Granted(files, change.Path) is { } granted && granted < long.Parse(change.Wanted, CultureInfo.InvariantCulture))
            {
                shortfalls.Add(new HugePageShortfall(change.Path, long.Parse(change.Wanted, CultureInfo.InvariantCulture), granted));
            }
        }

        journal.Mark(shortfalls.Count == 0 ? "applied" : "short");
        return new TuneOutcome(written, shortfalls, journal);
    }

    /// <summary>
    /// Puts back every value of <paramref name="journal"/>, newest first (a drop-in that did not exist is removed),
    /// and marks it reverted; returns the restores that failed (the journal then stays as it was, to try again).
    /// </summary>
    public static IReadOnlyList<string> Revert(TuneJournal journal, IKernelSettingFiles files)
    {
        List<string> failures = Restore(journal.Changes, files);
        if (failures.Count == 0)
        {
            journal.Mark("reverted");
        }

        return failures;
    }

    private static List<string> Restore(IReadOnlyList<TuneSetting> done, IKernelSettingFiles files)
    {
        var failures = new List<string>();
        foreach (TuneSetting change in done.Reverse())
        {
            try
            {
                if (change.Current is null && change.Kind == TuneKind.SysctlDropIn)
                {
                    files.Remove(change.Path);
                }
                else if (change.Current is null)
                {
                    // A kernel file that could not be read before: there is no value to put back.
                    continue;
                }
                else
                {
                    files.Write(change.Kind, change.Path, change.Current);
                }
            }
            catch (KvmConfigException e)
            {
                failures.Add(e.Message);
            }
        }

        return failures;
    }

    private static long? Granted(IKernelSettingFiles files, string path) =>
        files.Read(path) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long pages) ? pages : null;
}
