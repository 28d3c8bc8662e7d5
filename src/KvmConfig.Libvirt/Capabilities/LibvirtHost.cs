using KvmConfig.Core.Topology;

namespace KvmConfig.Libvirt.Capabilities;

/// <summary>
/// Reads a host's topology through a libvirt connection, local or remote: the capabilities XML for the shape, then
/// <c>virNodeGetCellsFreeMemory</c> and <c>virNodeGetFreePages</c> for what is free now.
/// </summary>
public static class LibvirtHost
{
    /// <summary>The topology of the host behind <paramref name="connection"/>.</summary>
    public static HostTopology Read(LibvirtConnection connection)
    {
        string xml = connection.Capabilities();
        HostTopology shape = CapabilitiesReader.Parse(xml, source: connection.Uri);
        int[] cells = [.. shape.Nodes.Select(n => n.Id)];
        long[] sizes = [.. shape.Nodes.SelectMany(n => n.HugePages).Select(p => p.SizeKiB).Distinct().Order()];

        IReadOnlyDictionary<int, long> freeBytes = connection.CellsFreeMemoryBytes(cells);
        IReadOnlyDictionary<(int Cell, long SizeKiB), long> freePages = connection.FreePages(cells, sizes);
        var facts = new HostMemoryFacts
        {
            FreeMemoryKiB = freeBytes.ToDictionary(f => f.Key, f => f.Value / 1024),
            FreeHugePages = cells.ToDictionary(
                c => c,
                c => (IReadOnlyDictionary<long, long>)sizes.ToDictionary(s => s, s => freePages.TryGetValue((c, s), out long n) ? n : 0)),
        };
        return CapabilitiesReader.Parse(xml, facts, connection.Uri);
    }
}
