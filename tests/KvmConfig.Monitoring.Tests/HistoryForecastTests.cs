using KvmConfig.Core;
using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Forecasts from a real history file: the generated histories of <see cref="ForecastCases"/> written through
/// <see cref="HistoryStore"/> as seven days of 5-minute sweeps, one domain per case, read back by
/// <see cref="HistoryForecast"/>. This is the backtest docs/capacity.md quotes: the share of true crossings inside
/// the stated interval, and how far the predicted day is from the true one.
/// </summary>
public sealed class HistoryForecastTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-forecast-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_true_crossing_of_at_least_90_percent_of_the_generated_histories_lies_in_the_interval_and_no_flat_one_crosses()
    {
        // Given every generated case as a domain of one history
        string path = Path.Combine(_dir, "history.db");
        ForecastHistory.Write(path, [.. ForecastCases.Crossing, .. ForecastCases.Flat], ForecastCases.HistoryDays, TimeSpan.FromMinutes(5));

        // When the history is forecast for 14 days
        HistoryForecast forecast;
        using (HistoryStore store = HistoryStore.OpenReadOnly(path))
        {
            forecast = HistoryForecast.Read(store, AlertThresholds.Default, TimeSpan.FromDays(14));
        }

        // Then it is hourly with a daily season, and each crossing case's ready % crosses inside its interval
        Assert.Equal((TimeSpan.FromHours(1), 24), (forecast.Step, forecast.SeasonLength));
        int inside = 0;
        var errors = new List<double>();
        foreach (ForecastCase c in ForecastCases.Crossing)
        {
            Crossing x = forecast.Find(c.Name, "ready")!.Forecast!.Crossing!;
            DateTimeOffset truth = c.TrueCrossing(ForecastCases.HistoryDays, TimeSpan.FromDays(14))!.Value;
            bool within = x.Earliest <= truth && (x.Latest is null || truth <= x.Latest);
            inside += within ? 1 : 0;
            errors.Add(x.At is { } at ? Math.Abs((at - truth).TotalDays) : double.PositiveInfinity);
            output.WriteLine($"{c.Name} ({c.Description}): truth {truth:MM-dd HH:mm}, predicted {x.At:MM-dd HH:mm} in [{x.Earliest:MM-dd HH:mm}, {x.Latest:MM-dd HH:mm}]{(within ? "" : " OUTSIDE")}");
        }

        double[] sorted = [.. errors.Order()];
        output.WriteLine($"backtest: {inside} of {ForecastCases.Crossing.Count} true crossings inside the interval; predicted day off by median {sorted[sorted.Length / 2]:0.00} d, 90th percentile {sorted[(int)(sorted.Length * 0.9)]:0.00} d");
        Assert.True(inside >= 0.9 * ForecastCases.Crossing.Count, $"{inside} of {ForecastCases.Crossing.Count} inside");

        // And no flat case predicts a crossing
        Assert.All(ForecastCases.Flat, c => Assert.Equal(CrossingStatus.NotWithinHorizon, forecast.Find(c.Name, "ready")!.Forecast!.Crossing!.Status));
    }

    [Fact]
    public void A_history_shorter_than_the_least_is_KVC084_naming_what_is_needed()
    {
        // Given five minutes of 10 s sweeps
        string path = Path.Combine(_dir, "short.db");
        ForecastHistory.Write(path, [ForecastCases.Flat[0]], 5.0 / 1440, TimeSpan.FromSeconds(10));
        using HistoryStore store = HistoryStore.OpenReadOnly(path);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryForecast.Read(store, AlertThresholds.Default, TimeSpan.FromDays(14)));

        Assert.Equal("KVC084", e.Descriptor.Code);
        Assert.Contains("30 sweeps over 4.8m are too few to forecast: a trend needs at least 24 sweeps over 10m, a daily season at least 2d", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_day_of_history_is_forecast_by_trend_only_at_a_finer_step()
    {
        // Given a day of 1-minute sweeps of a VM whose ready % grows from 1 to 3 %
        var growing = new ForecastCase("growing", "1 % growing by 2 points a day; noise 0.2", t => 1 + (2 * t), 0.2, 7, ForecastCases.Threshold);
        string path = Path.Combine(_dir, "day.db");
        ForecastHistory.Write(path, [growing], 1, TimeSpan.FromMinutes(1));
        using HistoryStore store = HistoryStore.OpenReadOnly(path);

        HistoryForecast forecast = HistoryForecast.Read(store, AlertThresholds.Default, TimeSpan.FromDays(14));

        // Then it is averaged per 10 minutes, without a season, and its trend crosses 5 % two days on
        Assert.Equal((TimeSpan.FromMinutes(10), 0), (forecast.Step, forecast.SeasonLength));
        MeasureForecast ready = forecast.Find(growing.Name, "ready")!;
        Assert.InRange(growing.TrueCrossing(1, TimeSpan.FromDays(14))!.Value, ready.Forecast!.Crossing!.Earliest!.Value, ready.Forecast.Crossing.Latest!.Value);
        Assert.Equal(ForecastMethod.Holt, ready.Forecast!.Method);
        Assert.Contains("a daily season needs 2d", ready.Forecast.Note, StringComparison.Ordinal);
    }
}
