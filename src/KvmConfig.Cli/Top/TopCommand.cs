using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Specs;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.Sweeping;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Top;

/// <summary>
/// <c>kvmconfig top</c>: CPU ready per vCPU, CPU use and memory overhead of every running domain, and the host's TCP
/// retransmits, page-reclaim efficiency and pressure, refreshed every interval, thresholds from <c>[alerts]</c>. The
/// local host is read through /proc; a remote one (or any, with <c>--source libvirt</c>) through libvirt's bulk
/// statistics, without the host's figures.
/// </summary>
internal sealed class TopCommand : Command<TopCommand.Settings>
{
    /// <summary>Exit codes of <c>top</c>, for its help.</summary>
    public const string ExitHelp = "Exit codes: 0 shown, 2 could not run (libvirt unreachable, bad option, a configuration directory with errors).";

    internal sealed class Settings : MonitorSettings
    {
        [CommandOption("--once")]
        [Description("Take one sample after one interval, print it and exit (for scripts and tests).")]
        public bool Once { get; init; }

        [CommandOption("--format <FORMAT>")]
        [Description("text (a table, refreshed in place on a terminal) or json (one document per sample; see docs/top-json.md).")]
        [DefaultValue("text")]
        public string Format { get; init; } = "text";

        protected override string Command => "top";

        protected override string DefaultInterval => "2s";

        protected override (TimeSpan Least, string Example, string Why) IntervalBounds =>
            (TimeSpan.FromMilliseconds(100), "2s, 500ms or 1m", "shorter intervals measure the scheduler's tick, not contention");

        public override ValidationResult Validate()
        {
            ValidationResult shared = base.Validate();
            return !shared.Successful ? shared
                : Format is "text" or "json" ? ValidationResult.Success()
                : ValidationResult.Error($"--format {Format}: use text or json");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string uri = settings.Uri;
        AlertThresholds thresholds = AlertSettings.Load(settings.ConfigDir);
        // --once prints the first interval alone: it waits for every figure of it (the guest disks come a sweep late otherwise).
        using HostSweeper sweeper = HostSweeper.Connect(uri, settings.SourceValue, LibvirtMonitoredHost.Open, completeFirstInterval: settings.Once);
        Func<SweepSample> sweep = WarnWithoutReady(sweeper);
        bool json = settings.Format == "json";

        SweepSample previous = sweep();
        if (settings.Once || json || Console.IsOutputRedirected)
        {
            // One document (or one table) per interval, printed in turn; --once stops after the first.
            do
            {
                if (cancellationToken.WaitHandle.WaitOne(settings.IntervalValue))
                {
                    return ExitCodes.Ok;
                }

                SweepSample next = sweep();
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
                SweepSample next = sweep();
                live.UpdateTarget(TopView.Table(SweepFigures.Between(previous, next), thresholds, uri, settings.IntervalText));
                previous = next;
            }
        });
        return ExitCodes.Ok;
    }

    // Through libvirt, says once on stderr when the daemon does not report CPU ready: those vCPUs are left out rather
    // than shown at 0.
    private static Func<SweepSample> WarnWithoutReady(HostSweeper sweeper)
    {
        bool warned = false;
        return () =>
        {
            SweepSample sample = sweeper.Sweep();
            if (!warned && sweeper.DomainsWithoutDelay.Count > 0)
            {
                warned = true;
                Console.Error.WriteLine(
                    $"warning: {sweeper.Uri} does not report vcpu.N.delay (libvirt too old?) for {string.Join(", ", sweeper.DomainsWithoutDelay)}: "
                    + "CPU ready cannot be measured there, and those vCPUs are left out");
            }

            return sample;
        };
    }
}
