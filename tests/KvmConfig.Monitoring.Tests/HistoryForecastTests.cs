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
    public void Memory_in_bytes_and_the_hosts_disk_queue_are_forecast_from_a_schema_3_history()
    {
        // Given seven days of four VMs whose resident memory grows by 256 MiB a day from 4 GiB, and the host's disk sda
        // whose queue grows by 1 request a day from 1 with a daily cycle and noise, crossing a warning of 30 late on day 28
        string path = Path.Combine(_dir, "history.db");
        ForecastHistory.Write(path, ForecastCases.Flat.Take(4), ForecastCases.HistoryDays, TimeSpan.FromMinutes(5),
            memoryMiB: (_, t) => 4096 + (256 * t), hostQueue: t => Queue(t) + (0.3 * new Random((int)Math.Round(t * 1440)).NextDouble()) - 0.15);

        // When it is forecast 30 days ahead
        HistoryForecast forecast;
        using (HistoryStore store = HistoryStore.OpenReadOnly(path))
        {
            forecast = HistoryForecast.Read(store, AlertThresholds.Default with { DiskQueueDepthRequests = 30 }, TimeSpan.FromDays(30));
        }

        // Then each VM's memory and the VMs' together trend up as written, in MiB, without a threshold
        string vm = ForecastCases.Flat[0].Name;
        MeasureForecast memory = forecast.Find(vm, "memory")!;
        Assert.Equal(("MiB", (string?)null), (memory.Unit, memory.ThresholdName));
        Assert.Equal(256, memory.Forecast!.SlopePerDay, 0);
        Assert.InRange(forecast.Find("host", "vm_memory")!.Forecast!.Current, 4 * (4096 + (256 * (ForecastCases.HistoryDays - 0.1))), 4 * (4096 + (256 * ForecastCases.HistoryDays)));

        // and the host's disk queue crosses the warning some 22 days after the history's end, inside the interval
        MeasureForecast disk = forecast.Find("host disk sda", "disk_queue")!;
        Crossing x = disk.Forecast!.Crossing!;
        DateTimeOffset truth = Enumerable.Range(0, 40 * 1440).Select(m => m / 1440.0).Where(t => Queue(t) >= 30)
            .Select(t => ForecastCases.T0 + TimeSpan.FromDays(t)).First();
        output.WriteLine($"host disk sda: truth {truth:MM-dd HH:mm}, predicted {x.At:MM-dd HH:mm} in [{x.Earliest:MM-dd HH:mm}, {x.Latest:MM-dd HH:mm}]");
        Assert.Equal(("requests", CrossingStatus.Expected), (disk.Unit, x.Status));
        Assert.InRange(truth, x.Earliest!.Value, x.Latest ?? DateTimeOffset.MaxValue);
    }

    // The host disk's true queue: 1 request growing by 1 a day, with half a request of daily cycle.
    private static double Queue(double days) => 1 + days + (0.5 * Math.Cos(2 * Math.PI * days));

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
