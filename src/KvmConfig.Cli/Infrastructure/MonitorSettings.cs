using System.ComponentModel;
using KvmConfig.Core;
using KvmConfig.Monitoring.Sweeping;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The options of the commands that watch a host (<c>top</c>, <c>serve</c>): where the figures come from, how often, and the thresholds.</summary>
internal abstract class MonitorSettings : ConnectSettings
{
    [CommandOption("--source <SOURCE>")]
    [Description("Where the figures come from: auto (this host's /proc for a URI without a host part, libvirt otherwise), proc, or libvirt (bulk statistics only, as for a remote host: vCPU, memory and device figures per domain; no host TCP, reclaim, pressure or disk queues; see docs/monitoring-remote.md). E.g. --connect qemu+ssh://root@kvm1/system, or --source libvirt.")]
    [DefaultValue("auto")]
    public string Source { get; init; } = "auto";

    [CommandOption("--interval <DURATION>")]
    [Description("Time between samples: 2s, 500ms, 1m (top: 100ms to 1h, default 2s; serve: 1s to 1h, default 10s). The figures are averages over it.")]
    public string? Interval { get; init; }

    [CommandOption("--config-dir <DIR>")]
    [Description(AlertSettings.ConfigDirHelp)]
    public string? ConfigDir { get; init; }

    /// <summary>The command's name, for messages.</summary>
    protected abstract string Command { get; }

    /// <summary>The interval when <c>--interval</c> is not given.</summary>
    protected abstract string DefaultInterval { get; }

    /// <summary>The shortest interval, and why nothing shorter.</summary>
    protected abstract (TimeSpan Least, string Example, string Why) IntervalBounds { get; }

    /// <summary>The interval as given (or the default), as the user typed it.</summary>
    public string IntervalText => Interval ?? DefaultInterval;

    /// <summary>The interval.</summary>
    public TimeSpan IntervalValue => Durations.Parse(IntervalText) ?? TimeSpan.Zero;

    /// <summary>The libvirt URI watched.</summary>
    public string Uri => Connect ?? DefaultUri;

    /// <summary>Where the sweeps read, <c>auto</c> resolved.</summary>
    public SweepSource SourceValue => SweepSources.Resolve(Uri, SweepSources.Parse(Source) ?? SweepSource.Auto) ?? SweepSource.Proc;

    public override ValidationResult Validate()
    {
        ValidationResult connect = base.Validate();
        if (!connect.Successful)
        {
            return connect;
        }

        (TimeSpan least, string example, string why) = IntervalBounds;
        if (Durations.Check("--interval", IntervalText, least, TimeSpan.FromHours(1), example, why) is { } interval)
        {
            return ValidationResult.Error(interval);
        }

        if (SweepSources.Parse(Source) is not { } source)
        {
            return ValidationResult.Error($"--source {Source}: use {SweepSources.Choices}");
        }

        return SweepSources.Resolve(Uri, source) is null
            ? ValidationResult.Error($"--source proc reads this host's /proc, and {Uri} names another host: use --source libvirt (or auto), or run kvmconfig {Command} on that host")
            : OptionValue.IsMissing(ConfigDir) ? ValidationResult.Error("--config-dir needs a value, e.g. --config-dir /etc/kvmconfig.d")
            : ValidationResult.Success();
    }
}
