using System.Diagnostics;
using System.Globalization;
using KvmConfig.Config;
using KvmConfig.Config.Semantics;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Validation;
using KvmConfig.Linux;

namespace KvmConfig.Bench;

/// <summary>
/// The child side: one measurement in a fresh process, so that JIT, page faults and the peak resident set
/// belong to that measurement alone. Prints one <c>RESULT key=value ...</c> line that <see cref="Harness"/> parses.
/// </summary>
internal static class Measurement
{
    /// <summary>What a child can measure.</summary>
    public static readonly string[] Modes = ["baseline", "kvmconfig", "phases"];

    public static int Run(string mode, string directory, string sysRoot)
    {
        var fields = new List<(string Key, string Value)>();
        switch (mode)
        {
            case "baseline":
                Baseline(directory, fields);
                break;
            case "kvmconfig":
                Check(directory, sysRoot, fields);
                break;
            case "phases":
                Phases(directory, sysRoot, fields);
                break;
            default:
                Console.Error.WriteLine($"unknown measurement '{mode}'; expected one of {string.Join(", ", Modes)}");
                return 2;
        }

        fields.Add(("peak_rss_kib", PeakRssKiB().ToString(CultureInfo.InvariantCulture)));
        fields.Add(("allocated_bytes", GC.GetTotalAllocatedBytes(precise: true).ToString(CultureInfo.InvariantCulture)));
        fields.Add(("gc_gen0", GC.CollectionCount(0).ToString(CultureInfo.InvariantCulture)));
        fields.Add(("gc_gen2", GC.CollectionCount(2).ToString(CultureInfo.InvariantCulture)));
        Console.WriteLine("RESULT " + string.Join(' ', fields.Select(f => $"{f.Key}={f.Value}")));
        return 0;
    }

    // The floor any parser pays: list the *.conf files, sort them as the reader does, read every byte.
    private static void Baseline(string directory, List<(string, string)> fields)
    {
        var clock = Stopwatch.StartNew();
        string[] files = Directory.GetFiles(directory, "*.conf");
        Array.Sort(files, StringComparer.Ordinal);
        long bytes = 0;
        foreach (string file in files)
        {
            bytes += File.ReadAllBytes(file).Length;
        }

        clock.Stop();
        fields.Add(("wall_ms", Ms(clock.Elapsed)));
        fields.Add(("files", files.Length.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("bytes", bytes.ToString(CultureInfo.InvariantCulture)));
    }

    // What `kvmconfig check` does after reading the host: read + parse + bind + rules + ordering, in one call.
    private static void Check(string directory, string sysRoot, List<(string, string)> fields)
    {
        var clock = Stopwatch.StartNew();
        HostTopology host = new SysfsTopologyReader(sysRoot).Read();
        TimeSpan hostTime = clock.Elapsed;

        clock.Restart();
        CheckReport report = DeclarationCheck.Run(directory, host);
        clock.Stop();

        fields.Add(("wall_ms", Ms(clock.Elapsed)));
        fields.Add(("host_ms", Ms(hostTime)));
        fields.Add(("files", report.Source.Documents.Count.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("vms", report.Declaration.Vms.Count.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("diagnostics", report.Diagnostics.Count.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("errors", report.Errors.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("warnings", report.Warnings.ToString(CultureInfo.InvariantCulture)));
        fields.Add(("codes", Codes(report.Diagnostics)));
        GC.KeepAlive(report);
    }

    // Where the time goes, phase by phase (each phase's first call, JIT included, as in a real run).
    private static void Phases(string directory, string sysRoot, List<(string, string)> fields)
    {
        HostTopology host = new SysfsTopologyReader(sysRoot).Read();
        var clock = Stopwatch.StartNew();
        ConfigSource source = new ConfigDirectoryReader(directory).Read();
        fields.Add(("read_parse_ms", Ms(clock.Elapsed)));

        clock.Restart();
        (Core.Specs.Declaration declaration, IReadOnlyList<Diagnostic> binding) = DeclarationBinder.Bind(source.Documents);
        fields.Add(("bind_ms", Ms(clock.Elapsed)));

        clock.Restart();
        IReadOnlyList<Diagnostic> rules = DeclarationRules.Check(declaration, host);
        fields.Add(("rules_ms", Ms(clock.Elapsed)));
        fields.Add(("diagnostics", (source.Diagnostics.Count + binding.Count + rules.Count).ToString(CultureInfo.InvariantCulture)));
    }

    private static string Codes(IEnumerable<Diagnostic> diagnostics) =>
        string.Join(',', diagnostics
            .GroupBy(d => d.Descriptor.Name)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}:{g.Count()}"));

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture);

    // /proc/self/status, line "VmHWM:     123456 kB": the peak resident set size of this process so far.
    private static long PeakRssKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/self/status has no VmHWM line");
    }
}
