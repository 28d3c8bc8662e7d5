using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>A VM mix for items 2 to 4: its name, how it is drawn, and the overcommit of its nodes' shared pool.</summary>
/// <param name="Name">How the tables name it.</param>
/// <param name="Describe">What it holds, in one line.</param>
/// <param name="Overcommit">The nodes' <c>overcommit</c> for shared-pool VMs.</param>
/// <param name="Draw">The i-th VM, from the mix's random source.</param>
internal sealed record Mix(string Name, string Describe, Ratio Overcommit, Func<Random, int, VmSpec> Draw);

/// <summary>
/// The VM mixes. Dedicated VMs are <c>cpuspinlock = strict</c>, <c>smt = prefer</c>, <c>numa = strict</c> (the host
/// defaults); shared-pool VMs are <c>cpuspinlock = none</c>, and their nodes set an overcommit (1:4, or 1:3 as the
/// finance example has it) since at 1:1 a pool of 0.2-vCPU monitors would be priced like dedicated CPUs.
/// </summary>
internal static class Mixes
{
    private const long GiB = 1024;

    /// <summary>
    /// The white paper's profile matrix, one of each in turn: database 1.5 vCPU / 4 GB (2 vCPUs, dedicated), web
    /// 0.8 vCPU / 2 GB (1 vCPU, dedicated), monitoring 0.2 vCPU / 1 GB (1 vCPU, shared pool at 1:4).
    /// </summary>
    public static readonly Mix Paper = new(
        "profile matrix",
        "database 2 vCPU / 4 GiB dedicated, web 1 vCPU / 2 GiB dedicated, monitoring 1 vCPU / 1 GiB shared (1:4), 1:1:1",
        new Ratio(1, 4),
        (_, i) => (i % 3) switch
        {
            0 => Vm($"db{i}", 2, 4 * GiB, dedicated: true),
            1 => Vm($"web{i}", 1, 2 * GiB, dedicated: true),
            _ => Vm($"mon{i}", 1, 1 * GiB, dedicated: false),
        });

    /// <summary>
    /// The finance case, 1 database : 2 web : 1 monitoring: database 2 vCPU / 16 GiB dedicated, web 4 vCPU / 8 GiB
    /// and monitoring 1 vCPU / 2 GiB in the shared pool at 1:3, as examples/finance has its front ends.
    /// </summary>
    public static readonly Mix Finance = new(
        "finance",
        "database 2 vCPU / 16 GiB dedicated, web 4 vCPU / 8 GiB shared, monitoring 1 vCPU / 2 GiB shared (1:3), 1:2:1",
        new Ratio(1, 3),
        (_, i) => (i % 4) switch
        {
            0 => Vm($"db{i}", 2, 16 * GiB, dedicated: true),
            1 or 2 => Vm($"web{i}", 4, 8 * GiB, dedicated: false),
            _ => Vm($"mon{i}", 1, 2 * GiB, dedicated: false),
        });

    /// <summary>
    /// Cloud-like and heavy-tailed: vCPUs 1 (55 %), 2 (25 %), 4 (10 %), 8 (5 %), 16 (3 %), 32 (2 %); 2 or 4 GiB per
    /// vCPU (1 in 10 with 8); a third dedicated, the rest shared at 1:4; every VM of 16 vCPUs or more dedicated.
    /// </summary>
    public static readonly Mix Cloud = new(
        "cloud (heavy tail)",
        "vCPUs 1 55 %, 2 25 %, 4 10 %, 8 5 %, 16 3 %, 32 2 %; 2-4 GiB per vCPU (10 % 8); 1/3 dedicated (all >= 16), rest shared (1:4)",
        new Ratio(1, 4),
        (rng, i) =>
        {
            int p = rng.Next(100);
            int vcpus = p < 55 ? 1 : p < 80 ? 2 : p < 90 ? 4 : p < 95 ? 8 : p < 98 ? 16 : 32;
            long perVcpu = rng.Next(10) == 0 ? 8 * GiB : rng.Next(2) == 0 ? 2 * GiB : 4 * GiB;
            return Vm($"vm{i}", vcpus, vcpus * perVcpu, dedicated: vcpus >= 16 || rng.Next(3) == 0);
        });

    /// <summary>
    /// Items 3 and 4: VMs of 4 to 16 vCPUs (80 % dedicated) and 2 to 8 shared ones, 2 to 4 GiB per vCPU: about ten per
    /// 128-CPU node, so that most nodes are in use and the index of nodes in use is large.
    /// </summary>
    public static readonly Mix Speed = new(
        "speed",
        "80 % dedicated 4-16 vCPUs, 20 % shared 2-8 vCPUs (1:4); 2-4 GiB per vCPU",
        new Ratio(1, 4),
        (rng, i) =>
        {
            bool dedicated = rng.Next(5) != 0;
            int vcpus = dedicated ? rng.Next(4, 17) : rng.Next(2, 9);
            return Vm($"vm{i}", vcpus, vcpus * rng.Next(2, 5) * GiB, dedicated);
        });

    /// <summary>
    /// Item 4: the speed mix with 2 or 3 GiB per vCPU, below the 4 GiB per CPU of a NUMA node of <see cref="Fleet.Large"/>:
    /// with 4 GiB per vCPU, NUMA nodes run out of memory before CPUs, and the host planner (which picks a VM's NUMA
    /// node by CPUs) refuses many of the placements the counters accept (see the whole part's sensitivity row).
    /// </summary>
    public static readonly Mix Whole = new(
        "whole",
        "80 % dedicated 4-16 vCPUs, 20 % shared 2-8 vCPUs (1:4); 2-3 GiB per vCPU",
        new Ratio(1, 4),
        (rng, i) =>
        {
            bool dedicated = rng.Next(5) != 0;
            int vcpus = dedicated ? rng.Next(4, 17) : rng.Next(2, 9);
            return Vm($"vm{i}", vcpus, vcpus * rng.Next(2, 4) * GiB, dedicated);
        });

    /// <summary>A VM as the tests build one: strict or shared, smt prefer, emulator reserved, numa strict, no huge pages.</summary>
    public static VmSpec Vm(string name, int vcpus, long memoryMiB, bool dedicated, string? group = null) => new()
    {
        Name = name,
        Vcpus = vcpus,
        Pinning = dedicated ? PinningMode.Strict : PinningMode.None,
        Scheduling = SchedulingPolicy.Other,
        Smt = SmtPolicy.Prefer,
        Emulator = EmulatorPlacement.Reserved,
        Numa = MemoryMode.Strict,
        HugePages = HugePageBacking.None,
        MemoryMiB = memoryMiB,
        Group = group,
    };

    /// <summary>
    /// VMs of <paramref name="mix"/> until they need about <paramref name="fill"/> of <paramref name="nodes"/> nodes of
    /// <paramref name="shape"/>: the larger of CPUs (dedicated plus shared over overcommit, against the usable CPUs),
    /// memory and VM count, each as a share of the cluster's.
    /// </summary>
    public static List<VmSpec> Fill(Mix mix, NodeShape shape, int nodes, double fill, int seed)
    {
        var rng = new Random(seed);
        double usable = (shape.Cpus - shape.Threads) * (double)nodes;
        double memory = ((shape.MemoryGiB * GiB) - 2048) * (double)nodes;
        double count = (shape.Cpus - 1) * (double)nodes;
        double cpus = 0, mib = 0;
        var vms = new List<VmSpec>();
        while (Math.Max(Math.Max(cpus / usable, mib / memory), vms.Count / count) < fill)
        {
            VmSpec vm = mix.Draw(rng, vms.Count);
            cpus += vm.IsDedicated ? vm.Vcpus : vm.Vcpus / mix.Overcommit.VcpusPerCpu;
            mib += vm.MemoryMiB ?? 0;
            vms.Add(vm);
        }

        return vms;
    }

    /// <summary>Puts runs of 3 to 5 consecutive VMs into anti-affinity groups <c>gN</c>.</summary>
    public static List<VmSpec> Grouped(List<VmSpec> vms, int seed)
    {
        var rng = new Random(seed);
        var grouped = new List<VmSpec>(vms.Count);
        int group = 0;
        for (int i = 0; i < vms.Count; group++)
        {
            int size = rng.Next(3, 6);
            for (int k = 0; k < size && i < vms.Count; k++, i++)
            {
                grouped.Add(vms[i] with { Group = $"g{group}" });
            }
        }

        return grouped;
    }

    /// <summary>A request of <paramref name="vms"/> on <paramref name="nodes"/>, pack, no HA.</summary>
    public static ClusterRequest Request(IReadOnlyList<ClusterNode> nodes, IReadOnlyList<VmSpec> vms, HostPolicy policy) =>
        new(nodes, new Declaration(policy, vms, new Dictionary<string, ProfileSpec>(), new CostSpec()));
}
