using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Reports;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Report;

/// <summary>
/// <c>kvmconfig report</c>: what <c>serve</c>'s history holds for a time range, as text, JSON, and a self-contained
/// HTML file with charts. Reads the history without writing it: no file is created, migrated or locked.
/// </summary>
internal sealed class ReportCommand : Command<ReportCommand.Settings>
{
    /// <summary>Exit codes of <c>report</c>, for its help.</summary>
    public const string ExitHelp = "Exit codes: 0 report printed (whatever the alerts; a range without samples says so), 2 could not run (no history file, a file that is not a kvmconfig history or is damaged (see --salvage), bad option, --html file not writable, [alerts] with errors; with --forecast, a history too short to forecast, KVC084).";

    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--history <FILE>")]
        [Description("The history serve writes (default " + HistoryStore.DefaultPath + "). Read only: a missing file is an error, never created.")]
        public string? History { get; init; }

        [CommandOption("--since <WHEN>")]
        [Description("Start of the range: a duration back from now (24h, 90m, 7d) or a UTC time (2025-03-01T12:00Z).")]
        [DefaultValue("24h")]
        public string Since { get; init; } = "24h";

        [CommandOption("--until <WHEN>")]
        [Description("End of the range, as --since (1h: an hour ago); default now.")]
        public string? Until { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("text (the worst offenders, host extremes and alerts) or json (every domain; see docs/report.md).")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        [CommandOption("--html <FILE>")]
        [Description("Also write a self-contained HTML report to FILE: worst offenders, a heatmap of CPU ready per VM over time, charts of ready %, memory overhead and disk queue per VM with the thresholds, the host (one panel per measure), the alerts raised.")]
        public string? Html { get; init; }

        [CommandOption("--config-dir <DIR>")]
        [Description(AlertSettings.ConfigDirHelp)]
        public string? ConfigDir { get; init; }

        [CommandOption("--forecast")]
        [Description("Also forecast each VM's and the host's figures from the whole history (up to --until) and say when each is expected to reach its [[alerts]] threshold, with a 95 % interval; the HTML draws the forecast band after the measured line. Needs 24 sweeps over 10 minutes (trend only), 2 days for a daily season; see docs/capacity.md.")]
        public bool Forecast { get; init; }

        [CommandOption("--horizon <DURATION>")]
        [Description("How far --forecast looks ahead, 1h to 365d (default 14d).")]
        public string? Horizon { get; init; }

        [CommandOption("--salvage")]
        [Description("Read a damaged history: every row SQLite can still read, copied into memory (the file is only read), and say on stderr how much could not be read. Without it a damaged file is refused.")]
        public bool Salvage { get; init; }

        public override ValidationResult Validate()
        {
            foreach ((string option, string? value, string example) in new[] { ("--history", History, "history.db"), ("--html", Html, "report.html"), ("--config-dir", ConfigDir, "/etc/kvmconfig.d") })
            {
                if (OptionValue.IsMissing(value))
                {
                    return ValidationResult.Error($"{option} needs a value, e.g. {option} {example}");
                }
            }

            if (Format is not ("text" or "json"))
            {
                return ValidationResult.Error($"--format {Format}: use text or json");
            }

            string? horizon = Horizon is null ? null
                : !Forecast ? "--horizon is for --forecast: add --forecast"
                : Durations.Check("--horizon", Horizon, TimeSpan.FromHours(1), TimeSpan.FromDays(365), "14d");
            if (horizon is not null)
            {
                return ValidationResult.Error(horizon);
            }

            return ReportRange.Parse(Since, Until, DateTimeOffset.UtcNow).Error is { } error ? ValidationResult.Error(error) : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ReportRange range = ReportRange.Parse(settings.Since, settings.Until, DateTimeOffset.UtcNow).Range
            ?? throw new InvalidOperationException("the range was validated");
        AlertThresholds thresholds = AlertSettings.Load(settings.ConfigDir);
        HistoryReport report;
        HistoryForecast? forecast = null;
        using (HistoryStore history = Open(settings.History ?? HistoryStore.DefaultPath, settings.Salvage))
        {
            report = HistoryReport.Read(history, range, thresholds);
            TimeSpan horizon = settings.Horizon is { } h ? Durations.Parse(h)!.Value : HistoryForecast.DefaultHorizon;
            forecast = settings.Forecast ? HistoryForecast.Read(history, thresholds, horizon, settings.Until is null ? null : range.Until) : null;
        }

        // The file first: when it cannot be written, the command fails before printing anything.
        if (settings.Html is { } file)
        {
            WriteHtml(file, ReportHtml.Render(report, forecast));
        }

        Console.Out.Write(settings.Format == "json" ? ReportJson.Render(report, forecast) : ReportText.Render(report) + (forecast is null ? "" : ForecastText.Render(forecast)));
        if (settings.Html is not null)
        {
            Console.Error.WriteLine($"wrote {settings.Html}");
        }

        return ExitCodes.Ok;
    }

    // The history as it is, or, with --salvage, what can still be read of a damaged one (said on stderr).
    private static HistoryStore Open(string path, bool salvage)
    {
        if (!salvage)
        {
            return HistoryStore.OpenReadOnly(path);
        }

        (HistoryStore store, IReadOnlyList<SalvagedTable> tables) = HistoryStore.Salvage(path);
        string Lost(SalvagedTable t) => t.UnreadableRanges switch
        {
            0 => $"{t.Rows} rows",
            1 => $"{t.Rows} rows, one unreadable range lost",
            long ranges => $"{t.Rows} rows, {ranges} unreadable ranges lost",
        };
        Console.Error.WriteLine($"salvaged {store.Path}: {string.Join("; ", tables.Select(t => $"{t.Table} {Lost(t)}"))}");
        return store;
    }

    private static void WriteHtml(string file, string html)
    {
        try
        {
            File.WriteAllText(file, html);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliErrors.CannotWriteReport(file, "--html", e);
        }
    }
}
