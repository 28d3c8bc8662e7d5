namespace KvmConfig.Core.Monitoring;

/// <summary>
/// The host-wide counters of one reading: TCP segments, page reclaim, and pressure stall (PSI) per resource. A host
/// sampled through libvirt alone (a remote host: its <c>/proc</c> is not ours to read) has none of them: null counters,
/// no pressure, no block devices.
/// </summary>
/// <param name="AtNs">When it was taken, on the caller's monotonic clock.</param>
/// <param name="Tcp">From <c>/proc/net/snmp</c>; null when not read (a remote host).</param>
/// <param name="Reclaim">From <c>/proc/vmstat</c>; null when not read (a remote host).</param>
/// <param name="Pressure">From <c>/proc/pressure/{cpu,memory,io}</c>; a resource is missing on kernels without PSI, all on a remote host.</param>
public sealed record HostSample(long AtNs, TcpSegmentCounters? Tcp, PageReclaimCounters? Reclaim, IReadOnlyDictionary<PressureResource, PressureStall> Pressure)
{
    /// <summary>The host's block devices from <c>/proc/diskstats</c>; empty when not read.</summary>
    public IReadOnlyList<DiskStats> Disks { get; init; } = [];
}

/// <summary>One host block device over an interval (<c>/proc/diskstats</c>).</summary>
/// <param name="Device">Kernel name, e.g. <c>sda</c>, <c>nvme0n1</c>, <c>dm-2</c>.</param>
/// <param name="InFlight">Requests in flight at the later reading (the instantaneous queue depth).</param>
/// <param name="QueueDepth">Average requests in flight over the interval (iostat's aqu-sz).</param>
/// <param name="LatencyMs">Average time a read or write took, ms; null when none completed.</param>
public sealed record HostDiskFigures(string Device, ulong InFlight, double QueueDepth, double? LatencyMs);

/// <summary>The host's figures over the interval between two samples; null where the interval gives no value.</summary>
/// <param name="TcpRetransmitPercent">Retransmitted of sent segments, null when nothing was sent or the counters were not read.</param>
/// <param name="ReclaimEfficiencyPercent">Pages freed of pages scanned, null when nothing was scanned or the counters were not read.</param>
/// <param name="PressureSomePercent">Per resource, the share of the interval in which some task stalled on it.</param>
public sealed record HostFigures(double? TcpRetransmitPercent, double? ReclaimEfficiencyPercent, IReadOnlyDictionary<PressureResource, double> PressureSomePercent)
{
    /// <summary>The figures between two host samples, or null when no time passed between them.</summary>
    public static HostFigures? Between(HostSample before, HostSample after)
    {
        long elapsed = after.AtNs - before.AtNs;
        if (elapsed <= 0)
        {
            return null;
        }

        var pressure = new Dictionary<PressureResource, double>();
        foreach ((PressureResource resource, PressureStall now) in after.Pressure)
        {
            if (before.Pressure.TryGetValue(resource, out PressureStall? was) && was.Some is { } s0 && now.Some is { } s1
                && Metrics.PressurePercent(s0, s1, elapsed) is { } percent)
            {
                pressure[resource] = percent;
            }
        }

        var disks = new List<HostDiskFigures>();
        foreach (DiskStats now in after.Disks)
        {
            if (before.Disks.FirstOrDefault(d => d.Name == now.Name) is { } was
                && Metrics.AverageQueueDepth(was, now, elapsed) is { } depth)
            {
                disks.Add(new HostDiskFigures(now.Name, now.InFlight, depth, Metrics.AverageIoLatencyMs(was, now)));
            }
        }

        return new HostFigures(
            before.Tcp is { } tcp0 && after.Tcp is { } tcp1 ? Metrics.TcpRetransmitPercent(tcp0, tcp1) : null,
            before.Reclaim is { } reclaim0 && after.Reclaim is { } reclaim1 ? Metrics.ReclaimEfficiencyPercent(reclaim0, reclaim1) : null,
            pressure)
        {
            Disks = disks,
        };
    }

    /// <summary>Per host block device present in both readings whose counters did not restart.</summary>
    public IReadOnlyList<HostDiskFigures> Disks { get; init; } = [];
}
