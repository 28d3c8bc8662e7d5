using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>One of item 1's instances.</summary>
/// <param name="Number">Its number, 0 onwards; its seed is the run's plus this.</param>
/// <param name="Kind">Dedicated only or with shared-pool VMs, with or without groups.</param>
/// <param name="Shapes">Its node shapes, in one string.</param>
/// <param name="Request">Nodes and VMs.</param>
internal sealed record SmallInstance(int Number, string Kind, string Shapes, ClusterRequest Request);

/// <summary>
/// Item 1's instances: 20 to 80 VMs on 4 to 16 nodes whose shapes have two NUMA nodes each (16, 32 or 48 CPUs;
/// one shape per instance, two mixed in every fifth). Four kinds in turn: dedicated only; dedicated with
/// anti-affinity groups; a third shared-pool VMs (overcommit 1:4); shared with groups. Sizes: dedicated VMs of 1, 2,
/// 4, 6 or 8 vCPUs (at most a third of the smallest node's CPUs, <c>max_vm_share</c>), 2 to 4 GiB per vCPU and one in
/// ten with 8; shared VMs 1 to 4 vCPUs, 1 to 4 GiB. Groups: a quarter of the VMs, in groups of 2 or 3. The node count
/// is what the VMs need (the larger of CPUs and memory) over a fill drawn from 55 to 90 %, within 4 to 16; VMs are
/// dropped from the end while even 16 nodes would be over 90 % full.
/// </summary>
internal static class SmallInstances
{
    public static readonly string[] Kinds = ["dedicated", "dedicated + groups", "shared", "shared + groups"];

    public static SmallInstance Build(int number, int seed)
    {
        var rng = new Random(seed + number);
        string kind = Kinds[number % Kinds.Length];
        bool shared = kind.StartsWith("shared", StringComparison.Ordinal);
        bool groups = kind.EndsWith("groups", StringComparison.Ordinal);
        NodeShape first = Fleet.Small[rng.Next(Fleet.Small.Length)];
        NodeShape second = number % 5 == 4 ? Fleet.Small[(Array.IndexOf(Fleet.Small, first) + 1) % Fleet.Small.Length] : first;
        NodeShape smallest = first.Cpus <= second.Cpus ? first : second;
        HostPolicy policy = Fleet.Policy(shared ? new Ratio(1, 4) : new Ratio(1, 1));

        int[] sizes = [.. new[] { 1, 2, 2, 4, 4, 6, 8 }.Where(s => s <= smallest.Cpus / 3)];
        int count = rng.Next(20, 81);
        var vms = new List<VmSpec>(count);
        int group = 0;
        while (vms.Count < count)
        {
            int members = groups && rng.Next(4) == 0 ? rng.Next(2, 4) : 1;
            string? name = members > 1 ? $"grp{group++}" : null;
            for (int k = 0; k < members && vms.Count < count; k++)
            {
                int i = vms.Count;
                bool dedicated = !shared || rng.Next(3) != 0;
                int vcpus = dedicated ? sizes[rng.Next(sizes.Length)] : rng.Next(1, 5);
                long mib = dedicated ? vcpus * (rng.Next(10) == 0 ? 8 : rng.Next(2, 5)) * 1024L : rng.Next(1, 5) * 1024L;
                vms.Add(Mixes.Vm($"vm{i}", vcpus, mib, dedicated, name));
            }
        }

        double avgCpus = ((first.Cpus + second.Cpus) / 2.0) - 2;
        double avgMiB = ((first.MemoryGiB + second.MemoryGiB) / 2.0 * 1024) - 2048;
        double Needed() => Math.Max(
            vms.Sum(v => v.IsDedicated ? v.Vcpus : v.Vcpus / 4.0) / avgCpus,
            vms.Sum(v => (double)(v.MemoryMiB ?? 0)) / avgMiB);
        while (Needed() > 16 * 0.9)
        {
            vms.RemoveAt(vms.Count - 1);
        }

        double fill = 0.55 + (rng.NextDouble() * 0.35);
        int nodeCount = Math.Clamp((int)Math.Ceiling(Needed() / fill), 4, 16);
        var nodes = new List<ClusterNode>(nodeCount);
        for (int n = 0; n < nodeCount; n++)
        {
            NodeShape shape = n % 2 == 0 ? first : second;
            nodes.Add(new ClusterNode($"node{n:D2}", null, Fleet.Host(shape), policy));
        }

        string shapes = first == second ? first.Name : $"{first.Name}+{second.Name}";
        return new SmallInstance(number, kind, shapes, Mixes.Request(nodes, vms, policy));
    }
}
