using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster.Tests;

/// <summary>
/// What the heuristic does after best fit: nodes emptied by moving VMs between the nodes in use, never one that stays
/// where it runs.
/// </summary>
public sealed class NodeEmptyingTests
{
    // single-socket-smt with max_vm_share 1: one NUMA node, 14 usable CPUs (0 and 8 reserved), 32 GiB.
    private static ClusterNode Small(string name, IReadOnlyDictionary<string, Incumbent?>? running = null) =>
        ClusterPlannerTests.Node(name, shape: "single-socket-smt", policy: new HostPolicy { MaxVmShare = new Fraction(1, 1) })
            with { Running = running ?? new Dictionary<string, Incumbent?>() };

    private static string NodeOf(ClusterPlan plan, string vm) => plan.Assignments.Single(a => a.Vms.Any(v => v.Name == vm)).Node.Name;

    [Fact]
    public void The_node_best_fit_leaves_for_scraps_is_emptied_into_the_others()
    {
        // Given nodes of 14 usable CPUs and VMs of 7, 5, 5, 4, 4 and 3 vCPUs (28 CPUs): best fit alone, with the kinds
        // interleaved, takes 7 + 5 on the first node (2 left) and 4 + 3 + 5 on the second, and the last 4 opens a
        // third; 7 + 4 + 3 and 5 + 5 + 4 fill two nodes exactly, which VMs changing places between nodes reach
        ClusterNode[] nodes = [Small("a"), Small("b"), Small("c"), Small("d")];
        VmSpec[] vms = [.. new[] { 7, 5, 5, 4, 4, 3 }.Select((v, i) => ClusterPlannerTests.Vm($"vm{i}", v))];
        ClusterRequest request = ClusterPlannerTests.Request(nodes, vms);

        // When the decisions alone are made, and when the whole plan is
        ClusterAssignment decisions = ClusterPlanner.Assign(request);
        ClusterPlan plan = ClusterPlanner.Plan(request);

        // Then both use two nodes, the lower bound, and each node's own planner pins what it was given
        Assert.Equal((2, 2), (decisions.NodesUsed, decisions.Bound.Nodes));
        Assert.Equal((2, 0, true), (plan.NodesUsed, plan.Gap, plan.ProvenOptimal));
        Assert.All(plan.Assignments.Where(a => a.Vms.Count > 0), a => Assert.Equal(14, a.Plan!.Vms.Sum(v => v.Cpus.Count)));
    }

    [Fact]
    public void A_vm_that_runs_where_it_is_stays_there_even_when_moving_it_would_close_its_node()
    {
        // Given r (2 vCPUs) running alone on node c, and two VMs of 12 vCPUs declared for nodes a and b: moving r to a
        // would free c
        ClusterNode[] nodes = [Small("a"), Small("b"), Small("c", new Dictionary<string, Incumbent?> { ["r"] = null })];
        VmSpec[] vms = [ClusterPlannerTests.Vm("x", 12) with { Host = "a" }, ClusterPlannerTests.Vm("y", 12) with { Host = "b" }, ClusterPlannerTests.Vm("r", 2)];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(ClusterPlannerTests.Request(nodes, vms));

        // Then r stays on c: three nodes, one over the bound, and no move
        Assert.Equal("c", NodeOf(plan, "r"));
        Assert.Equal((3, 2), (plan.NodesUsed, plan.Bound.Nodes));
        Assert.Empty(plan.Moves);
    }
}
