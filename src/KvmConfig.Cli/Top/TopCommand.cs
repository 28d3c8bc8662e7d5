using System.ComponentModel;
using System.Globalization;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Libvirt;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Top;

/// <summary>
/// <c>kvmconfig top</c>: CPU ready per vCPU, CPU use and memory overhead of every running domain, and the host's TCP
/// retransmits, page-reclaim efficiency and pressure, refreshed every interval, thresholds from <c>[alerts]</c>.
/// </summary>
internal sealed class TopCommand : Command<TopCommand.Settings>
{
    /// <summary>Exit codes of <c>top</c>, for its help.</summary>
    public const string ExitHelp = "Exit codes: 0 shown, 2 could not run (libvirt unreachable, bad option, a configuration directory with errors).";

    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--connect <URI>")]
        [Description("The libvirt URI whose running domains are shown; default qemu:///system. Figures come from this host's /proc, so the URI must be local.")]
        public string? Connect { get; init; }

        [CommandOption("--interval <DURATION>")]
        [Description("Time between samples: 2s, 500ms, 1m. The figures are averages over it.")]
        [DefaultValue("2s")]
        public string Interval { get; init; } = "2s";

        [CommandOption("--once")]
        [Description("Take one sample after one interval, print it and exit (for scripts and tests).")]
        public bool Once { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("text (a table, refreshed in place on a terminal) or json (one document per sample; see docs/top-json.md).")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        [CommandOption("--config-dir <DIR>")]
        [Description("Where [alerts] thresholds are read (default: $KVMCONFIG_DIR or /etc/kvmconfig.d; the defaults of DESIGN.md when it does not exist).")]
        public string? ConfigDir { get; init; }

        public TimeSpan IntervalValue => Durations.Parse(Interval) ?? TimeSpan.Zero;

        public override ValidationResult Validate()
        {
            if (Durations.Parse(Interval) is not { } interval || interval <= TimeSpan.Zero)
            {
                return ValidationResult.Error($"--interval {Interval}: give a duration above zero, e.g. 2s, 500ms or 1m");
            }

            if (interval < TimeSpan.FromMilliseconds(100))
            {
                return ValidationResult.Error($"--interval {Interval}: at least 100ms (shorter intervals measure the scheduler's tick, not contention)");
            }

            return Format is "text" or "json" ? ValidationResult.Success() : ValidationResult.Error($"--format {Format}: use text or json");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string uri = settings.Connect ?? "qemu:///system";
        if (!IsLocal(uri))
        {
            Console.Error.WriteLine($"error[{Rules.LibvirtUnavailable.Code}]: top reads this host's /proc, and {uri} names another host");
            Console.Error.WriteLine("  = hint: run kvmconfig top on that host (or use kvmconfig serve there and scrape it)");
            return ExitCodes.CouldNotRun;
        }

        AlertThresholds thresholds = AlertSettings.Load(settings.ConfigDir);
        using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
        var procfs = new ProcfsReader();
        var sweeper = new LocalSweeper(connection, new LocalSampler(new QemuProcesses(), procfs, new CgroupReader()), procfs);
        bool json = settings.Format == "json";

        SweepSample previous = sweeper.Sweep();
        if (settings.Once || json || Console.IsOutputRedirected)
        {
            // One document (or one table) per interval, printed in turn; --once stops after the first.
            do
            {
                if (cancellationToken.WaitHandle.WaitOne(settings.IntervalValue))
                {
                    return ExitCodes.Ok;
                }

                SweepSample next = sweeper.Sweep();
                SweepFigures figures = SweepFigures.Between(previous, next);
                Console.Out.Write(json ? TopView.Json(figures, thresholds, uri) : TopView.Text(figures, thresholds, color: false));
                previous = next;
            }
            while (!settings.Once);

            return ExitCodes.Ok;
        }

        // On a terminal: the table refreshed in place until Ctrl+C.
        AnsiConsole.Live(new Markup("[grey]first sample in progress...[/]")).Start(live =>
        {
            while (!cancellationToken.WaitHandle.WaitOne(settings.IntervalValue))
            {
                SweepSample next = sweeper.Sweep();
                live.UpdateTarget(TopView.Table(SweepFigures.Between(previous, next), thresholds, uri, settings.Interval));
                previous = next;
            }
        });
        return ExitCodes.Ok;
    }

    // A URI without a host part (qemu:///system, qemu+unix:///system) is this machine.
    private static bool IsLocal(string uri) => Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) && string.IsNullOrEmpty(parsed.Host);
}
