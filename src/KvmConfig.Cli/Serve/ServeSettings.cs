using System.ComponentModel;
using System.Net;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Monitoring.History;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Serve;

/// <summary><c>serve</c>'s own options, after the ones every watching command takes.</summary>
internal sealed class ServeSettings : MonitorSettings
{
    [CommandOption("--listen <ADDRESS:PORT>")]
    [Description("Where /metrics and /healthz are served: an IP address and a port, e.g. 127.0.0.1:9477 or [[::1]]:9477. Loopback by default; 0.0.0.0:9477 listens on every interface.")]
    [DefaultValue("127.0.0.1:9477")]
    public string Listen { get; init; } = "127.0.0.1:9477";

    [CommandOption("--web-config <FILE>")]
    [Description("TLS and basic authentication for /metrics and /healthz, from the web configuration file Prometheus exporters share (tls_server_config.cert_file and key_file, basic_auth_users with bcrypt hashes); see docs/security.md. Without it the endpoint is plain HTTP for anyone who reaches it.")]
    public string? WebConfigFile { get; init; }

    [CommandOption("--history <FILE>")]
    [Description("The SQLite history each interval's figures are appended to (created when missing; a file that is not a kvmconfig history is refused, never overwritten). Default " + HistoryStore.DefaultPath + ".")]
    public string? History { get; init; }

    [CommandOption("--no-history")]
    [Description("Keep no history.")]
    public bool NoHistory { get; init; }

    [CommandOption("--retention <DURATION>")]
    [Description("How long history is kept, 1m to 3650d: 7d, 48h, 90m. Older sweeps are pruned once an hour.")]
    [DefaultValue("7d")]
    public string Retention { get; init; } = "7d";

    protected override string Command => "serve";

    protected override string DefaultInterval => "10s";

    protected override (TimeSpan Least, string Example, string Why) IntervalBounds =>
        (TimeSpan.FromSeconds(1), "10s or 1m", "an exporter scraped every 15-60 s gains nothing from faster sweeps");

    public IPEndPoint ListenValue => ParseListen(Listen)!;

    public TimeSpan RetentionValue => Durations.Parse(Retention) ?? TimeSpan.Zero;

    public override ValidationResult Validate()
    {
        if (ParseListen(Listen) is null)
        {
            return ValidationResult.Error($"--listen {Listen}: give an IP address and a port, e.g. 127.0.0.1:9477 or [::1]:9477");
        }

        ValidationResult shared = base.Validate();
        if (!shared.Successful)
        {
            return shared;
        }

        if (Durations.Check("--retention", Retention, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650), "7d, 48h or 90m") is { } retention)
        {
            return ValidationResult.Error(retention);
        }

        return History is not null && NoHistory
            ? ValidationResult.Error("--history and --no-history: give one or the other")
            : ValidationResult.Success();
    }

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
