using KvmConfig.Core.Forecasting;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The forecaster on series whose answer is known: exact lines and seasons (what the method must get right to the
/// step), and the generated histories of <see cref="ForecastCases"/> averaged hourly as the report averages them
/// (the same cases go through a real history file in the Monitoring and CLI tests).
/// </summary>
public sealed class ForecasterTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Horizon = TimeSpan.FromDays(14);

    [Fact]
    public void Series_of_several_hosts_add_up_over_the_time_all_cover_at_the_coarsest_step()
    {
        // Given a rising line at 30-minute steps from T0 and a constant 10 at hourly steps from an hour later, ending
        // sooner
        var rising = new RegularSeries(ForecastCases.T0, TimeSpan.FromMinutes(30), [.. Enumerable.Range(0, 12).Select(i => (double)i)]);
        var constant = new RegularSeries(ForecastCases.T0.AddHours(1), TimeSpan.FromHours(1), [10, 10, 10, 10]);

        // When they are added up
        RegularSeries sum = RegularSeries.Sum([rising, constant])!;

        // Then hourly from the later start to the earlier end, each value the rising line at the hour's middle (value i
        // stands for T0 + 30 min x (i + 0.5)) plus 10
        Assert.Equal((ForecastCases.T0.AddHours(1), TimeSpan.FromHours(1)), (sum.Start, sum.Step));
        Assert.Equal([12.5, 14.5, 16.5, 18.5], sum.Values);
        Assert.Null(RegularSeries.Sum([rising, constant with { Start = ForecastCases.T0.AddDays(1) }]));
    }

    [Fact]
    public void An_exact_line_crosses_where_the_line_does()
    {
        // Given 3 days of hourly values growing from 1 by 0.5 a day: 5 is reached on day 8, 5 days after the end
        RegularSeries series = Hourly(72, t => 1 + (0.5 * t / 24));

        SeriesForecast forecast = Forecaster.Run(series, Forecaster.DailySeason, 5, Horizon);

        // Then it keeps the trend and crosses at day 8 (index 191.5 when values stand for the middle of their hour)
        Assert.Equal(ForecastMethod.HoltWinters, forecast.Method);
        Assert.Equal(0.5, forecast.SlopePerDay, 6);
        Assert.Equal(CrossingStatus.Expected, forecast.Crossing!.Status);
        Assert.Equal(series.Start + TimeSpan.FromDays(8), forecast.Crossing.At!.Value, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void A_constant_series_never_crosses_and_has_no_band()
    {
        RegularSeries series = Hourly(24 * 7, _ => 3);

        SeriesForecast forecast = Forecaster.Run(series, Forecaster.DailySeason, 5, Horizon);

        Assert.Equal(ForecastMethod.SeasonalLevel, forecast.Method);
        Assert.Equal(CrossingStatus.NotWithinHorizon, forecast.Crossing!.Status);
        Assert.Null(forecast.Crossing.Earliest);
        Assert.All(forecast.Points, p => Assert.Equal(3, p.Value, 9));
        Assert.All(forecast.Points, p => Assert.Equal(p.Lower, p.Upper, 9));
    }

    [Fact]
    public void A_pure_daily_cycle_is_forecast_as_the_cycle_without_a_trend()
    {
        RegularSeries series = Hourly(24 * 4, t => 3 + Math.Sin(2 * Math.PI * t / 24));

        SeriesForecast forecast = Forecaster.Run(series, Forecaster.DailySeason, 5, Horizon);

        Assert.Equal(ForecastMethod.SeasonalLevel, forecast.Method);
        Assert.Equal(0, forecast.SlopePerDay);
        Assert.Equal(CrossingStatus.NotWithinHorizon, forecast.Crossing!.Status);

        // The forecast a whole number of days ahead repeats the last day's values
        Assert.Equal(3 + Math.Sin(2 * Math.PI * 119.5 / 24), forecast.Model.Point(24), 6);
    }

    [Fact]
    public void A_history_shorter_than_two_days_is_forecast_by_trend_only_and_says_so()
    {
        RegularSeries series = Hourly(30, t => 1 + (0.1 * t));

        SeriesForecast forecast = Forecaster.Run(series, Forecaster.DailySeason, 5, Horizon);

        Assert.Equal(ForecastMethod.Holt, forecast.Method);
        Assert.Contains("a daily season needs 2d", forecast.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_already_above_the_threshold_is_already_crossed()
    {
        SeriesForecast forecast = Forecaster.Run(Hourly(60, t => 6 + (0.01 * t)), Forecaster.DailySeason, 5, Horizon);

        Assert.Equal(CrossingStatus.Already, forecast.Crossing!.Status);
    }

    [Theory]
    [InlineData(5, 0, "5 sweeps over 0s are too few to forecast: a trend needs at least 24 sweeps over 10m, a daily season at least 2d")]
    [InlineData(100, 9, "100 sweeps over 9m are too few to forecast")]
    [InlineData(20, 60, "20 sweeps over 1h are too few")]
    public void Too_short_says_how_much_is_needed(int sweeps, int minutes, string message)
    {
        string? why = Forecaster.TooShort(ForecastCases.T0, ForecastCases.T0.AddMinutes(minutes), sweeps);

        Assert.NotNull(why);
        Assert.StartsWith(message, why, StringComparison.Ordinal);
        Assert.Null(Forecaster.TooShort(ForecastCases.T0, ForecastCases.T0.AddMinutes(10), 24));
    }

    [Fact]
    public void Steps_are_hourly_with_a_season_from_two_days_and_finer_before()
    {
        Assert.Equal((TimeSpan.FromHours(1), 24), Forecaster.StepFor(TimeSpan.FromDays(2), TimeSpan.FromSeconds(10)));
        Assert.Equal((TimeSpan.FromSeconds(10), 0), Forecaster.StepFor(TimeSpan.FromMinutes(16), TimeSpan.FromSeconds(5)));
        Assert.Equal((TimeSpan.FromMinutes(10), 0), Forecaster.StepFor(TimeSpan.FromDays(1), TimeSpan.FromSeconds(10)));
    }

    public static TheoryData<ForecastCase> Flat => [.. ForecastCases.Flat];

    [Theory]
    [MemberData(nameof(Flat))]
    public void A_flat_noisy_series_never_predicts_a_crossing(ForecastCase flat)
    {
        SeriesForecast forecast = Forecaster.Run(HourlyOf(flat), Forecaster.DailySeason, flat.Threshold, Horizon);

        Assert.Equal(CrossingStatus.NotWithinHorizon, forecast.Crossing!.Status);
        Assert.Null(forecast.Crossing.At);
    }

    [Fact]
    public void The_true_crossing_lies_in_the_stated_interval_for_at_least_90_percent_of_the_generated_histories()
    {
        int inside = 0;
        var errors = new List<double>();
        foreach (ForecastCase c in ForecastCases.Crossing)
        {
            SeriesForecast forecast = Forecaster.Run(HourlyOf(c), Forecaster.DailySeason, c.Threshold, Horizon);
            DateTimeOffset truth = c.TrueCrossing(ForecastCases.HistoryDays, Horizon)!.Value;
            Crossing x = forecast.Crossing!;
            bool within = x.Earliest <= truth && (x.Latest is null || truth <= x.Latest);
            inside += within ? 1 : 0;
            if (x.At is { } at)
            {
                errors.Add(Math.Abs((at - truth).TotalDays));
            }

            output.WriteLine($"{c.Name}: {forecast.Method} truth {truth:MM-dd HH:mm} predicted {x.At:MM-dd HH:mm} [{x.Earliest:MM-dd HH:mm}, {x.Latest:MM-dd HH:mm}] {(within ? "inside" : "OUTSIDE")}");
        }

        double share = (double)inside / ForecastCases.Crossing.Count;
        output.WriteLine($"inside: {inside} of {ForecastCases.Crossing.Count} ({share:P0}); median error {errors.Order().ElementAt(errors.Count / 2):0.00} days");
        Assert.True(share >= 0.9, $"{inside} of {ForecastCases.Crossing.Count} inside");
    }

    private static RegularSeries Hourly(int count, Func<double, double> value) =>
        new(ForecastCases.T0, TimeSpan.FromHours(1), [.. Enumerable.Range(0, count).Select(t => value(t + 0.5))]);

    // The case's 5-minute samples averaged per hour, as the report averages a history of two days or more.
    private static RegularSeries HourlyOf(ForecastCase c)
    {
        int hours = (int)(ForecastCases.HistoryDays * 24);
        double[] sums = new double[hours];
        int[] counts = new int[hours];
        foreach ((DateTimeOffset at, double value) in c.Samples(ForecastCases.HistoryDays, TimeSpan.FromMinutes(5)))
        {
            int hour = (int)(at - ForecastCases.T0).TotalHours;
            sums[hour] += value;
            counts[hour]++;
        }

        return RegularSeries.FromBuckets(ForecastCases.T0, TimeSpan.FromHours(1), sums, counts)!;
    }

    [Theory]
    [InlineData(1, 0, 0, 0, 0, 1)]
    [InlineData(5, 0.5, 0, 0, 0, 2)]
    [InlineData(6, 0.5, 0.1, 0.2, 4, 4.7)]
    [InlineData(9, 0.3, 0.05, 0.1, 4, 3.57)]
    public void The_forecast_variance_is_the_books_expression(int h, double alpha, double beta, double gamma, int m, double expected)
    {
        // sigma^2 [1 + (h-1)(a^2 + a b h + b^2 h (2h-1)/6) + g k (2a + g + b m (k+1))], k = floor((h-1)/m), sigma^2 = 1:
        // h = 6: 1 + 5 (0.25 + 0.3 + 0.11) + 0.2 (1 + 0.2 + 0.8) = 4.7;
        // h = 9: 1 + 8 (0.09 + 0.135 + 0.06375) + 0.1 x 2 (0.6 + 0.1 + 0.6) = 1 + 2.31 + 0.26 = 3.57; h = 5, level only:
        // 1 + 4 x 0.25 = 2
        var model = new ExponentialSmoothing(beta > 0, m, alpha, beta, gamma, 0, 0, new double[m], 10, 1);

        Assert.Equal(expected, model.Variance(h), 9);
    }

    [Fact]
    public void A_step_without_growth_is_not_forecast_as_a_trend()
    {
        // Given three and a half days at 1 % then three and a half at 3 %, with noise
        var random = new Random(5);
        RegularSeries series = Hourly(168, t => (t < 84 ? 1 : 3) + (0.1 * (random.NextDouble() - 0.5)));

        TrendEstimate line = TrendEstimate.Of(series.Values, Forecaster.DailySeason);
        SeriesForecast forecast = Forecaster.Run(series, Forecaster.DailySeason, 5, Horizon);

        // Then the line through the whole week is steep, but neither side of the step grows: no trend, and the
        // forecast stays at the new level without crossing
        Assert.True(line.Significant, $"t = {line.T}");
        Assert.Equal(ForecastMethod.SeasonalLevel, forecast.Method);
        Assert.Equal(3, forecast.Current, 1);
        Assert.Equal(CrossingStatus.NotWithinHorizon, forecast.Crossing!.Status);
    }
}
