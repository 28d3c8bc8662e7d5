using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary><see cref="HostPlanner.PlanAround"/>: placements kept as they are, only the other VMs placed.</summary>
public sealed partial class PlannerTests
{
    [Theory]
    [MemberData(nameof(Machines))]
    public void Keeping_every_placement_of_a_plan_gives_that_plan_again(string machine)
    {
        // Given a plan of the mixed declaration
        HostTopology host = Topologies.Named(machine);
        Declaration declaration = Declare(Roomy, Mixed(host));
        Plan plan = HostPlanner.Plan(host, declaration).Plan ?? throw new InvalidOperationException(Describe(HostPlanner.Plan(host, declaration).Errors));

        // When it is planned again keeping all of its placements, and keeping none
        PlanResult keptAll = HostPlanner.PlanAround(host, declaration, plan.Vms);
        PlanResult keptNone = HostPlanner.PlanAround(host, declaration, []);

        // Then both are the same plan: kept VMs take their CPUs, idle siblings, emulator CPUs and memory as they stand
        Assert.Equal(Render(plan), Render(keptAll.Plan!));
        Assert.Equal(Render(plan), Render(keptNone.Plan!));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void A_new_vm_is_placed_around_the_kept_ones_and_none_of_them_moves(string machine)
    {
        // Given the mixed declaration without web2, planned
        HostTopology host = Topologies.Named(machine);
        IReadOnlyList<VmSpec> all = Mixed(host);
        Plan before = HostPlanner.Plan(host, Declare(Roomy, all.Where(v => v.Name != "web2"))).Plan!;

        // When web2 is added and the earlier placements are kept
        Plan after = HostPlanner.PlanAround(host, Declare(Roomy, all), before.Vms).Plan!;

        // Then every earlier dedicated VM holds exactly what it held, and web2 owns CPUs none of them holds
        foreach (VmPlacement earlier in before.Vms.Where(v => v.Spec.IsDedicated))
        {
            VmPlacement now = after.Vm(earlier.Name)!;
            Assert.Equal((earlier.Cpus, earlier.IdleSiblings, earlier.EmulatorCpus), (now.Cpus, now.IdleSiblings, now.EmulatorCpus));
        }

        VmPlacement web2 = after.Vm("web2")!;
        Assert.Equal(2, web2.Cpus.Count);
        Assert.All(before.Vms.Where(v => v.Spec.IsDedicated), v => Assert.False(web2.Cpus.Overlaps(v.Cpus | v.IdleSiblings), $"web2 {web2.Cpus} overlaps {v.Name}"));
    }

    [Fact]
    public void Arriving_one_at_a_time_the_look_ahead_still_strands_nothing_in_the_8_4_4_churn_case()
    {
        // Given the look-ahead row's host (free CPUs 8 / 4 / 4 on nodes 5 / 6 / 7), its explicit VMs planned
        HostTopology host = Topologies.Named("eight-small-nodes");
        PlacementCase row = PlacementCases.Single(c => c.Description.StartsWith("look-ahead against stranding", StringComparison.Ordinal));
        var onHost = row.Vms.Where(v => v.Cpus is not null).ToList();
        IReadOnlyList<VmPlacement> kept = HostPlanner.Plan(host, Declare(null, onHost)).Plan!.Vms;

        // When a, b and c arrive one at a time, each planned around the VMs already on the host
        Plan? plan = null;
        foreach (VmSpec arriving in row.Vms.Where(v => v.Cpus is null))
        {
            onHost.Add(arriving);
            plan = HostPlanner.PlanAround(host, Declare(null, onHost), kept).Plan!;
            kept = plan.Vms;
        }

        // Then they land as in the single plan, and no free CPU is stranded
        Assert.Equal(("20,52", "26,58", "27,59"), (plan!.Vm("a")!.Cpus.ToString(), plan.Vm("b")!.Cpus.ToString(), plan.Vm("c")!.Cpus.ToString()));
        Assert.All(plan.Fragmentation, node => Assert.True(node.StrandedCpus.IsEmpty, $"node{node.Node} strands {node.StrandedCpus}"));
        Assert.Equal("21-23,30-31,53-55,62-63", plan.Free.ToString());
    }

    [Fact]
    public void A_kept_placement_on_cpus_another_kept_vm_holds_is_an_error_not_an_overlap()
    {
        // Given two VMs planned apart, and a kept placement of the second moved onto the first's CPUs
        HostTopology host = Topologies.Named("single-socket-smt");
        Declaration declaration = Declare(null, [Auto("a", 2), Auto("b", 2)]);
        Plan plan = HostPlanner.Plan(host, declaration).Plan!;
        VmPlacement a = plan.Vm("a")!;
        VmPlacement b = plan.Vm("b")! with { Cpus = a.Cpus };

        // When both are kept
        PlanResult result = HostPlanner.PlanAround(host, declaration, [a, b]);

        // Then the second is refused and names the CPUs it cannot have
        PlanError error = Assert.Single(result.Errors);
        Assert.Equal(("b", "kept-cpus"), (error.Vm, error.Constraint));
        Assert.Contains($"{a.Cpus} are not free", error.Message, StringComparison.Ordinal);
    }
}
