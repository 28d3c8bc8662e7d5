using System.Globalization;
using System.Text;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="HostPlanner"/> on named machines (<see cref="Topologies"/>). The partial files hold the tables
/// (<c>PlannerTests.Placement.cs</c>, <c>PlannerTests.Errors.cs</c>), ordering and determinism
/// (<c>PlannerTests.Determinism.cs</c>) and the properties over random machines (<c>PlannerTests.Properties.cs</c>);
/// this file holds the VM builders and the plan rendering they share.
/// </summary>
public sealed partial class PlannerTests
{
    /// <summary>
    /// An auto VM with the host defaults of <c>[host]</c>: strict pinning, <c>smt = prefer</c>, emulator threads on
    /// the reserved CPUs, <c>numa = strict</c>, no huge pages. Rows adjust it with <c>with { ... }</c>.
    /// </summary>
    internal static VmSpec Auto(string name, int vcpus, long? memoryMiB = null) => new()
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

    /// <summary>A VM with <c>cpus = LIST</c>; one vCPU per listed CPU unless <paramref name="vcpus"/> says otherwise.</summary>
    internal static VmSpec Explicit(string name, string cpus, int? vcpus = null, long? memoryMiB = null) =>
        Auto(name, vcpus ?? CpuSet.Parse(cpus).Count, memoryMiB) with { Cpus = CpuSet.Parse(cpus) };

    /// <summary>A shared-pool VM (<c>cpuspinlock = none</c>).</summary>
    internal static VmSpec Shared(string name, int vcpus, long? memoryMiB = null) =>
        Auto(name, vcpus, memoryMiB) with { Pinning = PinningMode.None };

    internal static Declaration Declare(HostPolicy? policy, IEnumerable<VmSpec> vms) =>
        new(policy ?? new HostPolicy(), vms.ToList(), new Dictionary<string, ProfileSpec>(), new CostSpec());

    /// <summary>
    /// Everything a plan decides, one line per VM in declaration order, then the pools and the fragmentation: two
    /// plans are the same plan exactly when their renderings are equal (the JSON contract carries no more).
    /// </summary>
    internal static string Render(Plan plan)
    {
        var text = new StringBuilder();
        foreach (VmPlacement vm in plan.Vms)
        {
            text.Append(CultureInfo.InvariantCulture, $"{vm.Name}: cpus={vm.Cpus} pins=[{string.Join(' ', vm.VcpuPins)}] emulator={vm.EmulatorCpus}")
                .Append(CultureInfo.InvariantCulture, $" nodes={vm.NumaNodes} memoryNodes={vm.MemoryNodes} memory={vm.Spec.MemoryMiB} hugepages={vm.HugePages}")
                .Append(CultureInfo.InvariantCulture, $" guest={Guest(vm.Guest)} cells=[{Cells(vm)}] idle={vm.IdleSiblings}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"reserved={plan.Reserved} sharedPool={plan.SharedPool} free={plan.Free} typical={plan.TypicalVmCpus}\n");
        foreach (NodeFragmentation node in plan.Fragmentation)
        {
            text.Append(CultureInfo.InvariantCulture, $"node{node.Node}: free={node.FreeCpus} wholeCores={node.FreeWholeCores} stranded={node.StrandedCpus} memory={node.FreeMemoryMiB}\n");
        }

        return text.ToString();
    }

    /// <summary>Guest topology as sockets x cores x threads, e.g. <c>2x3x2</c>.</summary>
    internal static string Guest(GuestTopology guest) => $"{guest.Sockets}x{guest.Cores}x{guest.Threads}";

    /// <summary>Guest cells as <c>vcpus@hostnode:MiB</c>, space separated, e.g. <c>0-5@0:4096 6-11@1:4096</c>.</summary>
    internal static string Cells(VmPlacement vm) =>
        string.Join(' ', vm.Cells.Select(c => $"{c.Vcpus}@{c.HostNode}" + (c.MemoryMiB is { } m ? $":{m}" : "")));

    /// <summary>A declaration as one VM per line, for failure messages.</summary>
    internal static string Describe(Declaration declaration)
    {
        HostPolicy p = declaration.Host;
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[host] cpuset={p.CpuSet?.ToString() ?? "default"} reserved={p.Reserved?.ToString() ?? "default"} overcommit={p.Overcommit} memory_reserved={p.MemoryReservedMiB}\n");
        foreach (VmSpec vm in declaration.Vms)
        {
            text.Append(CultureInfo.InvariantCulture, $"[vm {vm.Name}] vcpus={vm.Vcpus} cpus={vm.Cpus?.ToString() ?? "auto"} cpuspinlock={vm.Pinning} smt={vm.Smt} emulator={vm.Emulator}")
                .Append(CultureInfo.InvariantCulture, $" numa={vm.Numa} numa_nodes={vm.NumaNodes?.ToString() ?? "auto"} memory={vm.MemoryMiB?.ToString(CultureInfo.InvariantCulture) ?? "-"} hugepages={vm.HugePages}\n");
        }

        return text.ToString();
    }

    internal static string Describe(IReadOnlyList<PlanError> errors) =>
        string.Join("\n", errors.Select(e => $"{e.Vm} [{e.Constraint}] {e.Message}; free: {string.Join("; ", e.Free)}"));
}
