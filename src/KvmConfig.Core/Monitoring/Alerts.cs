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

/// <summary>On which side of its thresholds a figure is bad.</summary>
public enum AlertDirection
{
    /// <summary>Bad from the threshold up (CPU ready: "at 5 %").</summary>
    AtOrAbove,

    /// <summary>Bad above the threshold.</summary>
    Above,

    /// <summary>Bad below the threshold (page-reclaim efficiency).</summary>
    Below,
}

/// <summary>One threshold of a watched figure and the severity of crossing it.</summary>
/// <param name="Severity">Warning or critical.</param>
/// <param name="Threshold">In the figure's unit.</param>
public sealed record AlertLevel(AlertSeverity Severity, double Threshold);

/// <summary>
/// A figure an alert rule watches, at one interval, with the thresholds it is judged against, whether it crosses one
/// now or not: what <see cref="AlertTransitions"/> needs to hold an alert and to clear it only past a margin.
/// </summary>
/// <param name="Subject">The domain, <c>DOMAIN vcpu N</c>, <c>DOMAIN disk DEV</c>, <c>host</c> or <c>host disk DEV</c>.</param>
/// <param name="Metric">Which figure (<see cref="Alert.Metric"/>).</param>
/// <param name="Value">The figure over the interval.</param>
/// <param name="Direction">On which side of the thresholds it is bad.</param>
/// <param name="Levels">Its thresholds, least severe first.</param>
public sealed record AlertFigure(string Subject, string Metric, double Value, AlertDirection Direction, IReadOnlyList<AlertLevel> Levels)
{
    /// <summary>The best value the figure can have: 100 % for reclaim efficiency, 0 for the others.</summary>
    public double Ideal => Direction == AlertDirection.Below ? 100 : 0;

    /// <summary>Whether the figure is past <paramref name="level"/>'s threshold now.</summary>
    public bool Crosses(AlertLevel level) => Direction switch
    {
        AlertDirection.AtOrAbove => Value >= level.Threshold,
        AlertDirection.Above => Value > level.Threshold,
        _ => Value < level.Threshold,
    };

    /// <summary>
    /// Where an alert raised at <paramref name="level"/> clears: the threshold moved toward <see cref="Ideal"/> by
    /// <paramref name="marginPercent"/> % of the way (a 5 % ready warning with a 20 % margin clears below 4 %; an 85 %
    /// reclaim efficiency, above 88 %).
    /// </summary>
    public double ClearLevel(AlertLevel level, double marginPercent) =>
        level.Threshold + ((Ideal - level.Threshold) * marginPercent / 100);

    /// <summary>
    /// Whether the figure is back on the good side of <see cref="ClearLevel"/> (with no margin: no longer crossing).
    /// </summary>
    public bool Clears(AlertLevel level, double marginPercent)
    {
        double clear = ClearLevel(level, marginPercent);
        return !Crosses(level) && (marginPercent == 0 || (Direction == AlertDirection.Below ? Value > clear : Value < clear));
    }

    /// <summary>The alert of the most severe level crossed now, or null when none is.</summary>
    public Alert? Crossed() =>
        Levels.LastOrDefault(Crosses) is { } level ? At(level) : null;

    /// <summary>The alert of <paramref name="level"/> with the figure's value.</summary>
    public Alert At(AlertLevel level) => new(Subject, Metric, Value, level.Threshold, level.Severity);
}

/// <summary>
/// Compares figures with the thresholds of <c>[alerts]</c>, in the directions <see cref="AlertThresholds"/> documents:
/// CPU ready per vCPU <i>at</i> the warning or critical level, memory overhead, TCP retransmits and CPU pressure
/// <i>above</i>, reclaim efficiency <i>below</i>. <see cref="Of(DomainFigures, AlertThresholds)"/> says what crosses a
/// threshold in one interval (<c>top</c>); <see cref="Watch(DomainFigures, AlertThresholds)"/> gives every watched
/// figure, for <see cref="AlertTransitions"/> to hold and clear alerts over intervals (<c>serve</c>).
/// </summary>
public static class AlertRules
{
    /// <summary>The thresholds crossed in one interval by a domain: each vCPU's ready %, its memory overhead, its disks.</summary>
    public static IEnumerable<Alert> Of(DomainFigures domain, AlertThresholds thresholds) =>
        Watch(domain, thresholds).Select(f => f.Crossed()).OfType<Alert>();

    /// <summary>The host's thresholds crossed in one interval.</summary>
    public static IEnumerable<Alert> Of(HostFigures host, AlertThresholds thresholds) =>
        Watch(host, thresholds).Select(f => f.Crossed()).OfType<Alert>();

    /// <summary>Every figure of a domain that an alert watches, crossing or not.</summary>
    public static IEnumerable<AlertFigure> Watch(DomainFigures domain, AlertThresholds thresholds)
    {
        AlertLevel[] ready = [new(AlertSeverity.Warning, thresholds.ReadyWarningPercent), new(AlertSeverity.Critical, thresholds.ReadyCriticalPercent)];
        foreach (VcpuFigures vcpu in domain.Vcpus)
        {
            yield return new AlertFigure($"{domain.Domain} vcpu {vcpu.Vcpu}", "ready", vcpu.ReadyPercent, AlertDirection.AtOrAbove, ready);
        }

        if (domain.MemoryOverheadPercent is { } overhead)
        {
            yield return new AlertFigure(domain.Domain, "memory_overhead", overhead, AlertDirection.Above, [new(AlertSeverity.Warning, thresholds.MemoryOverheadPercent)]);
        }

        foreach (DiskFigures disk in domain.Disks)
        {
            yield return new AlertFigure($"{domain.Domain} disk {disk.Device}", Alert.DiskQueue, disk.QueueDepth, AlertDirection.Above,
                [new(AlertSeverity.Warning, thresholds.DiskQueueDepthRequests)]);
        }
    }

    /// <summary>Every host figure that an alert watches, crossing or not.</summary>
    public static IEnumerable<AlertFigure> Watch(HostFigures host, AlertThresholds thresholds)
    {
        if (host.TcpRetransmitPercent is { } retransmit)
        {
            yield return new AlertFigure("host", "tcp_retransmit", retransmit, AlertDirection.Above, [new(AlertSeverity.Warning, thresholds.TcpRetransmitPercent)]);
        }

        if (host.ReclaimEfficiencyPercent is { } efficiency)
        {
            yield return new AlertFigure("host", "reclaim_efficiency", efficiency, AlertDirection.Below, [new(AlertSeverity.Warning, thresholds.ReclaimEfficiencyPercent)]);
        }

        if (host.PressureSomePercent.TryGetValue(PressureResource.Cpu, out double cpu))
        {
            yield return new AlertFigure("host", "cpu_pressure", cpu, AlertDirection.Above, [new(AlertSeverity.Warning, thresholds.CpuPressurePercent)]);
        }

        foreach (HostDiskFigures disk in host.Disks)
        {
            // The average over the interval, or the queue right now when a burst has just built up.
            yield return new AlertFigure($"host disk {disk.Device}", Alert.DiskQueue, Math.Max(disk.QueueDepth, disk.InFlight), AlertDirection.Above,
                [new(AlertSeverity.Warning, thresholds.DiskQueueDepthRequests)]);
        }
    }
}
