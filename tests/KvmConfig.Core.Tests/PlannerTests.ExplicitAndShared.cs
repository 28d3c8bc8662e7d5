using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>Explicit lists next to emulator and sibling needs, and where shared VMs' memory goes.</summary>
public sealed partial class PlannerTests
{
    [Fact]
    public void An_isolated_emulator_of_an_explicit_vm_never_takes_a_cpu_a_later_list_names()
    {
        // desktop-1s-20cpu: siblings n and n+10, reserved 0,10
        HostTopology host = Topologies.Named("desktop-1s-20cpu");
        VmSpec a = Explicit("a", "1-2,11-12") with { Emulator = EmulatorPlacement.Isolate };
        VmSpec b = Explicit("b", "3-4");

        Plan plan = HostPlanner.Plan(host, Declare(null, [a, b])).Plan!;

        Assert.Equal("3-4", plan.Vm("b")!.Cpus.ToString());
        Assert.False(plan.Vm("a")!.EmulatorCpus.Overlaps(CpuSet.Parse("3-4")));
    }

    [Fact]
    public void A_sibling_that_is_reserved_is_never_counted_as_an_explicit_vms_idle_sibling()
    {
        // cpus = 10 with smt = isolate: its sibling 0 is the host's (reserved = 0), not the VM's to hold idle
        HostTopology host = Topologies.Named("desktop-1s-20cpu");
        VmSpec a = Explicit("a", "10") with { Smt = SmtPolicy.Isolate, Emulator = EmulatorPlacement.Isolate };

        VmPlacement placed = HostPlanner.Plan(host, Declare(new HostPolicy { Reserved = CpuSet.Of(0) }, [a])).Plan!.Vm("a")!;

        Assert.True(placed.IdleSiblings.IsEmpty);
        Assert.False(placed.EmulatorCpus.Contains(0));
        Assert.Equal(1, placed.EmulatorCpus.Count);
    }

    [Fact]
    public void Explicit_cpus_whose_node_cannot_hold_the_memory_are_an_error_not_negative_free_memory()
    {
        HostTopology host = Topologies.Named("xeon-2s-4numa-snc-80cpu");
        VmSpec a = Explicit("a", "1-2,41-42", memoryMiB: 44 * 1024) with { Numa = MemoryMode.Restrictive };

        PlanResult result = HostPlanner.Plan(host, Declare(null, [a]));

        PlanError error = Assert.Single(result.Errors);
        Assert.Null(result.Plan);
        Assert.Equal("memory", error.Constraint);
        Assert.All(error.Free, f => Assert.True((f.MemoryMiB ?? 0) >= 0));
    }

    [Fact]
    public void A_shared_vm_takes_its_memory_where_the_pool_has_room_instead_of_an_even_split()
    {
        // Node 0 is nearly full with a 40G database; an 8G shared VM still fits on the other nodes of the pool
        HostTopology host = Topologies.Named("xeon-2s-4numa-snc-80cpu");
        VmSpec db = Explicit("db", "1-2,41-42", memoryMiB: 40 * 1024);
        VmSpec web = Shared("web", 2, 8 * 1024);

        PlanResult result = HostPlanner.Plan(host, Declare(new HostPolicy { Overcommit = new Ratio(1, 2) }, [db, web]));

        Assert.True(result.Ok, Describe(result.Errors));
        Assert.NotEqual(0, result.Plan!.Vm("web")!.Cells[0].HostNode);
    }

    [Fact]
    public void Emulator_shared_without_shared_vms_stays_on_the_vms_own_cpus()
    {
        HostTopology host = Topologies.Named("desktop-1s-20cpu");
        VmSpec a = Auto("a", 4, 4096) with { Emulator = EmulatorPlacement.Shared };

        Plan plan = HostPlanner.Plan(host, Declare(null, [a])).Plan!;

        Assert.Equal(plan.Vm("a")!.Cpus, plan.Vm("a")!.EmulatorCpus);
        Assert.False(plan.Vm("a")!.EmulatorCpus.Overlaps(plan.Free));
    }

    [Fact]
    public void Cells_say_where_declared_numa_nodes_put_the_memory()
    {
        HostTopology host = Topologies.Named("xeon-2s-4numa-snc-80cpu");

        // One CPU node, two memory nodes: the single cell may draw from both, as the accounting did
        VmPlacement big = HostPlanner.Plan(host, Declare(null, [Auto("big", 4, 60 * 1024) with { NumaNodes = CpuSet.Parse("0-1") }])).Plan!.Vm("big")!;
        GuestCell cell = Assert.Single(big.Cells);
        Assert.Equal("0-1", cell.MemoryNodes.ToString());
        Assert.Equal(60 * 1024, cell.MemoryMiB);

        // Without numa_nodes the cell's memory is its CPU node's
        VmPlacement small = HostPlanner.Plan(host, Declare(null, [Auto("small", 4, 1024)])).Plan!.Vm("small")!;
        Assert.Equal(small.NumaNodes, Assert.Single(small.Cells).MemoryNodes);
    }

    [Fact]
    public void Memory_on_a_memory_only_node_brings_the_cpus_to_the_closest_cpu_node()
    {
        // 2s-8numa-112cpu: node 6 has memory and no CPUs; node 1 is at distance 17 from it, nodes 0, 2, 3 at 28
        HostTopology host = Topologies.Named("2s-8numa-112cpu");

        VmPlacement vm = HostPlanner.Plan(host, Declare(null, [Auto("cxl", 4, 4096) with { NumaNodes = CpuSet.Of(6) }])).Plan!.Vm("cxl")!;

        Assert.Equal("1", vm.NumaNodes.ToString());
        Assert.Equal("6", vm.MemoryNodes.ToString());
        Assert.Contains(vm.Explanation, line => line.Contains("distance 17", StringComparison.Ordinal));
    }

    [Fact]
    public void Memory_that_does_not_fit_the_declared_nodes_is_named_as_the_reason()
    {
        HostTopology host = Topologies.Named("xeon-2s-4numa-snc-80cpu");

        PlanResult result = HostPlanner.Plan(host, Declare(null, [Auto("big", 2, 60 * 1024) with { NumaNodes = CpuSet.Of(1) }]));

        PlanError error = Assert.Single(result.Errors);
        Assert.Equal("memory", error.Constraint);
        Assert.Contains("numa_nodes = 1", error.Message, StringComparison.Ordinal);
    }
}
