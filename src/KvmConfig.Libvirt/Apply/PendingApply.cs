using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Libvirt.Capabilities;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// <c>kvmconfig apply</c> as a library call: push a plan to libvirt for every VM it names, all or nothing. In two steps
/// so that a caller can show the diff and ask before anything changes: <see cref="Prepare"/> takes the lock and reads
/// and compares the domains, <see cref="Commit"/> journals every VM it will touch and changes them, restoring all of
/// them when any step fails. <see cref="Apply"/> does both in one call.
/// </summary>
public sealed class PendingApply : IDisposable
{
    private readonly ApplyLock? _lock;
    private readonly LibvirtApplyPort _port;
    private readonly IReadOnlyList<DomainView> _read;
    private readonly ChangeOptions _options;

    private PendingApply(ApplyLock? held, LibvirtApplyPort port, IReadOnlyList<DomainView> read, IReadOnlyList<DomainChange> changes, string uri, ChangeOptions options)
    {
        _lock = held;
        _port = port;
        _read = read;
        _options = options;
        Changes = changes;
        Uri = uri;
    }

    /// <summary>The libvirt URI changed.</summary>
    public string Uri { get; }

    /// <summary>One change per VM of the plan, in plan order, empty ones included.</summary>
    public IReadOnlyList<DomainChange> Changes { get; }

    /// <summary>The VMs that differ from the plan (the non-empty <see cref="Changes"/>).</summary>
    public IReadOnlyList<DomainChange> Real => [.. Changes.Where(c => !c.IsEmpty)];

    /// <summary>True when <see cref="Commit"/> would change something: not a dry run, and some VM differs.</summary>
    public bool WouldChange => !_options.DryRun && Real.Count > 0;

    /// <summary>
    /// Compares every VM of <paramref name="plan"/> with its domain at <paramref name="connection"/>. Unless it is a dry
    /// run, first refuses a plan made for another host (KVC098) and takes the apply lock, so that what is compared is
    /// what gets changed.
    /// </summary>
    /// <exception cref="Core.KvmConfigException">KVC098 the plan is for another host; KVC099 it would shape interfaces
    /// on a kernel that cannot (nothing was changed); KVC095 the lock is held;
    /// KVC094 libvirt knows no domain of a VM's name (nothing was changed).</exception>
    public static PendingApply Prepare(LibvirtConnection connection, Plan plan, PlanOrigin origin, ChangeOptions options)
    {
        // A plan is for the CPUs and nodes it was made on: one made from a --sysroot capture, or from this machine for a
        // remote URI, would pin onto CPUs the connected host may not have.
        if (!origin.ReadThroughConnection && !options.DryRun && origin.Host.PlacementDifference(LibvirtHost.Read(connection)) is { } difference)
        {
            throw LibvirtErrors.PlanForAnotherHost(origin, connection.Uri, difference);
        }

        ApplyLock? held = options.Lock();
        var port = new LibvirtApplyPort(connection);
        try
        {
            var views = plan.Vms.Select(v => (Placement: v, View: port.Find(v.Name))).ToList();
            string[] unknown = [.. views.Where(v => v.View is null).Select(v => v.Placement.Name)];
            if (unknown.Length > 0)
            {
                throw LibvirtErrors.UnknownDomains(connection.Uri, unknown, origin.Declaration);
            }

            List<DomainChange> changes = [.. views.Select(v => DomainChange.Plan(v.View!, DomainTuning.From(v.Placement)))];

            // libvirt runs tc to shape an interface, live and at every start of a domain whose definition asks for it: on
            // a kernel that lacks what tc needs, the live change fails and the domain would no longer start.
            string[] shaped = [.. changes.Where(Shapes).Select(c => c.Name)];
            if (origin.Host.NetShaping.Unsupported && shaped.Length > 0)
            {
                throw LibvirtErrors.CannotShape(origin.Host.NetShaping, shaped);
            }

            List<DomainView> read = [.. views.Select(v => v.View!)];
            return new PendingApply(held, port, read, changes, connection.Uri, options);
        }
        catch
        {
            port.Dispose();
            held?.Dispose();
            throw;
        }
    }

    // A change that adds or alters an interface's shaping, in the definition or live.
    private static bool Shapes(DomainChange change) =>
        change.Live.OfType<SetInterfaceBandwidth>().Any()
        || OwnedState.Drift(DomainXml.ReadOwned(change.After), DomainXml.ReadOwned(change.Before))
            .Any(d => d.Field.StartsWith("interface ", StringComparison.Ordinal));

    /// <summary>
    /// Prepares and commits in one call: <paramref name="confirm"/> (always yes when null) is asked with the VMs that
    /// would change before anything is.
    /// </summary>
    public static ApplyResult Apply(LibvirtConnection connection, Plan plan, PlanOrigin origin, ChangeOptions options, Func<IReadOnlyList<DomainChange>, bool>? confirm = null)
    {
        using PendingApply pending = Prepare(connection, plan, origin, options);
        return pending.WouldChange && confirm is not null && !confirm(pending.Real)
            ? new ApplyResult.Declined(pending.Uri, pending.Changes)
            : pending.Commit();
    }

    /// <summary>
    /// Makes the changes: nothing when there are none or it is a dry run; otherwise, when no domain changed since
    /// <see cref="Prepare"/>, a journal of every VM that will change, then the changes, all or nothing.
    /// </summary>
    /// <exception cref="Core.KvmConfigException">KVC091/KVC093 the journal cannot be written (nothing was changed).</exception>
    public ApplyResult Commit()
    {
        if (!WouldChange)
        {
            return new ApplyResult.Unchanged(Uri, Changes, _options.DryRun);
        }

        // Someone may have changed a domain while the caller asked: the approved diff no longer holds for it.
        List<DomainView> approved = [.. _read.Where(v => Real.Any(c => c.Name == v.Name))];
        if (Applier.ChangedSince(_port, approved) is { Count: > 0 } changedMeanwhile)
        {
            return new ApplyResult.Stale(Uri, Changes, changedMeanwhile);
        }

        Journal journal = Journal.Create(_options.JournalRoot, Uri, DateTimeOffset.UtcNow, approved);
        return new ApplyResult.Applied(Uri, Changes, Applier.Apply(_port, Changes, journal), journal);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        _port.Dispose();
        _lock?.Dispose();
    }
}
