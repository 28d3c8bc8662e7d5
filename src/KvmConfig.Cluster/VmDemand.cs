using KvmConfig.Core;
using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// What one VM asks of a node, as the placement counts it: dedicated CPUs (whole cores under <c>smt = isolate</c> or
/// <c>require</c>) or shared-pool vCPUs, memory (bound to the NUMA nodes of its CPUs under <c>numa = strict</c> or
/// <c>restrictive</c>, or from huge page pools), and the rules that pick nodes (<c>host</c>, <c>group</c>,
/// <c>numa_nodes</c>).
/// </summary>
internal sealed class VmDemand
{
    public VmDemand(VmSpec spec, int index)
    {
        Spec = spec;
        Index = index;
        Dedicated = spec.IsDedicated;
        WholeCores = spec.Smt is SmtPolicy.Isolate or SmtPolicy.Require;
        MemoryMiB = spec.MemoryMiB ?? 0;
        HugePageKiB = spec.HugePages switch
        {
            HugePageBacking.TwoMiB => 2048,
            HugePageBacking.OneGiB => 1024 * 1024,
            _ => 0,
        };
        BindsMemory = HugePageKiB == 0 && spec.Numa is MemoryMode.Strict or MemoryMode.Restrictive && Dedicated;
    }

    public VmSpec Spec { get; }

    /// <summary>Position in the declaration.</summary>
    public int Index { get; }

    public string Name => Spec.Name;

    public int Vcpus => Spec.Vcpus;

    public bool Dedicated { get; }

    /// <summary>True when the VM owns whole cores (<c>smt = isolate</c> or <c>require</c>).</summary>
    public bool WholeCores { get; }

    public long MemoryMiB { get; }

    /// <summary>Huge page size backing the memory in KiB, 0 for ordinary memory.</summary>
    public long HugePageKiB { get; }

    /// <summary>True when ordinary memory must come from the NUMA nodes of the VM's CPUs.</summary>
    public bool BindsMemory { get; }

    public CpuSet? NumaNodes => Spec.NumaNodes;

    /// <summary>CPUs a part of <paramref name="vcpus"/> vCPUs takes on a node of <paramref name="threads"/> threads per core.</summary>
    public int CpusFor(int vcpus, int threads) =>
        !Dedicated ? 0 : WholeCores ? (vcpus + threads - 1) / threads * threads : vcpus;

    /// <summary>Huge pages of <see cref="HugePageKiB"/> for <paramref name="mib"/>, rounded up.</summary>
    public long PagesFor(long mib) => HugePageKiB == 0 ? 0 : ((mib * 1024) + HugePageKiB - 1) / HugePageKiB;
}
