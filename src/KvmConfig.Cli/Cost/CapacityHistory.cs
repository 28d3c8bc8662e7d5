using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cluster;
using KvmConfig.Core;
using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Cli.Cost;

/// <summary>
/// <c>capacity --from-history</c>: reads the history, asks <see cref="CapacityForecast"/> when the VMs' CPU use
/// reaches the CPUs the node gives them, and prints the answer as text or JSON (docs/capacity.md, Forecasts).
/// </summary>
internal static class CapacityHistory
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Prints the forecast for one node like <paramref name="node"/> per history given (one node's own history
    /// without any); exit 0 (the histories' failures are thrown, exit 2).
    /// </summary>
    public static int Run(CapacitySettings settings, AlertThresholds thresholds, ClusterNode node, string like)
    {
        string[] files = settings.History is { Length: > 0 } given ? given : [HistoryStore.DefaultPath];
        int cpus = files.Length * node.UsableCpus.Count;
        var histories = new List<HistoryStore>(files.Length);
        try
        {
            foreach (string file in files)
            {
                histories.Add(HistoryStore.OpenReadOnly(file));
            }

            CapacityForecast forecast = CapacityForecast.Read(histories, thresholds, cpus, settings.HorizonValue);
            Console.Out.Write(settings.Json ? Json(forecast, like) : Text(forecast, like));
            return ExitCodes.Ok;
        }
        finally
        {
            histories.ForEach(h => h.Dispose());
        }
    }

    /// <summary>The answer as text: one node's history, or several nodes' added up.</summary>
    public static string Text(CapacityForecast f, string like)
    {
        HistoryForecast h = f.History;
        var text = new StringBuilder();
        text.AppendLine(f.Histories.Count == 1
            ? Invariant($"capacity from history {h.History}: {h.Sweeps} sweeps, {Time(h.First)} to {Time(h.Last)}; nodes like {like} give VMs {Units.Plural(f.CpusForVms, "CPU")}")
            : Invariant($"capacity from {f.Histories.Count} nodes' histories ({string.Join(", ", f.Histories.Select(x => x.History))}): {f.Histories.Sum(x => x.Sweeps)} sweeps, {Time(f.Histories.Min(x => x.First))} to {Time(f.Histories.Max(x => x.Last))}; {f.Histories.Count} nodes like {like} give VMs {Units.Plural(f.CpusForVms, "CPU")}"));
        if (f.VmCpu is not { } vm)
        {
            text.AppendLine("  no VM was measured: nothing to forecast");
            return text.ToString();
        }

        text.AppendLine(Invariant($"  the VMs' CPU use together: now {Cpus(vm.Current)} CPUs, {(vm.SlopePerDay >= 0 ? "+" : "")}{Cpus(vm.SlopePerDay)} CPUs a day ({Forecaster.Name(vm.Method)})"));
        Crossing x = vm.Crossing!;
        text.AppendLine(x.Status switch
        {
            CrossingStatus.Already => Invariant($"  another node is needed now: the VMs already use the {Units.Plural(f.CpusForVms, "CPU")} of the {(f.Histories.Count == 1 ? "node" : "nodes")}"),
            CrossingStatus.Expected => Invariant($"  another node is needed by {Time(x.At!.Value)} (95 % interval {Time(x.Earliest!.Value)} to {(x.Latest is { } l ? Time(l) : "beyond the horizon")})"),
            _ => Invariant($"  no other node is needed within {Forecaster.Show(h.Horizon)} at the measured growth (in {Forecaster.Show(h.Horizon)}: {Cpus(vm.End.Value)} CPUs, 95 % up to {Cpus(vm.End.Upper)}){(x.Earliest is { } e ? $"; the band reaches the node's CPUs from {Time(e)}" : "")}"),
        });
        if (f.CpuPressure?.Forecast?.Crossing is { } p)
        {
            text.AppendLine(Invariant($"  host CPU pressure against its warning ({HistoryForecast.Number(p.Threshold)} %): {Report(p)}"));
        }

        text.AppendLine("  memory is not forecast: the history keeps each VM's overhead share, not the memory it uses");
        return text.ToString();
    }

    /// <summary>The answer as JSON (docs/capacity.md).</summary>
    public static string Json(CapacityForecast f, string like) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["history"] = f.History.History,
            ["histories"] = new JsonArray([.. f.Histories.Select(x => (JsonNode?)JsonValue.Create(x.History))]),
            ["first"] = Time(f.Histories.Min(x => x.First)),
            ["last"] = Time(f.Histories.Max(x => x.Last)),
            ["sweeps"] = f.Histories.Sum(x => x.Sweeps),
            ["nodes"] = f.Histories.Count,
            ["nodeLike"] = like,
            ["cpusForVms"] = f.CpusForVms,
            ["horizonSeconds"] = f.History.Horizon.TotalSeconds,
            ["vmCpus"] = f.VmCpu is { } vm
                ? new JsonObject
                {
                    ["method"] = Forecaster.Id(vm.Method),
                    ["current"] = Round(vm.Current / 100),
                    ["trendPerDay"] = Round(vm.SlopePerDay / 100),
                    ["atHorizon"] = Round(vm.End.Value / 100),
                    ["atHorizonUpper"] = Round(vm.End.Upper / 100),
                }
                : null,
            ["anotherNode"] = f.VmCpu?.Crossing is { } x ? Crossing(x) : null,
            ["cpuPressure"] = f.CpuPressure?.Forecast?.Crossing is { } p ? Crossing(p) : null,
        }.ToJsonString(Options) + "\n";

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

    private static double Round(double value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static string Time(DateTimeOffset at) => Monitoring.Reports.ReportRange.Time(at);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
