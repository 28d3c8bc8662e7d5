using System.Net;
using System.Runtime.InteropServices;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Specs;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Sweeping;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Serve;

/// <summary>
/// <c>kvmconfig serve</c>: the Prometheus exporter. Samples a host in the background (this one through /proc, a remote
/// one or any with <c>--source libvirt</c> through libvirt's bulk statistics), serves <c>/metrics</c> and
/// <c>/healthz</c>, keeps the figures in the history and logs alert crossings to stderr, until Ctrl+C or SIGTERM.
/// </summary>
internal sealed class ServeCommand : AsyncCommand<ServeSettings>
{
    /// <summary>Exit codes of <c>serve</c>, for its help.</summary>
    public const string ExitHelp = "Exit codes: 0 stopped by Ctrl+C or SIGTERM, 2 could not start (bad option, address in use, history file unwritable or not a kvmconfig history, [alerts] with errors).";

    public override async Task<int> ExecuteAsync(CommandContext context, ServeSettings settings, CancellationToken cancellationToken)
    {
        AlertThresholds thresholds = AlertSettings.Load(settings.ConfigDir);
        WebConfig web = settings.WebConfigFile is { } file ? WebConfig.Load(file) : WebConfig.None;
        using HistoryStore? history = settings.NoHistory ? null : HistoryStore.Open(settings.History ?? HistoryStore.DefaultPath);
        var options = new ExporterOptions
        {
            Web = web,
            Listen = settings.ListenValue,
            Interval = settings.IntervalValue,
            Thresholds = thresholds,
            History = history,
            Retention = settings.RetentionValue,
        };

        // Spectre's token follows Ctrl+C; SIGTERM (systemctl stop) is added here, and both stop the exporter cleanly
        // so that the history's last sweep is committed.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        string uri = settings.Uri;
        SweepSource source = settings.SourceValue;
        await using MetricsExporter exporter = MetricsExporter.Start(options, () => HostSweeper.Connect(uri, source, LibvirtMonitoredHost.Open), Console.Error);
        string historyText = history is null ? "no history" : $"history {history.Path} (retention {settings.Retention})";
        string through = source == SweepSource.Libvirt ? "libvirt's bulk statistics" : "/proc";
        string scheme = web.Tls ? "https" : "http";
        await Console.Error.WriteLineAsync(
            $"kvmconfig serve: {scheme}://{exporter.Endpoint}/metrics and /healthz, sampling {uri} through {through} every {settings.IntervalText}, {historyText}");
        if (!IPAddress.IsLoopback(exporter.Endpoint.Address) && !(web.Tls && web.Authenticates))
        {
            string missing = web.Tls ? "without basic auth" : web.Authenticates ? "without TLS (passwords cross the network in clear)" : "without TLS or basic auth";
            await Console.Error.WriteLineAsync(
                $"kvmconfig serve: warning: listening on {exporter.Endpoint}, beyond this host, {missing}: anyone who reaches the port reads every VM's figures; pass --web-config FILE (docs/security.md)");
        }

        try
        {
            await exporter.Completion.WaitAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return ExitCodes.Ok;
    }
}
