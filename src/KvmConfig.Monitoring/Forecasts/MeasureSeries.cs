using KvmConfig.Core.Forecasting;

namespace KvmConfig.Monitoring.Forecasts;

/// <summary>
/// One measure's samples folded into time buckets as they are read (a running sum and count per bucket), so that a
/// week of 10 s sweeps costs one bucket an hour, not 60,480 values.
/// </summary>
/// <param name="start">The start of the first bucket.</param>
/// <param name="step">The width of a bucket.</param>
/// <param name="buckets">How many buckets the history spans.</param>
internal sealed class MeasureSeries(DateTimeOffset start, TimeSpan step, int buckets)
{
    private readonly double[] _sums = new double[buckets];
    private readonly int[] _counts = new int[buckets];
    private DateTimeOffset? _lastSweep;

    /// <summary>Samples taken.</summary>
    public int Samples { get; private set; }

    /// <summary>The first sample's time.</summary>
    public DateTimeOffset First { get; private set; }

    /// <summary>The last sample's time.</summary>
    public DateTimeOffset Last { get; private set; }

    /// <summary>The highest threshold seen for it (a VM's CPU saturation grows with its vCPUs), or null.</summary>
    public double? Threshold { get; set; }

    /// <summary>Takes a sample at <paramref name="at"/>.</summary>
    public void Add(DateTimeOffset at, double value)
    {
        int b = Bucket(at);
        _sums[b] += value;
        _counts[b]++;
        Count(at);
    }

    /// <summary>
    /// Adds <paramref name="value"/> to the sweep at <paramref name="at"/> (for a total over domains): the bucket's
    /// sum takes every part, its count each sweep once, so the bucket's mean is the mean of the sweeps' totals.
    /// </summary>
    public void AddToSweep(DateTimeOffset at, double value)
    {
        int b = Bucket(at);
        _sums[b] += value;
        if (_lastSweep != at)
        {
            _counts[b]++;
            _lastSweep = at;
            Count(at);
        }
    }

    /// <summary>The regular series of bucket means, gaps filled (<see cref="RegularSeries.FromBuckets"/>).</summary>
    public RegularSeries? Series() => RegularSeries.FromBuckets(start, step, _sums, _counts);

    private int Bucket(DateTimeOffset at) => Math.Clamp((int)((at - start) / step), 0, _counts.Length - 1);

    private void Count(DateTimeOffset at)
    {
        First = Samples == 0 ? at : First;
        Last = at;
        Samples++;
    }
}
