using System.ComponentModel;
using System.Net;
using System.Runtime.InteropServices;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Specs;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Sweeping;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Serve;

/// <summary>
/// <c>kvmconfig serve</c>: the Prometheus exporter. Samples a host in the background (this one through /proc, a remote
/// one or any with <c>--source libvirt</c> through libvirt's bulk statistics), serves <c>/metrics</c> and
/// <c>/healthz</c>, keeps the figures in the history and logs alert crossings to stderr, until Ctrl+C or SIGTERM.
/// </summary>
internal sealed class ServeCommand : AsyncCommand<ServeCommand.Settings>
{
    /// <summary>Exit codes of <c>serve</c>, for its help.</summary>
    public const string ExitHelp = "Exit codes: 0 stopped by Ctrl+C or SIGTERM, 2 could not start (bad option, address in use, history file unwritable or not a kvmconfig history, [alerts] with errors).";

    /// <summary>Where history is kept unless --history or --no-history says otherwise.</summary>
    public const string DefaultHistory = "/var/lib/kvmconfig/history.db";

    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--connect <URI>")]
        [Description("The libvirt URI whose running domains are sampled; default qemu:///system. A URI with a host part (qemu+ssh://root@kvm1/system, qemu+tls://kvm1/system) is read through libvirt's bulk statistics alone: see --source. E.g. serve --connect qemu+ssh://root@kvm1/system --listen 127.0.0.1:9478.")]
        public string? Connect { get; init; }

        [CommandOption("--source <SOURCE>")]
        [Description("Where the figures come from: auto (this host's /proc for a URI without a host part, libvirt otherwise), proc, or libvirt (bulk statistics only, as for a remote host: vCPU, memory and device series per domain; no host TCP, reclaim, pressure or disk series; see docs/monitoring-remote.md).")]
        [DefaultValue("auto")]
        public string Source { get; init; } = "auto";

        [CommandOption("--listen <ADDRESS:PORT>")]
        [Description("Where /metrics and /healthz are served: an IP address and a port, e.g. 127.0.0.1:9477 or [[::1]]:9477. Loopback by default; 0.0.0.0:9477 listens on every interface.")]
        [DefaultValue("127.0.0.1:9477")]
        public string Listen { get; init; } = "127.0.0.1:9477";

        [CommandOption("--web-config <FILE>")]
        [Description("TLS and basic authentication for /metrics and /healthz, from the web configuration file Prometheus exporters share (tls_server_config.cert_file and key_file, basic_auth_users with bcrypt hashes); see docs/security.md. Without it the endpoint is plain HTTP for anyone who reaches it.")]
        public string? WebConfigFile { get; init; }

        [CommandOption("--interval <DURATION>")]
        [Description("Time between sweeps, 1s to 1h: 10s, 1m.")]
        [DefaultValue("10s")]
        public string Interval { get; init; } = "10s";

        [CommandOption("--history <FILE>")]
        [Description("The SQLite history each interval's figures are appended to (created when missing; a file that is not a kvmconfig history is refused, never overwritten). Default " + DefaultHistory + ".")]
        public string? History { get; init; }

        [CommandOption("--no-history")]
        [Description("Keep no history.")]
        public bool NoHistory { get; init; }

        [CommandOption("--retention <DURATION>")]
        [Description("How long history is kept, 1m to 3650d: 7d, 48h, 90m. Older sweeps are pruned once an hour.")]
        [DefaultValue("7d")]
        public string Retention { get; init; } = "7d";

        [CommandOption("--config-dir <DIR>")]
        [Description("Where [[alerts]] thresholds are read (default: $KVMCONFIG_DIR or /etc/kvmconfig.d; the defaults of DESIGN.md when it does not exist).")]
        public string? ConfigDir { get; init; }

        public IPEndPoint ListenValue => ParseListen(Listen)!;

        public TimeSpan IntervalValue => Durations.Parse(Interval) ?? TimeSpan.Zero;

        public TimeSpan RetentionValue => Durations.Parse(Retention) ?? TimeSpan.Zero;

        public override ValidationResult Validate()
        {
            if (ParseListen(Listen) is null)
            {
                return ValidationResult.Error($"--listen {Listen}: give an IP address and a port, e.g. 127.0.0.1:9477 or [::1]:9477");
            }

            if (Durations.Check("--interval", Interval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "10s or 1m",
                    "an exporter scraped every 15-60 s gains nothing from faster sweeps") is { } interval)
            {
                return ValidationResult.Error(interval);
            }

            if (Durations.Check("--retention", Retention, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650), "7d, 48h or 90m") is { } retention)
            {
                return ValidationResult.Error(retention);
            }

            if (SweepSources.Parse(Source) is not { } source)
            {
                return ValidationResult.Error($"--source {Source}: use {SweepSources.Choices}");
            }

            if (SweepSources.Resolve(Uri, source) is null)
            {
                return ValidationResult.Error($"--source proc reads this host's /proc, and {Uri} names another host: use --source libvirt (or auto), or run kvmconfig serve on that host");
            }

            return History is not null && NoHistory
                ? ValidationResult.Error("--history and --no-history: give one or the other")
                : ValidationResult.Success();
        }

        public string Uri => Connect ?? "qemu:///system";

        public SweepSource SourceValue => SweepSources.Resolve(Uri, SweepSources.Parse(Source) ?? SweepSource.Auto) ?? SweepSource.Proc;

        // ADDRESS:PORT with an IP literal ([..] around IPv6) and a port from 1 to 65535; "localhost" is 127.0.0.1.
        internal static IPEndPoint? ParseListen(string text)
        {
            string t = text.Trim();
            if (t.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
            {
                t = "127.0.0.1" + t["localhost".Length..];
            }

            int colon = t.LastIndexOf(':');
            bool hasPort = colon > 0 && colon > t.LastIndexOf(']') && (t.StartsWith('[') || t.IndexOf(':') == colon);
            return hasPort && IPEndPoint.TryParse(t, out IPEndPoint? endpoint) && endpoint.Port is > 0 and <= 65535 ? endpoint : null;
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        AlertThresholds thresholds = AlertSettings.Load(settings.ConfigDir);
        WebConfig web = settings.WebConfigFile is { } file ? WebConfig.Load(file) : WebConfig.None;
        using HistoryStore? history = settings.NoHistory ? null : HistoryStore.Open(settings.History ?? DefaultHistory);
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
            $"kvmconfig serve: {scheme}://{exporter.Endpoint}/metrics and /healthz, sampling {uri} through {through} every {settings.Interval}, {historyText}");
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
