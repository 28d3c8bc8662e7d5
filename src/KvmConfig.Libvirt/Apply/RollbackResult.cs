using KvmConfig.Core.Apply;

namespace KvmConfig.Libvirt.Apply;

/// <summary>How a rollback ended. Every case carries what it was about.</summary>
/// <param name="Journal">The journal rolled back.</param>
/// <param name="Changes">One change per VM of the journal that libvirt still knows, back to the journal's state.</param>
public abstract record RollbackResult(Journal Journal, IReadOnlyList<DomainChange> Changes)
{
    /// <summary>The VMs that would change (the non-empty <see cref="Changes"/>).</summary>
    public IReadOnlyList<DomainChange> Real => [.. Changes.Where(c => !c.IsEmpty)];

    /// <summary>Nothing was changed: every VM is as it was before that apply, or it was a dry run.</summary>
    /// <param name="Journal">The journal.</param>
    /// <param name="Changes">The restores that would be made.</param>
    /// <param name="DryRun">True for a dry run.</param>
    public sealed record Unchanged(Journal Journal, IReadOnlyList<DomainChange> Changes, bool DryRun) : RollbackResult(Journal, Changes);

    /// <summary>The caller did not confirm; nothing was changed.</summary>
    /// <param name="Journal">The journal.</param>
    /// <param name="Changes">The restores declined.</param>
    public sealed record Declined(Journal Journal, IReadOnlyList<DomainChange> Changes) : RollbackResult(Journal, Changes);

    /// <summary>Every VM that differed was put back (<c>restored</c> in the journal).</summary>
    /// <param name="Journal">The journal.</param>
    /// <param name="Changes">The restores made.</param>
    public sealed record Restored(Journal Journal, IReadOnlyList<DomainChange> Changes) : RollbackResult(Journal, Changes);

    /// <summary>Some restores failed (<c>rollback-failed</c> in the journal); the others were made.</summary>
    /// <param name="Journal">The journal, which still holds every VM's state.</param>
    /// <param name="Changes">The restores attempted.</param>
    /// <param name="Errors">One line per failure.</param>
    public sealed record Failed(Journal Journal, IReadOnlyList<DomainChange> Changes, IReadOnlyList<string> Errors) : RollbackResult(Journal, Changes);
}
