using KvmConfig.Core.Apply;

namespace KvmConfig.Libvirt.Apply;

/// <summary>How an apply ended. Every case carries the per-VM diff it was about.</summary>
/// <param name="Uri">The libvirt URI applied to.</param>
/// <param name="Changes">One change per declared VM, empty ones included, in plan order.</param>
public abstract record ApplyResult(string Uri, IReadOnlyList<DomainChange> Changes)
{
    /// <summary>The VMs that would change (the non-empty <see cref="Changes"/>).</summary>
    public IReadOnlyList<DomainChange> Real => [.. Changes.Where(c => !c.IsEmpty)];

    /// <summary>Nothing was changed: every VM already matched the plan, or it was a dry run.</summary>
    /// <param name="Uri">The libvirt URI.</param>
    /// <param name="Changes">The diff.</param>
    /// <param name="DryRun">True for a dry run (<see cref="ApplyResult.Real"/> may then be non-empty).</param>
    public sealed record Unchanged(string Uri, IReadOnlyList<DomainChange> Changes, bool DryRun) : ApplyResult(Uri, Changes);

    /// <summary>The caller did not confirm; nothing was changed.</summary>
    /// <param name="Uri">The libvirt URI.</param>
    /// <param name="Changes">The diff that was declined.</param>
    public sealed record Declined(string Uri, IReadOnlyList<DomainChange> Changes) : ApplyResult(Uri, Changes);

    /// <summary>A domain changed between the diff and the confirmation, so the diff no longer held; nothing was changed.</summary>
    /// <param name="Uri">The libvirt URI.</param>
    /// <param name="Changes">The diff that no longer holds.</param>
    /// <param name="ChangedMeanwhile">What changed, one line per VM.</param>
    public sealed record Stale(string Uri, IReadOnlyList<DomainChange> Changes, IReadOnlyList<string> ChangedMeanwhile) : ApplyResult(Uri, Changes);

    /// <summary>The changes were made, or a step failed and what was changed was restored (or not: see the outcome).</summary>
    /// <param name="Uri">The libvirt URI.</param>
    /// <param name="Changes">The diff.</param>
    /// <param name="Outcome">What happened, step by step.</param>
    /// <param name="Journal">The journal written before the first change.</param>
    public sealed record Applied(string Uri, IReadOnlyList<DomainChange> Changes, ApplyOutcome Outcome, Journal Journal) : ApplyResult(Uri, Changes);
}
