using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;
using Microsoft.Data.Sqlite;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>report --forecast</c> end to end on a real history file of generated cases (<see cref="ForecastHistory"/>):
/// seven days of 5-minute sweeps of a VM growing to its ready warning on a known day, one with a daily cycle, and
/// one flat; and its bad input (issue 16): a history too short to forecast, one of a newer schema.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ReportForecastTests : IDisposable
{
    // The report part over the history's week; the forecast reads the whole history anyway.
    private static readonly string[] Range = ["--since", "2025-03-01T00:00Z", "--until", "2025-03-08T00:00Z"];

    private static readonly ForecastCase Growing = ForecastCases.Crossing.First(c => c.Name == "linear-03");
    private static readonly ForecastCase Daily = ForecastCases.Crossing.First(c => c.Name == "daily-04");
    private static readonly ForecastCase Flat = ForecastCases.Flat[0];

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-report-forecast-").FullName;

    public ReportForecastTests()
    {
        History = Path.Combine(_dir, "history.db");
        ForecastHistory.Write(History, [Growing, Daily, Flat], ForecastCases.HistoryDays, TimeSpan.FromMinutes(5));
    }

    private string History { get; }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Text_lists_what_will_cross_soonest_first_with_the_true_day_inside_the_interval()
    {
        CliResult r = Run(["report", "--history", History, "--forecast", .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        string forecast = r.Out[r.Out.IndexOf("Forecast from", StringComparison.Ordinal)..];
        Assert.StartsWith("Forecast from 2016 sweeps, 2025-03-01T00:00:00Z to 2025-03-07T23:55:00Z, averaged per 1h with a daily season; horizon 14d", forecast, StringComparison.Ordinal);

        // The growing VM's ready % first (it crosses soonest), with its interval around the true crossing
        Match row = Regex.Match(forecast, @"\n  linear-03 +ready +[\d.]+ % +\+[\d.]+ +5 % ready warning +(\S+) +(\S+) \.\. (\S+)\n");
        Assert.True(row.Success, forecast);
        DateTimeOffset truth = Growing.TrueCrossing(ForecastCases.HistoryDays, TimeSpan.FromDays(14))!.Value;
        Assert.InRange(truth, Time(row.Groups[2].Value), Time(row.Groups[3].Value));
        Assert.InRange(Time(row.Groups[1].Value), Time(row.Groups[2].Value), Time(row.Groups[3].Value));
        Assert.Matches(@"\n  daily-04 +ready ", forecast);

        // The flat VM is not among what will cross
        Assert.DoesNotMatch(@"\n  flat-00 +ready ", forecast);
        Assert.Contains("Trends without a threshold:\n  host io_pressure:", forecast, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_carries_every_measure_with_its_crossing_and_interval()
    {
        CliResult r = Run(["report", "--history", History, "--forecast", "--horizon", "21d", "--format", "json", .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        JsonNode forecast = JsonNode.Parse(r.Out)!["forecast"]!;
        Assert.Equal(3600, (double)forecast["stepSeconds"]!);
        Assert.Equal(24, (int)forecast["seasonSteps"]!);
        Assert.Equal(21 * 86400, (double)forecast["horizonSeconds"]!);
        JsonNode[] measures = [.. forecast["measures"]!.AsArray().Select(m => m!)];

        // Per VM: ready, cpu, memory overhead and the disk's queue; the host's four
        Assert.Equal(["cpu", "memory_overhead", "ready"], measures.Where(m => (string)m["subject"]! == Flat.Name).Select(m => (string)m["measure"]!).Order());
        Assert.Contains(measures, m => (string)m["subject"]! == $"{Flat.Name} disk vda" && (string)m["measure"]! == "disk_queue");
        Assert.Equal(["cpu_pressure", "io_pressure", "memory_pressure", "vm_cpu"], measures.Where(m => (string)m["subject"]! == "host").Select(m => (string)m["measure"]!).Order());

        JsonNode growing = measures.Single(m => (string)m["subject"]! == Growing.Name && (string)m["measure"]! == "ready");
        Assert.Equal("holt-winters", (string)growing["method"]!);
        Assert.True((bool)growing["trendSignificant"]!);
        Assert.Equal("expected", (string)growing["crossing"]!["status"]!);
        DateTimeOffset truth = Growing.TrueCrossing(ForecastCases.HistoryDays, TimeSpan.FromDays(21))!.Value;
        Assert.InRange(truth, Time((string)growing["crossing"]!["earliest"]!), Time((string)growing["crossing"]!["latest"]!));

        JsonNode flat = measures.Single(m => (string)m["subject"]! == Flat.Name && (string)m["measure"]! == "ready");
        Assert.Equal("not-within-horizon", (string)flat["crossing"]!["status"]!);
        Assert.Null(flat["crossing"]!["at"]);
        Assert.False((bool)flat["trendSignificant"]!);
    }

    [Fact]
    public void Html_draws_the_band_after_the_measured_line_and_marks_the_crossing()
    {
        string html = Path.Combine(_dir, "report.html");

        CliResult r = Run(["report", "--history", History, "--forecast", "--html", html, .. Range]);

        Assert.True(r.Exit == 0, r.Err);
        string page = File.ReadAllText(html);
        Match chart = Regex.Match(page, $"<svg class=\"chart forecast\" id=\"forecast-0\" data-subject=\"{Growing.Name}\" data-measure=\"ready\".*?</svg>", RegexOptions.Singleline);
        Assert.True(chart.Success, "no forecast chart of the growing VM first");

        // The band starts where the measured line ends, and reaches further right
        string[] measured = Regex.Match(chart.Value, "<polyline class=\"series measured\" points=\"([^\"]+)\"").Groups[1].Value.Split(' ');
        string[] band = Regex.Match(chart.Value, "<polygon class=\"band\" points=\"([^\"]+)\"").Groups[1].Value.Split(' ');
        Assert.True(measured.Length >= 160, $"{measured.Length} measured points");
        Assert.Equal(X(measured[^1]), X(band[0]));
        Assert.True(band.Max(X) > X(measured[^1]) + 100);
        Assert.Matches("<line class=\"threshold warning\" data-value=\"5\"", chart.Value);
        Assert.Matches("<line class=\"crossing\" x1=\"[\\d.]+\"", chart.Value);
        Assert.Matches("<rect class=\"crossing-interval\"", chart.Value);
        Assert.Contains("<h2 id=\"forecast\">Forecast</h2>", page, StringComparison.Ordinal);
    }

    [Fact]
    public void A_history_too_short_to_forecast_is_KVC084_saying_how_much_is_needed_and_nothing_is_written()
    {
        // Given five minutes of 10 s sweeps
        string history = Path.Combine(_dir, "short.db");
        ForecastHistory.Write(history, [Flat], 5.0 / 1440, TimeSpan.FromSeconds(10));
        byte[] before = File.ReadAllBytes(history);
        string html = Path.Combine(_dir, "short.html");

        CliResult r = Run("report", "--history", history, "--forecast", "--since", "2025-03-01T00:00Z", "--until", "2025-03-02T00:00Z", "--html", html);

        r.CouldNotRun("KVC084");
        Assert.Contains("30 sweeps over 4.8m are too few to forecast: a trend needs at least 24 sweeps over 10m, a daily season at least 2d", r.Err, StringComparison.Ordinal);
        Assert.Contains("hint: let kvmconfig serve record longer", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
        Assert.False(File.Exists(html));
        Assert.Equal(before, File.ReadAllBytes(history));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_history_of_a_newer_schema_is_refused_with_and_without_forecast_and_left_as_it_was(bool forecast)
    {
        // Given the history marked as written by a newer kvmconfig
        using (var connection = new SqliteConnection($"Data Source={History};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {HistoryStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        byte[] before = File.ReadAllBytes(History);

        CliResult r = Run(["report", "--history", History, .. forecast ? new[] { "--forecast" } : [], .. Range]);

        r.CouldNotRun("KVC093");
        Assert.Contains($"{History} is a kvmconfig history of schema {HistoryStore.SchemaVersion + 1}, written by a newer kvmconfig: this one reads schema {HistoryStore.SchemaVersion}", r.Err, StringComparison.Ordinal);
        Assert.Contains("hint: upgrade kvmconfig", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(History));
        Assert.False(File.Exists(History + "-wal"));
    }

    [Theory]
    [InlineData(new[] { "--horizon", "7d" }, "--horizon is for --forecast: add --forecast")]
    [InlineData(new[] { "--forecast", "--horizon", "0" }, "--horizon 0: at least 1h")]
    [InlineData(new[] { "--forecast", "--horizon", "soon" }, "--horizon soon: give a duration from 1h to 365d, e.g. 14d")]
    [InlineData(new[] { "--forecast", "--horizon", "400d" }, "--horizon 400d: at most 365d")]
    public void A_bad_horizon_is_a_usage_error(string[] options, string message)
    {
        CliResult r = Run(["report", "--history", History, .. options]);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static double X(string point) => double.Parse(point.Split(',')[0], CultureInfo.InvariantCulture);
}
