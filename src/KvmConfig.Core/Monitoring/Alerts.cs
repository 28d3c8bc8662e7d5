using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Monitoring;

/// <summary>How bad an alert is.</summary>
public enum AlertSeverity
{
    /// <summary>Above (or below) the warning threshold.</summary>
    Warning,

    /// <summary>Above the critical threshold (CPU ready only has one).</summary>
    Critical,
}

/// <summary>One threshold crossed.</summary>
/// <param name="Subject">The domain, <c>DOMAIN vcpu N</c>, or <c>host</c>.</param>
/// <param name="Metric">Which figure: <c>ready</c>, <c>memory_overhead</c>, <c>tcp_retransmit</c>, <c>reclaim_efficiency</c>, <c>cpu_pressure</c>, <c>disk_queue</c>.</param>
/// <param name="Value">The figure, in percent (requests for <c>disk_queue</c>).</param>
/// <param name="Threshold">The threshold it crossed, in the figure's unit.</param>
/// <param name="Severity">Warning or critical.</param>
public sealed record Alert(string Subject, string Metric, double Value, double Threshold, AlertSeverity Severity)
{
    /// <inheritdoc />
    public override string ToString()
    {
        string unit = Metric == DiskQueue ? " requests" : " %";
        string direction = Metric switch
        {
            "reclaim_efficiency" => "below",
            "ready" => "at or above",
            _ => "above",
        };
        return $"{Severity.ToString().ToLowerInvariant()}: {Subject} {Metric} {Value:0.#}{unit} ({direction} {Threshold:0.#}{unit})";
    }

    /// <summary>The metric name of a block device's average queue depth above the threshold.</summary>
    public const string DiskQueue = "disk_queue";
}

/// <summary>
/// Compares figures with the thresholds of <c>[alerts]</c>, in the directions <see cref="AlertThresholds"/> documents:
/// CPU ready per vCPU <i>at</i> the warning or critical level, memory overhead, TCP retransmits and CPU pressure
/// <i>above</i>, reclaim efficiency <i>below</i>.
/// </summary>
public static class AlertRules
{
    /// <summary>The alerts of one domain: each vCPU's ready % and the domain's memory overhead.</summary>
    public static IEnumerable<Alert> Of(DomainFigures domain, AlertThresholds thresholds)
    {
        foreach (VcpuFigures vcpu in domain.Vcpus)
        {
            if (vcpu.ReadyPercent >= thresholds.ReadyCriticalPercent)
            {
                yield return new Alert($"{domain.Domain} vcpu {vcpu.Vcpu}", "ready", vcpu.ReadyPercent, thresholds.ReadyCriticalPercent, AlertSeverity.Critical);
            }
            else if (vcpu.ReadyPercent >= thresholds.ReadyWarningPercent)
            {
                yield return new Alert($"{domain.Domain} vcpu {vcpu.Vcpu}", "ready", vcpu.ReadyPercent, thresholds.ReadyWarningPercent, AlertSeverity.Warning);
            }
        }

        if (domain.MemoryOverheadPercent is { } overhead && overhead > thresholds.MemoryOverheadPercent)
        {
            yield return new Alert(domain.Domain, "memory_overhead", overhead, thresholds.MemoryOverheadPercent, AlertSeverity.Warning);
        }

        foreach (DiskFigures disk in domain.Disks)
        {
            if (disk.QueueDepth > thresholds.DiskQueueDepthRequests)
            {
                yield return new Alert($"{domain.Domain} disk {disk.Device}", Alert.DiskQueue, disk.QueueDepth, thresholds.DiskQueueDepthRequests, AlertSeverity.Warning);
            }
        }
    }

    /// <summary>The host's alerts.</summary>
    public static IEnumerable<Alert> Of(HostFigures host, AlertThresholds thresholds)
    {
        if (host.TcpRetransmitPercent is { } retransmit && retransmit > thresholds.TcpRetransmitPercent)
        {
            yield return new Alert("host", "tcp_retransmit", retransmit, thresholds.TcpRetransmitPercent, AlertSeverity.Warning);
        }

        if (host.ReclaimEfficiencyPercent is { } efficiency && efficiency < thresholds.ReclaimEfficiencyPercent)
        {
            yield return new Alert("host", "reclaim_efficiency", efficiency, thresholds.ReclaimEfficiencyPercent, AlertSeverity.Warning);
        }

        if (host.PressureSomePercent.TryGetValue(PressureResource.Cpu, out double cpu) && cpu > thresholds.CpuPressurePercent)
        {
            yield return new Alert("host", "cpu_pressure", cpu, thresholds.CpuPressurePercent, AlertSeverity.Warning);
        }

        foreach (HostDiskFigures disk in host.Disks)
        {
            // The average over the interval, or the queue right now when a burst has just built up.
            double depth = Math.Max(disk.QueueDepth, disk.InFlight);
            if (depth > thresholds.DiskQueueDepthRequests)
            {
                yield return new Alert($"host disk {disk.Device}", Alert.DiskQueue, depth, thresholds.DiskQueueDepthRequests, AlertSeverity.Warning);
            }
        }
    }
}
