using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>Isolated CPUs (isolcpus) and isolated emulator threads.</summary>
public sealed partial class PlannerTests
{
    [Fact]
    public void Float_vcpus_never_land_on_isolated_cpus_while_strict_ones_may()
    {
        // Given isolcpus = 4-7,12-15, and every CPU that is not isolated already taken by an explicit VM
        HostTopology host = Topologies.Named("isolated-cpus");
        VmSpec taken = Explicit("x", "1-3,9-11");

        // When a strict VM asks for two CPUs, it gets isolated ones: one vCPU per CPU needs no balancing
        PlanResult strict = HostPlanner.Plan(host, Declare(null, [taken, Auto("rt", 2)]));
        Assert.Equal("4,12", strict.Plan!.Vm("rt")!.Cpus.ToString());

        // But a float VM is refused them: the scheduler would never spread its vCPUs across isolated CPUs
        PlanResult floating = HostPlanner.Plan(host, Declare(null, [taken, Auto("fl", 2) with { Pinning = PinningMode.Float }]));
        PlanError error = Assert.Single(floating.Errors);
        Assert.Null(floating.Plan);
        Assert.Equal("fl", error.Vm);
        Assert.Contains("isolated CPUs do not count for float VMs", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_isolated_emulator_takes_an_idle_sibling_the_vm_already_holds_before_breaking_a_new_core()
    {
        // Given 3 vCPUs under smt = isolate: two whole cores, one sibling idle
        HostTopology host = Topologies.Named("single-socket-smt");
        VmSpec vm = Auto("db", 3) with { Smt = SmtPolicy.Isolate, Emulator = EmulatorPlacement.Isolate };

        VmPlacement placed = HostPlanner.Plan(host, Declare(null, [vm])).Plan!.Vm("db")!;

        // Then the emulator threads run on that idle sibling, and no further core is broken for them
        Assert.Equal(1, placed.EmulatorCpus.Count);
        Assert.True(placed.EmulatorCpus.IsSubsetOf(CpuSet.Of(host.Cores.Where(c => c.Overlaps(placed.Cpus)).SelectMany(c => c))));
        Assert.True(placed.IdleSiblings.IsEmpty);
        Assert.False(placed.EmulatorCpus.Overlaps(placed.Cpus));
    }
}
