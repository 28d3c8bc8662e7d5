namespace KvmConfig.Core.Forecasting;

/// <summary>
/// Additive exponential smoothing in its error-correction (state space) form, the form Hyndman and Athanasopoulos
/// use for the ETS models ("Forecasting: Principles and Practice", 3rd ed., ch. 8, sections 8.1 to 8.3 and 8.5):
/// <code>
///   forecast   f(t)   = l(t-1) + b(t-1) + s(t-m)        the level, the trend, the season m steps back
///   error      e(t)   = y(t) - f(t)
///   level      l(t)   = l(t-1) + b(t-1) + alpha e(t)
///   trend      b(t)   = b(t-1)          + beta  e(t)    (no trend: b = 0)
///   season     s(t)   = s(t-m)          + gamma e(t)    (no season: s = 0)
/// </code>
/// With a trend and a season this is additive Holt-Winters, ETS(A,A,A); with a trend only, Holt's linear method,
/// ETS(A,A,N). Written this way, beta is the book's state space beta (alpha times the component form's beta*), and
/// the prediction variances of its Table 8.8 apply as they are (<see cref="Variance"/>).
/// </summary>
/// <param name="Trend">Whether the model has a trend.</param>
/// <param name="SeasonLength">Steps per season (24 hourly steps for a day); 0 for none.</param>
/// <param name="Alpha">Level smoothing, in (0, 1).</param>
/// <param name="Beta">Trend smoothing, in [0, alpha]; 0 without a trend.</param>
/// <param name="Gamma">Season smoothing, in [0, 1 - alpha]; 0 without a season.</param>
/// <param name="Level">The level after the last value.</param>
/// <param name="Slope">The trend after the last value, per step.</param>
/// <param name="Season">The seasonal states by phase (index mod <see cref="SeasonLength"/>), each as last updated.</param>
/// <param name="Count">How many values were smoothed.</param>
/// <param name="ResidualVariance">The one-step-ahead squared error per degree of freedom: sigma squared.</param>
public sealed record ExponentialSmoothing(
    bool Trend, int SeasonLength, double Alpha, double Beta, double Gamma, double Level, double Slope, IReadOnlyList<double> Season, int Count, double ResidualVariance)
{
    /// <summary>The point forecast <paramref name="h"/> steps after the last value (h = 0: the smoothed last value).</summary>
    public double Point(int h) => Level + (h * Slope) + PhaseState(Count - 1 + h);

    /// <summary>
    /// The variance of the forecast error <paramref name="h"/> steps ahead (h at least 1), from Table 8.8 of
    /// Hyndman and Athanasopoulos (section 8.7), for the additive models with k = floor((h - 1) / m):
    /// <code>
    ///   sigma^2 [ 1 + (h - 1) (alpha^2 + alpha beta h + beta^2 h (2h - 1) / 6) + gamma k (2 alpha + gamma + beta m (k + 1)) ]
    /// </code>
    /// which is ETS(A,N,N) with beta = gamma = 0, ETS(A,A,N) with gamma = 0. It counts the noise the states will take
    /// in, not the error in the fitted parameters (the book says as much); <see cref="Forecaster"/> adds the trend's.
    /// </summary>
    public double Variance(int h)
    {
        int m = Math.Max(SeasonLength, 1);
        double k = SeasonLength > 0 ? Math.Floor((h - 1.0) / m) : 0;
        double trendPart = (h - 1.0) * ((Alpha * Alpha) + (Alpha * Beta * h) + (Beta * Beta * h * ((2.0 * h) - 1) / 6));
        double seasonPart = Gamma * k * ((2 * Alpha) + Gamma + (Beta * m * (k + 1)));
        return ResidualVariance * (1 + trendPart + seasonPart);
    }

    /// <summary>
    /// Smooths <paramref name="values"/> from the initial states (<paramref name="level"/>, <paramref name="slope"/>,
    /// the seasonal <paramref name="profile"/> by phase) with the given parameters; the states after the last value
    /// and the sum of squared one-step errors.
    /// </summary>
    public static (ExponentialSmoothing Model, double SquaredErrors) Run(
        IReadOnlyList<double> values, bool trend, IReadOnlyList<double> profile, double level, double slope, double alpha, double beta, double gamma)
    {
        int m = profile.Count;
        double[] season = [.. profile];
        double sse = 0;
        for (int t = 0; t < values.Count; t++)
        {
            double s = m > 0 ? season[t % m] : 0;
            double e = values[t] - (level + slope + s);
            sse += e * e;
            level += slope + (alpha * e);
            slope += trend ? beta * e : 0;
            if (m > 0)
            {
                season[t % m] = s + (gamma * e);
            }
        }

        // Degrees of freedom: the values less the smoothing parameters and the initial level and slope.
        int parameters = 1 + (trend ? 1 : 0) + (m > 0 ? 1 : 0) + 2;
        double variance = sse / Math.Max(1, values.Count - parameters);
        return (new ExponentialSmoothing(trend, m, alpha, trend ? beta : 0, m > 0 ? gamma : 0, level, slope, season, values.Count, variance), sse);
    }

    /// <summary>
    /// The parameters that minimise the one-step-ahead squared error (as the book fits them, section 8.6, though by
    /// search rather than a general optimiser): a coarse grid of alpha, beta as a share of alpha and gamma as a share
    /// of 1 - alpha, each kept inside the region where the model is stable, then a pattern search around the best
    /// point that halves its step five times. The initial states are given (see <see cref="Forecaster"/>) and not
    /// searched.
    /// </summary>
    public static ExponentialSmoothing Fit(IReadOnlyList<double> values, bool trend, IReadOnlyList<double> profile, double level, double slope)
    {
        bool seasonal = profile.Count > 0;
        double Cost(double[] u)
        {
            (double a, double b, double g) = Parameters(u, trend, seasonal);
            return Run(values, trend, profile, level, slope, a, b, g).SquaredErrors;
        }

        double[] best = [0.3, 0, 0];
        double bestCost = double.PositiveInfinity;
        foreach (double u0 in new[] { 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9 })
        {
            foreach (double u1 in trend ? new[] { 0, 0.02, 0.1, 0.3 } : [0.0])
            {
                foreach (double u2 in seasonal ? new[] { 0, 0.05, 0.2, 0.5 } : [0.0])
                {
                    double cost = Cost([u0, u1, u2]);
                    if (cost < bestCost)
                    {
                        (best, bestCost) = ([u0, u1, u2], cost);
                    }
                }
            }
        }

        int dimensions = 1 + (trend ? 1 : 0) + (seasonal ? 1 : 0);
        int[] searched = [0, .. trend ? new[] { 1 } : [], .. seasonal ? new[] { 2 } : []];
        for (double step = 0.04; step > 0.002; step /= 2)
        {
            bool moved = true;
            for (int guard = 0; moved && guard < 20 * dimensions; guard++)
            {
                moved = false;
                foreach (int d in searched)
                {
                    foreach (double direction in new[] { -1.0, 1.0 })
                    {
                        double[] trial = [.. best];
                        trial[d] = Math.Clamp(trial[d] + (direction * step), 0, 1);
                        double cost = Cost(trial);
                        if (cost < bestCost)
                        {
                            (best, bestCost, moved) = (trial, cost, true);
                        }
                    }
                }
            }
        }

        (double alpha, double beta, double gamma) = Parameters(best, trend, seasonal);
        return Run(values, trend, profile, level, slope, alpha, beta, gamma).Model;
    }

    // The unit cube to the stable region: alpha in [0.01, 0.99], beta = u1 x alpha, gamma = u2 x (1 - alpha).
    private static (double Alpha, double Beta, double Gamma) Parameters(double[] u, bool trend, bool seasonal)
    {
        double alpha = Math.Clamp(u[0], 0.01, 0.99);
        return (alpha, trend ? u[1] * alpha : 0, seasonal ? u[2] * (1 - alpha) : 0);
    }

    private double PhaseState(int t) => SeasonLength > 0 ? Season[t % SeasonLength] : 0;
}
