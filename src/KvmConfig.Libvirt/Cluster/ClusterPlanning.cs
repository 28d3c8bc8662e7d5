using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.Libvirt.Cluster;

/// <summary>How <c>cluster plan</c> plans.</summary>
/// <param name="Policy"><c>pack</c> or <c>spread</c>.</param>
/// <param name="Ha">How many lost nodes the plan must survive.</param>
/// <param name="Exact">CP-SAT's time limit; null for the heuristic alone.</param>
/// <param name="Node">The one node to be shown, which must be among those read; null for all.</param>
public sealed record ClusterPlanOptions(PlacementPolicy Policy = PlacementPolicy.Pack, int Ha = 0, TimeSpan? Exact = null, string? Node = null);

/// <summary><c>kvmconfig cluster plan</c> (and the node count of <c>tco</c>) as library calls, on nodes already read.</summary>
public static class ClusterPlanning
{
    /// <summary>
    /// What planning <paramref name="declaration"/> on the nodes of <paramref name="readings"/> that could be read
    /// asks, checked against <paramref name="options"/>: throws KVC082 when <c>--ha</c> would leave no node, KVC081
    /// when <see cref="ClusterPlanOptions.Node"/> names no node that could be read.
    /// </summary>
    public static ClusterRequest Request(IReadOnlyList<NodeReading> readings, Declaration declaration, ClusterPlanOptions options)
    {
        List<ClusterNode> nodes = [.. readings.Where(r => r.Reachable).Select(r => r.Node!)];
        if (options.Ha > 0 && options.Ha >= nodes.Count)
        {
            throw LibvirtErrors.HaLeavesNoReadNode(options.Ha, nodes.Count, nodes.Count < readings.Count);
        }

        if (options.Node is { } name && nodes.All(n => n.Name != name))
        {
            throw LibvirtErrors.UnknownPlanNode(name, readings.Select(r => r.Spec.Name), readings.Any(r => r.Spec.Name == name));
        }

        return new ClusterRequest(nodes, declaration, options.Policy, options.Ha);
    }

    /// <summary>Plans <paramref name="request"/>: with CP-SAT on every CPU within <see cref="ClusterPlanOptions.Exact"/>, else the heuristic.</summary>
    public static ClusterPlan Solve(ClusterRequest request, ClusterPlanOptions options) =>
        options.Exact is { } limit
            ? ClusterPlanner.PlanExact(request, limit, Math.Max(1, Environment.ProcessorCount))
            : ClusterPlanner.Plan(request);

    /// <summary>The plan of <paramref name="declaration"/> on the nodes that could be read, as <c>cluster plan</c> makes it by default.</summary>
    public static ClusterPlan Plan(IReadOnlyList<NodeReading> readings, Declaration declaration) =>
        Solve(Request(readings, declaration, new ClusterPlanOptions()), new ClusterPlanOptions());
}
