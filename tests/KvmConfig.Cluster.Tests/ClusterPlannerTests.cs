using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Tests;

namespace KvmConfig.Cluster.Tests;

/// <summary>
/// Cluster placement with the heuristic: the fewest nodes, the rules that pick nodes (<c>host</c>, <c>group</c>,
/// <c>group_spread = rack</c>), VMs kept where they run, spread, unplaceable VMs with their reasons, <c>--ha</c>, and
/// every node's pinning exactly as <c>plan</c> would make it there.
/// </summary>
public sealed class ClusterPlannerTests
{
    // dual-socket-smt: 2 sockets x 8 cores x 2 threads, 16 GiB per node; CPU 0 and its sibling 16 reserved (the
    // default), so 30 CPUs and 30 GiB for VMs.
    internal static ClusterNode Node(string name, string? rack = null, string shape = "dual-socket-smt", HostPolicy? policy = null) =>
        new(name, rack, Topologies.Named(shape), policy ?? new HostPolicy());

    internal static VmSpec Vm(string name, int vcpus, long memoryMiB = 2048) => new()
    {
        Name = name,
        Vcpus = vcpus,
        Pinning = PinningMode.Strict,
        Scheduling = SchedulingPolicy.Other,
        Smt = SmtPolicy.Prefer,
        Emulator = EmulatorPlacement.Reserved,
        Numa = MemoryMode.Strict,
        HugePages = HugePageBacking.None,
        MemoryMiB = memoryMiB,
    };

    internal static ClusterRequest Request(IEnumerable<ClusterNode> nodes, IEnumerable<VmSpec> vms, PlacementPolicy policy = PlacementPolicy.Pack, int ha = 0) =>
        new([.. nodes], new Declaration(new HostPolicy(), [.. vms], new Dictionary<string, ProfileSpec>(), new CostSpec()), policy, ha);

    private static string NodeOf(ClusterPlan plan, string vm) => plan.Assignments.Single(a => a.Vms.Any(v => v.Name == vm)).Node.Name;

    [Fact]
    public void Vms_that_fill_two_nodes_use_two_of_four_and_the_gap_is_zero()
    {
        // Given four nodes of 30 usable CPUs and six VMs of 8 vCPUs (48 CPUs: more than one node, less than two)
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c"), Node("d")];
        VmSpec[] vms = [.. Enumerable.Range(1, 6).Select(i => Vm($"vm{i}", 8))];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then two nodes run everything, which the CPU bound says is the fewest
        Assert.Empty(plan.Unplaced);
        Assert.Equal(2, plan.NodesUsed);
        Assert.Equal(2, plan.Bound.Nodes);
        Assert.Equal(0, plan.Gap);
        Assert.Contains("CPUs", plan.Bound.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_node_is_pinned_exactly_as_plan_pins_it_there()
    {
        // Given three nodes and VMs of mixed sizes
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c")];
        VmSpec[] vms = [Vm("db", 12, 8192), Vm("web1", 4), Vm("web2", 4), Vm("mon", 1, 1024), Vm("app", 10, 6144)];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then each node's plan is the host planner's for that node's VMs, CPU for CPU
        foreach (NodeAssignment used in plan.Assignments.Where(a => a.Vms.Count > 0))
        {
            Declaration alone = new(used.Node.Policy, used.Vms, new Dictionary<string, ProfileSpec>(), new CostSpec());
            Plan expected = HostPlanner.Plan(used.Node.Host, alone).Plan!;
            Assert.NotNull(used.Plan);
            Assert.Equal(expected.Vms.Select(v => (v.Name, v.Cpus.ToString())), used.Plan!.Vms.Select(v => (v.Name, v.Cpus.ToString())));
        }
    }

    [Fact]
    public void Members_of_a_group_run_on_different_nodes()
    {
        // Given three small VMs in one anti-affinity group, which would all fit on one node
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c")];
        VmSpec[] vms = [.. Enumerable.Range(1, 3).Select(i => Vm($"db{i}", 2) with { Group = "db" })];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then each runs on a node of its own, and the largest group is the bound
        Assert.Equal(3, vms.Select(v => NodeOf(plan, v.Name)).Distinct().Count());
        Assert.Equal(3, plan.Bound.Nodes);
        Assert.Contains("group 'db'", plan.Bound.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void With_group_spread_rack_members_run_in_different_racks()
    {
        // Given four nodes in two racks and two VMs of one group spread by rack
        ClusterNode[] nodes = [Node("a1", "r1"), Node("a2", "r1"), Node("b1", "r2"), Node("b2", "r2")];
        VmSpec[] vms = [Vm("lb1", 2) with { Group = "lb", GroupSpread = GroupSpread.Rack }, Vm("lb2", 2) with { Group = "lb", GroupSpread = GroupSpread.Rack }];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then they are in different racks
        string[] racks = [.. vms.Select(v => plan.Assignments.Single(a => a.Vms.Any(x => x.Name == v.Name)).Node.Rack!)];
        Assert.Equal(["r1", "r2"], racks.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_group_larger_than_the_nodes_leaves_a_member_unplaced_with_the_rule()
    {
        // Given two nodes and a group of three
        ClusterNode[] nodes = [Node("a"), Node("b")];
        VmSpec[] vms = [.. Enumerable.Range(1, 3).Select(i => Vm($"db{i}", 2) with { Group = "db" })];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then one member is on no node, and the reason names the group on both nodes
        Unplaced unplaced = Assert.Single(plan.Unplaced);
        Assert.Equal("group", unplaced.Rule);
        Assert.Contains("nodes a, b: another member of group 'db' runs on this node", unplaced.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vm_with_host_runs_there_even_when_packing_would_put_it_elsewhere()
    {
        // Given two VMs that fit one node, one of them declared for node c
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c")];
        VmSpec[] vms = [Vm("one", 4), Vm("pinned", 4) with { Host = "c" }];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then the pinned one is on c
        Assert.Equal("c", NodeOf(plan, "pinned"));
    }

    [Fact]
    public void A_vm_that_runs_on_a_node_stays_there_and_one_declared_elsewhere_moves_with_the_rule()
    {
        // Given web runs on node c, and db runs on c but is now declared for node a
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c") with { Running = new Dictionary<string, Incumbent?> { ["web"] = null, ["db"] = null } }];
        VmSpec[] vms = [Vm("web", 4), Vm("db", 4) with { Host = "a" }];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms));

        // Then web stays on c, db moves to a and says why
        Assert.Equal("c", NodeOf(plan, "web"));
        ClusterMove move = Assert.Single(plan.Moves);
        Assert.Equal(("db", "c", "a", "host = a"), (move.Vm, move.From, move.To, move.Why));
    }

    [Fact]
    public void Spread_puts_one_vm_on_each_node_before_doubling_up()
    {
        // Given four nodes and four small VMs
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c"), Node("d")];
        VmSpec[] vms = [.. Enumerable.Range(1, 4).Select(i => Vm($"vm{i}", 2))];

        // When the cluster is planned with spread
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, vms, PlacementPolicy.Spread));

        // Then every node runs one
        Assert.All(plan.Assignments, a => Assert.Single(a.Vms));
    }

    [Fact]
    public void A_vm_larger_than_any_node_is_unplaced_and_the_reason_gives_each_nodes_figures()
    {
        // Given two nodes of 30 usable CPUs and a VM of 31 vCPUs (max_vm_share 1 allows up to the 32 CPUs)
        var policy = new HostPolicy { MaxVmShare = new Fraction(1, 1) };
        ClusterNode[] nodes = [Node("a", policy: policy), Node("b", policy: policy)];

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, [Vm("huge", 31)]));

        // Then it is on no node, and the reason says what each node has
        Unplaced unplaced = Assert.Single(plan.Unplaced);
        Assert.Equal("cpus", unplaced.Rule);
        Assert.Contains("nodes a, b: 30 CPUs free, 31 dedicated needed", unplaced.Reason, StringComparison.Ordinal);
        Assert.Equal(0, plan.NodesUsed);
    }

    [Fact]
    public void Ha_holds_an_unused_node_as_large_as_the_largest_in_use_and_says_when_there_is_none()
    {
        // Given three nodes and VMs that need one
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c")];
        VmSpec[] vms = [Vm("x", 8), Vm("y", 8)];

        // When planned to survive losing one node, then two, then three
        ClusterPlan one = ClusterPlanner.Plan(Request(nodes, vms, ha: 1));
        ClusterPlan three = ClusterPlanner.Plan(Request(nodes, vms, ha: 3));

        // Then one spare is held and counted, and the bound grows by one; asking for three leaves a problem
        Assert.Single(one.Assignments, a => a.Spare);
        Assert.Equal(2, one.NodesUsed);
        Assert.Equal(2, one.Bound.Nodes);
        Assert.Empty(one.Problems);
        Assert.Contains("--ha 3", Assert.Single(three.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Under_spread_ha_holds_when_the_other_nodes_can_absorb_any_lost_node_and_says_so_when_they_cannot()
    {
        // Given four nodes of 30 usable CPUs and eight VMs of 6 vCPUs spread over them (12 CPUs a node)
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c"), Node("d")];
        VmSpec[] light = [.. Enumerable.Range(1, 8).Select(i => Vm($"vm{i}", 6))];

        // When planned to survive losing one node, light and then heavy (twelve of 8: 24 CPUs a node)
        ClusterPlan survives = ClusterPlanner.Plan(Request(nodes, light, PlacementPolicy.Spread, ha: 1));
        VmSpec[] heavy = [.. Enumerable.Range(1, 12).Select(i => Vm($"vm{i}", 8))];
        ClusterPlan fails = ClusterPlanner.Plan(Request(nodes, heavy, PlacementPolicy.Spread, ha: 1));

        // Then the light plan needs no spare (losing any node, its two VMs fit on the three others); the heavy one
        // says which loss leaves VMs without a node
        Assert.Empty(survives.Problems);
        Assert.DoesNotContain(survives.Assignments, a => a.Spare);
        Assert.Equal(4, survives.NodesUsed);
        Assert.Contains("losing a leaves VMs that fit on no other node", Assert.Single(fails.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_vm_the_nodes_own_rules_refuse_is_unplaced_with_the_rules_words()
    {
        // Given a VM pinned to node a with an explicit CPU list that node does not have (its CPUs are 0-31)
        ClusterNode[] nodes = [Node("a"), Node("b")];
        VmSpec listed = Vm("listed", 2) with { Cpus = CpuSet.Parse("100-101"), Host = "a" };

        // When the cluster is planned
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, [listed, Vm("other", 2)]));

        // Then the counters took it, the node's rules refused it, and the reason quotes them with their code
        Unplaced unplaced = Assert.Single(plan.Unplaced);
        Assert.Equal(("listed", "host"), (unplaced.Vm.Name, unplaced.Rule));
        Assert.Matches(@"host = a, and node a cannot take it: its planner refused it \(KVC0\d\d: .*100-101", unplaced.Reason);
        Assert.Equal("a", NodeOf(plan, "other"));
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(12, false)]
    public void Under_spread_ha_2_tries_every_pair_of_nodes(int vms, bool survives)
    {
        // Given four nodes of 30 usable CPUs and VMs of 6 vCPUs spread over them: 8 leave 18 CPUs free a node, so
        // any two lost nodes' four VMs fit on the other two; 12 leave 12, and six VMs do not fit on two nodes
        ClusterNode[] nodes = [Node("a"), Node("b"), Node("c"), Node("d")];
        VmSpec[] spread = [.. Enumerable.Range(1, vms).Select(i => Vm($"vm{i}", 6, 1024))];

        // When planned to survive losing two nodes
        ClusterPlan plan = ClusterPlanner.Plan(Request(nodes, spread, PlacementPolicy.Spread, ha: 2));

        // Then the plan survives, or says which pair's loss strands VMs
        Assert.Equal(survives, plan.Problems.Count == 0);
        if (!survives)
        {
            Assert.Matches("losing [a-d] and [a-d] leaves VMs that fit on no other node", Assert.Single(plan.Problems));
        }
    }
}
