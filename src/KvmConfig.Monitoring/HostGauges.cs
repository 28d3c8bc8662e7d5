using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring;

/// <summary>
/// The host's figures over the sampler's last interval, in percent (DESIGN.md section 5), as the exporter exposes them
/// and the history keeps them. Each is null when the interval gave no value: no segment sent, no page scanned, a
/// kernel without pressure stall information, a counter that restarted.
/// </summary>
/// <param name="TcpRetransmitPercent">delta(RetransSegs) / delta(OutSegs) x 100 (<see cref="Metrics.TcpRetransmitPercent"/>).</param>
/// <param name="ReclaimEfficiencyPercent">delta(pgsteal) / delta(pgscan) x 100 (<see cref="Metrics.ReclaimEfficiencyPercent"/>).</param>
/// <param name="CpuPressure">Share of the interval tasks stalled waiting for a CPU.</param>
/// <param name="MemoryPressure">Share of the interval tasks stalled on memory (reclaim, refaults, swap-in).</param>
/// <param name="IoPressure">Share of the interval tasks stalled on block I/O.</param>
public sealed record HostGauges(
    double? TcpRetransmitPercent = null,
    double? ReclaimEfficiencyPercent = null,
    StallPercent? CpuPressure = null,
    StallPercent? MemoryPressure = null,
    StallPercent? IoPressure = null)
{
    /// <summary>
    /// The host's block devices over the interval (queue depth, latency, requests in flight), in the order read;
    /// empty when not read, and in history rows before schema 3.
    /// </summary>
    public IReadOnlyList<HostDiskFigures> Disks { get; init; } = [];

    /// <summary>Equal when every figure is and the disks are the same, in the same order.</summary>
    public bool Equals(HostGauges? other) =>
        other is not null
        && TcpRetransmitPercent == other.TcpRetransmitPercent
        && ReclaimEfficiencyPercent == other.ReclaimEfficiencyPercent
        && CpuPressure == other.CpuPressure
        && MemoryPressure == other.MemoryPressure
        && IoPressure == other.IoPressure
        && Disks.SequenceEqual(other.Disks);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(TcpRetransmitPercent, ReclaimEfficiencyPercent, CpuPressure, MemoryPressure, IoPressure, Disks.Count);

    /// <summary>The pressure of <paramref name="resource"/>, or null when unknown.</summary>
    public StallPercent? Pressure(PressureResource resource) => resource switch
    {
        PressureResource.Cpu => CpuPressure,
        PressureResource.Memory => MemoryPressure,
        PressureResource.Io => IoPressure,
        _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "not a pressure resource"),
    };
}

/// <summary>
/// One resource's pressure over an interval (<see cref="Metrics.PressurePercent"/> of a <c>/proc/pressure</c> file's lines).
/// </summary>
/// <param name="SomePercent">Share of the interval at least one task stalled on the resource, or null.</param>
/// <param name="FullPercent">Share of the interval all non-idle tasks stalled at once, or null (no <c>full</c> line).</param>
public readonly record struct StallPercent(double? SomePercent, double? FullPercent);
