using KvmConfig.Core;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring.Sweeping;

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
/// A host through libvirt (<see cref="IMonitoredHost"/>: <c>KvmConfig.Libvirt</c>'s adapter, whose connection libvirt's
/// close callback watches), so that a daemon restart (or a lost SSH or TLS session) fails the next sweep instead of
/// leaving a dead connection in place. The local host is swept through libvirt (domain list) and <c>/proc</c>
/// (<see cref="LocalSweeper"/>); a URI with a host part, or <see cref="SweepSource.Libvirt"/>, through libvirt's bulk
/// statistics alone (<see cref="RemoteSweeper"/>).
/// </summary>
public sealed class HostSweeper : IHostSweeper
{
    private readonly IMonitoredHost _host;
    private readonly Func<SweepSample> _sweep;
    private readonly LocalSampler? _sampler;
    private readonly LocalSweeper? _local;
    private readonly RemoteSweeper? _remote;

    /// <summary>
    /// Sweeps <paramref name="host"/>, which it owns from now on (disposed with it). Throws
    /// <see cref="KvmConfigException"/> when <paramref name="source"/> is <see cref="SweepSource.Proc"/> for a URI
    /// naming another host; the host is then still the caller's to dispose.
    /// </summary>
    /// <param name="host">The connection, open.</param>
    /// <param name="source"><see cref="SweepSource.Auto"/>: /proc for a URI without a host part, libvirt otherwise.</param>
    /// <param name="completeFirstInterval">
    /// Through /proc, wait at the second sweep for the guest block counters, so that the first interval has every figure
    /// (<c>top --once</c>; see <see cref="LocalSweeper"/>). Through libvirt every sweep has them anyway.
    /// </param>
    public HostSweeper(IMonitoredHost host, SweepSource source = SweepSource.Auto, bool completeFirstInterval = false)
    {
        _host = host;
        Source = Resolve(host.Uri, source);
        if (Source == SweepSource.Libvirt)
        {
            _remote = new RemoteSweeper(host);
            _sweep = _remote.Sweep;
        }
        else
        {
            // The sampler keeps the QEMU processes' files open across sweeps; they close with this sweeper.
            var procfs = new ProcfsReader();
            _sampler = new LocalSampler(new QemuProcesses(), procfs, new CgroupReader());
            _local = new LocalSweeper(host, _sampler, procfs, completeFirstInterval);
            _sweep = _local.Sweep;
        }
    }

    /// <summary>Where the sweeps read: <see cref="SweepSource.Proc"/> or <see cref="SweepSource.Libvirt"/>.</summary>
    public SweepSource Source { get; }

    /// <summary>The libvirt URI it reads.</summary>
    public string Uri => _host.Uri;

    /// <summary>
    /// Through libvirt: the domains of the last sweep for which the daemon gave no <c>vcpu.N.delay</c> (libvirt too old),
    /// whose vCPUs have no CPU-ready figure. Always empty through /proc.
    /// </summary>
    public IReadOnlyList<string> DomainsWithoutDelay => _remote?.DomainsWithoutDelay ?? [];

    /// <summary>
    /// Opens <paramref name="uri"/> through <paramref name="open"/> (in <c>KvmConfig.Libvirt</c>: read-only, watched
    /// for its loss) and sweeps it. Throws what <paramref name="open"/> throws when the daemon does not answer, and
    /// <see cref="KvmConfigException"/> when <paramref name="source"/> is <see cref="SweepSource.Proc"/> for a URI
    /// naming another host, before opening anything.
    /// </summary>
    /// <param name="uri">The libvirt URI.</param>
    /// <param name="source"><see cref="SweepSource.Auto"/>: /proc for a URI without a host part, libvirt otherwise.</param>
    /// <param name="open">Opens a connection to a URI.</param>
    /// <param name="completeFirstInterval">Wait for every figure of the first interval (see the constructor).</param>
    public static HostSweeper Connect(string uri, SweepSource source, Func<string, IMonitoredHost> open, bool completeFirstInterval = false)
    {
        SweepSource resolved = Resolve(uri, source);
        IMonitoredHost host = open(uri);
        try
        {
            return new HostSweeper(host, resolved, completeFirstInterval);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public SweepSample Sweep()
    {
        if (_host.ClosedReason is { } reason)
        {
            throw MonitoringErrors.ConnectionClosed(_host.Uri, reason);
        }

        return _sweep();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _local?.Dispose();
        _sampler?.Dispose();
        _host.Dispose();
    }

    private static SweepSource Resolve(string uri, SweepSource source) =>
        SweepSources.Resolve(uri, source)
        ?? throw MonitoringErrors.ProcSourceForRemote(uri);
}
