namespace KvmConfig.Monitoring.Prometheus;

/// <summary>The Prometheus metric types kvmconfig exposes.</summary>
public enum MetricType
{
    /// <summary>
    /// A monotonic total (name ends in <c>_total</c>) that only resets when its object is replaced; Prometheus computes
    /// rates with <c>rate()</c> and treats a decrease as a reset.
    /// </summary>
    Counter,

    /// <summary>A value that can go up and down, reported as it was at the last sweep.</summary>
    Gauge,
}

/// <summary>One label of a series: a name (<c>[a-zA-Z_][a-zA-Z0-9_]*</c>, not starting <c>__</c>) and any UTF-8 value.</summary>
/// <param name="Name">Label name, e.g. <c>domain</c>.</param>
/// <param name="Value">Label value, unescaped (the writer escapes backslash, double quote and newline).</param>
public readonly record struct MetricLabel(string Name, string Value);

/// <summary>One series of a family at this scrape: its labels and its value.</summary>
/// <param name="Labels">The labels that tell this series from the family's others; empty for a family of one series.</param>
/// <param name="Value">The value; NaN and infinities are allowed for gauges only.</param>
public sealed record MetricSample(IReadOnlyList<MetricLabel> Labels, double Value)
{
    /// <summary>A series without labels.</summary>
    public MetricSample(double value)
        : this([], value)
    {
    }
}

/// <summary>A metric family: one name, its help text and type, and every series of it in this scrape.</summary>
/// <param name="Name">Metric name (<c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>), unit in the name: <c>kvmconfig_vcpu_ready_seconds_total</c>.</param>
/// <param name="Type">Counter or gauge.</param>
/// <param name="Help">One-line description, unescaped (the writer escapes backslash and newline).</param>
/// <param name="Samples">The series, in any order: the writer sorts them.</param>
public sealed record MetricFamily(string Name, MetricType Type, string Help, IReadOnlyList<MetricSample> Samples);
