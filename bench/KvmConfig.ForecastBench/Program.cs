using System.Globalization;
using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;

// Backtests of report --forecast.
//   dotnet run -c Release --project bench/KvmConfig.ForecastBench -- generated FILE
// writes the tests' generated histories (ForecastCases: 7 days of 5-minute sweeps, one VM per case) to FILE and
// scores each crossing case: the true crossing inside the interval, and the predicted day's distance from it.
//   dotnet run -c Release --project bench/KvmConfig.ForecastBench -- HISTORY [--holdout 3m] [--cuts 6]
// backtests a real history recorded by serve:
// For each of CUTS times from the least history that can be forecast (10 minutes) to the end less HOLDOUT, every
// measure is forecast from the sweeps before the cut for HOLDOUT, and each forecast step is compared with the
// bucket mean serve recorded there: the share inside the 95 % band, the mean absolute error, and the same error for
// the naive forecast (the last value carried on), which a forecast must beat to be worth its trend.
if (args.Length == 0 || args[0].StartsWith('-'))
{
    Console.Error.WriteLine("usage: KvmConfig.ForecastBench HISTORY [--holdout 3m] [--cuts 6]");
    return 2;
}

if (args[0] == "generated" && args.Length == 2)
{
    return Generated(args[1]);
}

string path = args[0];
TimeSpan holdout = Option("--holdout") is { } h ? KvmConfig.Core.Durations.Parse(h)!.Value : TimeSpan.FromMinutes(3);
int cuts = Option("--cuts") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : 6;

using HistoryStore store = HistoryStore.OpenReadOnly(path);
HistoryForecast whole = HistoryForecast.Read(store, AlertThresholds.Default, holdout);
// until is exclusive: one step more than the least history, so that the sweep at ten minutes is in.
DateTimeOffset firstCut = whole.First + Forecaster.TrendHistory + whole.Step;
DateTimeOffset lastCut = whole.Last - holdout;
if (lastCut <= firstCut)
{
    Console.Error.WriteLine($"{path}: {Forecaster.Show(whole.Last - whole.First)} of history leave no room for a cut after 10m and {Forecaster.Show(holdout)} of holdout");
    return 2;
}

Console.WriteLine($"history {path}: {whole.Sweeps} sweeps over {Forecaster.Show(whole.Last - whole.First)}, step {Forecaster.Show(whole.Step)}; {cuts} cuts from {firstCut:HH:mm:ss} to {lastCut:HH:mm:ss}, each forecast {Forecaster.Show(holdout)} ahead");
var totals = new Dictionary<string, (int Points, int Inside, double Error, double NaiveError)>(StringComparer.Ordinal);
for (int i = 0; i < cuts; i++)
{
    DateTimeOffset cut = firstCut + ((lastCut - firstCut) * (cuts == 1 ? 0 : (double)i / (cuts - 1)));
    HistoryForecast before = HistoryForecast.Read(store, AlertThresholds.Default, holdout, until: cut);
    foreach (MeasureForecast m in before.Measures.Where(m => m.Forecast is not null))
    {
        RegularSeries actual = whole.Find(m.Subject, m.Measure)?.Measured ?? throw new InvalidOperationException($"{m.Subject} {m.Measure} is not in the whole history");
        double last = m.Measured!.Values[^1];
        string key = $"{m.Subject} {m.Measure}";
        (int points, int inside, double error, double naive) = totals.GetValueOrDefault(key);
        foreach (ForecastPoint p in m.Forecast!.Points)
        {
            int index = (int)Math.Round(((p.At - actual.Start) / actual.Step) - 0.5);
            if (index < 0 || index >= actual.Values.Count)
            {
                continue;
            }

            double y = actual.Values[index];
            points++;
            inside += y >= p.Lower && y <= p.Upper ? 1 : 0;
            error += Math.Abs(y - p.Value);
            naive += Math.Abs(y - last);
        }

        totals[key] = (points, inside, error, naive);
        Console.WriteLine($"  cut {cut:HH:mm:ss} {key}: {Forecaster.Id(m.Forecast.Method)}, trend {m.Forecast.SlopePerDay / 1440:+0.###;-0.###;0} a minute");
    }
}

Console.WriteLine("measure: steps compared, inside the 95 % band, mean absolute error (forecast / last value carried on)");
foreach ((string key, (int points, int inside, double error, double naive)) in totals.OrderBy(t => t.Key, StringComparer.Ordinal))
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key}: {points} steps, {100.0 * inside / Math.Max(1, points):0} % inside, MAE {error / Math.Max(1, points):0.00} / {naive / Math.Max(1, points):0.00}"));
}

int all = totals.Values.Sum(t => t.Points);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all: {all} steps, {100.0 * totals.Values.Sum(t => t.Inside) / Math.Max(1, all):0} % inside the 95 % band"));
return 0;

static int Generated(string file)
{
    File.Delete(file);
    ForecastHistory.Write(file, [.. ForecastCases.Crossing, .. ForecastCases.Flat], ForecastCases.HistoryDays, TimeSpan.FromMinutes(5));
    using HistoryStore store = HistoryStore.OpenReadOnly(file);
    TimeSpan horizon = TimeSpan.FromDays(14);
    HistoryForecast forecast = HistoryForecast.Read(store, AlertThresholds.Default, horizon);
    var errors = new List<double>();
    int inside = 0;
    foreach (ForecastCase c in ForecastCases.Crossing)
    {
        Crossing x = forecast.Find(c.Name, "ready")!.Forecast!.Crossing!;
        DateTimeOffset truth = c.TrueCrossing(ForecastCases.HistoryDays, horizon)!.Value;
        inside += x.Earliest <= truth && (x.Latest is null || truth <= x.Latest) ? 1 : 0;
        errors.Add(x.At is { } at ? Math.Abs((at - truth).TotalDays) : double.PositiveInfinity);
    }

    int flatCrossing = ForecastCases.Flat.Count(c => forecast.Find(c.Name, "ready")!.Forecast!.Crossing!.Status != CrossingStatus.NotWithinHorizon);
    double[] sorted = [.. errors.Order()];
    foreach (string kind in new[] { "linear", "daily", "step" })
    {
        double[] own = [.. ForecastCases.Crossing.Select((c, i) => (c, i)).Where(p => p.c.Name.StartsWith(kind, StringComparison.Ordinal)).Select(p => errors[p.i]).Order()];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{kind}: {own.Length} cases, predicted day off by median {own[own.Length / 2]:0.00} d, at most {own[^1]:0.00} d"));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"generated: {inside} of {ForecastCases.Crossing.Count} true crossings inside the 95 % interval; predicted day off by median {sorted[sorted.Length / 2]:0.00} d, 90th percentile {sorted[(int)(sorted.Length * 0.9)]:0.00} d; {flatCrossing} of {ForecastCases.Flat.Count} flat series predict a crossing"));
    return 0;
}

string? Option(string name) => Array.IndexOf(args, name) is int at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
