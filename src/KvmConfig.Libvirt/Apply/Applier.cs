using KvmConfig.Core;
using KvmConfig.Core.Apply;

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
    public static ApplyOutcome Apply(IApplyPort port, IReadOnlyList<DomainChange> changes, Journal journal)
    {
        var touched = new List<DomainChange>();
        foreach (DomainChange change in changes.Where(c => !c.IsEmpty))
        {
            touched.Add(change);
            string step = "define";
            try
            {
                // Defining the XML of a domain someone undefined meanwhile would bring it back: look first.
                if (!port.Exists(change.Name))
                {
                    throw LibvirtException.Vanished(change.Name, "virDomainLookupByName");
                }

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
            catch (KvmConfigException error)
            {
                // Newest first, so that a domain's restore never races a later change of its own.
                IReadOnlyList<string> rollbackErrors = Restore(port, journal.Domains.Where(d => touched.Any(t => t.Name == d.Name)).Reverse().ToList());
                journal.Mark(rollbackErrors.Count == 0 ? "rolled-back" : "rollback-failed");
                return new ApplyOutcome([], change.Name, step, error, rollbackErrors);
            }
        }

        journal.Mark("applied");
        return new ApplyOutcome(touched, null, null, null, []);
    }

    /// <summary>
    /// Puts each domain back to <paramref name="before"/>: its persistent definition when it differs, and for a running
    /// domain every live value the journal recorded. A failure on one domain does not stop the others.
    /// </summary>
    /// <returns>One line per failure; empty when everything was restored.</returns>
    public static IReadOnlyList<string> Restore(IApplyPort port, IReadOnlyList<DomainView> before)
    {
        var errors = new List<string>();
        foreach (DomainView view in before)
        {
            try
            {
                DomainView? now = port.Find(view.Name);
                if (now is null)
                {
                    errors.Add($"{view.Name}: libvirt no longer knows this domain; its XML is in the journal");
                    continue;
                }

                if (now.PersistentXml != view.PersistentXml)
                {
                    port.Define(view.Name, view.PersistentXml);
                }

                if (now.Live is { } live && view.Live is { } was)
                {
                    foreach (LiveOperation operation in LiveChanges.Back(live, was))
                    {
                        port.Apply(view.Name, operation);
                    }
                }
            }
            catch (KvmConfigException error)
            {
                errors.Add($"{view.Name}: {error.Message}");
            }
        }

        return errors;
    }
}
