using System.Globalization;

namespace KvmConfig.Core.Forecasting;

/// <summary>
/// Forecasts a measure from its history, and when it will reach a threshold. The steps:
/// <list type="number">
/// <item>The history is averaged into a regular series (<see cref="StepFor"/>): hourly with a daily season of 24
/// steps when it spans at least <see cref="SeasonalHistory"/> (two seasons, the least from which a season can be
/// told from a trend); otherwise a finer step and no season.</item>
/// <item>The straight-line trend of the whole series (season removed) is tested against its noise
/// (<see cref="TrendEstimate"/>), and each half of the history on its own: only a trend significant over the whole
/// and present in both halves is extrapolated. A flat series, however noisy, and a step between two flat stretches
/// are then forecast flat and never cross a threshold they have not reached.</item>
/// <item>Exponential smoothing (<see cref="ExponentialSmoothing"/>) with that trend and season, its parameters fitted
/// by one-step-ahead squared error, starts from the trend line and the seasonal profile of step 2.</item>
/// <item>The prediction interval at h steps is the point forecast plus or minus <see cref="Z"/> times the root of
/// the model's variance (Hyndman and Athanasopoulos, Table 8.8) plus, with a trend, the variance of the trend's
/// estimate carried h steps, (h x standard error)^2: the table counts future noise, not the error in the slope,
/// which over a horizon of days is the larger part.</item>
/// <item>The crossing is the first time the point forecast reaches the threshold (interpolated within a step);
/// its interval runs from when the upper band reaches it to when the lower band does.</item>
/// </list>
/// Pure: values in, forecast out.
/// </summary>
public static class Forecaster
{
    /// <summary>The least history with a daily season: two days, so that two of each hour can be compared.</summary>
    public static readonly TimeSpan SeasonalHistory = TimeSpan.FromDays(2);

    /// <summary>The least history with a trend: ten minutes ...</summary>
    public static readonly TimeSpan TrendHistory = TimeSpan.FromMinutes(10);

    /// <summary>... and this many sweeps in it.</summary>
    public const int TrendSweeps = 24;

    /// <summary>Normal quantile of a 95 % prediction interval.</summary>
    public const double Z = 1.96;

    /// <summary>Forecast points kept across the horizon (for charts and JSON); the crossing is found at every step.</summary>
    public const int MaxPoints = 120;

    /// <summary>The season length in steps when there is one: a day of hourly steps.</summary>
    public const int DailySeason = 24;

    // Steps a short history may be averaged to; the smallest that holds a sweep and leaves at most 240 values.
    private static readonly TimeSpan[] ShortSteps = [.. new[] { 10, 30, 60, 120, 300, 600, 900, 1800, 3600 }.Select(s => TimeSpan.FromSeconds(s))];

    /// <summary>
    /// Why a history from <paramref name="first"/> to <paramref name="last"/> with <paramref name="sweeps"/> sweeps
    /// is too short to forecast, saying how much is needed; null when it is long enough.
    /// </summary>
    public static string? TooShort(DateTimeOffset first, DateTimeOffset last, int sweeps)
    {
        TimeSpan span = last - first;
        return span >= TrendHistory && sweeps >= TrendSweeps
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{sweeps} sweeps over {Show(span)} are too few to forecast: a trend needs at least {TrendSweeps} sweeps over {Show(TrendHistory)}, a daily season at least {Show(SeasonalHistory)}");
    }

    /// <summary>
    /// The step a history spanning <paramref name="span"/> at about <paramref name="sweepInterval"/> is averaged to, and its season
    /// length in steps (0: none): hourly with a daily season from <see cref="SeasonalHistory"/>, else the smallest of
    /// 10 s, 30 s, 1, 2, 5, 10, 15, 30 min and 1 h that is at least a sweep and leaves at most 240 steps.
    /// </summary>
    public static (TimeSpan Step, int SeasonLength) StepFor(TimeSpan span, TimeSpan sweepInterval)
    {
        if (span >= SeasonalHistory)
        {
            return (TimeSpan.FromHours(1), DailySeason);
        }

        TimeSpan least = sweepInterval > span / 240 ? sweepInterval : span / 240;
        return (ShortSteps.FirstOrDefault(s => s >= least, ShortSteps[^1]), 0);
    }

    /// <summary>
    /// The forecast of <paramref name="series"/> for <paramref name="horizon"/> after its last value, and when it
    /// reaches <paramref name="threshold"/> (none: no crossing). <paramref name="seasonLength"/> from
    /// <see cref="StepFor"/>; a series shorter than two seasons is forecast without one. The forecast and its band
    /// are cut at <paramref name="lowest"/> (0 for a measure that cannot be negative: a falling trend levels out
    /// there; the cut moves no upward crossing of a threshold above it).
    /// </summary>
    public static SeriesForecast Run(RegularSeries series, int seasonLength, double? threshold, TimeSpan horizon, double lowest = double.NegativeInfinity)
    {
        IReadOnlyList<double> values = series.Values;
        int m = seasonLength > 0 && values.Count >= 2 * seasonLength ? seasonLength : 0;
        TrendEstimate line = TrendEstimate.Of(values, m);
        bool trend = line.Significant && BothHalvesAgree(values, m, line.Slope);
        ForecastMethod method = (trend, m > 0) switch
        {
            (true, true) => ForecastMethod.HoltWinters,
            (false, true) => ForecastMethod.SeasonalLevel,
            (true, false) => ForecastMethod.Holt,
            (false, false) => ForecastMethod.Level,
        };

        // The states before the first value: the trend line one step before index 0 (or the mean of the first values
        // less their season, without a trend), the profile by phase.
        double slope = trend ? line.Slope : 0;
        double level = trend
            ? line.Intercept - line.Slope
            : values.Take(Math.Max(m, 12)).Select((v, t) => v - TrendEstimate.Season(line.Profile, t)).Average();
        ExponentialSmoothing model = ExponentialSmoothing.Fit(values, trend, line.Profile, level, slope);

        int steps = Math.Max(1, (int)Math.Ceiling(horizon / series.Step));
        double slopeVariance = trend ? line.StandardError * line.StandardError : 0;
        ForecastPoint At(int h)
        {
            double value = model.Point(h);
            double half = h == 0 ? 0 : Z * Math.Sqrt(model.Variance(h) + (h * (double)h * slopeVariance));
            return new ForecastPoint(series.TimeOf(values.Count - 1 + h), Math.Max(lowest, value), Math.Max(lowest, value - half), Math.Max(lowest, value + half));
        }

        var points = new List<ForecastPoint>();
        int every = Math.Max(1, (int)Math.Ceiling(steps / (double)MaxPoints));
        for (int h = every; h < steps; h += every)
        {
            points.Add(At(h));
        }

        points.Add(At(steps));
        Crossing? crossing = threshold is { } limit ? Cross(At, steps, limit) : null;
        double perDay = TimeSpan.FromDays(1) / series.Step;
        return new SeriesForecast(method, Note(method, series, m, line), model, line, series.Step, series.Origin, model.Point(0),
            model.Slope * perDay, points, crossing);
    }

    // A trend holds in both halves of the history (each on whole seasons): each half's own slope has the whole's sign
    // and is at least two of its standard errors from zero. A step change (a VM moved in) makes a line through the whole
    // history steep while each side of the step is flat; growth is growth on both sides.
    private static bool BothHalvesAgree(IReadOnlyList<double> values, int m, double slope)
    {
        // Each half needs two seasons (or 12 steps) of its own; a shorter history is judged whole.
        int half = m > 0 ? values.Count / 2 / m * m : values.Count / 2;
        if (half < 2 * Math.Max(m, 6))
        {
            return true;
        }

        TrendEstimate first = TrendEstimate.Of([.. values.Take(half)], m);
        TrendEstimate second = TrendEstimate.Of([.. values.Skip(values.Count - half)], m);
        return first.T >= 2 && second.T >= 2 && Math.Sign(first.Slope) == Math.Sign(slope) && Math.Sign(second.Slope) == Math.Sign(slope);
    }

    // The first crossing of each of the point, the upper and the lower band, each interpolated within its step.
    private static Crossing Cross(Func<int, ForecastPoint> at, int steps, double threshold)
    {
        ForecastPoint now = at(0);
        if (now.Value >= threshold)
        {
            return new Crossing(threshold, CrossingStatus.Already, null, null, null);
        }

        DateTimeOffset? point = null;
        DateTimeOffset? upper = null;
        DateTimeOffset? lower = null;
        ForecastPoint previous = now;
        for (int h = 1; h <= steps && lower is null; h++)
        {
            ForecastPoint next = at(h);
            point ??= Reached(previous, next, p => p.Value, threshold);
            upper ??= Reached(previous, next, p => p.Upper, threshold);
            lower ??= Reached(previous, next, p => p.Lower, threshold);
            previous = next;
        }

        return new Crossing(threshold, point is null ? CrossingStatus.NotWithinHorizon : CrossingStatus.Expected, point, upper, lower);
    }

    private static DateTimeOffset? Reached(ForecastPoint before, ForecastPoint after, Func<ForecastPoint, double> of, double threshold)
    {
        double a = of(before);
        double b = of(after);
        if (b < threshold)
        {
            return null;
        }

        double share = a >= threshold || b == a ? 0 : (threshold - a) / (b - a);
        return before.At + ((after.At - before.At) * share);
    }

    private static string Note(ForecastMethod method, RegularSeries series, int m, TrendEstimate line)
    {
        TimeSpan span = series.Step * series.Values.Count;
        string season = m > 0
            ? $"daily season of {m} steps of {Show(series.Step)}"
            : $"no season: {Show(span)} of history, a daily season needs {Show(SeasonalHistory)}";
        string trend = line.Significant
            ? string.Create(CultureInfo.InvariantCulture, $"trend {line.T:0.#} standard errors from zero")
            : string.Create(CultureInfo.InvariantCulture, $"no trend: the slope is {line.T:0.#} standard errors from zero, under {TrendEstimate.SignificantT}");
        return $"{Name(method)}; {season}; {trend}";
    }

    /// <summary>The method's name as the report prints it.</summary>
    public static string Name(ForecastMethod method) => method switch
    {
        ForecastMethod.HoltWinters => "Holt-Winters (additive, daily season)",
        ForecastMethod.SeasonalLevel => "level and daily season (no trend)",
        ForecastMethod.Holt => "Holt (linear trend, no season)",
        _ => "level only (no trend, no season)",
    };

    /// <summary>The method's name in JSON documents: <c>holt-winters</c>, <c>seasonal-level</c>, <c>holt</c>, <c>level</c>.</summary>
    public static string Id(ForecastMethod method) => method switch
    {
        ForecastMethod.HoltWinters => "holt-winters",
        ForecastMethod.SeasonalLevel => "seasonal-level",
        ForecastMethod.Holt => "holt",
        _ => "level",
    };

    /// <summary>A duration as forecasts print it: 2d, 36h, 15m, 40s.</summary>
    public static string Show(TimeSpan d) =>
        d.TotalDays >= 1 && Math.Abs(d.TotalDays - Math.Round(d.TotalDays)) < 1e-9 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalDays:0}d")
        : d.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalHours:0.#}h")
        : d.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{d.TotalMinutes:0.#}m")
        : string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.#}s");
}
