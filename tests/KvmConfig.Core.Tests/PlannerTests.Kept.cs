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
