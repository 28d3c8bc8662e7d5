namespace KvmConfig.Libvirt.Capabilities;

/// <summary>
/// What a host's capabilities XML does not say about memory, asked for separately over the same connection: free
/// memory per NUMA cell (<c>virNodeGetCellsFreeMemory</c>) and free huge pages per cell and page size
/// (<c>virNodeGetFreePages</c>). Both calls work over a remote connection. Capabilities carry only totals: a cell's
/// <c>&lt;memory&gt;</c> and its pool sizes (<c>nr_hugepages</c>).
/// </summary>
/// <remarks>
/// A cell or page size missing here stays unknown in the topology (see <see cref="CapabilitiesReader.Parse"/>);
/// entries for cells or sizes the capabilities do not list are ignored.
/// </remarks>
public sealed record HostMemoryFacts
{
    /// <summary>No facts: free memory unknown, no huge page known to be free.</summary>
    public static HostMemoryFacts None { get; } = new();

    /// <summary>
    /// Free memory of each cell in KiB, by cell id (<c>MemFree</c> of <c>nodeN/meminfo</c> on the host).
    /// <c>virNodeGetCellsFreeMemory</c> answers in bytes: divide by 1024.
    /// </summary>
    public IReadOnlyDictionary<int, long> FreeMemoryKiB { get; init; } = new Dictionary<int, long>();

    /// <summary>
    /// Free huge pages of each cell, by cell id, then by page size in KiB (<c>free_hugepages</c> of
    /// <c>nodeN/hugepages/hugepages-SIZEkB</c>). <c>virNodeGetFreePages</c> takes the sizes in KiB and answers page
    /// counts, cell after cell.
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyDictionary<long, long>> FreeHugePages { get; init; } =
        new Dictionary<int, IReadOnlyDictionary<long, long>>();
}
