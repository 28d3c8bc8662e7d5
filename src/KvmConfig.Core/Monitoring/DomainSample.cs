namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One reading of one running domain: its vCPU threads' scheduler counters and its QEMU process's resident memory,
/// taken at <see cref="AtNs"/> on a monotonic clock the caller owns (Core reads no clock).
/// </summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Pid">Its QEMU process (read remotely: libvirt's domain id): a different one in the next sample means the domain restarted.</param>
/// <param name="AtNs">When the reading was taken, in nanoseconds of the caller's monotonic clock.</param>
/// <param name="Vcpus">Each vCPU thread with its schedstat, by vCPU number.</param>
/// <param name="RssKiB">QEMU's resident memory, or null when unknown.</param>
/// <param name="GuestMemoryKiB">The guest's memory size, or null when unknown.</param>
public sealed record DomainSample(string Domain, int Pid, long AtNs, IReadOnlyList<VcpuThread> Vcpus, long? RssKiB, long? GuestMemoryKiB)
{
    /// <summary>Each guest block device's counters, by target name; empty when the domain has none or they were not read.</summary>
    public IReadOnlyList<BlockDeviceCounters> Disks { get; init; } = [];

    /// <summary>
    /// When <see cref="Disks"/> were read, on the same clock as <see cref="AtNs"/>, when they were read apart from the
    /// rest (libvirt's block counters come on a thread of their own); null when read with the rest, at <see cref="AtNs"/>.
    /// </summary>
    public long? DisksAtNs { get; init; }

    /// <summary>Each network interface's counters, guest's view; empty when it has none or they were not read.</summary>
    public IReadOnlyList<InterfaceCounters> Interfaces { get; init; } = [];

    /// <summary>The domain cgroup's CPU bandwidth counters, or null when not read (a remote host, no cgroup).</summary>
    public CgroupCpuStat? CgroupCpu { get; init; }

    /// <summary>The I/O the domain's cgroup issued per host block device; empty when not read or none.</summary>
    public IReadOnlyList<CgroupIoDevice> HostIo { get; init; } = [];

    /// <summary>
    /// QEMU's resident memory split into guest RAM and the rest (from <c>/proc/PID/smaps</c>, read less often than the
    /// rest when it costs: the latest split), or null when not known: read through libvirt, which gives the total only,
    /// or a guest RAM layout <see cref="QemuMemory.Of"/> cannot identify.
    /// </summary>
    public QemuMemory? Memory { get; init; }
}

/// <summary>The I/O a domain issued to one host block device over an interval (its cgroup's I/O counters).</summary>
/// <param name="Device">The host device as <c>MAJ:MIN</c>.</param>
/// <param name="ReadBytesPerSecond">Bytes read per second.</param>
/// <param name="WriteBytesPerSecond">Bytes written per second.</param>
/// <param name="ReadOpsPerSecond">Reads per second.</param>
/// <param name="WriteOpsPerSecond">Writes per second.</param>
public sealed record HostIoFigures(string Device, double ReadBytesPerSecond, double WriteBytesPerSecond, double ReadOpsPerSecond, double WriteOpsPerSecond);

/// <summary>One guest block device over an interval.</summary>
/// <param name="Device">Target name, e.g. <c>vda</c>.</param>
/// <param name="QueueDepth">Average requests in flight (Little's law: time the completed requests took / interval).</param>
/// <param name="LatencyMs">Average time a read or write took, ms; null when none completed.</param>
/// <param name="ReadBytesPerSecond">Bytes read per second.</param>
/// <param name="WriteBytesPerSecond">Bytes written per second.</param>
public sealed record DiskFigures(string Device, double QueueDepth, double? LatencyMs, double ReadBytesPerSecond, double WriteBytesPerSecond);

/// <summary>One network interface over an interval, from the guest's point of view.</summary>
/// <param name="Device">Host-side device name.</param>
/// <param name="ReceivedBytesPerSecond">Bytes the guest received per second.</param>
/// <param name="SentBytesPerSecond">Bytes the guest sent per second.</param>
public sealed record InterfaceFigures(string Device, double ReceivedBytesPerSecond, double SentBytesPerSecond);

/// <summary>One vCPU's share of an interval: running and waiting in the run queue (ready, steal to the guest).</summary>
/// <param name="Vcpu">vCPU number.</param>
/// <param name="UsedPercent">Time on a CPU, percent of the interval.</param>
/// <param name="ReadyPercent">Time runnable but waiting, percent of the interval (CPU ready).</param>
public sealed record VcpuFigures(int Vcpu, double UsedPercent, double ReadyPercent);

/// <summary>A domain's figures over the interval between two samples (DESIGN.md section 5).</summary>
/// <param name="Domain">Domain name.</param>
/// <param name="IntervalNs">Length of the interval.</param>
/// <param name="Vcpus">Per vCPU; a vCPU missing from either sample, or whose counters went backwards, is left out.</param>
/// <param name="CpuPercent">The vCPUs' run time together, percent of one CPU (200 = two CPUs busy).</param>
/// <param name="ReadyPercent">Mean ready % over the vCPUs.</param>
/// <param name="ReadyPercentMax">The highest vCPU's ready %.</param>
/// <param name="MemoryOverheadPercent">QEMU's resident memory outside guest RAM / guest memory at the later sample, or null when not measured.</param>
public sealed record DomainFigures(
    string Domain,
    long IntervalNs,
    IReadOnlyList<VcpuFigures> Vcpus,
    double CpuPercent,
    double ReadyPercent,
    double ReadyPercentMax,
    double? MemoryOverheadPercent)
{
    /// <summary>Per guest block device present in both samples whose counters did not restart.</summary>
    public IReadOnlyList<DiskFigures> Disks { get; init; } = [];

    /// <summary>Per network interface present in both samples whose counters did not restart.</summary>
    public IReadOnlyList<InterfaceFigures> Interfaces { get; init; } = [];

    /// <summary>
    /// Share of the cgroup's CPU enforcement periods in which its quota held it back (<c>cpu_limit</c> at work), or
    /// null when unknown or no period elapsed (no quota set).
    /// </summary>
    public double? ThrottledPercent { get; init; }

    /// <summary>Per host block device the domain's cgroup did I/O on, present in both samples.</summary>
    public IReadOnlyList<HostIoFigures> HostIo { get; init; } = [];

    /// <summary>QEMU's resident memory at the later sample (guest RAM it touched and its own), or null when unknown.</summary>
    public long? RssKiB { get; init; }

    /// <summary>
    /// The figures between <paramref name="before"/> and <paramref name="after"/>, or null when they cannot be compared:
    /// another domain, a restarted domain (another QEMU process: its counters started again), or no time between them.
    /// </summary>
    public static DomainFigures? Between(DomainSample before, DomainSample after)
    {
        long elapsed = after.AtNs - before.AtNs;
        if (before.Domain != after.Domain || before.Pid != after.Pid || elapsed <= 0)
        {
            return null;
        }

        var vcpus = new List<VcpuFigures>();
        foreach (VcpuThread now in after.Vcpus)
        {
            if (before.Vcpus.FirstOrDefault(v => v.Vcpu == now.Vcpu && v.Tid == now.Tid) is not { } was)
            {
                continue;
            }

            if (Metrics.CpuUsedPercent(was.Schedstat, now.Schedstat, elapsed) is { } used
                && Metrics.CpuReadyPercent(was.Schedstat, now.Schedstat, elapsed) is { } ready)
            {
                vcpus.Add(new VcpuFigures(now.Vcpu, used, ready));
            }
        }

        double? overhead = after.Memory is { } memory && after.GuestMemoryKiB is { } guest ? Metrics.MemoryOverheadPercent(memory, guest) : null;
        return new DomainFigures(
            after.Domain,
            elapsed,
            vcpus,
            vcpus.Sum(v => v.UsedPercent),
            vcpus.Count == 0 ? 0 : vcpus.Average(v => v.ReadyPercent),
            vcpus.Count == 0 ? 0 : vcpus.Max(v => v.ReadyPercent),
            overhead)
        {
            // Over the interval between the two disk readings: the same as the rest, or none when no new one came.
            Disks = Pairs(before.Disks, after.Disks, d => d.Device,
                (was, now) => Metrics.Disk(was, now, (after.DisksAtNs ?? after.AtNs) - (before.DisksAtNs ?? before.AtNs))),
            Interfaces = Pairs(before.Interfaces, after.Interfaces, i => i.Device, (was, now) => Metrics.Interface(was, now, elapsed)),
            HostIo = Pairs(before.HostIo, after.HostIo, d => d.Device, (was, now) => Metrics.HostIo(was, now, elapsed)),
            RssKiB = after.RssKiB,
            ThrottledPercent = before.CgroupCpu is { } c0 && after.CgroupCpu is { } c1
                ? Counter.PercentOf(c0.ThrottledPeriods, c1.ThrottledPeriods, c0.Periods, c1.Periods)
                : null,
        };
    }

    /// <summary>The figures of each device of <paramref name="after"/> that <paramref name="before"/> also has, in after's order.</summary>
    private static List<TFigures> Pairs<TCounters, TFigures>(
        IReadOnlyList<TCounters> before, IReadOnlyList<TCounters> after, Func<TCounters, string> device, Func<TCounters, TCounters, TFigures?> between)
        where TFigures : class
    {
        var figures = new List<TFigures>(after.Count);
        foreach (TCounters now in after)
        {
            string name = device(now);
            foreach (TCounters was in before)
            {
                if (device(was) == name)
                {
                    if (between(was, now) is { } f)
                    {
                        figures.Add(f);
                    }

                    break;
                }
            }
        }

        return figures;
    }
}
