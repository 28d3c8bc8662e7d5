using KvmConfig.Cluster;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>What a baseline made: the node of each VM (-1: none), and the nodes used.</summary>
/// <param name="NodeOf">Per VM in declaration order, its node's index, or -1.</param>
/// <param name="NodesUsed">Nodes that run at least one VM.</param>
internal sealed record BaselineResult(int[] NodeOf, int NodesUsed)
{
    public int Unplaced => NodeOf.Count(n => n < 0);
}

/// <summary>
/// The baselines: first fit and first fit decreasing over plain capacity vectors, with nothing of the nodes but
/// their usable CPUs (the cpuset minus reserved) and their memory for VMs (memory minus <c>memory_reserved</c>), and
/// anti-affinity kept. A dedicated VM takes its vCPUs; shared-pool VMs take their vCPUs over the overcommit, the pool
/// rounded up to whole CPUs. No NUMA nodes, no <c>max_vm_share</c>, no VM-count rule: a baseline may count a
/// placement the host planner would refuse, so it errs on the optimistic side.
/// </summary>
internal static class Baselines
{
    /// <summary>First fit: the VMs in declaration order, each on the first node (inventory order) that fits it.</summary>
    public static BaselineResult FirstFit(ClusterRequest request) =>
        Run(request, Enumerable.Range(0, request.Declaration.Vms.Count));

    /// <summary>
    /// First fit decreasing: the VMs by size, each on the first node that fits it. Size: the dominant share (CPUs
    /// over the first node's usable CPUs, memory over its memory, the larger), descending; then declaration order.
    /// </summary>
    public static BaselineResult FirstFitDecreasing(ClusterRequest request)
    {
        IReadOnlyList<VmSpec> vms = request.Declaration.Vms;
        Capacity first = Capacity.Of(request.Nodes[0]);
        double Share(VmSpec v) => Math.Max(
            (v.IsDedicated ? v.Vcpus : v.Vcpus / first.VcpusPerPoolCpu) / first.Cpus,
            (double)(v.MemoryMiB ?? 0) / first.MemoryMiB);
        return Run(request, Enumerable.Range(0, vms.Count).OrderByDescending(i => Share(vms[i])).ThenBy(i => i));
    }

    private static BaselineResult Run(ClusterRequest request, IEnumerable<int> order)
    {
        IReadOnlyList<VmSpec> vms = request.Declaration.Vms;
        var bins = new Bins(request.Nodes);
        int[] nodeOf = [.. vms.Select(_ => -1)];
        foreach (int i in order)
        {
            nodeOf[i] = bins.PlaceFirst(vms[i]);
        }

        return new BaselineResult(nodeOf, nodeOf.Where(n => n >= 0).Distinct().Count());
    }

    /// <summary>A node's plain capacity: usable CPUs, memory for VMs, the pool's overcommit.</summary>
    internal readonly record struct Capacity(int Cpus, long MemoryMiB, double VcpusPerPoolCpu)
    {
        public static Capacity Of(ClusterNode node) => new(
            node.Policy.CpuSetOn(node.Host).Intersect(node.Host.Online).Count,
            ((node.Host.MemTotalKiB ?? 0) / 1024) - node.Policy.MemoryReservedMiB,
            node.Policy.Overcommit.VcpusPerCpu);
    }

    /// <summary>
    /// The nodes' free capacity, with a max-tree over them (free CPUs and free memory per subtree) so that "the first
    /// node that fits" skips whole runs of full nodes: a subtree whose best free CPUs or best free memory is below
    /// the VM's need holds no node for it. The leaf decides exactly (the pool's rounding, the group).
    /// </summary>
    private sealed class Bins
    {
        private readonly Capacity[] _capacity;
        private readonly int[] _dedicated;
        private readonly int[] _sharedVcpus;
        private readonly long[] _memory;
        private readonly HashSet<string>?[] _groups;
        private readonly int _leaves;
        private readonly int[] _bestCpus;
        private readonly long[] _bestMemory;

        public Bins(IReadOnlyList<ClusterNode> nodes)
        {
            _capacity = [.. nodes.Select(Capacity.Of)];
            _dedicated = new int[nodes.Count];
            _sharedVcpus = new int[nodes.Count];
            _memory = new long[nodes.Count];
            _groups = new HashSet<string>?[nodes.Count];
            _leaves = 1;
            while (_leaves < nodes.Count)
            {
                _leaves *= 2;
            }

            _bestCpus = new int[2 * _leaves];
            _bestMemory = new long[2 * _leaves];
            Array.Fill(_bestCpus, -1);
            Array.Fill(_bestMemory, -1);
            for (int n = 0; n < nodes.Count; n++)
            {
                Update(n);
            }
        }

        public int PlaceFirst(VmSpec vm)
        {
            int n = Find(1, vm.IsDedicated ? vm.Vcpus : 0, vm.MemoryMiB ?? 0, vm);
            if (n >= 0)
            {
                if (vm.IsDedicated)
                {
                    _dedicated[n] += vm.Vcpus;
                }
                else
                {
                    _sharedVcpus[n] += vm.Vcpus;
                }

                _memory[n] += vm.MemoryMiB ?? 0;
                if (vm.Group is { } group)
                {
                    (_groups[n] ??= new HashSet<string>(StringComparer.Ordinal)).Add(group);
                }

                Update(n);
            }

            return n;
        }

        // Leftmost leaf under `at` that takes the VM, or -1.
        private int Find(int at, int cpus, long mib, VmSpec vm)
        {
            if (_bestCpus[at] < cpus || _bestMemory[at] < mib)
            {
                return -1;
            }

            if (at >= _leaves)
            {
                return Fits(at - _leaves, vm) ? at - _leaves : -1;
            }

            int left = Find(2 * at, cpus, mib, vm);
            return left >= 0 ? left : Find((2 * at) + 1, cpus, mib, vm);
        }

        private bool Fits(int n, VmSpec vm)
        {
            Capacity c = _capacity[n];
            int dedicated = _dedicated[n] + (vm.IsDedicated ? vm.Vcpus : 0);
            int shared = _sharedVcpus[n] + (vm.IsDedicated ? 0 : vm.Vcpus);
            return dedicated + Pool(shared, c) <= c.Cpus
                && _memory[n] + (vm.MemoryMiB ?? 0) <= c.MemoryMiB
                && (vm.Group is null || _groups[n]?.Contains(vm.Group) != true);
        }

        private static int Pool(int vcpus, Capacity c) => (int)Math.Ceiling(vcpus / c.VcpusPerPoolCpu);

        private void Update(int n)
        {
            int at = _leaves + n;
            _bestCpus[at] = _capacity[n].Cpus - _dedicated[n] - Pool(_sharedVcpus[n], _capacity[n]);
            _bestMemory[at] = _capacity[n].MemoryMiB - _memory[n];
            for (at /= 2; at >= 1; at /= 2)
            {
                _bestCpus[at] = Math.Max(_bestCpus[2 * at], _bestCpus[(2 * at) + 1]);
                _bestMemory[at] = Math.Max(_bestMemory[2 * at], _bestMemory[(2 * at) + 1]);
            }
        }
    }
}
