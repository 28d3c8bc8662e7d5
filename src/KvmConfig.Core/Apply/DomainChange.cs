using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Apply;

/// <summary>A domain as libvirt has it: persistent definition and, when it runs, its live state.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="Active">True while it runs (live changes apply).</param>
/// <param name="PersistentXml">The persistent definition (<c>virsh dumpxml --inactive</c>).</param>
/// <param name="Live">The live state when active, else null.</param>
public sealed record DomainView(string Name, bool Active, string PersistentXml, LiveState? Live);

/// <summary>
/// What applying a plan does to one domain: the new persistent XML (with its diff), the live operations for a
/// running domain, and what waits for the next boot.
/// </summary>
/// <param name="Name">Domain name.</param>
/// <param name="Before">Its current persistent XML.</param>
/// <param name="After">The XML kvmconfig defines: <see cref="Before"/> with the owned elements merged.</param>
/// <param name="Live">Live operations (none for a stopped domain).</param>
/// <param name="NextBoot">Changes a running domain can only take at its next boot.</param>
/// <param name="Target">Where <see cref="After"/> comes from, for the diff's header: the plan, or a journal.</param>
public sealed record DomainChange(string Name, string Before, string After, IReadOnlyList<LiveOperation> Live, IReadOnlyList<string> NextBoot, string Target = "kvmconfig plan")
{
    /// <summary>True when the persistent definition changes.</summary>
    public bool DefinitionChanges => Before != After;

    /// <summary>True when nothing at all changes.</summary>
    public bool IsEmpty => !DefinitionChanges && Live.Count == 0;

    /// <summary>The unified diff of the persistent XML (empty when it does not change).</summary>
    public string Diff => UnifiedDiff.Of(Before, After, $"{Name} (libvirt, persistent)", $"{Name} ({Target})");

    /// <summary>The change that realises <paramref name="desired"/> on <paramref name="domain"/>.</summary>
    public static DomainChange Plan(DomainView domain, DomainTuning desired)
    {
        string after = DomainXml.Merge(domain.PersistentXml, desired);
        var nextBoot = new List<string>();
        IReadOnlyList<LiveOperation> live = domain.Live is { } state ? LiveChanges.Toward(state, desired, nextBoot) : [];
        if (domain.Active && after != domain.PersistentXml)
        {
            nextBoot.AddRange(OwnedState.Drift(DomainXml.ReadOwned(after), DomainXml.ReadOwned(domain.PersistentXml))
                .Where(d => BootOnly(d.Field) && !(d.Field == "vcpus" && live.Any(o => o is SetVcpus)))
                .Select(d => $"{d.Field}: {d.Actual} -> {d.Desired}"));
        }

        return new DomainChange(domain.Name, domain.PersistentXml, after, live, domain.Active ? nextBoot : []);
    }

    // Owned fields QEMU fixes when it starts: the vCPU count (except a hot add within the running maximum, made live)
    // and maximum, the guest topology, the guest NUMA cells and their memory
    // nodes, memory size and backing, the vCPU scheduling class. (Disk throttles and interface shaping are set live.)
    private static bool BootOnly(string field) =>
        field is "vcpus" or "vcpus max" or "cpu topology" or "memory" or "hugepages" or "numa cells" or "numatune memnodes"
        || field.StartsWith("vcpusched", StringComparison.Ordinal)
        || field.StartsWith("numa cell", StringComparison.Ordinal)
        || field.StartsWith("numatune memnode", StringComparison.Ordinal);
}
