using KvmConfig.Core;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// Where the declared VMs are placed now, read from libvirt: each domain's persistent definition, the place it boots
/// into and the one <c>apply</c> last wrote. What <c>plan</c>, <c>apply</c> and <c>status</c> keep unless asked to
/// repack. A running domain's live pins are not its place: where they differ from the definition (a
/// <c>virsh vcpupin --live</c> by hand) that is drift, which <c>status</c> shows and <c>apply</c> puts back.
/// </summary>
public static class LibvirtIncumbents
{
    /// <summary>The incumbent of each of <paramref name="names"/> that libvirt has a domain for.</summary>
    public static Incumbents Read(LibvirtConnection connection, IEnumerable<string> names)
    {
        var byName = new Dictionary<string, Incumbent>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (string name in names)
        {
            using LibvirtDomain? domain = connection.TryLookup(name);
            if (domain is null)
            {
                continue;
            }

            // A vCPU without a pin of its own runs wherever <vcpu cpuset> lets it (empty: anywhere): not a place.
            IReadOnlyList<CpuSet> pins = DomainXml.ReadTuning(domain.Xml(inactive: true)).VcpuPins;
            if (pins.Count == 0 || pins.Any(p => p.IsEmpty))
            {
                notes.Add($"{name}: its domain's vCPUs are not pinned, so it has no place to keep: it is placed as new");
                continue;
            }

            byName[name] = new Incumbent(name, pins, "its libvirt definition");
        }

        return new Incumbents(byName, notes);
    }
}
