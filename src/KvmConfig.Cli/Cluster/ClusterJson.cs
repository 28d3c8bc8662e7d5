using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cluster;
using KvmConfig.Libvirt.Cluster;

namespace KvmConfig.Cli.Cluster;

/// <summary>
/// <c>kvmconfig cluster plan --format json</c>: the contract of <c>docs/cluster-json.md</c>. Fields are only ever
/// added; memory is in MiB, CPUs are counts.
/// </summary>
internal static class ClusterJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(ClusterPlan plan, ClusterRequest request, IReadOnlyList<NodeReading> readings)
    {
        var root = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["ok"] = plan.Unplaced.Count == 0,
            ["policy"] = request.Policy.ToString().ToLowerInvariant(),
            ["ha"] = request.Ha,
            ["solver"] = plan.Solver,
            ["nodesUsed"] = plan.NodesUsed,
            ["lowerBound"] = plan.Bound.Nodes,
            ["lowerBoundWhy"] = plan.Bound.Why,
            ["gap"] = plan.Gap,
            ["provenOptimal"] = plan.ProvenOptimal,
            ["nodes"] = new JsonArray([.. plan.Assignments.Select(a => (JsonNode)new JsonObject
            {
                ["name"] = a.Node.Name,
                ["rack"] = a.Node.Rack,
                ["spare"] = a.Spare,
                ["vms"] = new JsonArray([.. a.Vms.Select(v => (JsonNode)JsonValue.Create(v.Name))]),
                ["cpusUsed"] = a.Usage.CpusUsed,
                ["cpusTotal"] = a.Usage.CpusTotal,
                ["memoryMiBUsed"] = a.Usage.MemoryMiBUsed,
                ["memoryMiBTotal"] = a.Usage.MemoryMiBTotal,
                ["topologyFrom"] = readings.FirstOrDefault(r => r.Spec.Name == a.Node.Name)?.TopologyFrom,
            })]),
            ["unreachable"] = new JsonArray([.. readings.Where(r => !r.Reachable).Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Spec.Name,
                ["error"] = r.Error,
            })]),
            ["unplaced"] = new JsonArray([.. plan.Unplaced.Select(u => (JsonNode)new JsonObject
            {
                ["name"] = u.Vm.Name,
                ["rule"] = u.Rule,
                ["reason"] = u.Reason,
            })]),
            ["moves"] = new JsonArray([.. plan.Moves.Select(m => (JsonNode)new JsonObject
            {
                ["vm"] = m.Vm,
                ["from"] = m.From,
                ["to"] = m.To,
                ["why"] = m.Why,
            })]),
            ["problems"] = new JsonArray([.. plan.Problems.Select(p => (JsonNode)JsonValue.Create(p))]),
        };
        return root.ToJsonString(Options) + "\n";
    }
}
