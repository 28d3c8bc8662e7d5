namespace KvmConfig.Cluster;

/// <summary>A copy of a node's counters, for what-if placements (a node lost under <c>--ha</c>).</summary>
internal sealed partial class NodeState
{
    private NodeState(NodeState other)
    {
        Node = other.Node;
        Index = other.Index;
        Threads = other.Threads;
        UsableCpus = other.UsableCpus;
        OnlineCpus = other.OnlineCpus;
        MostCpusPerVm = other.MostCpusPerVm;
        VcpusPerPoolCpu = other.VcpusPerPoolCpu;
        MemoryMiBTotal = other.MemoryMiBTotal;
        HugePagesMiB = other.HugePagesMiB;
        LargestNumaCpus = other.LargestNumaCpus;
        DedicatedCpus = other.DedicatedCpus;
        SharedVcpus = other.SharedVcpus;
        MemoryMiBUsed = other.MemoryMiBUsed;
        VmCount = other.VmCount;
        _numaIds = other._numaIds;
        _whole = (int[])other._whole.Clone();
        _split = (int[])other._split.Clone();
        _memory = (long[])other._memory.Clone();
        _pages = new(other._pages);
        _groups = new(other._groups, StringComparer.Ordinal);
    }

    /// <summary>An independent copy of the counters as they stand.</summary>
    public NodeState Clone() => new(this);
}
