using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;

namespace KvmConfig.Libvirt.Apply;

/// <summary>How an apply ended.</summary>
/// <param name="Changed">The domains changed, in order (all of them on success, none left changed on failure).</param>
/// <param name="FailedDomain">The domain whose step failed, or null on success.</param>
/// <param name="FailedStep">What that step was (<c>define</c>, or the virsh equivalent of the live change).</param>
/// <param name="Error">The failure, or null on success.</param>
/// <param name="RollbackErrors">Restores that failed too (the host needs a hand then); empty when the rollback was
/// complete or not needed.</param>
public sealed record ApplyOutcome(
    IReadOnlyList<DomainChange> Changed,
    string? FailedDomain,
    string? FailedStep,
    KvmConfigException? Error,
    IReadOnlyList<string> RollbackErrors)
{
    /// <summary>True when every change was made.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Makes a set of domain changes all or nothing. The journal holds every domain's state from before; when any step
/// fails, every domain already touched (the failing one included) is put back from it, persistent definition and live
/// state, and the outcome names the domain, the step and libvirt's message.
/// </summary>
public static class Applier
{
    /// <summary>Makes <paramref name="changes"/> through <paramref name="port"/>; the journal must already hold their
    /// domains' state.</summary>
    /// <remarks>
    /// Every failure restores, not only libvirt's: an exception of any kind halfway (a bug, a plan that names a CPU
    /// the host lacks) would otherwise leave the domains already changed as they are. A domain found gone before
    /// anything was done to it needs no restore.
    /// </remarks>
    public static ApplyOutcome Apply(IApplyPort port, IReadOnlyList<DomainChange> changes, Journal journal)
    {
        var touched = new List<DomainChange>();
        foreach (DomainChange change in changes.Where(c => !c.IsEmpty))
        {
            string step = "lookup";
            try
            {
                // Defining the XML of a domain someone undefined meanwhile would bring it back: look first.
                if (!port.Exists(change.Name))
                {
                    throw LibvirtException.Vanished(change.Name, "virDomainLookupByName");
                }

                touched.Add(change);
                step = "define";
                if (change.DefinitionChanges)
                {
                    port.Define(change.Name, change.After);
                }

                foreach (LiveOperation operation in change.Live)
                {
                    step = operation.Describe(change.Name);
                    port.Apply(change.Name, operation);
                }
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // Newest first, so that a domain's restore never races a later change of its own.
                IReadOnlyList<string> rollbackErrors = Restore(port, journal.Domains.Where(d => touched.Any(t => t.Name == d.Name)).Reverse().ToList(), journal.UuidOf);
                journal.Mark(rollbackErrors.Count == 0 ? "rolled-back" : "rollback-failed");
                return new ApplyOutcome([], change.Name, step, AsFailure(error, step), rollbackErrors);
            }
        }

        journal.Mark("applied");
        return new ApplyOutcome(touched, null, null, null, []);
    }

    /// <summary>
    /// The domains of <paramref name="read"/> that are no longer as they were read: gone, or with another persistent
    /// definition (an operator's <c>virsh desc --config</c>, an undefine that left the domain transient). Apply calls it
    /// after the confirmation: the diff the administrator approved was made from <paramref name="read"/>, and defining
    /// it now would silently undo the other change.
    /// </summary>
    /// <returns>One line per domain that changed, naming it; empty when all are as read.</returns>
    public static IReadOnlyList<string> ChangedSince(IApplyPort port, IReadOnlyList<DomainView> read)
    {
        var changed = new List<string>();
        foreach (DomainView view in read)
        {
            DomainView? now = port.Find(view.Name);
            if (now is null || !port.IsPersistent(view.Name))
            {
                changed.Add($"VM '{view.Name}' was undefined meanwhile{(now is null ? "" : " (it still runs, as a transient domain)")}");
            }
            else if (now.PersistentXml != view.PersistentXml)
            {
                changed.Add($"VM '{view.Name}' has another persistent definition now");
            }
        }

        return changed;
    }

    /// <summary>
    /// Puts each domain back to <paramref name="before"/>: its persistent definition when it differs, and for a running
    /// domain every live value the journal recorded. A failure on one domain does not stop the others, and a definition
    /// that fails does not keep that domain's live values from being restored.
    /// </summary>
    /// <param name="port">The libvirt operations.</param>
    /// <param name="before">The domains as the journal saved them.</param>
    /// <param name="uuidOf">The uuid each domain had when saved; a domain of that name with another uuid now is
    /// another machine (re-created meanwhile) and is left alone, reported as a failure. Null: not checked.</param>
    /// <returns>One line per failure; empty when everything was restored.</returns>
    public static IReadOnlyList<string> Restore(IApplyPort port, IReadOnlyList<DomainView> before, Func<string, string?>? uuidOf = null)
    {
        var errors = new List<string>();
        foreach (DomainView view in before)
        {
            DomainView? now;
            try
            {
                now = port.Find(view.Name);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                errors.Add($"{view.Name}: {AsFailure(error, "lookup").Message}");
                continue;
            }

            if (now is null)
            {
                errors.Add($"{view.Name}: libvirt no longer knows this domain; its XML is in the journal");
                continue;
            }

            if (uuidOf is not null && DomainXml.ReadIdentity(now.PersistentXml).Uuid is var uuid && uuid != uuidOf(view.Name))
            {
                errors.Add($"{view.Name}: it is another domain now (uuid {uuid ?? "none"}, the journal saved {uuidOf(view.Name) ?? "none"}); it was not touched");
                continue;
            }

            if (now.PersistentXml != view.PersistentXml)
            {
                Attempt(errors, view.Name, "define", () => port.Define(view.Name, view.PersistentXml));
            }

            if (now.Live is { } live && view.Live is { } was)
            {
                foreach (LiveOperation operation in LiveChanges.Back(live, was))
                {
                    Attempt(errors, view.Name, operation.Describe(view.Name), () => port.Apply(view.Name, operation));
                }
            }
        }

        return errors;
    }

    private static void Attempt(List<string> errors, string domain, string step, Action action)
    {
        try
        {
            action();
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            errors.Add($"{domain}: {AsFailure(error, step).Message}");
        }
    }

    // libvirt's failures are KvmConfigExceptions already; anything else is said for what it is, at the step it hit.
    private static KvmConfigException AsFailure(Exception error, string step) =>
        error as KvmConfigException
        ?? LibvirtErrors.UnexpectedStepFailure(step, error);
}
