using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>What is still free while the planner works: CPUs, memory and huge pages per node.</summary>
/// <remarks>
/// The per-node views are counters kept up to date by <see cref="Take"/>, never recomputed from the whole host: the
/// planner asks for them once per node per VM, and a cluster planner calls the host planner for every candidate host.
/// <list type="bullet">
/// <item><b>free CPUs of a node</b>: the usable cpuset CPUs of the node that no VM owns yet.</item>
/// <item><b>whole-core CPUs of a node</b>: those free CPUs whose every online sibling is free too. Taking CPUs X
/// removes from it every thread of the cores X touches (whole(F - X) = whole(F) - cores(X)), and nothing else.</item>
/// <item><b>memory</b> and <b>huge pages</b> per node, lowered by <see cref="TakeMemory"/>.</item>
/// </list>
/// </remarks>
internal sealed class PlannerState
{
    private readonly Dictionary<int, long?> _memoryMiB = [];
    private readonly Dictionary<(int Node, long SizeKiB), long> _hugePages = [];
    private readonly Dictionary<int, NodeCpus> _nodes = [];
    private readonly Dictionary<int, CpuSet> _packages = [];

    // One node's counters: its free CPUs and, of those, the CPUs of whole free cores.
    private sealed class NodeCpus(CpuSet all, CpuSet free, CpuSet wholeFree)
    {
        public CpuSet All { get; } = all;

        public CpuSet Free { get; set; } = free;

        public CpuSet WholeFree { get; set; } = wholeFree;
    }

    public PlannerState(HostTopology host, HostPolicy policy)
    {
        Host = host;
        Policy = policy;
        Reserved = policy.ReservedOn(host);
        FreeCpus = policy.CpuSetOn(host) & host.Online;

        // Memory for VMs: the node's memory minus its huge page pools minus its share of memory_reserved.
        long hostMiB = (host.MemTotalKiB ?? 0) / 1024;
        foreach (NumaNode node in host.Nodes)
        {
            long? total = node.MemTotalKiB / 1024;
            long pools = node.HugePages.Sum(p => p.Total * p.SizeKiB) / 1024;
            // Never below zero: a small node whose pools and share of memory_reserved exceed it simply has no room.
            _memoryMiB[node.Id] = total is { } t ? Math.Max(0, t - pools - (policy.MemoryReservedMiB * t / Math.Max(1, hostMiB))) : null;
            foreach (HugePagePool pool in node.HugePages)
            {
                _hugePages[(node.Id, pool.SizeKiB)] = pool.Free;
            }

            CpuSet free = FreeCpus & node.Cpus;
            _nodes[node.Id] = new NodeCpus(node.Cpus, free, CpuPicker.WholeFreeCores(host, free));
        }
    }

    public HostTopology Host { get; }

    public HostPolicy Policy { get; }

    public CpuSet Reserved { get; }

    /// <summary>CPUs some explicit <c>cpus =</c> list asks for: nothing chosen by the planner may take them.</summary>
    public CpuSet Claimed { get; init; } = CpuSet.Empty;

    /// <summary>Usable cpuset CPUs that no VM owns yet.</summary>
    public CpuSet FreeCpus { get; private set; }

    public int Threads => Math.Max(1, Host.ThreadsPerCore);

    /// <summary>The median dedicated VM size: what a free CPU should be able to join (fragmentation).</summary>
    public int TypicalVmCpus { get; init; } = 1;

    /// <summary>Dedicated CPUs a VM takes: its vCPUs, rounded up to whole cores under isolate and require.</summary>
    public int CpusNeeded(VmSpec vm) =>
        vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + Threads - 1) / Threads * Threads : vm.Vcpus;

    public CpuSet FreeOn(int node) => _nodes.TryGetValue(node, out NodeCpus? n) ? n.Free : CpuSet.Empty;

    /// <summary>The free CPUs of <paramref name="node"/> whose whole core is free (<see cref="CpuPicker.WholeFreeCores"/> of <see cref="FreeOn"/>).</summary>
    public CpuSet WholeFreeOn(int node) => _nodes.TryGetValue(node, out NodeCpus? n) ? n.WholeFree : CpuSet.Empty;

    /// <summary>The online CPUs of package <paramref name="packageId"/>, computed once per plan.</summary>
    public CpuSet PackageCpus(int packageId)
    {
        if (!_packages.TryGetValue(packageId, out CpuSet? cpus))
        {
            cpus = Host.PackageCpus(packageId);
            _packages[packageId] = cpus;
        }

        return cpus;
    }

    public long? FreeMemoryMiB(int node) => _memoryMiB.GetValueOrDefault(node);

    public long FreeHugePages(int node, long sizeKiB) => _hugePages.GetValueOrDefault((node, sizeKiB));

    /// <summary>
    /// True when ordinary memory on <paramref name="node"/> binds the VM (strict policies) and does not fit. Huge
    /// page backed memory comes from the pools instead (<see cref="HugePagesShort"/>).
    /// </summary>
    public bool MemoryShort(VmSpec vm, int node, long? mib) =>
        HugePageSizeKiB(vm) is null && BindsMemory(vm) && mib is { } need && FreeMemoryMiB(node) is { } free && need > free;

    public bool HugePagesShort(VmSpec vm, int node, long? mib) =>
        HugePageSizeKiB(vm) is { } size && mib is { } need && PagesFor(need, size) > FreeHugePages(node, size);

    public void Take(CpuSet cpus)
    {
        FreeCpus -= cpus;
        foreach (NodeCpus node in _nodes.Values)
        {
            if (node.All.Overlaps(cpus))
            {
                CpuSet taken = cpus & node.All;
                node.Free -= taken;
                node.WholeFree -= Host.CoresOf(taken);
            }
        }
    }

    public void TakeMemory(VmSpec vm, int node, long? mib)
    {
        if (mib is not { } need)
        {
            return;
        }

        if (HugePageSizeKiB(vm) is { } size)
        {
            _hugePages[(node, size)] = FreeHugePages(node, size) - PagesFor(need, size);
        }
        else if (BindsMemory(vm) && FreeMemoryMiB(node) is { } free)
        {
            _memoryMiB[node] = free - need;
        }
    }

    public IReadOnlyList<NodeFree> Snapshot() =>
        Host.Nodes.Select(n => new NodeFree(
                n.Id,
                FreeOn(n.Id),
                WholeFreeOn(n.Id).Count / Threads,
                FreeMemoryMiB(n.Id),
                n.HugePages.ToDictionary(p => p.SizeKiB, p => FreeHugePages(n.Id, p.SizeKiB))))
            .ToList();

    /// <summary>Strict and restrictive memory must come from the chosen nodes; preferred and interleave may spill.</summary>
    public static bool BindsMemory(VmSpec vm) => vm.Numa is MemoryMode.Strict or MemoryMode.Restrictive;

    public static long? HugePageSizeKiB(VmSpec vm) => vm.HugePages switch
    {
        HugePageBacking.TwoMiB => 2048,
        HugePageBacking.OneGiB => 1024 * 1024,
        _ => null,
    };

    public static long PagesFor(long mib, long sizeKiB) => ((mib * 1024) + sizeKiB - 1) / sizeKiB;
}
