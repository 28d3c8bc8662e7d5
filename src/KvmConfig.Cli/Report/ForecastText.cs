using System.Globalization;
using System.Text;
using KvmConfig.Core.Forecasting;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary>
/// <c>report --forecast</c> as text, after the report: what will cross its threshold and when, soonest first, with
/// the 95 % interval; then the trends of the measures without a threshold, and what could not be forecast.
/// </summary>
internal static class ForecastText
{
    /// <summary>Rows of the crossing table at most; JSON lists every measure.</summary>
    public const int MaxRows = 20;

    /// <summary>The forecast section.</summary>
    public static string Render(HistoryForecast forecast)
    {
        var text = new StringBuilder();
        text.AppendLine();
        text.AppendLine(Invariant($"Forecast from {forecast.Sweeps} sweeps, {ReportRange.Time(forecast.First)} to {ReportRange.Time(forecast.Last)}, averaged per {Forecaster.Show(forecast.Step)}{(forecast.SeasonLength > 0 ? " with a daily season" : $" (trend only: a daily season needs {Forecaster.Show(Forecaster.SeasonalHistory)} of history)")}; horizon {Forecaster.Show(forecast.Horizon)}, to {ReportRange.Time(forecast.Last + forecast.Horizon)}"));

        TimeSpan span = forecast.Last - forecast.First;
        if (forecast.Horizon > 2 * span)
        {
            text.AppendLine(Invariant($"(The horizon is {forecast.Horizon / span:0} times the history: the further out, the more the band says and the less the line does.)"));
        }

        List<MeasureForecast> judged = [.. forecast.Measures.Where(m => m.Forecast?.Crossing is not null)];
        List<MeasureForecast> crossing = [.. judged.Where(m => m.Forecast!.Crossing!.Status != CrossingStatus.NotWithinHorizon || m.Forecast.Crossing.Earliest is not null)];
        if (crossing.Count == 0)
        {
            text.AppendLine(Invariant($"Nothing is expected to reach its threshold within {Forecaster.Show(forecast.Horizon)} ({judged.Count} measures with a threshold)."));
        }
        else
        {
            text.AppendLine("Expected to reach the threshold, soonest first (interval: 95 % prediction band):");
            Table(text, ["SUBJECT", "MEASURE", "NOW", "TREND/DAY", "THRESHOLD", "EXPECTED", "INTERVAL"],
                crossing.Take(MaxRows).Select(m => new[]
                {
                    m.Subject, m.Measure, Value(m.Forecast!.Current, m.Unit), Signed(m.Forecast.SlopePerDay), $"{Value(m.Forecast.Crossing!.Threshold, m.Unit)} {m.ThresholdName}",
                    Expected(m.Forecast.Crossing), Interval(m.Forecast.Crossing),
                }));
            if (crossing.Count > MaxRows)
            {
                text.AppendLine(Invariant($"  ... and {crossing.Count - MaxRows} more (--format json lists them all)"));
            }

            text.AppendLine(Invariant($"{judged.Count - crossing.Count} other measures with a threshold stay below it, band included, for {Forecaster.Show(forecast.Horizon)}."));
        }

        List<MeasureForecast> trendOnly = [.. forecast.Measures.Where(m => m.Forecast is { Crossing: null })];
        if (trendOnly.Count > 0)
        {
            text.AppendLine("Trends without a threshold:");
            foreach (MeasureForecast m in trendOnly)
            {
                ForecastPoint end = m.Forecast!.End;
                text.AppendLine(Invariant($"  {m.Subject} {m.Measure}: now {Value(m.Forecast.Current, m.Unit)}, {Signed(m.Forecast.SlopePerDay)} a day, in {Forecaster.Show(forecast.Horizon)} {Value(end.Value, m.Unit)} ({Value(end.Lower, m.Unit)} to {Value(end.Upper, m.Unit)})"));
            }
        }

        List<MeasureForecast> skipped = [.. forecast.Measures.Where(m => m.Skipped is not null)];
        if (skipped.Count > 0)
        {
            text.AppendLine(Invariant($"Not forecast, their own history too short: {string.Join(", ", skipped.Take(10).Select(m => $"{m.Subject} {m.Measure}"))}{(skipped.Count > 10 ? $" and {skipped.Count - 10} more" : "")}"));
        }

        return text.ToString();
    }

    /// <summary>When the point forecast crosses, or what stands instead.</summary>
    public static string Expected(Crossing x) => x.Status switch
    {
        CrossingStatus.Already => "already reached",
        CrossingStatus.Expected => ReportRange.Time(x.At!.Value),
        _ => "not within horizon",
    };

    /// <summary>The interval of a crossing: from the upper band's crossing to the lower band's.</summary>
    public static string Interval(Crossing x) =>
        x.Status == CrossingStatus.Already ? "-"
        : x.Earliest is not { } earliest ? "-"
        : $"{ReportRange.Time(earliest)} .. {(x.Latest is { } latest ? ReportRange.Time(latest) : "not within horizon")}";

    private static void Table(StringBuilder text, string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> all = [header, .. rows];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length))];
        foreach (string[] row in all)
        {
            text.Append("  ").AppendLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static string Value(double value, string unit) => $"{HistoryForecast.Number(Math.Round(value, 2))} {unit}";

    private static string Signed(double value) => (value >= 0 ? "+" : "") + HistoryForecast.Number(Math.Round(value, 2));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
