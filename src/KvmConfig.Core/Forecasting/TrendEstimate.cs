namespace KvmConfig.Core.Forecasting;

/// <summary>
/// The straight-line trend of a whole history, with the daily profile taken out, and how sure it is: the question
/// "is this measure growing at all?" asked before any extrapolation. Exponential smoothing alone cannot answer it:
/// on a flat, noisy series its slope is whatever the noise left in it, and fourteen days of that slope can cross a
/// threshold the measure never approaches.
/// </summary>
/// <param name="Intercept">The line's value at index 0, season removed.</param>
/// <param name="Slope">Its slope, in the series' unit per step.</param>
/// <param name="StandardError">The slope's standard error, widened for correlated residuals (see <see cref="Of"/>).</param>
/// <param name="Profile">The seasonal profile by phase (index mod season length), centred on zero; empty without a season.</param>
public sealed record TrendEstimate(double Intercept, double Slope, double StandardError, IReadOnlyList<double> Profile)
{
    /// <summary>
    /// How many standard errors from zero the slope must be to count as a trend. With independent residuals a
    /// flat series passes by chance about 3 times in 1000; two is the textbook 95 % and lets one flat series in
    /// twenty grow.
    /// </summary>
    public const double SignificantT = 3;

    /// <summary>The slope over its standard error (0 when both are zero: a constant series).</summary>
    public double T => StandardError > 0 ? Math.Abs(Slope) / StandardError : Slope == 0 ? 0 : double.PositiveInfinity;

    /// <summary>True when the series grows or shrinks by more than its noise explains (<see cref="SignificantT"/>).</summary>
    public bool Significant => T >= SignificantT;

    /// <summary>
    /// Ordinary least squares of the series on its index and, with <paramref name="seasonLength"/> phases (0: none),
    /// one level per phase (index mod season length): the slope is the within-phase regression
    /// <c>sum (t - mean t of its phase)(y - mean y of its phase) / sum (t - mean t of its phase)^2</c>, the level of
    /// each phase its mean less the slope times its mean index; the profile is those levels less their mean.
    /// </summary>
    /// <remarks>
    /// The textbook standard error assumes independent residuals; measurements minutes apart are not. With lag-1
    /// autocorrelation <c>r</c> of the residuals the series holds about <c>n (1 - r) / (1 + r)</c> independent
    /// points, so the variance is widened by <c>(1 + r) / (1 - r)</c> (r taken in [0, 0.95]). That is not enough
    /// for a step change, whose residuals are two ramps: a week with a jump in the middle still looks like a trend
    /// here, and <see cref="Forecaster"/> asks each half of the history as well.
    /// </remarks>
    public static TrendEstimate Of(IReadOnlyList<double> values, int seasonLength)
    {
        int n = values.Count;
        int phases = Math.Max(1, seasonLength);
        double[] meanIndex = new double[phases];
        double[] meanValue = new double[phases];
        int[] counts = new int[phases];
        for (int t = 0; t < n; t++)
        {
            meanIndex[t % phases] += t;
            meanValue[t % phases] += values[t];
            counts[t % phases]++;
        }

        for (int p = 0; p < phases; p++)
        {
            meanIndex[p] = counts[p] > 0 ? meanIndex[p] / counts[p] : 0;
            meanValue[p] = counts[p] > 0 ? meanValue[p] / counts[p] : 0;
        }

        double sxy = 0;
        double sxx = 0;
        for (int t = 0; t < n; t++)
        {
            double dt = t - meanIndex[t % phases];
            sxy += dt * (values[t] - meanValue[t % phases]);
            sxx += dt * dt;
        }

        // A slope that moves the series by a billionth of its size over its length is rounding, not a trend.
        double slope = sxx > 0 ? sxy / sxx : 0;
        double size = values.Max(v => Math.Abs(v)) + 1;
        slope = Math.Abs(slope) * n <= 1e-9 * size ? 0 : slope;
        double[] levels = [.. Enumerable.Range(0, phases).Select(p => meanValue[p] - (slope * meanIndex[p]))];
        double intercept = levels.Average();
        double[] profile = seasonLength > 0 ? [.. levels.Select(l => l - intercept)] : [];

        double sse = 0;
        double lagged = 0;
        double previous = 0;
        for (int t = 0; t < n; t++)
        {
            double e = values[t] - levels[t % phases] - (slope * t);
            sse += e * e;
            lagged += t > 0 ? e * previous : 0;
            previous = e;
        }

        // Tiny sums are rounding, not noise: an exact line or season has no residual to speak of.
        double scale = values.Sum(v => v * v);
        sse = sse <= 1e-20 * Math.Max(scale, 1) ? 0 : sse;
        int freedom = n - 1 - phases;
        double variance = freedom > 0 ? sse / freedom : 0;
        double r = sse > 0 ? Math.Clamp(lagged / sse, 0, 0.95) : 0;
        double standardError = sxx > 0 ? Math.Sqrt(variance / sxx * (1 + r) / (1 - r)) : 0;
        return new TrendEstimate(intercept, slope, standardError, profile);
    }

    /// <summary>The profile's value at index <paramref name="t"/> (0 without a season).</summary>
    public static double Season(IReadOnlyList<double> profile, int t) => profile.Count == 0 ? 0 : profile[t % profile.Count];
}
