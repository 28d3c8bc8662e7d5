namespace KvmConfig.Monitoring.Reports;

/// <summary>One point of a chart's line.</summary>
/// <param name="At">When.</param>
/// <param name="Value">The figure, in the chart's unit.</param>
public readonly record struct ChartPoint(DateTimeOffset At, double Value);

/// <summary>
/// Bounds the points of a line for long ranges (a week of 10 s sweeps is 60480 per series) while keeping its spikes:
/// the range is cut into equal time buckets and each bucket keeps only its highest point, at the time it was taken.
/// A 30 s burst of CPU ready in a week therefore still reaches its height on the chart; a dip does not show, which
/// for figures whose alerts fire on highs is the right loss.
/// </summary>
/// <remarks>
/// Points are added one at a time, oldest first, so a report holds at most <c>maxPoints</c> per line whatever the
/// range: the points are kept as they come while there are at most <c>maxPoints</c>, and folded into the buckets
/// when one more arrives.
/// </remarks>
public sealed class Downsample
{
    private readonly DateTimeOffset _from;
    private readonly double _spanMs;
    private readonly int _maxPoints;
    private List<ChartPoint>? _raw = [];
    private ChartPoint?[]? _buckets;

    /// <summary>A line over <paramref name="from"/>..<paramref name="to"/> of at most <paramref name="maxPoints"/> points.</summary>
    public Downsample(DateTimeOffset from, DateTimeOffset to, int maxPoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPoints, 1);
        _from = from;
        _spanMs = Math.Max(1, (to - from).TotalMilliseconds);
        _maxPoints = maxPoints;
    }

    /// <summary>Points added.</summary>
    public int Count { get; private set; }

    /// <summary>The highest value added (negative infinity before the first).</summary>
    public double Peak { get; private set; } = double.NegativeInfinity;

    /// <summary>True once more than the bound was added and the line is cut into buckets.</summary>
    public bool Bucketed => _buckets is not null;

    /// <summary>
    /// The line: every point added when there were at most the bound; otherwise the highest point of each bucket
    /// that holds one (on a tie, the earliest), oldest first.
    /// </summary>
    public IReadOnlyList<ChartPoint> Points => _raw ?? [.. _buckets!.OfType<ChartPoint>()];

    /// <summary>The points of <paramref name="points"/> (oldest first) as <see cref="Points"/> gives them.</summary>
    public static IReadOnlyList<ChartPoint> Max(IEnumerable<ChartPoint> points, DateTimeOffset from, DateTimeOffset to, int maxPoints)
    {
        var line = new Downsample(from, to, maxPoints);
        foreach (ChartPoint point in points)
        {
            line.Add(point);
        }

        return line.Points;
    }

    /// <summary>The width of one bucket when <paramref name="from"/>..<paramref name="to"/> is cut into <paramref name="maxPoints"/>.</summary>
    public static TimeSpan BucketWidth(DateTimeOffset from, DateTimeOffset to, int maxPoints) => (to - from) / maxPoints;

    /// <summary>Adds a point, later than those added before.</summary>
    public void Add(ChartPoint point)
    {
        Count++;
        Peak = Math.Max(Peak, point.Value);
        if (_raw is not null)
        {
            _raw.Add(point);
            if (_raw.Count <= _maxPoints)
            {
                return;
            }

            _buckets = new ChartPoint?[_maxPoints];
            List<ChartPoint> raw = _raw;
            _raw = null;
            foreach (ChartPoint p in raw)
            {
                Fold(p);
            }

            return;
        }

        Fold(point);
    }

    // Bucket b holds [from + b x span / maxPoints, from + (b + 1) x span / maxPoints); the end of the range falls in
    // the last one. A later point replaces the kept one only when higher, so ties keep the earliest.
    private void Fold(ChartPoint point)
    {
        int b = Math.Clamp((int)((point.At - _from).TotalMilliseconds / _spanMs * _maxPoints), 0, _maxPoints - 1);
        if (_buckets![b] is not { } kept || point.Value > kept.Value)
        {
            _buckets[b] = point;
        }
    }
}
