using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// Samples running domains of the local host from the kernel: the QEMU pid from libvirt's state directory, then each
/// vCPU thread's <c>/proc/PID/task/TID/schedstat</c>, the process's RSS and, when a <see cref="CgroupReader"/> is
/// given, the domain cgroup's CPU bandwidth and per-host-device I/O counters. A sweep costs microseconds per domain, where libvirt's bulk
/// statistics cost about 15 ms per domain inside libvirtd. When the guest's memory size is given, the split of QEMU's
/// resident memory between guest RAM and the rest (<see cref="DomainSample.Memory"/>) comes from <c>PID/smaps</c>, read
/// as often as <see cref="SmapsCadence"/> allows.
/// </summary>
/// <remarks>
/// The per-process files are read through <see cref="ProcessHandles"/>, which keeps them open from sweep to sweep: a
/// sampler holds file handles, closed for a process within two sweeps of its last sample (a domain sampled a second
/// time starts a new sweep) and all at once by <see cref="Dispose"/>. The pid file is read at every sample, so a
/// restarted domain is read under its new pid at once.
/// </remarks>
/// <param name="processes">Where the QEMU pids are.</param>
/// <param name="procfs">The /proc the processes are read under.</param>
/// <param name="cgroups">The cgroup mount; null to read no cgroup counters.</param>
/// <param name="smaps">When smaps is read again; by default at most 1 % of one CPU (<see cref="SmapsCadence.DefaultBudgetShare"/>).</param>
public sealed class LocalSampler(QemuProcesses processes, ProcfsReader procfs, CgroupReader? cgroups = null, SmapsCadence? smaps = null) : IDisposable
{
    private readonly ProcessHandles _handles = new(procfs, cgroups);
    private readonly SmapsCadence _smaps = smaps ?? new SmapsCadence();

    /// <summary>A sampler of <c>qemu:///system</c> domains through <c>/proc</c> and <c>/sys/fs/cgroup</c>.</summary>
    public LocalSampler()
        : this(new QemuProcesses(), new ProcfsReader(), new CgroupReader())
    {
    }

    /// <summary>The monotonic clock samples are stamped with (<see cref="Stopwatch"/>, in nanoseconds).</summary>
    public static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <summary>
    /// One sample of <paramref name="domain"/>, or null when it is not running here, including when its process exits
    /// while being read. Throws <see cref="KvmConfigException"/> when a file of a live process is unreadable or malformed.
    /// </summary>
    /// <param name="domain">Domain name.</param>
    /// <param name="guestMemoryKiB">Its memory size (from libvirt), for the overhead figure; null when unknown.</param>
    public DomainSample? Sample(string domain, long? guestMemoryKiB = null) =>
        PidOf(domain) is { } pid ? Sample(domain, pid, guestMemoryKiB) : null;

    /// <summary>The pid of <paramref name="domain"/>'s QEMU process, or null when it is not running here.</summary>
    public int? PidOf(string domain) => processes.PidOf(domain);

    /// <summary>
    /// One sample of <paramref name="domain"/> whose QEMU process is <paramref name="pid"/> (<see cref="PidOf"/>), or null
    /// when that process is gone, including when it exits while being read.
    /// </summary>
    /// <param name="domain">Domain name.</param>
    /// <param name="pid">Its QEMU process.</param>
    /// <param name="guestMemoryKiB">Its memory size (from libvirt), for the overhead figure; null when unknown.</param>
    public DomainSample? Sample(string domain, int pid, long? guestMemoryKiB)
    {
        try
        {
            // smaps first (it may take milliseconds), and the clock right after the counters, so that an interval never
            // includes time the counters did not see.
            QemuMemory? memory = guestMemoryKiB is { } guest ? Memory(pid, guest) : null;
            ProcessReading reading = _handles.Read(pid);
            return new DomainSample(domain, pid, NowNs(), reading.Vcpus, reading.RssKiB, guestMemoryKiB)
            {
                CgroupCpu = reading.CgroupCpu,
                HostIo = reading.Io ?? [],
                Memory = memory,
            };
        }
        catch (KvmConfigException) when (!procfs.ProcessExists(pid))
        {
            // The domain stopped while it was being read (or its pid file outlived a crash): it is not running here.
            return null;
        }
    }

    // The latest split of the process's memory, from smaps when it is due; null when smaps cannot be read. The processes
    // the handles no longer track (not read in the last sweep) are forgotten, so that their cost no longer spaces the
    // others' readings.
    private QemuMemory? Memory(int pid, long guestMemoryKiB)
    {
        long startNs = NowNs();
        if (_smaps.TryCurrent(pid, guestMemoryKiB, startNs, out QemuMemory? current))
        {
            return current;
        }

        _smaps.Forget(_handles.Tracks);
        try
        {
            QemuMemory? memory = QemuMemory.Of(procfs.ReadSmaps(pid), guestMemoryKiB);
            long endNs = NowNs();
            _smaps.Read(pid, guestMemoryKiB, endNs, endNs - startNs, memory);
            return memory;
        }
        catch (KvmConfigException) when (procfs.ProcessExists(pid))
        {
            // smaps needs ptrace read access (root, or QEMU's own user), where status is anyone's: without it the
            // overhead is unknown, and the rest of the sample stands.
            _smaps.Unreadable(pid);
            return null;
        }
    }

    /// <summary>Closes the file handles the sampler keeps open; samples after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _handles.Dispose();
}
