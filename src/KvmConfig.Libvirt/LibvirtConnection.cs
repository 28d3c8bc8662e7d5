using System.Runtime.InteropServices;
using KvmConfig.Libvirt.Interop;
using Native = KvmConfig.Libvirt.Interop.Libvirt;

namespace KvmConfig.Libvirt;

/// <summary>What <c>virNodeGetInfo</c> says about the host (libvirt's summary; the topology is in the capabilities).</summary>
/// <param name="Model">CPU architecture or model string, e.g. <c>x86_64</c>.</param>
/// <param name="MemoryKiB">Host memory.</param>
/// <param name="Cpus">Active CPUs.</param>
/// <param name="Mhz">Expected CPU frequency, 0 when unknown.</param>
/// <param name="Nodes">NUMA cells (1 when the topology is unusual).</param>
/// <param name="Sockets">Sockets per node.</param>
/// <param name="Cores">Cores per socket.</param>
/// <param name="Threads">Threads per core.</param>
public sealed record NodeSummary(string Model, ulong MemoryKiB, uint Cpus, uint Mhz, uint Nodes, uint Sockets, uint Cores, uint Threads);

/// <summary>Statistic groups of <c>virConnectGetAllDomainStats</c> (<c>virDomainStatsTypes</c>).</summary>
[Flags]
public enum DomainStatsGroups : uint
{
    /// <summary>Every group the driver supports (libvirt's 0).</summary>
    All = 0,

    /// <summary><c>state.state</c>, <c>state.reason</c>.</summary>
    State = 1 << 0,

    /// <summary><c>cpu.time</c>, <c>cpu.user</c>, <c>cpu.system</c>.</summary>
    CpuTotal = 1 << 1,

    /// <summary><c>balloon.*</c>.</summary>
    Balloon = 1 << 2,

    /// <summary><c>vcpu.N.time</c>, <c>vcpu.N.delay</c> (run-queue wait) and <c>vcpu.N.state</c>.</summary>
    Vcpu = 1 << 3,

    /// <summary><c>net.N.*</c>.</summary>
    Interface = 1 << 4,

    /// <summary><c>block.N.*</c>.</summary>
    Block = 1 << 5,
}

/// <summary>One domain's statistics from a bulk query.</summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Parameters">Every parameter, in libvirt's order.</param>
public sealed record DomainStats(string Domain, IReadOnlyList<TypedParameter> Parameters)
{
    /// <summary>The parameter named <paramref name="name"/>, or null.</summary>
    public TypedParameter? this[string name] => Parameters.FirstOrDefault(p => p.Name == name);

    /// <summary>
    /// The domain's id (<c>virDomainGetID</c>) when it runs, null when it does not. The QEMU driver gives every start a
    /// new id, so a different id means the domain restarted and its counters began again.
    /// </summary>
    public int? Id { get; init; }
}

/// <summary>
/// A connection to a libvirt driver (<c>qemu:///system</c>, <c>qemu+ssh://host/system</c>, <c>test:///default</c>).
/// Every method is a direct call of the C API; a failure throws <see cref="LibvirtException"/> with libvirt's code.
/// A connection may be used from one thread at a time.
/// </summary>
public sealed class LibvirtConnection : IDisposable
{
    private readonly SafeConnectHandle _handle;
    private int? _hostCpus;

    private LibvirtConnection(SafeConnectHandle handle, string uri, bool readOnly)
    {
        _handle = handle;
        Uri = uri;
        ReadOnly = readOnly;
    }

    /// <summary>The URI the connection was opened with.</summary>
    public string Uri { get; }

    /// <summary>True for a read-only connection (<c>virConnectOpenReadOnly</c>): enough for reading, refused by
    /// libvirt for any change.</summary>
    public bool ReadOnly { get; }

    internal SafeConnectHandle Handle => _handle;

    /// <summary>Opens <paramref name="uri"/>; read-only when <paramref name="readOnly"/> (no polkit prompt, no changes).</summary>
    /// <exception cref="LibvirtException">The library is missing, the URI does not parse, the daemon does not answer
    /// or access is denied (<see cref="Core.Diagnostics.Rules.LibvirtUnavailable"/>).</exception>
    public static LibvirtConnection Open(string uri, bool readOnly = false)
    {
        // libvirt's test driver reads a host description from a file: one that is not there comes back as "failed to
        // parse xml document" (and libxml2 writes an I/O warning on stderr). Said here, by name, before libvirt runs.
        if (TestDriverFile(uri) is { } file && !File.Exists(file))
        {
            throw LibvirtErrors.TestDriverFileMissing(uri, file);
        }

        LibvirtLibrary.Ensure();
        SafeConnectHandle handle = readOnly ? Native.ConnectOpenReadOnly(uri) : Native.ConnectOpen(uri);
        if (handle.IsInvalid)
        {
            LibvirtException error = LibvirtException.FromLastError(readOnly ? "virConnectOpenReadOnly" : "virConnectOpen", uri, connecting: true);
            handle.Dispose();
            throw error;
        }

        return new LibvirtConnection(handle, uri, readOnly);
    }

    // test:///PATH names a file; test:///default is libvirt's built-in host.
    private static string? TestDriverFile(string uri)
    {
        const string scheme = "test://";
        if (!uri.StartsWith(scheme, StringComparison.Ordinal))
        {
            return null;
        }

        string path = uri[scheme.Length..];
        int query = path.IndexOf('?', StringComparison.Ordinal);
        path = query < 0 ? path : path[..query];
        return path.StartsWith('/') && path != "/default" ? System.Uri.UnescapeDataString(path) : null;
    }

    /// <summary>libvirt's version on the other side of the connection, as major * 1,000,000 + minor * 1,000 + micro.</summary>
    public ulong LibraryVersion()
    {
        Check(Native.ConnectGetLibVersion(_handle, out ulong version), "virConnectGetLibVersion");
        return version;
    }

    /// <summary>The capabilities XML (host topology, cells, pages, caches, guest types).</summary>
    public string Capabilities() =>
        Native.TakeString(Native.ConnectGetCapabilities(_handle)) ?? throw Failure("virConnectGetCapabilities");

    /// <summary><c>virNodeGetInfo</c>.</summary>
    public unsafe NodeSummary NodeInfo()
    {
        Check(Native.NodeGetInfo(_handle, out Native.NodeInfo info), "virNodeGetInfo");
        string model = Marshal.PtrToStringUTF8((IntPtr)info.Model) ?? "";
        return new NodeSummary(model, info.MemoryKiB, info.Cpus, info.Mhz, info.Nodes, info.Sockets, info.Cores, info.Threads);
    }

    /// <summary>The number of host CPUs libvirt knows (present ones), which is the width of every CPU map.</summary>
    public int HostCpuCount()
    {
        if (_hostCpus is null)
        {
            int count = Native.NodeGetCpuMap(_handle, IntPtr.Zero, IntPtr.Zero, 0);
            if (count < 0)
            {
                throw Failure("virNodeGetCPUMap");
            }

            _hostCpus = count;
        }

        return _hostCpus.Value;
    }

    /// <summary>Free pages of each size (KiB) on each cell: <c>virNodeGetFreePages</c>.</summary>
    /// <returns>Keyed by (cell, page size in KiB).</returns>
    public unsafe IReadOnlyDictionary<(int Cell, long SizeKiB), long> FreePages(IReadOnlyList<int> cells, IReadOnlyList<long> pageSizesKiB)
    {
        var result = new Dictionary<(int, long), long>();
        if (cells.Count == 0 || pageSizesKiB.Count == 0)
        {
            return result;
        }

        uint[] sizes = pageSizesKiB.Select(s => (uint)s).ToArray();
        var counts = new ulong[sizes.Length];
        foreach (int cell in cells)
        {
            fixed (uint* pages = sizes)
            fixed (ulong* free = counts)
            {
                // One cell per call: cells need not be contiguous (memory-only nodes, offline nodes).
                Check(Native.NodeGetFreePages(_handle, (uint)sizes.Length, pages, cell, 1, free, 0), "virNodeGetFreePages", $"cell {cell}");
            }

            for (int i = 0; i < sizes.Length; i++)
            {
                result[(cell, pageSizesKiB[i])] = (long)counts[i];
            }
        }

        return result;
    }

    /// <summary>Free memory of each cell in bytes: <c>virNodeGetCellsFreeMemory</c>.</summary>
    public unsafe IReadOnlyDictionary<int, long> CellsFreeMemoryBytes(IReadOnlyList<int> cells)
    {
        var result = new Dictionary<int, long>();
        foreach (int cell in cells)
        {
            ulong free;
            if (Native.NodeGetCellsFreeMemory(_handle, &free, cell, 1) != 1)
            {
                throw Failure("virNodeGetCellsFreeMemory", $"cell {cell}");
            }

            result[cell] = (long)free;
        }

        return result;
    }

    /// <summary>Every domain, active and inactive (or only the running ones), sorted by name.</summary>
    /// <param name="activeOnly">Only running and paused domains (<c>VIR_CONNECT_LIST_DOMAINS_ACTIVE</c>).</param>
    public IReadOnlyList<LibvirtDomain> ListAllDomains(bool activeOnly = false)
    {
        int count = Native.ConnectListAllDomains(_handle, out IntPtr array, activeOnly ? Native.ListActive : 0);
        if (count < 0)
        {
            throw Failure("virConnectListAllDomains");
        }

        var domains = new List<LibvirtDomain>(count);
        try
        {
            // Each pointer in the array is a reference the caller owns; the array itself is free()d.
            for (int i = 0; i < count; i++)
            {
                domains.Add(new LibvirtDomain(this, SafeDomainHandle.Own(Marshal.ReadIntPtr(array, i * IntPtr.Size))));
            }
        }
        finally
        {
            Native.Free(array);
        }

        domains.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return domains;
    }

    /// <summary>The domain named <paramref name="name"/>, or null when libvirt knows none (<c>VIR_ERR_NO_DOMAIN</c>).</summary>
    public LibvirtDomain? TryLookup(string name)
    {
        SafeDomainHandle handle = Native.DomainLookupByName(_handle, name);
        if (!handle.IsInvalid)
        {
            return new LibvirtDomain(this, handle);
        }

        LibvirtException error = LibvirtException.FromLastError("virDomainLookupByName", name);
        handle.Dispose();
        return error.Code == LibvirtException.NoDomain ? null : throw error;
    }

    /// <summary>The domain named <paramref name="name"/>; throws <see cref="LibvirtException"/> (NoDomain) when unknown.</summary>
    public LibvirtDomain Lookup(string name)
    {
        SafeDomainHandle handle = Native.DomainLookupByName(_handle, name);
        if (handle.IsInvalid)
        {
            LibvirtException error = LibvirtException.FromLastError("virDomainLookupByName", name);
            handle.Dispose();
            throw error;
        }

        return new LibvirtDomain(this, handle);
    }

    /// <summary>
    /// Defines (or redefines) a persistent domain from <paramref name="xml"/>. With <paramref name="validate"/> libvirt
    /// checks it against its RNG schema first (<c>VIR_DOMAIN_DEFINE_VALIDATE</c>).
    /// </summary>
    public LibvirtDomain Define(string xml, bool validate = true)
    {
        SafeDomainHandle handle = Native.DomainDefineXmlFlags(_handle, xml, validate ? Native.DefineValidate : 0);
        if (handle.IsInvalid)
        {
            LibvirtException error = LibvirtException.FromLastError("virDomainDefineXMLFlags", NameIn(xml));
            handle.Dispose();
            throw error;
        }

        return new LibvirtDomain(this, handle);
    }

    /// <summary>
    /// <c>virConnectGetAllDomainStats</c>: the chosen statistic groups of every domain in one call (for remote hosts;
    /// on a local host reading /proc is far cheaper).
    /// </summary>
    /// <param name="groups">The groups; <see cref="DomainStatsGroups.All"/> asks for everything.</param>
    /// <param name="activeOnly">Only running domains (<c>VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE</c>).</param>
    /// <param name="enforce">
    /// Fail (<c>VIR_ERR_ARGUMENT_UNSUPPORTED</c>, "Stats types bits 0x.. are not supported") when the driver does not know
    /// one of <paramref name="groups"/>, instead of leaving it out silently (<c>ENFORCE_STATS</c>).
    /// </param>
    public unsafe IReadOnlyList<DomainStats> AllDomainStats(DomainStatsGroups groups, bool activeOnly = false, bool enforce = false)
    {
        uint flags = (activeOnly ? Native.ListActive : 0) | (enforce ? Native.StatsEnforce : 0);
        int count = Native.ConnectGetAllDomainStats(_handle, (uint)groups, out IntPtr records, flags);
        if (count < 0)
        {
            throw Failure("virConnectGetAllDomainStats");
        }

        return ReadStatsRecords(records, count);
    }

    /// <summary>
    /// <c>virDomainListGetStats</c>: the chosen statistic groups of <paramref name="domains"/> only, in one call (a
    /// domain that stopped meanwhile is left out).
    /// </summary>
    public unsafe IReadOnlyList<DomainStats> DomainStats(IReadOnlyList<LibvirtDomain> domains, DomainStatsGroups groups)
    {
        if (domains.Count == 0)
        {
            return [];
        }

        // libvirt borrows the pointers for the call; each handle is kept alive until it returns.
        var pointers = new IntPtr[domains.Count + 1];
        var added = new List<LibvirtDomain>(domains.Count);
        try
        {
            for (int i = 0; i < domains.Count; i++)
            {
                pointers[i] = domains[i].AddRef();
                added.Add(domains[i]);
            }

            int count;
            IntPtr records;
            fixed (IntPtr* array = pointers)
            {
                count = Native.DomainListGetStats(array, (uint)groups, out records, 0);
            }

            return count < 0 ? throw Failure("virDomainListGetStats") : ReadStatsRecords(records, count);
        }
        finally
        {
            foreach (LibvirtDomain domain in added)
            {
                domain.Release();
            }
        }
    }

    private static unsafe List<DomainStats> ReadStatsRecords(IntPtr records, int count)
    {
        try
        {
            var result = new List<DomainStats>(count);
            // A NULL-terminated array of record pointers; the whole list is freed at once below.
            for (int i = 0; i < count; i++)
            {
                var record = Marshal.PtrToStructure<Native.DomainStatsRecord>(Marshal.ReadIntPtr(records, i * IntPtr.Size));
                string name = Marshal.PtrToStringUTF8(NativeName(record.Dom)) ?? "";
                uint id = Native.DomainGetIdBorrowed(record.Dom);
                result.Add(new DomainStats(name, TypedParameters.Read((Native.TypedParameter*)record.Params, record.NParams))
                {
                    Id = id == uint.MaxValue ? null : (int)id,
                });
            }

            return result;
        }
        finally
        {
            Native.DomainStatsRecordListFree(records);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    internal LibvirtException Failure(string operation, string? target = null) =>
        LibvirtException.FromLastError(operation, target ?? Uri);

    private void Check(int result, string operation, string? target = null)
    {
        if (result < 0)
        {
            throw Failure(operation, target);
        }
    }

    // The records' domain pointers are borrowed from the list, freed with it: read the name without a reference.
    private static IntPtr NativeName(IntPtr dom) => Native.DomainGetNameBorrowed(dom);

    private static string? NameIn(string xml)
    {
        int start = xml.IndexOf("<name>", StringComparison.Ordinal);
        int end = start < 0 ? -1 : xml.IndexOf("</name>", start, StringComparison.Ordinal);
        return start < 0 || end < 0 ? null : xml[(start + 6)..end].Trim();
    }
}
