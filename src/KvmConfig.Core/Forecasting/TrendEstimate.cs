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
    /// Ordinary least squares of the series on its index, with a seasonal profile of <paramref name="seasonLength"/>
    /// phases (0: none) fitted by alternation: the line on the series less the profile, then the profile as the mean
    /// residual of each phase, three rounds (the profile of whole seasons does not change the slope, so this settles
    /// at once; partial seasons move it slightly).
    /// </summary>
    /// <remarks>
    /// The textbook standard error assumes independent residuals; measurements minutes apart are not. With lag-1
    /// autocorrelation <c>r</c> of the residuals the series holds about <c>n (1 - r) / (1 + r)</c> independent
    /// points, so the variance is widened by <c>(1 + r) / (1 - r)</c> (r taken in [0, 0.95]). A step change
    /// leaves long runs of residuals of one sign (r near 1): its "slope" is then not significant, which is right.
    /// </remarks>
    public static TrendEstimate Of(IReadOnlyList<double> values, int seasonLength)
    {
        int n = values.Count;
        double[] profile = new double[seasonLength];
        double intercept = 0;
        double slope = 0;
        for (int round = 0; round < (seasonLength > 0 ? 3 : 1); round++)
        {
            (intercept, slope) = Line(values, profile);
            if (seasonLength > 0)
            {
                profile = PhaseMeans(values, intercept, slope, seasonLength);
            }
        }

        double sxx = 0;
        double meanIndex = (n - 1) / 2.0;
        double sse = 0;
        double lagged = 0;
        double previous = 0;
        for (int t = 0; t < n; t++)
        {
            sxx += (t - meanIndex) * (t - meanIndex);
            double e = values[t] - Season(profile, t) - intercept - (slope * t);
            sse += e * e;
            lagged += t > 0 ? e * previous : 0;
            previous = e;
        }

        int freedom = n - 2 - Math.Max(0, seasonLength - 1);
        double variance = freedom > 0 ? sse / freedom : 0;
        double r = sse > 0 ? Math.Clamp(lagged / sse, 0, 0.95) : 0;
        double standardError = sxx > 0 ? Math.Sqrt(variance / sxx * (1 + r) / (1 - r)) : 0;
        return new TrendEstimate(intercept, slope, standardError, profile);
    }

    /// <summary>The profile's value at index <paramref name="t"/> (0 without a season).</summary>
    public static double Season(IReadOnlyList<double> profile, int t) => profile.Count == 0 ? 0 : profile[t % profile.Count];

    private static (double Intercept, double Slope) Line(IReadOnlyList<double> values, double[] profile)
    {
        int n = values.Count;
        double meanIndex = (n - 1) / 2.0;
        double meanValue = 0;
        for (int t = 0; t < n; t++)
        {
            meanValue += values[t] - Season(profile, t);
        }

        meanValue /= n;
        double sxy = 0;
        double sxx = 0;
        for (int t = 0; t < n; t++)
        {
            sxy += (t - meanIndex) * (values[t] - Season(profile, t) - meanValue);
            sxx += (t - meanIndex) * (t - meanIndex);
        }

        double slope = sxx > 0 ? sxy / sxx : 0;
        return (meanValue - (slope * meanIndex), slope);
    }

    // The mean residual of each phase, less their mean, so that the profile moves nothing up or down.
    private static double[] PhaseMeans(IReadOnlyList<double> values, double intercept, double slope, int seasonLength)
    {
        double[] sums = new double[seasonLength];
        int[] counts = new int[seasonLength];
        for (int t = 0; t < values.Count; t++)
        {
            sums[t % seasonLength] += values[t] - intercept - (slope * t);
            counts[t % seasonLength]++;
        }

        double[] profile = [.. sums.Select((s, p) => counts[p] > 0 ? s / counts[p] : 0)];
        double mean = profile.Average();
        return [.. profile.Select(p => p - mean)];
    }
}
