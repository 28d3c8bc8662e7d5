using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>Same input, same plan: the order VMs are placed in and the tie-breaks between equal candidates.</summary>
public sealed partial class PlannerTests
{
    /// <summary>Overcommit 1:5, so that the mixed declaration leaves room for its shared VMs on every machine.</summary>
    private static readonly HostPolicy Roomy = new() { Overcommit = new Ratio(1, 5) };

    /// <summary>A mixed declaration sized to the machine: auto VMs of several sizes and SMT policies, float, shared.</summary>
    private static IReadOnlyList<VmSpec> Mixed(HostTopology host)
    {
        int cpus = host.Online.Count;
        return
        [
            Auto("db", Math.Max(2, cpus / 8), 4096),
            Auto("web1", 2, 1024),
            Auto("web2", 2, 1024),
            Auto("rt", 2, 2048) with { Smt = SmtPolicy.Isolate, Emulator = EmulatorPlacement.Isolate },
            Auto("build", Math.Max(1, cpus / 16)) with { Pinning = PinningMode.Float },
            Shared("batch", 2, 512),
            Shared("cron", 1),
        ];
    }

    public static TheoryData<string> Machines =>
    [
        "single-socket-smt", "dual-socket-smt", "two-nodes-per-socket", "eight-small-nodes", "no-smt", "offline-cpus",
        "isolated-cpus", "memory-only-node", "xeon-2s-4numa-snc-80cpu", "2s-8numa-112cpu", "desktop-1s-20cpu", "cadvisor-epyc7402",
    ];

    [Theory]
    [MemberData(nameof(Machines))]
    public void The_same_input_twice_gives_the_same_plan(string machine)
    {
        HostTopology host = Topologies.Named(machine);
        Declaration declaration = Declare(Roomy, Mixed(host));

        PlanResult first = HostPlanner.Plan(host, declaration);
        PlanResult second = HostPlanner.Plan(host, declaration);

        Assert.True(first.Ok, $"{machine}: {Describe(first.Errors)}");
        Assert.Equal(Render(first.Plan!), Render(second.Plan!));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Declaration_order_of_auto_VMs_changes_only_the_order_of_the_listing(string machine)
    {
        // Given the mixed declaration, and the same VMs declared in reverse
        HostTopology host = Topologies.Named(machine);
        IReadOnlyList<VmSpec> vms = Mixed(host);

        // When both are planned
        PlanResult forwardResult = HostPlanner.Plan(host, Declare(Roomy, vms));
        PlanResult backwardResult = HostPlanner.Plan(host, Declare(Roomy, vms.Reverse()));

        Assert.True(forwardResult.Ok && backwardResult.Ok, $"{machine}: {Describe([.. forwardResult.Errors, .. backwardResult.Errors])}");
        Plan forward = forwardResult.Plan!, backward = backwardResult.Plan!;

        // Then every VM lands on the same CPUs (auto VMs are placed largest first, ties by name), and the listing
        // follows each declaration
        Assert.Equal(vms.Select(v => v.Name), forward.Vms.Select(v => v.Name));
        Assert.Equal(vms.Reverse().Select(v => v.Name), backward.Vms.Select(v => v.Name));
        Assert.Equal(
            Render(forward).Split('\n').Order(StringComparer.Ordinal),
            Render(backward).Split('\n').Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Equal_auto_VMs_are_placed_in_name_order_whatever_the_declaration_order()
    {
        // Given three equal VMs declared z, m, a
        HostTopology host = Topologies.Named("single-socket-smt");
        VmSpec[] vms = [Auto("z", 2), Auto("m", 2), Auto("a", 2)];

        // When planned
        Plan plan = HostPlanner.Plan(host, Declare(null, vms)).Plan!;

        // Then 'a' gets the first cores, 'z' the last
        Assert.Equal(["z 3,11", "m 2,10", "a 1,9"], plan.Vms.Select(v => $"{v.Name} {v.Cpus}"));
    }

    [Fact]
    public void Equal_VMs_declared_in_either_order_keep_their_CPUs_by_name()
    {
        // Given two equal VMs, declared alpha then beta, and beta then alpha
        HostTopology host = Topologies.Named("dual-socket-smt");
        Plan before = HostPlanner.Plan(host, Declare(null, [Auto("alpha", 4, 2048), Auto("beta", 4, 2048)])).Plan!;
        Plan after = HostPlanner.Plan(host, Declare(null, [Auto("beta", 4, 2048), Auto("alpha", 4, 2048)])).Plan!;

        // Then alpha (first by name) gets the best fit in both plans, and beta the next: only the listing order moves
        Assert.Equal(["alpha 1-2,17-18", "beta 3-4,19-20"], before.Vms.Select(v => $"{v.Name} {v.Cpus}"));
        Assert.Equal(["beta 3-4,19-20", "alpha 1-2,17-18"], after.Vms.Select(v => $"{v.Name} {v.Cpus}"));
    }

    [Fact]
    public void Memory_breaks_ties_between_VMs_of_equal_size_larger_first()
    {
        // Given two 2-vCPU VMs, the one with more memory declared last and named last
        HostTopology host = Topologies.Named("single-socket-smt");
        VmSpec[] vms = [Auto("a", 2, 1024), Auto("b", 2, 8192)];

        // When planned
        Plan plan = HostPlanner.Plan(host, Declare(null, vms)).Plan!;

        // Then the larger memory goes first
        Assert.Equal("1,9", plan.Vm("b")!.Cpus.ToString());
        Assert.Equal("2,10", plan.Vm("a")!.Cpus.ToString());
    }
}
