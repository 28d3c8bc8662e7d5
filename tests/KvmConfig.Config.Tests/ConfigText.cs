using System.Globalization;
using KvmConfig.Config.Semantics;
using KvmConfig.Config.Syntax;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

/// <summary>
/// Configuration text in memory for the syntax and binding tests, and short renderings of what comes out, so
/// that a table row can state its expectation as one readable string.
/// </summary>
internal static class ConfigText
{
    /// <summary>Where the in-memory files pretend to live; only the file name matters (implied headers).</summary>
    public const string Dir = "/etc/kvmconfig.d";

    /// <summary>Parses one file named <paramref name="fileName"/>.</summary>
    public static (ConfigDocument Document, List<Diagnostic> Diagnostics) ParseFile(string fileName, string text)
    {
        var diagnostics = new List<Diagnostic>();
        ConfigDocument document = ConfigParser.Parse(Path.Combine(Dir, fileName), text, diagnostics);
        return (document, diagnostics);
    }

    /// <summary>
    /// Splits a directory written as one string into files: each file starts with a line <c>--- NAME</c>.
    /// Text before the first such line belongs to <c>10-test.conf</c>.
    /// </summary>
    public static List<(string Name, string Text)> Files(string directory)
    {
        var files = new List<(string Name, List<string> Lines)>();
        foreach (string line in directory.Split('\n'))
        {
            if (line.StartsWith("--- ", StringComparison.Ordinal))
            {
                files.Add((line[4..].Trim(), []));
                continue;
            }

            if (files.Count == 0)
            {
                files.Add(("10-test.conf", []));
            }

            files[^1].Lines.Add(line);
        }

        return files.Select(f => (f.Name, string.Join('\n', f.Lines))).ToList();
    }

    /// <summary>Parses and binds a directory written as in <see cref="Files"/>; fails the test on a syntax error.</summary>
    public static (Declaration Declaration, IReadOnlyList<Diagnostic> Diagnostics) Bind(string directory)
    {
        var documents = new List<ConfigDocument>();
        foreach ((string name, string text) in Files(directory))
        {
            (ConfigDocument document, List<Diagnostic> syntax) = ParseFile(name, text);
            Assert.True(syntax.Count == 0, $"the binder test's own text has syntax errors: {Render(syntax)}");
            documents.Add(document);
        }

        return DeclarationBinder.Bind(documents);
    }

    /// <summary><c>00-cpu.conf:2:10+3</c>: file name, 1-based line and column, length.</summary>
    public static string Render(SourceSpan? span) =>
        span is null ? "(nowhere)" : $"{Path.GetFileName(span.File)}:{span.Line}:{span.Column}+{span.Length}";

    /// <summary><c>KVC015 info 50-b.conf:2:1+11</c>.</summary>
    public static string Render(Diagnostic d) => $"{d.Code} {d.Severity.ToString().ToLowerInvariant()} {Render(d.Span)}";

    /// <summary>Diagnostics in report order, joined by <c> | </c>; empty when there are none.</summary>
    public static string Render(IEnumerable<Diagnostic> diagnostics) => string.Join(" | ", diagnostics.Select(Render));

    /// <summary>
    /// Sections as written: <c>[host]: cpuset=2-5 | [vm vm1]*: cpus=1-4</c>, where <c>*</c> marks a header
    /// implied by the file name.
    /// </summary>
    public static string Render(ConfigDocument document) =>
        string.Join(" | ", document.Sections.Select(s =>
            $"{s.Title}{(s.Implied ? "*" : "")}:{string.Concat(s.Entries.Select((e, i) => (i == 0 ? " " : ", ") + e.Key + "=" + e.Value))}"));

    /// <summary>One bound VM value as text, by its key in the configuration (none = not set).</summary>
    public static string Value(VmSpec vm, string key) => key switch
    {
        "vcpus" => Text(vm.Vcpus),
        "cpus" => vm.Cpus?.ToString() ?? "auto",
        "cpuspinlock" => Word(vm.Pinning),
        "cpuscheduling" => vm.Scheduling.ToString(),
        "smt" => Word(vm.Smt),
        "emulator" => Word(vm.Emulator),
        "numa" => Word(vm.Numa),
        "hugepages" => Word(vm.HugePages),
        "vcpus_max" => Text(vm.VcpusMax),
        "cpu_weight" => Text(vm.CpuWeight),
        "cpu_limit" => Text(vm.CpuLimit),
        "memory" => Text(vm.MemoryMiB),
        "numa_nodes" => vm.NumaNodes?.ToString() ?? "auto",
        "disk_weight" => Text(vm.DiskWeight),
        "disk_read_bps" => Text(vm.DiskReadBytesPerSec),
        "disk_write_bps" => Text(vm.DiskWriteBytesPerSec),
        "disk_iops" => Text(vm.DiskIops),
        "net_bandwidth" => Text(vm.NetBandwidthBitsPerSec),
        "profile" => vm.Profile ?? "none",
        "group" => vm.Group ?? "none",
        "host" => vm.Host ?? "none",
        "group_spread" => Word(vm.GroupSpread),
        _ => throw new ArgumentException($"no VM key '{key}'", nameof(key)),
    };

    /// <summary>One bound <c>[host]</c> value as text, by its key in the configuration (none = not set).</summary>
    public static string Value(HostPolicy host, string key) => key switch
    {
        "cpuset" => host.CpuSet?.ToString() ?? "none",
        "reserved" => host.Reserved?.ToString() ?? "none",
        "cpuspinlock" => Word(host.Pinning),
        "cpuscheduling" => host.Scheduling.ToString(),
        "overcommit" => host.Overcommit.ToString(),
        "max_vm_share" => host.MaxVmShare.ToString(),
        "smt" => Word(host.Smt),
        "emulator" => Word(host.Emulator),
        "numa" => Word(host.Numa),
        "hugepages" => Word(host.HugePages),
        "memory_reserved" => Text(host.MemoryReservedMiB),
        "cpufreq" => host.CpuFreq,
        "cpufreq_max" => host.CpuFreqMax is null ? "none" : Cap(host.CpuFreqMax),
        _ => throw new ArgumentException($"no host key '{key}'", nameof(key)),
    };

    /// <summary>
    /// One bound <c>[node]</c> value as text, by its key in the configuration (none = not set); <c>policy.KEY</c> is the
    /// node's host policy's value of a <c>[host]</c> key.
    /// </summary>
    public static string Value(NodeSpec node, string key) => key switch
    {
        "uri" => node.Uri ?? "none",
        "rack" => node.Rack ?? "none",
        "sysroot" => node.Sysroot ?? "none",
        "capabilities" => node.Capabilities ?? "none",
        _ when key.StartsWith("policy.", StringComparison.Ordinal) => Value(node.Policy, key["policy.".Length..]),
        _ => throw new ArgumentException($"no [node] key '{key}'", nameof(key)),
    };

    /// <summary>One bound <c>[alerts]</c> threshold as text, by its key in the configuration.</summary>
    public static string Value(AlertThresholds alerts, string key) => key switch
    {
        "ready_warning" => Text(alerts.ReadyWarningPercent),
        "ready_critical" => Text(alerts.ReadyCriticalPercent),
        "disk_queue_depth" => Text(alerts.DiskQueueDepthRequests),
        "tcp_retransmit" => Text(alerts.TcpRetransmitPercent),
        "reclaim_efficiency" => Text(alerts.ReclaimEfficiencyPercent),
        "memory_overhead" => Text(alerts.MemoryOverheadPercent),
        "cpu_pressure" => Text(alerts.CpuPressurePercent),
        "for" => $"{Text(alerts.HoldFor.TotalSeconds)}s",
        "clear_margin" => Text(alerts.ClearMarginPercent),
        _ => throw new ArgumentException($"no [alerts] key '{key}'", nameof(key)),
    };

    /// <summary><c>3000000kHz</c> or <c>90%</c>.</summary>
    public static string Cap(FrequencyCap cap) => cap.AtBase ? "base" : cap.KHz is { } k ? $"{Text(k)}kHz" : $"{cap.Percent}%";

    public static string Text<T>(T? value)
        where T : struct, IFormattable => value is { } v ? v.ToString(null, CultureInfo.InvariantCulture) : "none";

    public static string Text<T>(T value)
        where T : struct, IFormattable => value.ToString(null, CultureInfo.InvariantCulture);

    private static string Word<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>Equality assertions that carry a table row's prose description into the failure message.</summary>
internal static class Expect
{
    public static void Equal(string description, string expected, string actual) =>
        Assert.True(expected == actual, $"{description}\n  expected: {expected}\n  actual:   {actual}");

    public static void Contains(string description, string expected, string? actual) =>
        Assert.True(actual is not null && actual.Contains(expected, StringComparison.Ordinal),
            $"{description}\n  expected to contain: {expected}\n  actual:              {actual ?? "(null)"}");
}
