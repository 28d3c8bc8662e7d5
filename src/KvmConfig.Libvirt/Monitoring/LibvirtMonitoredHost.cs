using System.Globalization;
using System.Text.RegularExpressions;
using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Libvirt.Monitoring;

/// <summary>
/// <see cref="IMonitoredHost"/> on a read-only libvirt connection: each member is one or two C API calls, and every
/// failure is libvirt's (<see cref="LibvirtException"/>), but for the two outcomes a sweeper decides on: a domain gone
/// since it was listed (<c>VIR_ERR_NO_DOMAIN</c>) is a null, and a driver that does not give the statistics groups is
/// a <see cref="KvmConfigException"/> naming them. A connection from <see cref="Open"/> is watched by libvirt's close
/// callback, so that a daemon restart (or a lost SSH or TLS session) shows in <see cref="ClosedReason"/>.
/// </summary>
public sealed class LibvirtMonitoredHost : IMonitoredHost
{
    /// <summary>
    /// The groups <see cref="RunningDomainStatistics"/> asks for: <c>vcpu</c> (CPU and ready per vCPU), <c>balloon</c>
    /// (RSS and memory size, for the overhead), <c>block</c> and <c>interface</c> (devices). Not <c>state</c>,
    /// <c>cpu-total</c>, <c>perf</c>, <c>iothread</c>, <c>memory</c>, <c>dirtyrate</c> or <c>vm</c>: no figure uses
    /// them. The running domains are chosen by the call's ACTIVE filter, which needs no group. Measured inside libvirtd
    /// for 20 idle domains (issue 5): vcpu 52 ms, balloon 72 ms, block 76 ms per sweep, about 2.5 to 4 ms per domain and
    /// group.
    /// </summary>
    /// <remarks>
    /// The call waits for each domain's job lock (no <c>NOWAIT</c> flag): the balloon group's RSS and the block
    /// counters are read from QEMU's monitor under that lock, and with <c>NOWAIT</c> a domain whose lock another
    /// client's query holds for a moment (another monitoring tool, virsh, a second kvmconfig) answers without them,
    /// which made the memory overhead and the disks vanish from intervals in testing. The price: a domain whose QEMU
    /// monitor hangs delays the sweep by libvirt's job timeout (30 s) before the call goes on without its monitor data.
    /// </remarks>
    public const DomainStatsGroups Groups = DomainStatsGroups.Vcpu | DomainStatsGroups.Balloon | DomainStatsGroups.Block | DomainStatsGroups.Interface;

    private readonly LibvirtConnection _connection;
    private IDisposable? _closedRegistration;
    private volatile string? _closed;

    private LibvirtMonitoredHost(LibvirtConnection connection) => _connection = connection;

    /// <inheritdoc />
    public string Uri => _connection.Uri;

    /// <inheritdoc />
    public string? ClosedReason => _closed;

    /// <summary>
    /// Opens <paramref name="uri"/> read-only and subscribes to its close callback (libvirt then probes the connection
    /// every 5 s). Throws <see cref="LibvirtException"/> when the daemon does not answer.
    /// </summary>
    public static LibvirtMonitoredHost Open(string uri)
    {
        // The event loop must run before the connection that registers a close callback is opened.
        LibvirtEvents.Start();
        LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
        try
        {
            var host = new LibvirtMonitoredHost(connection);
            host._closedRegistration = LibvirtEvents.OnClosed(connection, reason => host._closed = CloseReason(reason));
            return host;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IMonitoredHost OpenAnother() => new LibvirtMonitoredHost(LibvirtConnection.Open(Uri, readOnly: true));

    /// <inheritdoc />
    public IReadOnlyList<string> RunningDomains()
    {
        IReadOnlyList<LibvirtDomain> running = _connection.ListAllDomains(activeOnly: true);
        try
        {
            return [.. running.Select(d => d.Name)];
        }
        finally
        {
            DisposeAll(running);
        }
    }

    /// <inheritdoc />
    public LiveDefinition? Definition(string domain)
    {
        try
        {
            using LibvirtDomain? found = _connection.TryLookup(domain);
            return found is null ? null : new LiveDefinition(found.MemoryKiB, found.Xml());
        }
        catch (LibvirtException e) when (e.Code == LibvirtException.NoDomain)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<DomainStatistics> RunningDomainStatistics()
    {
        IReadOnlyList<DomainStats> all;
        try
        {
            all = _connection.AllDomainStats(Groups, activeOnly: true, enforce: true);
        }
        catch (LibvirtException e) when (e.Code == LibvirtException.ArgumentUnsupported)
        {
            throw Unsupported(Uri, e);
        }

        return [.. all.Select(LibvirtStatistics.Decode)];
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> BlockCounters(IReadOnlyList<string> domains)
    {
        var wanted = new HashSet<string>(domains, StringComparer.Ordinal);
        IReadOnlyList<LibvirtDomain> running = _connection.ListAllDomains(activeOnly: true);
        try
        {
            return _connection.DomainStats([.. running.Where(d => wanted.Contains(d.Name))], DomainStatsGroups.Block)
                .ToDictionary(s => s.Domain, s => new LibvirtStatistics(s).Disks(), StringComparer.Ordinal);
        }
        finally
        {
            DisposeAll(running);
        }
    }

    /// <summary>Ends the close subscription, then closes the connection.</summary>
    public void Dispose()
    {
        _closedRegistration?.Dispose();
        _connection.Dispose();
    }

    private static void DisposeAll(IReadOnlyList<LibvirtDomain> domains)
    {
        foreach (LibvirtDomain domain in domains)
        {
            domain.Dispose();
        }
    }

    // virConnectCloseReason: 0 error, 1 end of file (daemon exited), 2 keepalive timeout, 3 client closed.
    internal static string CloseReason(int reason) => reason switch
    {
        0 => "connection error",
        1 => "the daemon closed it (stopped or restarted)",
        2 => "keepalive timeout (the daemon stopped answering)",
        3 => "closed by the client",
        _ => $"reason {reason}",
    };

    // "Stats types bits 0x3c are not supported by this daemon": the bits named, so that the user need not decode them.
    private static KvmConfigException Unsupported(string uri, LibvirtException e)
    {
        Match bits = Regex.Match(e.LibvirtMessage, @"0x([0-9a-fA-F]+)");
        uint missing = bits.Success && uint.TryParse(bits.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint b) ? b & (uint)Groups : (uint)Groups;
        string[] names = [.. Enum.GetValues<DomainStatsGroups>().Where(g => g != 0 && (missing & (uint)g) != 0).Select(GroupName)];
        return LibvirtErrors.StatisticsGroupsUnsupported(uri, Join(names), e);
    }

    private static string Join(string[] names) => names.Length < 2 ? string.Concat(names) : $"{string.Join(", ", names[..^1])} and {names[^1]}";

    // The names virsh domstats gives the groups (--vcpu, --balloon, --block, --interface).
    private static string GroupName(DomainStatsGroups group) => group switch
    {
        DomainStatsGroups.CpuTotal => "cpu-total",
        _ => group.ToString().ToLowerInvariant(),
    };
}
