using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>One domain as a libvirt daemon gave it: its definition and its record of a bulk statistics call.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="Definition">Its memory size and live XML.</param>
/// <param name="Statistics">Its bulk statistics; <see cref="DomainStatistics.Disks"/> are also its block counters.</param>
/// <param name="Running">False for a domain defined but shut off: listed nowhere, still known by name.</param>
internal sealed record RecordedDomain(string Name, LiveDefinition Definition, DomainStatistics Statistics, bool Running = true);

/// <summary>
/// <see cref="IMonitoredHost"/> in memory, answering with recorded values, for sweeper tests without a daemon. It keeps
/// the contract <see cref="MonitoredHostContractTests"/> checks against the libvirt adapter on the real daemon, and
/// lets a test change the host between calls: a domain stopped or gone since it was listed, a connection closed, a
/// block counter read that fails or hangs. <see cref="OpenAnother"/> gives a second connection to the same domains;
/// the calls and connections of all of them are counted together.
/// </summary>
internal sealed class RecordedHost : IMonitoredHost
{
    private readonly State _state;
    private volatile string? _closed;
    private bool _disposed;

    public RecordedHost(string uri, params RecordedDomain[] domains)
    {
        _state = new State(uri);
        foreach (RecordedDomain domain in domains)
        {
            _state.Domains[domain.Name] = domain;
        }
    }

    private RecordedHost(State state) => _state = state;

    public string Uri => _state.Uri;

    public string? ClosedReason => _closed;

    /// <summary>The domains whose definition was asked for, in order, over every connection.</summary>
    public IReadOnlyList<string> DefinitionsRead
    {
        get
        {
            lock (_state)
            {
                return [.. _state.DefinitionsRead];
            }
        }
    }

    /// <summary>How many block counter reads were made, over every connection.</summary>
    public int BlockReads => Volatile.Read(ref _state.BlockReads);

    /// <summary>How many block counter reads are waiting at the closed <see cref="BlockGate"/> now.</summary>
    public int BlockReadsWaiting => Volatile.Read(ref _state.BlockReadsWaiting);

    /// <summary>How many connections <see cref="OpenAnother"/> opened.</summary>
    public int Opened => Volatile.Read(ref _state.Opened);

    /// <summary>How many connections were disposed, this one included.</summary>
    public int Disposed => Volatile.Read(ref _state.Disposed);

    /// <summary>Block counter reads wait for this gate while it is closed.</summary>
    public ManualResetEventSlim BlockGate => _state.BlockGate;

    /// <summary>The next block counter read throws this (once).</summary>
    public Exception? FailNextBlockRead
    {
        set
        {
            lock (_state)
            {
                _state.FailNextBlockRead = value;
            }
        }
    }

    /// <summary>The recorded domain of <c>tests/data</c>: <see cref="RecordedCapture"/>.</summary>
    public static RecordedHost OfCapture(string uri = RecordedCapture.Uri) => new(uri, RecordedCapture.Domain());

    public void Add(RecordedDomain domain)
    {
        lock (_state)
        {
            _state.Domains[domain.Name] = domain;
        }
    }

    /// <summary>The domain is listed once more, then gone: it was undefined between a listing and what followed.</summary>
    public void VanishAfterListing(string name)
    {
        lock (_state)
        {
            _state.VanishAfterListing.Add(name);
        }
    }

    /// <summary>libvirt's close callback: every call fails from now on.</summary>
    public void Close(string reason) => _closed = reason;

    public IReadOnlyList<string> RunningDomains()
    {
        lock (_state)
        {
            Check();
            List<string> running = [.. _state.Domains.Values.Where(d => d.Running).Select(d => d.Name).Order(StringComparer.Ordinal)];
            foreach (string name in _state.VanishAfterListing)
            {
                _state.Domains.Remove(name);
            }

            _state.VanishAfterListing.Clear();
            return running;
        }
    }

    public LiveDefinition? Definition(string domain)
    {
        lock (_state)
        {
            Check();
            _state.DefinitionsRead.Add(domain);
            return _state.Domains.TryGetValue(domain, out RecordedDomain? found) ? found.Definition : null;
        }
    }

    public IReadOnlyList<DomainStatistics> RunningDomainStatistics()
    {
        lock (_state)
        {
            Check();
            return [.. _state.Domains.Values.Where(d => d.Running).OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Statistics)];
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> BlockCounters(IReadOnlyList<string> domains)
    {
        // Outside the lock: a test holds the reader here while it sweeps on the other connection.
        Interlocked.Increment(ref _state.BlockReadsWaiting);
        _state.BlockGate.Wait();
        Interlocked.Decrement(ref _state.BlockReadsWaiting);
        lock (_state)
        {
            Check();
            _state.BlockReads++;
            if (_state.FailNextBlockRead is { } failure)
            {
                _state.FailNextBlockRead = null;
                throw failure;
            }

            return domains
                .Where(name => _state.Domains.TryGetValue(name, out RecordedDomain? d) && d.Running)
                .Distinct(StringComparer.Ordinal)
                .ToDictionary(name => name, name => _state.Domains[name].Statistics.Disks, StringComparer.Ordinal);
        }
    }

    public IMonitoredHost OpenAnother()
    {
        Interlocked.Increment(ref _state.Opened);
        return new RecordedHost(_state);
    }

    public void Dispose()
    {
        lock (_state)
        {
            if (!_disposed)
            {
                _disposed = true;
                _state.Disposed++;
            }
        }
    }

    // As libvirt: a closed or disposed connection answers nothing.
    private void Check()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_closed is { } reason)
        {
            throw new KvmConfigException(Rules.LibvirtError, $"{Uri}: the connection was closed ({reason})");
        }
    }

    /// <summary>What every connection to the host shares; locked as a whole.</summary>
    private sealed class State(string uri)
    {
        public readonly string Uri = uri;
        public readonly Dictionary<string, RecordedDomain> Domains = new(StringComparer.Ordinal);
        public readonly HashSet<string> VanishAfterListing = new(StringComparer.Ordinal);
        public readonly List<string> DefinitionsRead = [];
        public readonly ManualResetEventSlim BlockGate = new(true);
        public Exception? FailNextBlockRead;
        public int BlockReads;
        public int BlockReadsWaiting;
        public int Opened;
        public int Disposed;
    }
}

/// <summary>
/// One running domain recorded on this machine's daemon (libvirt 9.0.0, QEMU 7.2, Debian 12, TCG): 2 vCPUs, 64 MiB, a
/// blank 1 MiB raw disk <c>vda</c> (SeaBIOS read its first sector) and an unmanaged tap <c>kvctrec0</c> (its boot ROM
/// had sent one 90-byte frame). Its live XML is <c>tests/data/libvirt/libvirt-9.0-live-disk-nic.xml</c>, its bulk
/// statistics <c>libvirt-9.0-domstats-disk-nic.txt</c> (<c>virsh domstats --vcpu --balloon --block --interface</c>,
/// decoded below as <c>LibvirtStatistics</c> decodes them), and its QEMU process and the host's counters at that moment
/// <c>tests/data/procfs/debian12-tcg-qemu/</c>.
/// </summary>
internal static class RecordedCapture
{
    /// <summary>A URI without a host part: the local host, as where it was recorded.</summary>
    public const string Uri = "qemu:///system";

    public const string Name = "kvmct-recorded-disk";

    public const string Tap = "kvctrec0";

    /// <summary>Its domain id (<c>virsh domid</c>).</summary>
    public const int Id = 1;

    /// <summary>Its QEMU process, in the procfs capture.</summary>
    public const int Pid = 28704;

    public static RecordedDomain Domain() => new(
        Name,
        new LiveDefinition(65536, File.ReadAllText(TestData.Path("libvirt", "libvirt-9.0-live-disk-nic.xml"))),
        new DomainStatistics(Name, Id)
        {
            // vcpu.N.time (10 ms ticks) and vcpu.N.delay; vcpu.1 had run under one tick.
            Vcpus = [new VcpuThread(0, 0, new TaskSchedstat(260_000_000, 121_160_257, 0)), new VcpuThread(1, 1, new TaskSchedstat(0, 15_383_076, 0))],
            RssKiB = 45636,
            GuestMemoryKiB = 65536,
            Disks = [new BlockDeviceCounters("vda", 1, 512, 68322, 0, 0, 0, 0, 0)],
            Interfaces = [new InterfaceCounters(Tap, 90, 1, 0, 0, 0, 0)],
        });

    /// <summary>A second domain defined beside it and never started.</summary>
    public static RecordedDomain ShutOff() => new(
        "kvmct-recorded-off",
        new LiveDefinition(65536, "<domain type='qemu'><name>kvmct-recorded-off</name><devices/></domain>"),
        new DomainStatistics("kvmct-recorded-off", Id: null),
        Running: false);
}
