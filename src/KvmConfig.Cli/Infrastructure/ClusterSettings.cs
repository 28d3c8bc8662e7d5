using System.ComponentModel;
using System.Globalization;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Libvirt.Cluster;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Options of the <c>cluster</c> commands: the inventory's directory, how its nodes are read, the output format.</summary>
internal abstract class ClusterSettings : CommandSettings
{
    [CommandOption("--config-dir <DIR>")]
    [Description("Configuration directory with the [[node NAME]] sections (default: $KVMCONFIG_DIR or /etc/kvmconfig.d).")]
    public string? ConfigDir { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("Output format: text, or json for scripts (docs/cluster-json.md).")]
    [DefaultValue("text")]
    public string Format { get; init; } = "text";

    [CommandOption("--concurrency <N>")]
    [Description("Nodes read at once.")]
    [DefaultValue(8)]
    public int Concurrency { get; init; } = 8;

    [CommandOption("--node-timeout <DURATION>")]
    [Description("How long one node may take to answer (its libvirt, or its captured files) before it counts as unreachable.")]
    [DefaultValue("30s")]
    public string NodeTimeout { get; init; } = "30s";

    [CommandOption("-v|--verbose")]
    [Description("Also show notes: defaults applied, where each node's topology came from.")]
    public bool Verbose { get; init; }

    /// <summary>The directory to read: <c>--config-dir</c>, else <c>$KVMCONFIG_DIR</c>, else <c>/etc/kvmconfig.d</c>.</summary>
    public string Directory =>
        ConfigDirectoryReader.Resolve(ConfigDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));

    public bool Json => Format == "json";

    public TimeSpan NodeTimeoutValue => Durations.Parse(NodeTimeout) ?? TimeSpan.FromSeconds(30);

    public override ValidationResult Validate() =>
        OptionValue.IsMissing(ConfigDir) ? ValidationResult.Error("--config-dir needs a directory, e.g. --config-dir /etc/kvmconfig.d")
        : Format is not ("text" or "json") ? ValidationResult.Error($"--format {Format}: use one of text, json")
        : Concurrency is < 1 or > 256 ? ValidationResult.Error($"--concurrency {Concurrency.ToString(CultureInfo.InvariantCulture)}: give 1 to 256 nodes read at once")
        : Durations.Parse(NodeTimeout) is not { TotalSeconds: >= 0.1 } ? ValidationResult.Error($"--node-timeout {NodeTimeout}: give a duration of at least 100ms, e.g. 30s")
        : ValidationResult.Success();

    /// <summary>
    /// The opening of every <c>cluster</c> command: the directory checked as <c>check</c> checks it, without a host (the
    /// cluster rules included), then every node read. Null after printing why (the check's findings: exit 1; no
    /// inventory: exit 2); the readings otherwise, unreachable nodes among them.
    /// </summary>
    public (CheckReport Report, IReadOnlyList<NodeReading> Nodes)? Open(out int exit)
    {
        CheckReport report = ClusterCheck.Run(Directory);
        string against = $"the cluster inventory ({Units.Plural(report.Declaration.Nodes.Count, "node")})";
        if (!report.Ok)
        {
            Console.Out.Write(CheckText.Render(report, against, Verbose, Terminal.Color));
            exit = ExitCodes.Errors;
            return null;
        }

        if (report.Declaration.Nodes.Count == 0)
        {
            FailureRenderer.Write(CliErrors.NoInventory(report.Source.Directory));
            exit = ExitCodes.CouldNotRun;
            return null;
        }

        HashSet<string> declared = [.. report.Declaration.Vms.Select(v => v.Name)];
        using var progress = new ProgressLine($"reading {Units.Plural(report.Declaration.Nodes.Count, "node")}");
        IReadOnlyList<NodeReading> nodes = ClusterNodeReader.ReadAll(report.Declaration.Nodes, declared, Concurrency, NodeTimeoutValue, progress);
        progress.Done();
        exit = ExitCodes.Ok;
        return (report, nodes);
    }
}

/// <summary>
/// A progress line on stderr for work that takes more than a second: on a terminal it is rewritten in place every
/// second with the latest step and the time taken; when stderr is redirected, one line when the second has passed and
/// one when the work ends, so that logs are not flooded.
/// </summary>
internal sealed class ProgressLine : IProgress<string>, IDisposable
{
    private readonly string _what;
    private readonly long _start = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly Timer _timer;
    private readonly Lock _lock = new();
    private string _latest = "";
    private bool _shown;
    private bool _done;

    public ProgressLine(string what)
    {
        _what = what;
        _timer = new Timer(_ => Show(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    private double Seconds => System.Diagnostics.Stopwatch.GetElapsedTime(_start).TotalSeconds;

    public void Report(string value)
    {
        lock (_lock)
        {
            _latest = value;
        }
    }

    /// <summary>Ends the line (saying how long the work took, when the line was shown).</summary>
    public void Done()
    {
        _timer.Dispose();
        lock (_lock)
        {
            _done = true;
            if (_shown)
            {
                Console.Error.WriteLine(Console.IsErrorRedirected ? $"{_what}: done in {Seconds:0.0} s" : $"\r{_what}: {_latest}, done in {Seconds:0.0} s   ");
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Show()
    {
        lock (_lock)
        {
            if (_done || (_shown && Console.IsErrorRedirected))
            {
                return;
            }

            _shown = true;
            if (Console.IsErrorRedirected)
            {
                Console.Error.WriteLine($"{_what}: {_latest} ...");
            }
            else
            {
                Console.Error.Write($"\r{_what}: {_latest} ({Seconds:0} s)   ");
            }
        }
    }
}
