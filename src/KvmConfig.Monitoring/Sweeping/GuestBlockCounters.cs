using KvmConfig.Core;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// The guest block counters of running domains, read through libvirt on a thread and a connection of their own, so
/// that a sweep does not wait for them.
/// </summary>
/// <remarks>
/// <para>
/// Only QEMU keeps per-guest-device counters for an image file, and libvirtd asks each domain's monitor for them: about
/// 1.5 ms per domain on a quiet host, and up to libvirt's 30 s job timeout when a QEMU main loop is stuck. Everything
/// else a sweep reads costs microseconds per domain from the kernel. So each sweep hands the domains that have disks to
/// this reader and takes its latest complete reading, stamped with the time it was taken: disk figures are then rates
/// between two readings (<see cref="DomainSample.DisksAtNs"/>), and a slow monitor delays only them.
/// </para>
/// <para>
/// The first call waits for its reading (a <see cref="KvmConfigException"/> when it does not come in time), so that a
/// sampler has one. The second call gets that same reading back, as later calls get the previous request's: the first
/// interval then has no disk time, and its disks are left out. A sampler that prints the first interval alone
/// (<c>top --once</c>) asks for two waited calls (<c>waitedRequests</c>): they are then the two ends of the first
/// interval, which has disk figures like every other. A reading that fails is thrown by the next <see cref="Next"/>,
/// as a failed sweep: the owner connects again.
/// </para>
/// </remarks>
public sealed class GuestBlockCounters : IDisposable
{
    private readonly Func<IMonitoredHost> _connect;
    private readonly TimeSpan _firstReadingTimeout;
    private readonly int _waitedRequests;
    private readonly Thread _thread;
    private readonly AutoResetEvent _wanted = new(false);
    private readonly object _answered = new();   // a monitor: waited on and pulsed (Lock has no Wait)
    private readonly CancellationTokenSource _stop = new();
    private volatile IReadOnlyList<string> _domains = [];
    private volatile Reading? _latest;
    private volatile Exception? _failure;

    // Requests are numbered from 1 as Next makes them; the reader notes the latest request it has answered (with a
    // reading or a failure), under _answered, which it pulses.
    private int _requested;
    private int _answeredRequest;

    /// <summary>Reads through the connection <paramref name="connect"/> opens (on the reader's thread).</summary>
    /// <param name="connect">Opens the reader's connection (<see cref="IMonitoredHost.OpenAnother"/>); called again after a failed reading.</param>
    /// <param name="firstReadingTimeout">How long each waited call waits for its reading; 60 s by default, twice libvirt's job timeout.</param>
    /// <param name="waitedRequests">How many first calls wait for the reading of their own request: 1 or 2 (see the remarks).</param>
    public GuestBlockCounters(Func<IMonitoredHost> connect, TimeSpan? firstReadingTimeout = null, int waitedRequests = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(waitedRequests, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(waitedRequests, 2);
        _connect = connect;
        _waitedRequests = waitedRequests;
        _firstReadingTimeout = firstReadingTimeout ?? TimeSpan.FromSeconds(60);
        _thread = new Thread(Run) { IsBackground = true, Name = "kvmconfig guest block counters" };
        _thread.Start();
    }

    /// <summary>
    /// Asks for a reading of <paramref name="domains"/> and returns the latest complete one: the previous sweep's
    /// request, or for the first call (the first two when asked), this one, waited for. Throws what the reader's last
    /// attempt threw. One caller at a time (a sweeper).
    /// </summary>
    public Reading Next(IReadOnlyList<string> domains)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        int request = Interlocked.Increment(ref _requested);
        _domains = domains;
        _wanted.Set();
        if (request <= _waitedRequests)
        {
            WaitForAnswer(request);
        }

        return _failure is { } failure ? throw failure : _latest!;
    }

    /// <summary>Stops the reader's thread and closes its connection.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _thread.Join();
        _wanted.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        IMonitoredHost? connection = null;
        try
        {
            WaitHandle[] handles = [_stop.Token.WaitHandle, _wanted];
            while (WaitHandle.WaitAny(handles) == 1)
            {
                // The request being answered: the latest made, whose domains are read below.
                int request = Volatile.Read(ref _requested);
                try
                {
                    connection ??= _connect();
                    _latest = Read(connection, _domains);
                    _failure = null;
                }
                catch (Exception e)
                {
                    _failure = e;
                    connection?.Dispose();
                    connection = null;
                }

                lock (_answered)
                {
                    _answeredRequest = request;
                    Monitor.PulseAll(_answered);
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    // Waits until the reader has answered request number `request` (or a later one), at most the first-reading timeout.
    private void WaitForAnswer(int request)
    {
        long deadline = Environment.TickCount64 + (long)_firstReadingTimeout.TotalMilliseconds;
        lock (_answered)
        {
            while (_answeredRequest < request)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || !Monitor.Wait(_answered, TimeSpan.FromMilliseconds(left)))
                {
                    throw MonitoringErrors.NoBlockStatistics(_firstReadingTimeout);
                }
            }
        }
    }

    private static Reading Read(IMonitoredHost connection, IReadOnlyList<string> domains)
    {
        // The clock is read after the counters, as for /proc, so an interval never includes time they did not see.
        IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> disks = connection.BlockCounters(domains);
        return new Reading(LocalSampler.NowNs(), disks);
    }

    /// <summary>One reading: when it was taken, and each domain's block devices.</summary>
    /// <param name="AtNs">When, on <see cref="LocalSampler.NowNs"/>'s clock.</param>
    /// <param name="Disks">Per domain read, its devices' counters.</param>
    public sealed record Reading(long AtNs, IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> Disks);
}
