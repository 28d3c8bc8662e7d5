using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Stable plans (issue 14): VMs that already run somewhere stay there while that is valid; only new, changed or
/// invalid ones are placed; when one fits nowhere, the fewest VMs move, and each move says why.
/// </summary>
public sealed class IncumbentPlannerTests
{
    private const string Capture = "xeon-2s-4numa-snc-80cpu";

    // Twelve VMs of mixed sizes with memory, as an administrator's first declaration on the 2-socket capture.
    private static List<VmSpec> Twelve() =>
        [.. Enumerable.Range(1, 12).Select(i => PlannerTests.Auto($"vm{i:00}", vcpus: 2 + (i % 4) * 2, memoryMiB: 2048 * (1 + (i % 3))))];

    private static Dictionary<string, Incumbent> Where(Plan plan, string source = "earlier plan") =>
        plan.Vms.Where(v => v.Spec.IsDedicated).ToDictionary(v => v.Name, v => new Incumbent(v.Name, v.VcpuPins, source), StringComparer.Ordinal);

    private static Plan Planned(HostTopology host, IEnumerable<VmSpec> vms, IReadOnlyDictionary<string, Incumbent>? incumbents = null)
    {
        Declaration declaration = PlannerTests.Declare(null, vms);
        PlanResult result = incumbents is null ? HostPlanner.Plan(host, declaration) : HostPlanner.Plan(host, declaration, incumbents);
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        return result.Plan!;
    }

    [Fact]
    public void Adding_one_vm_file_leaves_the_twelve_running_vms_where_they_are()
    {
        // Given twelve VMs planned and running
        HostTopology host = Topologies.Named(Capture);
        Plan before = Planned(host, Twelve());

        // When a thirteenth file is added and the plan is made again against where they run
        Plan after = Planned(host, [.. Twelve(), PlannerTests.Auto("vm13", 6, 4096)], Where(before));

        // Then none of the twelve moves, and the new one lands on CPUs nobody had
        Assert.Empty(after.Moves);
        Assert.Equal(12, after.Kept.Count);
        foreach (VmPlacement vm in before.Vms)
        {
            Assert.Equal(vm.VcpuPins, after.Vm(vm.Name)!.VcpuPins);
        }

        CpuSet taken = before.Vms.Aggregate(CpuSet.Empty, (all, v) => all | v.Cpus);
        Assert.False(after.Vm("vm13")!.Cpus.Overlaps(taken));
        Assert.Contains("kept where it runs (earlier plan)", after.Vm("vm01")!.Explanation[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Without_incumbents_the_same_addition_reshuffles_which_is_what_this_prevents()
    {
        HostTopology host = Topologies.Named(Capture);
        Plan before = Planned(host, Twelve());
        Plan scratch = Planned(host, [.. Twelve(), PlannerTests.Auto("vm13", 6, 4096)]);

        IReadOnlyList<PlanMove> moves = HostPlanner.MovesFrom(Where(before), scratch);

        // A plan from scratch moves some of the twelve (the report that started issue 14 saw ten); --repack shows them
        Assert.NotEmpty(moves);
        Assert.All(moves, m => Assert.Equal("repacked from scratch", m.Why));
    }

    /// <summary>A row: what is wrong with one VM's incumbent, and the start of the reason its move gives.</summary>
    public sealed record InvalidCase(string Description, Func<Incumbent, Incumbent> Spoil, Func<VmSpec, VmSpec> Redeclare, string Why);

    private static readonly InvalidCase[] InvalidCases =
    [
        new("the declaration grew from 2 to 4 vCPUs", i => i, vm => vm with { Vcpus = 4 }, "its place is no longer valid: its domain has 2 vCPUs, the declaration 4"),
        new("its CPUs were taken offline (CPU hotplug)", i => i with { VcpuPins = [CpuSet.Of(200), CpuSet.Of(201)] }, vm => vm, "its place is no longer valid: it runs on CPUs 200-201, which this host does not have online"),
        new("two vCPUs on one CPU under strict", i => i with { VcpuPins = [i.VcpuPins[0], i.VcpuPins[0]] }, vm => vm, "its place is no longer valid: its vCPUs are not pinned one to a CPU each"),
        new("an unpinned vCPU", i => i with { VcpuPins = [i.VcpuPins[0], CpuSet.Empty] }, vm => vm, "its place is no longer valid: a vCPU of its domain is not pinned"),
        new("on the reserved CPU 0", i => i with { VcpuPins = [CpuSet.Of(0), i.VcpuPins[1]] }, vm => vm, "its place is no longer valid: CPUs 0 are reserved or outside the cpuset"),
    ];

    public static TheoryData<string> InvalidNames => new(InvalidCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void An_incumbent_that_is_no_longer_valid_is_placed_afresh_and_says_why(string description)
    {
        InvalidCase row = InvalidCases.Single(c => c.Description == description);
        HostTopology host = Topologies.Named("dual-socket-smt");
        List<VmSpec> vms = [PlannerTests.Auto("a", 2, 1024), PlannerTests.Auto("b", 2, 1024)];
        Plan before = Planned(host, vms);
        Dictionary<string, Incumbent> incumbents = Where(before);
        incumbents["b"] = row.Spoil(incumbents["b"]);

        Plan after = Planned(host, [vms[0], row.Redeclare(vms[1])], incumbents);

        // Then a stays, b is placed again (never on a's CPUs), and its move names what was wrong
        Assert.Equal(["a"], after.Kept.Order(StringComparer.Ordinal));
        Assert.Equal(before.Vm("a")!.VcpuPins, after.Vm("a")!.VcpuPins);
        Assert.False(after.Vm("b")!.Cpus.Overlaps(after.Vm("a")!.Cpus));
        PlanMove move = Assert.Single(after.Moves);
        Assert.Equal("b", move.Vm);
        Assert.StartsWith(row.Why, move.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_incumbents_on_the_same_cpus_keep_the_first_and_place_the_second_elsewhere()
    {
        HostTopology host = Topologies.Named("dual-socket-smt");
        List<VmSpec> vms = [PlannerTests.Auto("a", 2), PlannerTests.Auto("b", 2)];
        Plan before = Planned(host, vms);
        Dictionary<string, Incumbent> incumbents = Where(before);
        incumbents["b"] = incumbents["b"] with { VcpuPins = incumbents["a"].VcpuPins };

        Plan after = Planned(host, vms, incumbents);

        PlanMove move = Assert.Single(after.Moves);
        Assert.Equal("b", move.Vm);
        Assert.Contains("overlaps VM 'a'", move.Why, StringComparison.Ordinal);
        Assert.False(after.Vm("b")!.Cpus.Overlaps(after.Vm("a")!.Cpus));
    }

    [Fact]
    public void A_vm_that_fits_only_after_a_move_moves_exactly_the_smallest_vm_that_makes_room()
    {
        // Given one socket of 8 cores x 2 threads (core n = CPUs n and n+8), CPU 0 reserved, and three 1-vCPU VMs
        // running on CPUs 1, 2 and 3: cores 0 to 3 are broken, cores 4 to 7 whole
        HostTopology host = Topologies.Named("single-socket-smt");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        List<VmSpec> running = [PlannerTests.Auto("b", 1), PlannerTests.Auto("a", 1), PlannerTests.Auto("c", 1)];
        var incumbents = new Dictionary<string, Incumbent>(StringComparer.Ordinal)
        {
            ["a"] = new("a", [CpuSet.Of(1)], "libvirt (live)"),
            ["b"] = new("b", [CpuSet.Of(2)], "libvirt (live)"),
            ["c"] = new("c", [CpuSet.Of(3)], "libvirt (live)"),
        };

        // When a 10-vCPU VM that must own whole cores (5 of them) arrives
        Declaration declaration = PlannerTests.Declare(policy, [.. running, PlannerTests.Auto("d", 10) with { Smt = SmtPolicy.Require }]);
        PlanResult result = HostPlanner.Plan(host, declaration, incumbents);

        // Then exactly one VM moves, the first by size and name of the three that would each free a core: a
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        PlanMove move = Assert.Single(result.Plan!.Moves);
        Assert.Equal("a", move.Vm);
        Assert.Equal(CpuSet.Of(1), move.From);
        Assert.Equal("moved to make room for d, the fewest vCPUs any single move frees", move.Why);
        Assert.Equal(incumbents["b"].VcpuPins, result.Plan.Vm("b")!.VcpuPins);
        Assert.Equal(incumbents["c"].VcpuPins, result.Plan.Vm("c")!.VcpuPins);
        Assert.Equal(["b", "c"], result.Plan.Kept.Order(StringComparer.Ordinal));

        // And without incumbents to keep, nothing stops the planner from a better packing: not a move then
        Assert.True(HostPlanner.Plan(host, declaration).Ok);
    }

    [Fact]
    public void When_no_single_move_makes_room_the_smallest_pair_moves()
    {
        // Given CPU 0 reserved and four 1-vCPU VMs on CPUs 1 to 4: cores 1 to 4 broken, cores 5 to 7 whole
        HostTopology host = Topologies.Named("single-socket-smt");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        string[] names = ["a", "b", "c", "e"];
        var incumbents = names.Select((n, i) => new Incumbent(n, [CpuSet.Of(i + 1)], "libvirt (live)")).ToDictionary(i => i.Name, StringComparer.Ordinal);

        // When a VM that needs 5 whole cores arrives: one move frees one core, too few
        Declaration declaration = PlannerTests.Declare(policy, [.. names.Select(n => PlannerTests.Auto(n, 1)), PlannerTests.Auto("d", 10) with { Smt = SmtPolicy.Require }]);
        PlanResult result = HostPlanner.Plan(host, declaration, incumbents);

        // Then the first pair by size and name moves, a and b, and c and e stay
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        Assert.Equal(["a", "b"], result.Plan!.Moves.Select(m => m.Vm));
        Assert.Equal("moved with b to make room for d: no single move did", result.Plan.Moves[0].Why);
        Assert.Equal(["c", "e"], result.Plan.Kept.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void When_no_pair_makes_room_the_smallest_three_move_and_the_others_stay()
    {
        // Given CPU 0 reserved, six 1-vCPU VMs on CPUs 1 to 6 and a 2-vCPU VM on both threads of core 7 (CPUs 7 and
        // 15): no core is whole, cores 0 to 6 each have one free thread
        HostTopology host = Topologies.Named("single-socket-smt");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        string[] names = ["a", "b", "c", "e", "f", "g"];
        var incumbents = names.Select((n, i) => new Incumbent(n, [CpuSet.Of(i + 1)], "libvirt (live)")).ToDictionary(i => i.Name, StringComparer.Ordinal);
        incumbents["w"] = new Incumbent("w", [CpuSet.Of(7), CpuSet.Of(15)], "libvirt (live)");

        // When a VM that needs 3 whole cores arrives: each VM that leaves frees one core, so no pair is enough, and
        // of the triples those of three 1-vCPU VMs move the fewest vCPUs
        Declaration declaration = PlannerTests.Declare(policy, [
            .. names.Select(n => PlannerTests.Auto(n, 1)),
            PlannerTests.Auto("w", 2),
            PlannerTests.Auto("d", 6) with { Smt = SmtPolicy.Require },
        ]);
        PlanResult result = HostPlanner.Plan(host, declaration, incumbents);

        // Then exactly three VMs move, the first three by size and name, and each names the other two
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        Assert.Equal(["a", "b", "c"], result.Plan!.Moves.Select(m => m.Vm));
        Assert.Equal("moved with b, c to make room for d: no move of 2 or fewer VMs did", result.Plan.Moves[0].Why);
        Assert.Equal(["e", "f", "g", "w"], result.Plan.Kept.Order(StringComparer.Ordinal));
        Assert.Equal(CpuSet.Parse("1-3,9-11"), result.Plan.Vm("d")!.Cpus);
    }

    [Theory]
    [InlineData(6, 1, "a VM of 3 whole cores fits node 3 alone once one of its two VMs leaves; the VMs on nodes 0 to 2 come first by name, but one leaving there frees a core too few")]
    [InlineData(10, 4, "5 whole cores never fit one node of 4: split 3 + 3 over two nodes (node 3 frees one, another node three) or 2 + 2 + 2 over three, four moves either way")]
    public void The_fewest_moves_are_counted_node_by_node(int vcpus, int movedCount, string why)
    {
        // Given four nodes of 4 cores x 2 threads (node k = cores 4k to 4k+3, siblings +16), CPU 0 reserved, and a
        // 1-vCPU VM on the first thread of every other core but two of node 3 (cores 14 and 15 whole)
        HostTopology host = Topologies.Named("two-nodes-per-socket");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        var incumbents = Enumerable.Range(1, 13).Select(c => new Incumbent($"vm{c:D2}", [CpuSet.Of(c)], "libvirt (live)")).ToDictionary(i => i.Name, StringComparer.Ordinal);

        // When a VM that must own whole cores arrives
        Declaration declaration = PlannerTests.Declare(policy, [.. incumbents.Keys.Select(n => PlannerTests.Auto(n, 1)), PlannerTests.Auto("big", vcpus) with { Smt = SmtPolicy.Require }]);
        PlanResult result = HostPlanner.Plan(host, declaration, incumbents);

        // Then exactly the fewest VMs move, and every other one stays
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        Assert.True(movedCount == result.Plan!.Moves.Count, $"{why}: moved {string.Join("; ", result.Plan.Moves)}");
        Assert.Equal(13 - movedCount, result.Plan.Kept.Count);
        Assert.All(result.Plan.Moves, m => Assert.DoesNotContain("repacked", m.Why, StringComparison.Ordinal));
        if (movedCount == 1)
        {
            Assert.Equal("vm12", result.Plan.Moves[0].Vm);
        }
    }

    [Fact]
    public void A_vm_that_fits_even_nowhere_from_scratch_moves_nothing_and_gets_the_kept_plans_error()
    {
        // Given three 1-vCPU VMs running on a 16-CPU host with CPU 0 reserved
        HostTopology host = Topologies.Named("single-socket-smt");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        var incumbents = new[] { "a", "b", "c" }.Select((n, i) => new Incumbent(n, [CpuSet.Of(i + 1)], "libvirt")).ToDictionary(i => i.Name, StringComparer.Ordinal);

        // When a VM of 14 vCPUs arrives: 15 CPUs are left for VMs, 12 beside the three
        Declaration declaration = PlannerTests.Declare(policy, [.. incumbents.Keys.Select(n => PlannerTests.Auto(n, 1)), PlannerTests.Auto("huge", 14)]);
        PlanResult result = HostPlanner.Plan(host, declaration, incumbents);

        // Then there is no plan, and the error is the newcomer's: no VM was moved for nothing
        Assert.False(result.Ok);
        Assert.All(result.Errors, e => Assert.Equal("huge", e.Vm));
    }

    [Theory]
    [InlineData(SmtPolicy.Prefer)]
    [InlineData(SmtPolicy.Isolate)]
    [InlineData(SmtPolicy.Require)]
    public void A_floating_vm_is_kept_whatever_its_smt_policy(SmtPolicy smt)
    {
        // Given a 1-vCPU and a 3-vCPU floating VM planned (under isolate the planner gives each whole cores' worth)
        HostTopology host = Topologies.Named("single-socket-smt");
        List<VmSpec> vms = [PlannerTests.Auto("f1", 1) with { Pinning = PinningMode.Float, Smt = smt }, PlannerTests.Auto("f3", 3) with { Pinning = PinningMode.Float, Smt = smt }];
        Plan before = Planned(host, vms);

        // When a VM is added and the plan made against where they run
        Plan after = Planned(host, [.. vms, PlannerTests.Auto("new", 2)], Where(before));

        // Then both stay, exactly where they were
        Assert.Empty(after.Moves);
        Assert.Equal(["f1", "f3"], after.Kept.Order(StringComparer.Ordinal));
        Assert.Equal(before.Vm("f3")!.VcpuPins, after.Vm("f3")!.VcpuPins);
    }

    [Fact]
    public void Arrivals_that_fit_in_free_cpus_never_move_anything()
    {
        // VMs arrive one at a time on the eight-node machine; each plan is made against where the earlier ones run
        HostTopology host = Topologies.Named("eight-small-nodes");
        var vms = new List<VmSpec>();
        Plan? last = null;
        int[] sizes = [2, 4, 1, 2, 3, 2, 4, 1, 2, 2, 1, 3];
        foreach ((int size, int i) in sizes.Select((s, i) => (s, i)))
        {
            vms.Add(PlannerTests.Auto($"vm{i:00}", size, 512));
            PlanResult result = HostPlanner.Plan(host, PlannerTests.Declare(null, vms), last is null ? new Dictionary<string, Incumbent>() : Where(last));
            Assert.True(result.Ok, PlannerTests.Describe(result.Errors));

            // Then nothing that ran moves, since every arrival fits in what is free
            Assert.Empty(result.Plan!.Moves);
            last = result.Plan;
        }
    }
}
