namespace KvmConfig.Core.Forecasting;

/// <summary>Which exponential smoothing a forecast used (see <see cref="Forecaster.Run"/> for how it is chosen).</summary>
public enum ForecastMethod
{
    /// <summary>Additive Holt-Winters: level, trend and a daily season, ETS(A,A,A).</summary>
    HoltWinters,

    /// <summary>Level and a daily season, no trend (the history does not grow by more than its noise), ETS(A,N,A).</summary>
    SeasonalLevel,

    /// <summary>Holt's linear trend, no season (the history is shorter than two days), ETS(A,A,N).</summary>
    Holt,

    /// <summary>Level only: no season and no significant trend, ETS(A,N,N).</summary>
    Level,
}

/// <summary>Where a forecast stands with a threshold.</summary>
public enum CrossingStatus
{
    /// <summary>The smoothed current value is already at or above it.</summary>
    Already,

    /// <summary>The point forecast reaches it within the horizon.</summary>
    Expected,

    /// <summary>The point forecast does not reach it within the horizon (the upper band may: <see cref="Crossing.Earliest"/>).</summary>
    NotWithinHorizon,
}

/// <summary>
/// When a forecast first reaches a threshold (upward: every forecast threshold warns above), with an interval: the
/// earliest is when the upper prediction band reaches it, the latest when the lower band does (null when the lower
/// band stays below it for the whole horizon: "not within the horizon").
/// </summary>
/// <param name="Threshold">The threshold, in the measure's unit.</param>
/// <param name="Status">Already reached, expected within the horizon, or not.</param>
/// <param name="At">When the point forecast reaches it; null unless <see cref="CrossingStatus.Expected"/>.</param>
/// <param name="Earliest">When the upper band reaches it; null when it never does within the horizon.</param>
/// <param name="Latest">When the lower band reaches it; null when it never does within the horizon.</param>
public sealed record Crossing(double Threshold, CrossingStatus Status, DateTimeOffset? At, DateTimeOffset? Earliest, DateTimeOffset? Latest)
{
    /// <summary>Sort key, most urgent first: already reached, then expected by time, then by when the upper band reaches it, then the rest.</summary>
    public (int, DateTimeOffset) Urgency => this switch
    {
        { Status: CrossingStatus.Already } => (0, DateTimeOffset.MinValue),
        { Status: CrossingStatus.Expected, At: { } at } => (1, at),
        { Earliest: { } earliest } => (2, earliest),
        _ => (3, DateTimeOffset.MinValue),
    };
}

/// <summary>One step of a forecast: the point and its prediction interval.</summary>
/// <param name="At">The time it stands for.</param>
/// <param name="Value">The point forecast.</param>
/// <param name="Lower">The lower end of the interval.</param>
/// <param name="Upper">The upper end.</param>
public readonly record struct ForecastPoint(DateTimeOffset At, double Value, double Lower, double Upper);

/// <summary>A measure's forecast from its history.</summary>
/// <param name="Method">The smoothing used.</param>
/// <param name="Note">Why the method was chosen, in a sentence (the history too short for a season, no significant trend).</param>
/// <param name="Model">The fitted model: parameters and final states.</param>
/// <param name="Trend">The straight-line trend and its significance.</param>
/// <param name="Step">The series' step.</param>
/// <param name="Origin">The time of the last value: the forecast starts after it.</param>
/// <param name="Current">The smoothed last value.</param>
/// <param name="SlopePerDay">The trend the forecast extrapolates, per day (0 without a trend).</param>
/// <param name="Points">The forecast at most <see cref="Forecaster.MaxPoints"/> times across the horizon, evenly, the last at its end.</param>
/// <param name="Crossing">When it reaches the threshold; null when there is none.</param>
public sealed record SeriesForecast(
    ForecastMethod Method,
    string Note,
    ExponentialSmoothing Model,
    TrendEstimate Trend,
    TimeSpan Step,
    DateTimeOffset Origin,
    double Current,
    double SlopePerDay,
    IReadOnlyList<ForecastPoint> Points,
    Crossing? Crossing)
{
    /// <summary>The forecast at the end of the horizon.</summary>
    public ForecastPoint End => Points[^1];
}
