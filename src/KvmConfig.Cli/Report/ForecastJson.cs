using System.Text.Json.Nodes;
using KvmConfig.Core.Forecasting;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Cli.Report;

/// <summary><c>report --forecast --format json</c>: the <c>forecast</c> member, documented in docs/report.md.</summary>
internal static class ForecastJson
{
    /// <summary>The <c>forecast</c> object.</summary>
    public static JsonNode Render(HistoryForecast forecast) => new JsonObject
    {
        ["first"] = ReportRange.TimeMs(forecast.First),
        ["last"] = ReportRange.TimeMs(forecast.Last),
        ["sweeps"] = forecast.Sweeps,
        ["stepSeconds"] = forecast.Step.TotalSeconds,
        ["seasonSteps"] = forecast.SeasonLength,
        ["horizonSeconds"] = forecast.Horizon.TotalSeconds,
        ["until"] = ReportRange.TimeMs(forecast.Last + forecast.Horizon),
        ["confidencePercent"] = 95,
        ["measures"] = new JsonArray([.. forecast.Measures.Select(Measure)]),
    };

    private static JsonNode Measure(MeasureForecast m)
    {
        SeriesForecast? f = m.Forecast;
        return new JsonObject
        {
            ["subject"] = m.Subject,
            ["measure"] = m.Measure,
            ["unit"] = m.Unit,
            ["method"] = f is null ? null : Forecaster.Id(f.Method),
            ["note"] = f?.Note ?? m.Skipped,
            ["current"] = Round(f?.Current),
            ["trendPerDay"] = Round(f?.SlopePerDay),
            ["trendSignificant"] = f?.Trend.Significant,
            ["alpha"] = Round(f?.Model.Alpha, 3),
            ["beta"] = Round(f?.Model.Beta, 3),
            ["gamma"] = Round(f?.Model.Gamma, 3),
            ["residualSd"] = Round(f is null ? null : Math.Sqrt(f.Model.ResidualVariance)),
            ["threshold"] = Round(f?.Crossing?.Threshold),
            ["thresholdName"] = m.ThresholdName,
            ["crossing"] = f?.Crossing is { } x
                ? new JsonObject
                {
                    ["status"] = x.Status switch { CrossingStatus.Already => "already", CrossingStatus.Expected => "expected", _ => "not-within-horizon" },
                    ["at"] = Time(x.At),
                    ["earliest"] = Time(x.Earliest),
                    ["latest"] = Time(x.Latest),
                }
                : null,
            ["end"] = f is null
                ? null
                : new JsonObject { ["at"] = ReportRange.TimeMs(f.End.At), ["value"] = Round(f.End.Value), ["lower"] = Round(f.End.Lower), ["upper"] = Round(f.End.Upper) },
        };
    }

    private static string? Time(DateTimeOffset? at) => at is { } t ? ReportRange.TimeMs(t) : null;

    private static double? Round(double? value, int digits = 2) => value is { } v ? Math.Round(v, digits, MidpointRounding.AwayFromZero) : null;
}
