using KvmConfig.Core;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cluster;

/// <summary>
/// One node's free capacity while VMs are placed, kept as counters so that asking whether a VM fits costs a few
/// comparisons per NUMA node, never a plan: per NUMA node the free CPUs of whole free cores and of broken cores, the
/// memory left for bound VMs and the free huge pages; per node the CPUs dedicated VMs took, the shared pool's vCPUs,
/// the memory of every VM and the VM count. The counters follow the host planner's choices (a NUMA node alone when one
/// can hold the VM, else an even split; whole cores first, then threads of broken cores), so that what they accept the
/// node's own planner can place; the final word is that planner's, run once per node at the end.
/// </summary>
internal sealed partial class NodeState
{
    private readonly int[] _numaIds;
    private readonly int[] _whole;
    private readonly int[] _split;
    private readonly long[] _memory;
    private readonly Dictionary<(int Numa, long SizeKiB), long> _pages = [];
    private readonly Dictionary<string, int> _groups = new(StringComparer.Ordinal);

    public NodeState(ClusterNode node, int index)
    {
        Node = node;
        Index = index;
        HostTopology host = node.Host;
        Threads = Math.Max(1, host.ThreadsPerCore);
        CpuSet usable = node.UsableCpus;
        UsableCpus = usable.Count;
        OnlineCpus = host.OnlineCpuCount;
        MostCpusPerVm = node.Policy.MaxVmShare.FloorOf(OnlineCpus);
        VcpusPerPoolCpu = node.Policy.Overcommit.VcpusPerCpu;

        // Memory for VMs, as the host planner counts it: each node's memory minus its huge page pools minus its share
        // of memory_reserved.
        long hostMiB = (host.MemTotalKiB ?? 0) / 1024;
        List<NumaNode> cpuNodes = [.. host.Nodes.Where(n => !n.Cpus.IsEmpty)];
        _numaIds = [.. cpuNodes.Select(n => n.Id)];
        _whole = new int[cpuNodes.Count];
        _split = new int[cpuNodes.Count];
        _memory = new long[cpuNodes.Count];
        for (int i = 0; i < cpuNodes.Count; i++)
        {
            CpuSet free = usable & cpuNodes[i].Cpus;
            // Whole free cores: every online thread of the core free.
            _whole[i] = host.Cores.Where(c => c.IsSubsetOf(free)).Sum(c => c.Count);
            _split[i] = free.Count - _whole[i];
        }

        foreach (NumaNode numa in host.Nodes)
        {
            long total = (numa.MemTotalKiB ?? 0) / 1024;
            long pools = numa.HugePages.Sum(p => p.Total * p.SizeKiB) / 1024;
            long forVms = Math.Max(0, total - pools - (node.Policy.MemoryReservedMiB * total / Math.Max(1, hostMiB)));
            MemoryMiBTotal += forVms;
            int slot = Array.IndexOf(_numaIds, numa.Id);
            if (slot >= 0)
            {
                _memory[slot] = forVms;
            }

            foreach (HugePagePool pool in numa.HugePages)
            {
                _pages[(numa.Id, pool.SizeKiB)] = pool.Free;
                HugePagesMiB += pool.Total * pool.SizeKiB / 1024;
            }
        }

        LargestNumaCpus = _numaIds.Length == 0 ? 0 : Enumerable.Range(0, _numaIds.Length).Max(s => _whole[s] + _split[s]);
    }

    public ClusterNode Node { get; }

    /// <summary>Position in the inventory.</summary>
    public int Index { get; }

    public int Threads { get; }

    /// <summary>CPUs VMs may use: the cpuset minus reserved, online.</summary>
    public int UsableCpus { get; }

    public int OnlineCpus { get; }

    /// <summary>The most CPUs one VM may take (<c>max_vm_share</c> of the online CPUs).</summary>
    public int MostCpusPerVm { get; }

    public double VcpusPerPoolCpu { get; }

    /// <summary>CPUs dedicated VMs hold (idle siblings included).</summary>
    public int DedicatedCpus { get; private set; }

    /// <summary>vCPUs of shared-pool VMs.</summary>
    public int SharedVcpus { get; private set; }

    public long MemoryMiBTotal { get; }

    /// <summary>Memory in huge page pools, for VMs backed by them.</summary>
    public long HugePagesMiB { get; }

    /// <summary>Usable CPUs of the largest NUMA node, before any VM.</summary>
    public int LargestNumaCpus { get; }

    /// <summary>NUMA nodes with CPUs.</summary>
    public int NumaNodeCount => _numaIds.Length;

    public long MemoryMiBUsed { get; private set; }

    public int VmCount { get; private set; }

    /// <summary>CPUs left for more VMs: the usable ones minus dedicated ones minus those the shared pool needs.</summary>
    public int FreeCpus => UsableCpus - DedicatedCpus - PoolCpusNeeded(SharedVcpus);

    /// <summary>The most loaded dimension, 0 to 1.</summary>
    public double Load => Math.Max(UsableCpus == 0 ? 1 : (double)(UsableCpus - FreeCpus) / UsableCpus, MemoryMiBTotal == 0 ? 0 : (double)MemoryMiBUsed / MemoryMiBTotal);

    public bool HasGroup(string group) => _groups.ContainsKey(group);

    /// <summary>True when a member of any group runs here.</summary>
    public bool HasGroups => _groups.Count > 0;

    /// <summary>Free huge pages of <paramref name="sizeKiB"/> on the whole node.</summary>
    public long FreeHugePages(long sizeKiB) => _pages.Where(p => p.Key.SizeKiB == sizeKiB).Sum(p => p.Value);

    /// <summary>What the exact model sees of the node, as one string: nodes with the same one are interchangeable there.</summary>
    public string Signature =>
        $"{UsableCpus}/{OnlineCpus}/{Threads}/{MostCpusPerVm}/{MemoryMiBTotal}/{Node.Policy.Overcommit}/{string.Join(",", _pages.GroupBy(p => p.Key.SizeKiB).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Sum(p => p.Value)}"))}/{string.Join(",", _numaIds)}";

    public NodeUsage Usage => new(UsableCpus - FreeCpus, UsableCpus, MemoryMiBUsed, MemoryMiBTotal);

    private int PoolCpusNeeded(int vcpus) => vcpus == 0 ? 0 : (int)Math.Ceiling(vcpus / VcpusPerPoolCpu);
}
