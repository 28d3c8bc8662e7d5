using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// <c>kvmconfig rollback</c> as a library call: put every VM of an apply's journal back as it was before that apply,
/// persistent definition and live state, under the same lock as apply. In two steps like <see cref="PendingApply"/>;
/// <see cref="Rollback"/> does both in one call.
/// </summary>
public sealed class PendingRollback : IDisposable
{
    private readonly ApplyLock? _lock;
    private readonly LibvirtApplyPort _port;
    private readonly bool _dryRun;

    private PendingRollback(ApplyLock? held, LibvirtApplyPort port, Journal journal, IReadOnlyList<DomainChange> changes, IReadOnlyList<string> vanished, bool dryRun)
    {
        _lock = held;
        _port = port;
        _dryRun = dryRun;
        Journal = journal;
        Changes = changes;
        Vanished = vanished;
    }

    /// <summary>The journal rolled back.</summary>
    public Journal Journal { get; }

    /// <summary>One restore per VM of the journal that libvirt still knows, empty ones included.</summary>
    public IReadOnlyList<DomainChange> Changes { get; }

    /// <summary>VMs of the journal that libvirt no longer knows: their XML stays in the journal.</summary>
    public IReadOnlyList<string> Vanished { get; }

    /// <summary>The VMs that differ from the journal (the non-empty <see cref="Changes"/>).</summary>
    public IReadOnlyList<DomainChange> Real => [.. Changes.Where(c => !c.IsEmpty)];

    /// <summary>True when <see cref="Commit"/> would change something.</summary>
    public bool WouldChange => !_dryRun && Real.Count > 0;

    /// <summary>
    /// The journal <paramref name="directory"/> names, or the newest under <paramref name="root"/> when it is null.
    /// </summary>
    /// <exception cref="Core.KvmConfigException">KVC093 no journal there, or it is damaged; KVC091 it is not safe.</exception>
    public static Journal OpenJournal(string? directory, string root) =>
        Journal.Open(directory ?? Journal.Latest(root) ?? throw LibvirtErrors.NoJournal(root));

    /// <summary>
    /// Takes the lock (unless a dry run) and compares each VM of <paramref name="journal"/> with its domain. Only a
    /// domain that is still the one the journal saved (same name, same uuid) is restored: a new domain that took the
    /// name meanwhile is another machine.
    /// </summary>
    /// <exception cref="Core.KvmConfigException">KVC093 a domain of a journal's name has another uuid now (nothing
    /// was changed); KVC096 the lock is held.</exception>
    public static PendingRollback Prepare(LibvirtConnection connection, Journal journal, ChangeOptions options)
    {
        ApplyLock? held = options.Lock();
        var port = new LibvirtApplyPort(connection);
        try
        {
            var changes = new List<DomainChange>();
            var vanished = new List<string>();
            for (int i = 0; i < journal.Domains.Count; i++)
            {
                DomainView before = journal.Domains[i];
                DomainView? now = port.Find(before.Name);
                if (now is null)
                {
                    vanished.Add(before.Name);
                    continue;
                }

                string? uuid = DomainXml.ReadIdentity(now.PersistentXml).Uuid;
                if (uuid != journal.Uuids[i])
                {
                    throw LibvirtErrors.JournalDomainReplaced(journal.Directory, before.Name, journal.Uuids[i], uuid);
                }

                IReadOnlyList<LiveOperation> live = now.Live is { } l && before.Live is { } b ? LiveChanges.Back(l, b) : [];
                changes.Add(new DomainChange(before.Name, now.PersistentXml, before.PersistentXml, live, [], $"journal {Path.GetFileName(journal.Directory)}"));
            }

            return new PendingRollback(held, port, journal, changes, vanished, options.DryRun);
        }
        catch
        {
            port.Dispose();
            held?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Prepares and commits in one call; <paramref name="confirm"/> (always yes when null) is asked with the VMs that
    /// would be restored first.
    /// </summary>
    public static RollbackResult Rollback(LibvirtConnection connection, Journal journal, ChangeOptions options, Func<IReadOnlyList<DomainChange>, bool>? confirm = null)
    {
        using PendingRollback pending = Prepare(connection, journal, options);
        return pending.WouldChange && confirm is not null && !confirm(pending.Real)
            ? new RollbackResult.Declined(journal, pending.Changes)
            : pending.Commit();
    }

    /// <summary>Restores every VM that differs (nothing on a dry run) and records the outcome in the journal.</summary>
    public RollbackResult Commit()
    {
        if (!WouldChange)
        {
            return new RollbackResult.Unchanged(Journal, Changes, _dryRun);
        }

        IReadOnlyList<DomainChange> real = Real;
        IReadOnlyList<string> errors = Applier.Restore(_port, [.. Journal.Domains.Where(d => real.Any(r => r.Name == d.Name))], Journal.UuidOf);
        Journal.Mark(errors.Count == 0 ? "restored" : "rollback-failed");
        return errors.Count == 0 ? new RollbackResult.Restored(Journal, Changes) : new RollbackResult.Failed(Journal, Changes, errors);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        _port.Dispose();
        _lock?.Dispose();
    }
}
