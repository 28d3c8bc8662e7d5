using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Libvirt.Monitoring;

/// <summary>
/// Reads the figures out of one domain's bulk statistics (<c>virConnectGetAllDomainStats</c>): the <c>vcpu.N.*</c>,
/// <c>balloon.*</c>, <c>block.N.*</c> and <c>net.N.*</c> parameters, as the libvirt documentation of that call names
/// them. A device whose counters are absent (an empty CD-ROM drive, an interface libvirt cannot read) is left out.
/// </summary>
public sealed class LibvirtStatistics
{
    private readonly Dictionary<string, TypedParameter> _byName;

    /// <summary>Indexes <paramref name="stats"/>'s parameters by name.</summary>
    public LibvirtStatistics(DomainStats stats)
    {
        _byName = new Dictionary<string, TypedParameter>(stats.Parameters.Count, StringComparer.Ordinal);
        foreach (TypedParameter parameter in stats.Parameters)
        {
            _byName[parameter.Name] = parameter;
        }
    }

    /// <summary>
    /// <paramref name="stats"/> as the sweepers take it: the vCPUs (null without the <c>vcpu</c> group), how many lack
    /// a delay, the balloon's RSS and maximum, the disks and the interfaces.
    /// </summary>
    public static DomainStatistics Decode(DomainStats stats)
    {
        var parsed = new LibvirtStatistics(stats);
        return new DomainStatistics(stats.Domain, stats.Id)
        {
            Vcpus = parsed.HasVcpuGroup ? parsed.Vcpus() : null,
            VcpusWithoutDelay = parsed.VcpusWithoutDelay(),
            RssKiB = parsed.BalloonRssKiB(),
            GuestMemoryKiB = parsed.BalloonMaximumKiB(),
            Disks = parsed.Disks(),
            Interfaces = parsed.Interfaces(),
        };
    }

    /// <summary>The guest block devices: <c>block.count</c>, then per N <c>name</c>, <c>rd.*</c>, <c>wr.*</c>, <c>fl.*</c>.</summary>
    public IReadOnlyList<BlockDeviceCounters> Disks()
    {
        var disks = new List<BlockDeviceCounters>();
        for (int n = 0; n < Count("block.count"); n++)
        {
            string prefix = $"block.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Text(prefix + "name") is not { } name
                || Number(prefix + "rd.reqs") is not { } readReqs
                || Number(prefix + "wr.reqs") is not { } writeReqs)
            {
                continue;
            }

            disks.Add(new BlockDeviceCounters(
                name,
                readReqs,
                Number(prefix + "rd.bytes") ?? 0,
                Number(prefix + "rd.times") ?? 0,
                writeReqs,
                Number(prefix + "wr.bytes") ?? 0,
                Number(prefix + "wr.times") ?? 0,
                Number(prefix + "fl.reqs") ?? 0,
                Number(prefix + "fl.times") ?? 0));
        }

        return disks;
    }

    /// <summary>
    /// The network interfaces, from the guest's point of view (libvirt swaps a tap device's receive and transmit, for
    /// <c>type='ethernet'</c> as for bridges and networks): <c>net.count</c>, then per N <c>name</c>, <c>rx.*</c>,
    /// <c>tx.*</c>.
    /// </summary>
    public IReadOnlyList<InterfaceCounters> Interfaces()
    {
        var interfaces = new List<InterfaceCounters>();
        for (int n = 0; n < Count("net.count"); n++)
        {
            string prefix = $"net.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Text(prefix + "name") is not { } name
                || Number(prefix + "rx.bytes") is not { } received
                || Number(prefix + "tx.bytes") is not { } sent)
            {
                continue;
            }

            interfaces.Add(new InterfaceCounters(
                name,
                received,
                Number(prefix + "rx.pkts") ?? 0,
                Number(prefix + "rx.drop") ?? 0,
                sent,
                Number(prefix + "tx.pkts") ?? 0,
                Number(prefix + "tx.drop") ?? 0));
        }

        return interfaces;
    }

    /// <summary>
    /// The vCPUs as <see cref="VcpuThread"/>s, from the <c>vcpu</c> group: per N <c>vcpu.N.time</c> (run time, ns) and
    /// <c>vcpu.N.delay</c> (run-queue wait, ns), by vCPU number. The QEMU driver reads both from the vCPU thread in the
    /// host's /proc: delay is <c>/proc/PID/task/TID/schedstat</c>'s run_delay, the counter the local path reads, and time
    /// is utime + stime of <c>/proc/PID/task/TID/stat</c>, the same run time counted in clock ticks (10 ms steps at
    /// USER_HZ 100). <see cref="VcpuThread.Tid"/> is the vCPU number (the thread id is not reported) and
    /// <see cref="TaskSchedstat.Timeslices"/> is 0 (not reported either). <c>vcpu.N.wait</c> is another counter (the
    /// CFS <c>wait_sum</c>, 0 on kernels without schedstats) and is not used.
    /// </summary>
    /// <remarks>
    /// The array is sparse after vCPU hot-unplug, so every N below <c>vcpu.maximum</c> is tried. A vCPU without
    /// <c>vcpu.N.delay</c> (a daemon too old to report it) is left out rather than shown with a ready time of 0: see
    /// <see cref="VcpusWithoutDelay"/>.
    /// </remarks>
    public IReadOnlyList<VcpuThread> Vcpus()
    {
        var vcpus = new List<VcpuThread>();
        for (int n = 0; n < VcpuSlots(); n++)
        {
            string prefix = $"vcpu.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Number(prefix + "time") is { } runNs && Number(prefix + "delay") is { } waitNs)
            {
                vcpus.Add(new VcpuThread(n, n, new TaskSchedstat(runNs, waitNs, 0)));
            }
        }

        return vcpus;
    }

    /// <summary>How many vCPUs have <c>vcpu.N.time</c> but no <c>vcpu.N.delay</c>: their ready time is unknown.</summary>
    public int VcpusWithoutDelay()
    {
        int missing = 0;
        for (int n = 0; n < VcpuSlots(); n++)
        {
            string prefix = $"vcpu.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Number(prefix + "time") is not null && Number(prefix + "delay") is null)
            {
                missing++;
            }
        }

        return missing;
    }

    /// <summary>True when the statistics hold the <c>vcpu</c> group (<c>vcpu.current</c>).</summary>
    public bool HasVcpuGroup => _byName.ContainsKey("vcpu.current");

    /// <summary>
    /// QEMU's resident memory in KiB from the <c>balloon</c> group (<c>balloon.rss</c>: the RSS field of
    /// <c>/proc/PID/stat</c> in pages, times the page size, the same figure as VmRSS), or null.
    /// </summary>
    public long? BalloonRssKiB() => Kibibytes("balloon.rss");

    /// <summary>The guest's memory size in KiB (<c>balloon.maximum</c>: the domain's <c>&lt;memory&gt;</c>), or null.</summary>
    public long? BalloonMaximumKiB() => Kibibytes("balloon.maximum");

    /// <summary>The memory the guest currently has in KiB (<c>balloon.current</c>: below the maximum while the balloon is inflated), or null.</summary>
    public long? BalloonCurrentKiB() => Kibibytes("balloon.current");

    /// <summary>The named counter, or null when the statistics do not have it.</summary>
    public ulong? Number(string name) => _byName.TryGetValue(name, out TypedParameter? p) ? p.AsUInt64() : null;

    /// <summary>The named string, or null.</summary>
    public string? Text(string name) => _byName.TryGetValue(name, out TypedParameter? p) && p.Value is string s ? s : null;

    private int Count(string name) => (int)Math.Min(Number(name) ?? 0, 4096);

    // vcpu.maximum bounds the sparse vcpu.N.* array; vcpu.current when a driver gives only that.
    private int VcpuSlots() => Math.Max(Count("vcpu.maximum"), Count("vcpu.current"));

    private long? Kibibytes(string name) => Number(name) is { } kib ? (long)Math.Min(kib, long.MaxValue) : null;
}
