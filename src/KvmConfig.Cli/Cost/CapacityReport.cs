using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Core;

namespace KvmConfig.Cli.Cost;

/// <summary><c>capacity</c>'s text and JSON.</summary>
internal static class CapacityReport
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string MixText(IReadOnlyList<MixEntry> mix) => string.Join(", ", mix.Select(e => $"{e.Profile}={e.Count}"));

    public static string Text(IReadOnlyList<MixEntry> mix, string like, int ha, CapacityAnswer a)
    {
        var sb = new StringBuilder();
        if (a.Nodes < 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"capacity: {MixText(mix)} does not fit on nodes like {like}: a VM fits on none of them\n");
            foreach (Unplaced u in a.Plan.Unplaced.DistinctBy(u => u.Reason).Take(3))
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {u.Vm.Name} [{u.Rule}]: {u.Reason}\n");
            }

            return sb.ToString();
        }

        Utilisation u2 = a.Use;
        sb.Append(CultureInfo.InvariantCulture, $"capacity: {MixText(mix)} ({mix.Sum(e => e.Count)} VMs) needs {Units.Plural(a.Nodes, "node")} like {like}{(ha > 0 ? $" (with {ha} held for --ha {ha})" : "")}; lower bound {a.Plan.Bound.Nodes} ({a.Plan.Bound.Why})\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"  CPUs     {u2.CpusUsed,7} of {u2.CpusTotal,-7} {Utilisation.Share(u2.CpusUsed, u2.CpusTotal) * 100,5:0.0} %   headroom {u2.CpusTotal - u2.CpusUsed}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  memory   {Units.MiB(u2.MemoryMiBUsed),7} of {Units.MiB(u2.MemoryMiBTotal),-7} {Utilisation.Share(u2.MemoryMiBUsed, u2.MemoryMiBTotal) * 100,5:0.0} %   headroom {Units.MiB(u2.MemoryMiBTotal - u2.MemoryMiBUsed)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  VMs      {u2.Vms,7} of {u2.VmsMost,-7} {Utilisation.Share(u2.Vms, u2.VmsMost) * 100,5:0.0} %   (fewer VMs than CPUs on each node)\n");
        sb.Append(CultureInfo.InvariantCulture, $"  binding: {u2.Binding}\n\nlargest VM of each kind that still fits on a node as placed:\n");
        foreach ((string kind, int vcpus) in a.LargestFitting)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {kind}: {(vcpus == 0 ? "none" : Units.Plural(vcpus, "vCPU"))}\n");
        }

        return sb.ToString();
    }

    public static string Json(IReadOnlyList<MixEntry> mix, string like, int ha, CapacityAnswer a) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["mix"] = new JsonObject([.. mix.Select(e => KeyValuePair.Create(e.Profile, (JsonNode?)e.Count))]),
            ["nodeLike"] = like,
            ["ha"] = ha,
            ["fits"] = a.Nodes >= 0,
            ["nodes"] = a.Nodes,
            ["lowerBound"] = a.Plan.Bound.Nodes,
            ["cpusUsed"] = a.Use.CpusUsed,
            ["cpusTotal"] = a.Use.CpusTotal,
            ["memoryMiBUsed"] = a.Use.MemoryMiBUsed,
            ["memoryMiBTotal"] = a.Use.MemoryMiBTotal,
            ["binding"] = a.Use.Binding,
            ["largestFitting"] = new JsonObject([.. a.LargestFitting.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]),
            ["unplaced"] = new JsonArray([.. a.Plan.Unplaced.Select(u => (JsonNode)new JsonObject { ["name"] = u.Vm.Name, ["rule"] = u.Rule, ["reason"] = u.Reason })]),
        }.ToJsonString(Options) + "\n";

    public static string MoreText(IReadOnlyList<MixEntry> mix, string like, int nodes, int ha, IReadOnlyDictionary<string, int>? more) =>
        more is null
            ? $"capacity: {MixText(mix)} does not fit on {nodes - ha} nodes like {like}{(ha > 0 ? $" (--ha {ha} keeps {ha} of {nodes} free)" : "")}\n"
            : $"capacity: {nodes} nodes like {like}{(ha > 0 ? $" ({ha} kept free for --ha)" : "")} hold {MixText(mix)} and, beside it, one kind at a time:\n"
                + string.Concat(more.Select(m => $"  {m.Key}: {m.Value} more\n"));

    public static string MoreJson(IReadOnlyList<MixEntry> mix, string like, int nodes, int ha, IReadOnlyDictionary<string, int>? more) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["mix"] = new JsonObject([.. mix.Select(e => KeyValuePair.Create(e.Profile, (JsonNode?)e.Count))]),
            ["nodeLike"] = like,
            ["nodes"] = nodes,
            ["ha"] = ha,
            ["fits"] = more is not null,
            ["more"] = more is null ? null : new JsonObject([.. more.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))]),
        }.ToJsonString(Options) + "\n";
}
