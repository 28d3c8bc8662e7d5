namespace KvmConfig.Core.Forecasting;

/// <summary>
/// A measure at a regular step, as exponential smoothing needs it: value <c>i</c> is the mean of the samples taken in
/// <c>[Start + i x Step, Start + (i + 1) x Step)</c>, and stands for the middle of that bucket.
/// </summary>
/// <param name="Start">The start of the first bucket, UTC.</param>
/// <param name="Step">The width of a bucket.</param>
/// <param name="Values">One value per bucket, oldest first; no gaps (see <see cref="FromBuckets"/>).</param>
public sealed record RegularSeries(DateTimeOffset Start, TimeSpan Step, IReadOnlyList<double> Values)
{
    /// <summary>The time bucket <paramref name="index"/> stands for (its middle); an index past the end is a forecast's.</summary>
    public DateTimeOffset TimeOf(double index) => Start + (Step * (index + 0.5));

    /// <summary>The middle of the last bucket: where a forecast starts.</summary>
    public DateTimeOffset Origin => TimeOf(Values.Count - 1);

    /// <summary>
    /// The series of bucket means from running sums and counts (bucket <c>i</c>: <c>sums[i] / counts[i]</c>), with
    /// each run of empty buckets between two measured ones filled on the straight line between them (a VM stopped
    /// for a while, a sampler restarted); empty buckets before the first or after the last measured one are dropped,
    /// so the series starts and ends on a measurement. Null when no bucket was measured.
    /// </summary>
    public static RegularSeries? FromBuckets(DateTimeOffset start, TimeSpan step, IReadOnlyList<double> sums, IReadOnlyList<int> counts)
    {
        int first = -1;
        int last = -1;
        for (int i = 0; i < counts.Count; i++)
        {
            if (counts[i] > 0)
            {
                first = first < 0 ? i : first;
                last = i;
            }
        }

        if (first < 0)
        {
            return null;
        }

        var values = new double[last - first + 1];
        int previous = first;
        for (int i = first; i <= last; i++)
        {
            if (counts[i] == 0)
            {
                continue;
            }

            values[i - first] = sums[i] / counts[i];

            // The gap (previous, i) lies on the line from the previous measured bucket to this one.
            for (int g = previous + 1; g < i; g++)
            {
                double share = (double)(g - previous) / (i - previous);
                values[g - first] = values[previous - first] + (share * (values[i - first] - values[previous - first]));
            }

            previous = i;
        }

        return new RegularSeries(start + (step * first), step, values);
    }

    /// <summary>
    /// The value at <paramref name="at"/>: on the straight line between the middles of the buckets around it, the
    /// first or last value before the first middle or after the last.
    /// </summary>
    public double At(DateTimeOffset at)
    {
        double x = ((at - Start) / Step) - 0.5;
        if (x <= 0)
        {
            return Values[0];
        }

        if (x >= Values.Count - 1)
        {
            return Values[^1];
        }

        int i = (int)x;
        return Values[i] + ((x - i) * (Values[i + 1] - Values[i]));
    }

    /// <summary>
    /// The sum of <paramref name="parts"/> (one measure on several hosts) over the time all of them cover, at the
    /// coarsest of their steps, from the latest start: each part's value at a bucket's middle (<see cref="At"/>).
    /// Null when they share no whole bucket.
    /// </summary>
    public static RegularSeries? Sum(IReadOnlyList<RegularSeries> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        TimeSpan step = parts.Max(p => p.Step);
        DateTimeOffset start = parts.Max(p => p.Start);
        DateTimeOffset end = parts.Min(p => p.Start + (p.Step * p.Values.Count));
        int count = end > start ? (int)((end - start) / step) : 0;
        if (count < 1)
        {
            return null;
        }

        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            DateTimeOffset middle = start + (step * (i + 0.5));
            values[i] = parts.Sum(p => p.At(middle));
        }

        return new RegularSeries(start, step, values);
    }
}
