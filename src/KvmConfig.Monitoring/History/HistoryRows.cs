using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.History;

/// <summary>One domain's figures at one sweep, as the history keeps them (percentages to 0.01 point).</summary>
/// <param name="At">When the sweep was taken, UTC, to the millisecond.</param>
/// <param name="Domain">Domain name.</param>
/// <param name="CpuPercent">The vCPUs' run time together, percent of one CPU.</param>
/// <param name="ReadyPercent">Mean ready % over the vCPUs.</param>
/// <param name="ReadyPercentMax">The highest vCPU's ready %.</param>
/// <param name="MemoryOverheadPercent">(RSS - guest memory) / guest memory x 100, or null when unknown.</param>
/// <param name="Vcpus">Each vCPU's ready %, by vCPU number.</param>
public sealed record DomainHistoryRow(
    DateTimeOffset At,
    string Domain,
    double CpuPercent,
    double ReadyPercent,
    double ReadyPercentMax,
    double? MemoryOverheadPercent,
    IReadOnlyList<VcpuReady> Vcpus)
{
    /// <summary>
    /// Each guest block device, in the sampler's order: queue depth to 0.01 request, latency to the microsecond,
    /// throughput to the KiB/s (<see cref="DeviceFiguresCodec"/>). Empty for a domain without disks and in rows
    /// written before schema 2.
    /// </summary>
    public IReadOnlyList<DiskFigures> Disks { get; init; } = [];

    /// <summary>Each network interface, throughput to the KiB/s; empty when none, and before schema 2.</summary>
    public IReadOnlyList<InterfaceFigures> Interfaces { get; init; } = [];

    /// <summary>Share of CPU enforcement periods the cgroup's quota held it back; null when unknown, and before schema 2.</summary>
    public double? ThrottledPercent { get; init; }

    /// <summary>QEMU's resident memory, KiB; null when unknown, and before schema 3.</summary>
    public long? RssKiB { get; init; }
}

/// <summary>One vCPU's ready % at one sweep.</summary>
/// <param name="Vcpu">vCPU number.</param>
/// <param name="ReadyPercent">Share of the interval its thread was runnable but waited for a CPU.</param>
public readonly record struct VcpuReady(int Vcpu, double ReadyPercent);

/// <summary>The host's figures at one sweep.</summary>
/// <param name="At">When the sweep was taken, UTC, to the millisecond.</param>
/// <param name="Host">The figures (percentages to 0.01 point).</param>
public sealed record HostHistoryRow(DateTimeOffset At, HostGauges Host);

/// <summary>One alert transition the exporter logged (schema 2).</summary>
/// <param name="At">The sweep at which it happened, UTC, to the millisecond.</param>
/// <param name="Change">Raised (a crossing, or a change of severity) or cleared.</param>
/// <param name="Alert">The alert as raised, or, when cleared, as it was last raised.</param>
public sealed record AlertHistoryRow(DateTimeOffset At, AlertChange Change, Alert Alert);

/// <summary>What the history holds for a time range, oldest first.</summary>
/// <param name="Domains">Per domain per sweep, by time then domain name (ordinal).</param>
/// <param name="Host">Per sweep that had host figures, by time.</param>
public sealed record HistoryRows(IReadOnlyList<DomainHistoryRow> Domains, IReadOnlyList<HostHistoryRow> Host)
{
    /// <summary>The alert transitions, by time then in the order they were logged; empty before schema 2.</summary>
    public IReadOnlyList<AlertHistoryRow> Alerts { get; init; } = [];
}
