namespace KvmConfig.Core.Monitoring;

/// <summary>The host-wide counters of one reading: TCP segments, page reclaim, and pressure stall (PSI) per resource.</summary>
/// <param name="AtNs">When it was taken, on the caller's monotonic clock.</param>
/// <param name="Tcp">From <c>/proc/net/snmp</c>.</param>
/// <param name="Reclaim">From <c>/proc/vmstat</c>.</param>
/// <param name="Pressure">From <c>/proc/pressure/{cpu,memory,io}</c>; a resource is missing on kernels without PSI.</param>
public sealed record HostSample(long AtNs, TcpSegmentCounters Tcp, PageReclaimCounters Reclaim, IReadOnlyDictionary<PressureResource, PressureStall> Pressure);

/// <summary>The host's figures over the interval between two samples; null where the interval gives no value.</summary>
/// <param name="TcpRetransmitPercent">Retransmitted of sent segments, null when nothing was sent.</param>
/// <param name="ReclaimEfficiencyPercent">Pages freed of pages scanned, null when nothing was scanned.</param>
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

        return new HostFigures(
            Metrics.TcpRetransmitPercent(before.Tcp, after.Tcp),
            Metrics.ReclaimEfficiencyPercent(before.Reclaim, after.Reclaim),
            pressure);
    }
}
