using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Forecasting;
using KvmConfig.Monitoring.Forecasts;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>capacity --from-history</c> rendered: when the VMs' CPU use and memory reach what the nodes give them, as text
/// or JSON (docs/capacity.md, Forecasts). The forecast itself is <see cref="Libvirt.Cluster.CapacityNodes.FromHistory"/>.
/// </summary>
internal static class CapacityHistory
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The answer as text: one node's history, or several nodes' added up.</summary>
    public static string Text(CapacityForecast f)
    {
        HistoryForecast h = f.History;
        var text = new StringBuilder();
        string gives = Invariant($"{Units.Plural(f.CpusForVms, "CPU")} and {GiB(f.MemoryForVmsMiB)} GiB");
        text.AppendLine(f.Histories.Count == 1
            ? Invariant($"capacity from history {h.History}: {h.Sweeps} sweeps, {Time(h.First)} to {Time(h.Last)}; {Like(f.Nodes[0].Name)} gives VMs {gives}")
            : Invariant($"capacity from {f.Histories.Count} nodes' histories ({string.Join(", ", f.Histories.Zip(f.Nodes, (x, n) => $"{x.History}: {n.Name}"))}): {f.Histories.Sum(x => x.Sweeps)} sweeps, {Time(f.Histories.Min(x => x.First))} to {Time(f.Histories.Max(x => x.Last))}; the {f.Histories.Count} nodes give VMs {gives}"));
        if (f.VmCpu is not { } cpu)
        {
            text.AppendLine("  no VM was measured: nothing to forecast");
            return text.ToString();
        }

        text.AppendLine(Dimension("CPU use", cpu, Cpus, "CPUs", h.Horizon));
        text.AppendLine(f.VmMemory is { } memory
            ? Dimension("memory", memory, GiB, "GiB", h.Horizon)
            : "  memory is not forecast: the history keeps no memory in bytes (written by a kvmconfig before schema 3)");
        Crossing x = f.AnotherNode!;
        string binds = f.Binds == "memory" ? "memory binds" : "CPU binds";
        string nodes = f.Histories.Count == 1 ? "node" : "nodes";
        text.AppendLine(x.Status switch
        {
            CrossingStatus.Already => Invariant($"  another node is needed now: the VMs already use what the {nodes} give them ({binds})"),
            CrossingStatus.Expected => Invariant($"  another node is needed by {Time(x.At!.Value)} ({binds}; 95 % interval {Time(x.Earliest!.Value)} to {(x.Latest is { } l ? Time(l) : "beyond the horizon")})"),
            _ => Invariant($"  no other node is needed within {Forecaster.Show(h.Horizon)} at the measured growth{(x.Earliest is { } e ? $"; the band reaches what the {nodes} give VMs from {Time(e)} ({binds})" : "")}"),
        });
        if (f.CpuPressure?.Forecast?.Crossing is { } p)
        {
            text.AppendLine(Invariant($"  host CPU pressure against its warning ({HistoryForecast.Number(p.Threshold)} %): {Report(p)}"));
        }

        return text.ToString();
    }

    /// <summary>The answer as JSON (docs/capacity.md).</summary>
    public static string Json(CapacityForecast f) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["history"] = f.History.History,
            ["histories"] = new JsonArray([.. f.Histories.Select(x => (JsonNode?)JsonValue.Create(x.History))]),
            ["first"] = Time(f.Histories.Min(x => x.First)),
            ["last"] = Time(f.Histories.Max(x => x.Last)),
            ["sweeps"] = f.Histories.Sum(x => x.Sweeps),
            ["nodes"] = new JsonArray([.. f.Histories.Zip(f.Nodes, (x, n) => (JsonNode?)new JsonObject
            {
                ["name"] = n.Name,
                ["history"] = x.History,
                ["cpusForVms"] = n.Cpus,
                ["memoryForVmsMiB"] = n.MemoryMiB,
            })]),
            ["cpusForVms"] = f.CpusForVms,
            ["memoryForVmsMiB"] = f.MemoryForVmsMiB,
            ["horizonSeconds"] = f.History.Horizon.TotalSeconds,
            ["vmCpus"] = Trend(f.VmCpu, 100),
            ["vmMemoryMiB"] = Trend(f.VmMemory, 1),
            ["binds"] = f.Binds,
            ["anotherNode"] = f.AnotherNode is { } x ? Crossing(x) : null,
            ["cpuFull"] = f.VmCpu?.Crossing is { } c ? Crossing(c) : null,
            ["memoryFull"] = f.VmMemory?.Crossing is { } m ? Crossing(m) : null,
            ["cpuPressure"] = f.CpuPressure?.Forecast?.Crossing is { } p ? Crossing(p) : null,
        }.ToJsonString(Options) + "\n";

    // One dimension's line: now, the trend, and when it reaches what the nodes give VMs.
    private static string Dimension(string what, SeriesForecast s, Func<double, string> show, string unit, TimeSpan horizon)
    {
        Crossing x = s.Crossing!;
        string reach = x.Status switch
        {
            CrossingStatus.Already => "already at it",
            CrossingStatus.Expected => $"reaches it by {Time(x.At!.Value)} (95 % interval {Time(x.Earliest!.Value)} to {(x.Latest is { } l ? Time(l) : "beyond the horizon")})",
            _ => $"not within {Forecaster.Show(horizon)} (then {show(s.End.Value)} {unit}, 95 % up to {show(s.End.Upper)})",
        };
        string of = show(x.Threshold);
        return Invariant($"  the VMs' {what} together: now {show(s.Current)} of {of} {(of == "1" && unit == "CPUs" ? "CPU" : unit)}, {(s.SlopePerDay >= 0 ? "+" : "")}{show(s.SlopePerDay)} {unit} a day ({Forecaster.Name(s.Method)}); {reach}");
    }

    private static JsonObject? Trend(SeriesForecast? s, double per) => s is null ? null : new JsonObject
    {
        ["method"] = Forecaster.Id(s.Method),
        ["current"] = Round(s.Current / per),
        ["trendPerDay"] = Round(s.SlopePerDay / per),
        ["atHorizon"] = Round(s.End.Value / per),
        ["atHorizonUpper"] = Round(s.End.Upper / per),
    };

    private static string Like(string node) => node.StartsWith("node ", StringComparison.Ordinal) ? node : $"a node like {node}";

    private static JsonObject Crossing(Crossing x) => new()
    {
        ["status"] = x.Status switch { CrossingStatus.Already => "already", CrossingStatus.Expected => "expected", _ => "not-within-horizon" },
        ["at"] = x.At is { } at ? Time(at) : null,
        ["earliest"] = x.Earliest is { } e ? Time(e) : null,
        ["latest"] = x.Latest is { } l ? Time(l) : null,
    };

    private static string Report(Crossing x) => x.Status switch
    {
        CrossingStatus.Already => "already above it",
        CrossingStatus.Expected => $"expected {Time(x.At!.Value)} (95 % interval {Time(x.Earliest!.Value)} to {(x.Latest is { } l ? Time(l) : "beyond the horizon")})",
        _ => "not expected within the horizon",
    };

    // Percent of one CPU as CPUs, two decimals.
    private static string Cpus(double percent) => Math.Round(percent / 100, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static string GiB(double mib) => Math.Round(mib / 1024, 2).ToString("0.##", CultureInfo.InvariantCulture);

    private static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static string Time(DateTimeOffset at) => Monitoring.Reports.ReportRange.Time(at);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
