using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>
/// What the exporter needs of a host: one sweep at a time, on a connection it can drop. A sweep that throws means the
/// source is lost; the exporter disposes it and connects a new one after a backoff.
/// </summary>
public interface IHostSweeper : IDisposable
{
    /// <summary>Reads every running domain and the host once; throws when the source (libvirt) is unreachable.</summary>
    SweepSample Sweep();
}

/// <summary>
/// A host through libvirt, on a read-only connection watched by libvirt's close callback, so that a daemon restart (or a
/// lost SSH or TLS session) fails the next sweep instead of leaving a dead connection in place. The local host is swept
/// through libvirt (domain list) and <c>/proc</c> (<see cref="LocalSweeper"/>); a URI with a host part, or
/// <see cref="SweepSource.Libvirt"/>, through libvirt's bulk statistics alone (<see cref="RemoteSweeper"/>).
/// </summary>
public sealed class LibvirtHostSweeper : IHostSweeper
{
    private readonly LibvirtConnection _connection;
    private readonly IDisposable _closedRegistration;
    private readonly Func<SweepSample> _sweep;
    private readonly LocalSampler? _sampler;
    private readonly LocalSweeper? _local;
    private readonly RemoteSweeper? _remote;
    private volatile string? _closed;

    private LibvirtHostSweeper(LibvirtConnection connection, SweepSource source, Func<LibvirtHostSweeper, IDisposable> watch)
    {
        _connection = connection;
        Source = source;
        if (source == SweepSource.Libvirt)
        {
            _remote = new RemoteSweeper(connection);
            _sweep = _remote.Sweep;
        }
        else
        {
            // The sampler keeps the QEMU processes' files open across sweeps; they close with this sweeper.
            var procfs = new ProcfsReader();
            _sampler = new LocalSampler(new QemuProcesses(), procfs, new CgroupReader());
            _local = new LocalSweeper(connection, _sampler, procfs);
            _sweep = _local.Sweep;
        }

        _closedRegistration = watch(this);
    }

    /// <summary>Where the sweeps read: <see cref="SweepSource.Proc"/> or <see cref="SweepSource.Libvirt"/>.</summary>
    public SweepSource Source { get; }

    /// <summary>The libvirt URI it reads.</summary>
    public string Uri => _connection.Uri;

    /// <summary>
    /// Through libvirt: the domains of the last sweep for which the daemon gave no <c>vcpu.N.delay</c> (libvirt too old),
    /// whose vCPUs have no CPU-ready figure. Always empty through /proc.
    /// </summary>
    public IReadOnlyList<string> DomainsWithoutDelay => _remote?.DomainsWithoutDelay ?? [];

    /// <summary>
    /// Opens <paramref name="uri"/> read-only and subscribes to its close callback. Throws <see cref="LibvirtException"/>
    /// when the daemon does not answer, and <see cref="KvmConfigException"/> when <paramref name="source"/> is
    /// <see cref="SweepSource.Proc"/> for a URI naming another host.
    /// </summary>
    /// <param name="uri">The libvirt URI.</param>
    /// <param name="source"><see cref="SweepSource.Auto"/>: /proc for a URI without a host part, libvirt otherwise.</param>
    public static LibvirtHostSweeper Connect(string uri, SweepSource source = SweepSource.Auto)
    {
        SweepSource resolved = SweepSources.Resolve(uri, source)
            ?? throw new KvmConfigException(Rules.LibvirtUnavailable, $"the /proc source reads this host, and {uri} names another host",
                hint: "use --source libvirt (or auto) for a remote host");

        // The event loop must run before the connection that registers a close callback is opened.
        LibvirtEvents.Start();
        LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
        try
        {
            return new LibvirtHostSweeper(connection, resolved, self => LibvirtEvents.OnClosed(connection, reason => self._closed = CloseReason(reason)));
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SweepSample Sweep()
    {
        if (_closed is { } reason)
        {
            throw new KvmConfigException(Rules.LibvirtUnavailable, $"the connection to {_connection.Uri} was closed: {reason}");
        }

        return _sweep();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _closedRegistration.Dispose();
        _local?.Dispose();
        _sampler?.Dispose();
        _connection.Dispose();
    }

    // virConnectCloseReason: 0 error, 1 end of file (daemon exited), 2 keepalive timeout, 3 client closed.
    private static string CloseReason(int reason) => reason switch
    {
        0 => "connection error",
        1 => "the daemon closed it (stopped or restarted)",
        2 => "keepalive timeout (the daemon stopped answering)",
        3 => "closed by the client",
        _ => $"reason {reason}",
    };
}
