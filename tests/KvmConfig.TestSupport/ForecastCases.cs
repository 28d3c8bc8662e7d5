namespace KvmConfig.TestSupport;

/// <summary>
/// One generated history with its answer known by construction: a noise-free <see cref="Truth"/> (a measure in
/// percent over days from <see cref="ForecastCases.T0"/>), the noise added to it, and when the truth first reaches
/// <see cref="Threshold"/> after the history ends.
/// </summary>
/// <param name="Name">What it is, e.g. <c>linear-07</c>; also a valid domain name.</param>
/// <param name="Description">In prose: the shape and the day it crosses.</param>
/// <param name="Truth">The value at a time, in days from <see cref="ForecastCases.T0"/>.</param>
/// <param name="NoiseSd">Standard deviation of the Gaussian noise added to each sample.</param>
/// <param name="Seed">Seed of the noise.</param>
/// <param name="Threshold">The threshold forecast against.</param>
public sealed record ForecastCase(string Name, string Description, Func<double, double> Truth, double NoiseSd, int Seed, double Threshold)
{
    /// <summary>The samples: one per <paramref name="interval"/> over <paramref name="days"/>, truth plus noise, never below 0.</summary>
    public IEnumerable<(DateTimeOffset At, double Value)> Samples(double days, TimeSpan interval)
    {
        var random = new Random(Seed);
        int count = (int)(TimeSpan.FromDays(days) / interval);
        for (int i = 0; i < count; i++)
        {
            DateTimeOffset at = ForecastCases.T0 + (interval * i);
            double t = (at - ForecastCases.T0).TotalDays;
            yield return (at, Math.Max(0, Truth(t) + (NoiseSd * Gaussian(random))));
        }
    }

    /// <summary>When the truth first reaches the threshold after <paramref name="days"/> of history, within <paramref name="horizon"/>; null when it does not.</summary>
    public DateTimeOffset? TrueCrossing(double days, TimeSpan horizon)
    {
        for (double minute = 0; minute <= horizon.TotalMinutes; minute++)
        {
            double t = days + (minute / 1440);
            if (Truth(t) >= Threshold)
            {
                return ForecastCases.T0 + TimeSpan.FromDays(t);
            }
        }

        return null;
    }

    /// <summary>The name, so that a test case shows as it.</summary>
    public override string ToString() => Name;

    // Box-Muller: a standard normal from two uniforms.
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>
/// The generated histories the forecasts are tested and backtested on (issue 16): seven days of a measure in
/// percent against a threshold of 5 (the default CPU ready warning), of four kinds with fixed seeds:
/// <list type="bullet">
/// <item><c>linear</c>: straight growth from 0.5-2 % that reaches 5 % a known 2 to 10 days after the history ends; noise
/// from 0.05 to 0.5 points.</item>
/// <item><c>daily</c>: the same growth with a daily cycle of 0.3 to 1 point peaking at 14:00, so the first
/// crossing is at an afternoon peak.</item>
/// <item><c>step</c>: growth with a jump of 0.5 to 1.5 points on day 4 (a VM moved here, a new job), after which it
/// keeps growing.</item>
/// <item><c>flat</c>: a constant of 1 to 3 % with noise, some with a daily cycle, that never crosses.</item>
/// </list>
/// </summary>
public static class ForecastCases
{
    /// <summary>Where every generated history starts.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Days of history generated.</summary>
    public const double HistoryDays = 7;

    /// <summary>The threshold of every case.</summary>
    public const double Threshold = 5;

    /// <summary>The cases that cross within 14 days of the history's end.</summary>
    public static IReadOnlyList<ForecastCase> Crossing { get; } = [.. Linear(), .. Daily(), .. Step()];

    /// <summary>The flat cases: none crosses.</summary>
    public static IReadOnlyList<ForecastCase> Flat { get; } = [.. FlatCases()];

    private static IEnumerable<ForecastCase> Linear()
    {
        var random = new Random(16);
        for (int i = 0; i < 15; i++)
        {
            double start = 0.5 + (1.5 * random.NextDouble());
            double crossDay = HistoryDays + 2 + (8 * random.NextDouble());
            double slope = (Threshold - start) / crossDay;
            double noise = 0.05 + (0.45 * random.NextDouble());
            yield return new ForecastCase($"linear-{i:00}", $"from {start:0.00} % by {slope:0.000} points a day, crossing on day {crossDay:0.0}; noise {noise:0.00}",
                t => start + (slope * t), noise, 100 + i, Threshold);
        }
    }

    private static IEnumerable<ForecastCase> Daily()
    {
        var random = new Random(17);
        for (int i = 0; i < 15; i++)
        {
            double amplitude = 0.3 + (0.7 * random.NextDouble());
            double start = 0.5 + (1.0 * random.NextDouble());
            double crossDay = HistoryDays + 2 + (8 * random.NextDouble());
            double slope = (Threshold - amplitude - start) / crossDay;
            double noise = 0.05 + (0.35 * random.NextDouble());
            yield return new ForecastCase($"daily-{i:00}", $"from {start:0.00} % by {slope:0.000} a day with a daily cycle of {amplitude:0.00} peaking at 14:00; noise {noise:0.00}",
                t => start + (slope * t) + (amplitude * Math.Cos(2 * Math.PI * (t - (14.0 / 24)))), noise, 200 + i, Threshold);
        }
    }

    private static IEnumerable<ForecastCase> Step()
    {
        var random = new Random(18);
        for (int i = 0; i < 10; i++)
        {
            double jump = 0.5 + random.NextDouble();
            double start = 0.5 + random.NextDouble();
            double crossDay = HistoryDays + 2 + (8 * random.NextDouble());
            double slope = (Threshold - jump - start) / crossDay;
            double noise = 0.05 + (0.3 * random.NextDouble());
            yield return new ForecastCase($"step-{i:00}", $"from {start:0.00} % by {slope:0.000} a day, up {jump:0.00} on day 4; noise {noise:0.00}",
                t => start + (slope * t) + (t >= 4 ? jump : 0), noise, 300 + i, Threshold);
        }
    }

    private static IEnumerable<ForecastCase> FlatCases()
    {
        var random = new Random(19);
        for (int i = 0; i < 12; i++)
        {
            double level = 1 + (2 * random.NextDouble());
            double amplitude = i % 2 == 0 ? 0 : 0.5 * random.NextDouble();
            double noise = 0.1 + (0.4 * random.NextDouble());
            yield return new ForecastCase($"flat-{i:00}", $"{level:0.00} %{(amplitude > 0 ? $" with a daily cycle of {amplitude:0.00}" : "")}; noise {noise:0.00}",
                t => level + (amplitude * Math.Cos(2 * Math.PI * t)), noise, 400 + i, Threshold);
        }
    }
}
