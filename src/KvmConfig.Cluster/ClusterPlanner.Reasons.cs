namespace KvmConfig.Cluster;

/// <summary>Why a VM is on no node, and why one moves from the node it runs on.</summary>
public static partial class ClusterPlanner
{
    // A VM no node takes: its host key first, else each node's refusal, nodes with the same refusal named together
    // (the three commonest, with how many nodes say it).
    private static Unplaced WhyUnplaced(ClusterRequest request, NodeState[] nodes, HeuristicPlacer placer, Dictionary<(int Vm, int Node), string> refusedBy, VmDemand vm)
    {
        if (vm.Spec.Host is { } host)
        {
            int n = Array.FindIndex(nodes, s => s.Node.Name == host);
            return n < 0
                ? new Unplaced(vm.Spec, "host", $"host = {host} names no node")
                : new Unplaced(vm.Spec, "host", $"host = {host}, and node {host} cannot take it: {Why(placer, refusedBy, vm, n)?.Detail ?? "its own planner refused it"}");
        }

        if (nodes.Length == 0)
        {
            return new Unplaced(vm.Spec, "nodes", "the cluster has no node");
        }

        var refusals = nodes
            .Select((s, n) => (Node: s.Node.Name, Why: Why(placer, refusedBy, vm, n) ?? new Refusal("host-plan", "its own planner refused it")))
            .GroupBy(r => r.Why)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.First().Node, StringComparer.Ordinal)
            .ToList();
        string text = string.Join("; ", refusals.Take(3).Select(g => $"{Nodes(g.Select(r => r.Node).ToList())}: {g.Key.Detail}"));
        if (refusals.Count > 3)
        {
            text += $"; {refusals.Skip(3).Sum(g => g.Count())} more nodes for other reasons";
        }

        return new Unplaced(vm.Spec, refusals[0].Key.Rule, text);
    }

    // Which rule moves a VM away from the node it runs on.
    private static string WhyMoved(HeuristicPlacer placer, NodeState[] nodes, Dictionary<(int Vm, int Node), string> refusedBy, VmDemand vm, int from)
    {
        if (vm.Spec.Host is { } host && host != nodes[from].Node.Name)
        {
            return $"host = {host}";
        }

        return refusedBy.TryGetValue((vm.Index, from), out string? refused)
            ? $"node {nodes[from].Node.Name}: {refused}"
            : placer.WhyNot(vm, from) is { } why
                ? $"node {nodes[from].Node.Name} no longer takes it: {why.Detail}"
                : $"node {nodes[from].Node.Name} did not take it beside the VMs placed before it";
    }

    // The node's refusal, with its own planner's words when it was the planner that refused.
    private static Refusal? Why(HeuristicPlacer placer, Dictionary<(int Vm, int Node), string> refusedBy, VmDemand vm, int n) =>
        refusedBy.TryGetValue((vm.Index, n), out string? why) ? new Refusal("host-plan", why) : placer.WhyNot(vm, n);

    private static string Nodes(List<string> names) =>
        names.Count == 1 ? $"node {names[0]}"
        : names.Count <= 4 ? $"nodes {string.Join(", ", names)}"
        : $"{names.Count} nodes ({string.Join(", ", names.Take(3))}, ...)";
}
