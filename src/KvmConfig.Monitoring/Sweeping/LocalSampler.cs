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
/// statistics cost about 15 ms per domain inside libvirtd.
/// </summary>
/// <remarks>
/// The per-process files are read through <see cref="ProcessHandles"/>, which keeps them open from sweep to sweep: a
/// sampler holds file handles, closed for a process within two sweeps of its last sample (a domain sampled a second
/// time starts a new sweep) and all at once by <see cref="Dispose"/>. The pid file is read at every sample, so a
/// restarted domain is read under its new pid at once.
/// </remarks>
public sealed class LocalSampler(QemuProcesses processes, ProcfsReader procfs, CgroupReader? cgroups = null) : IDisposable
{
    private readonly ProcessHandles _handles = new(procfs, cgroups);

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
    public DomainSample? Sample(string domain, long? guestMemoryKiB = null)
    {
        if (processes.PidOf(domain) is not { } pid)
        {
            return null;
        }

        try
        {
            // The clock is read after the counters, so that an interval never includes time the counters did not see.
            ProcessReading reading = _handles.Read(pid);
            return new DomainSample(domain, pid, NowNs(), reading.Vcpus, reading.RssKiB, guestMemoryKiB)
            {
                CgroupCpu = reading.CgroupCpu,
                HostIo = reading.Io ?? [],
            };
        }
        catch (KvmConfigException) when (!procfs.ProcessExists(pid))
        {
            // The domain stopped while it was being read (or its pid file outlived a crash): it is not running here.
            return null;
        }
    }

    /// <summary>Closes the file handles the sampler keeps open; samples after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _handles.Dispose();
}
