using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster.Tests;

/// <summary>
/// <c>cluster plan --exact</c>: CP-SAT finds the packing a greedy heuristic misses, proves it optimal, and never
/// does worse than the heuristic or better than the lower bound on generated clusters.
/// </summary>
public sealed class ExactPlannerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    // single-socket-smt with max_vm_share 1: one NUMA node, 14 usable CPUs (0 and 8 reserved), 32 GiB.
    private static ClusterNode Node(string name) =>
        ClusterPlannerTests.Node(name, shape: "single-socket-smt", policy: new HostPolicy { MaxVmShare = new Fraction(1, 1) });

    [Fact]
    public void Cp_sat_packs_what_the_heuristic_cannot_and_proves_it()
    {
        // Given nodes of 14 usable CPUs and VMs of 3, 7, 3, 2, 4, 4, 4, 9 and 6 vCPUs (42 CPUs): three nodes filled
        // exactly (9 + 3 + 2, 7 + 4 + 3, 6 + 4 + 4), which the heuristic's best fit and its chains of VMs changing places
        // do not reach: it needs a fourth node (found by a search over random sizes)
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c"), Node("d")];
        VmSpec[] vms = [.. new[] { 3, 7, 3, 2, 4, 4, 4, 9, 6 }.Select((v, i) => ClusterPlannerTests.Vm($"vm{i}", v))];
        ClusterRequest request = ClusterPlannerTests.Request(nodes, vms);

        // When planned with the heuristic, then exactly
        ClusterPlan greedy = ClusterPlanner.Plan(request);
        ClusterPlan exact = ClusterPlanner.PlanExact(request, Limit);

        // Then the heuristic needs four nodes, one over the bound; CP-SAT three, proven, and each node's own planner agrees
        Assert.Equal((4, 3, false), (greedy.NodesUsed, greedy.Bound.Nodes, greedy.ProvenOptimal));
        Assert.Equal((3, 0, true), (exact.NodesUsed, exact.Gap, exact.ProvenOptimal));
        Assert.All(exact.Assignments.Where(a => a.Vms.Count > 0), a => Assert.NotNull(a.Plan));
        Assert.StartsWith("CP-SAT (optimal", exact.Solver, StringComparison.Ordinal);
    }

    [Fact]
    public void On_generated_clusters_the_exact_plan_is_never_worse_than_the_heuristic_nor_below_the_bound()
    {
        int agreedOptimal = 0;
        for (int seed = 1; seed <= 40; seed++)
        {
            // Given 3 to 6 nodes and 6 to 16 VMs of 1 to 8 vCPUs, some in anti-affinity groups
            var random = new Random(seed);
            ClusterNode[] nodes = [.. Enumerable.Range(0, random.Next(3, 7)).Select(i => ClusterPlannerTests.Node($"n{i}", shape: i % 2 == 0 ? "dual-socket-smt" : "single-socket-smt", policy: new HostPolicy { MaxVmShare = new Fraction(1, 1) }))];
            VmSpec[] vms = [.. Enumerable.Range(0, random.Next(6, 17)).Select(i =>
                ClusterPlannerTests.Vm($"vm{i:D2}", random.Next(1, 9), 1024L * random.Next(1, 9)) with { Group = random.Next(4) == 0 ? "g" : null })];
            ClusterRequest request = ClusterPlannerTests.Request(nodes, vms);

            // When planned both ways
            ClusterPlan greedy = ClusterPlanner.Plan(request);
            ClusterPlan exact = ClusterPlanner.PlanExact(request, Limit);

            // Then the exact plan places at least as many VMs, on no more nodes, never fewer than the bound; when the
            // heuristic meets the bound (its claim of optimality), the exact plan uses the same count
            Assert.True(exact.Unplaced.Count <= greedy.Unplaced.Count, $"seed {seed}: exact leaves {exact.Unplaced.Count} unplaced, the heuristic {greedy.Unplaced.Count}");
            if (exact.Unplaced.Count == greedy.Unplaced.Count)
            {
                Assert.True(exact.NodesUsed <= greedy.NodesUsed, $"seed {seed}: exact {exact.NodesUsed} nodes, heuristic {greedy.NodesUsed}");
            }

            Assert.True(exact.Unplaced.Count > 0 || exact.NodesUsed >= exact.Bound.Nodes, $"seed {seed}: {exact.NodesUsed} nodes, below the bound {exact.Bound.Nodes}");
            if (greedy.Unplaced.Count == 0 && greedy.NodesUsed == greedy.Bound.Nodes)
            {
                Assert.Equal(greedy.NodesUsed, exact.NodesUsed);
                agreedOptimal++;
            }
        }

        Assert.True(agreedOptimal >= 10, $"only {agreedOptimal} generated clusters had the heuristic at its bound");
    }

    [Fact]
    public void A_model_too_large_is_not_built_and_the_heuristics_plan_says_why()
    {
        // Given 401 nodes and 1,000 small VMs: 401,000 assignment variables
        ClusterNode[] nodes = [.. Enumerable.Range(0, 401).Select(i => ClusterPlannerTests.Node($"n{i:D3}"))];
        VmSpec[] vms = [.. Enumerable.Range(0, 1000).Select(i => ClusterPlannerTests.Vm($"vm{i:D4}", 1, 512))];

        // When planned exactly
        ClusterPlan plan = ClusterPlanner.PlanExact(ClusterPlannerTests.Request(nodes, vms), Limit);

        // Then every VM is placed by the heuristic, and the solver line says CP-SAT was not run and why
        Assert.Empty(plan.Unplaced);
        Assert.Contains("CP-SAT not run: 1000 VMs x 401 nodes is 401,000 assignment variables", plan.Solver, StringComparison.Ordinal);
    }
}
