namespace KvmConfig.Core.Domains;

// CPU hot add: a domain defined with room for more vCPUs than it boots with (<vcpu current='2'>6</vcpu>).
public sealed partial record DomainTuning
{
    /// <summary>
    /// This tuning made whole for a domain whose <c>&lt;vcpu&gt;</c> count is <paramref name="domainMaximum"/> with
    /// <paramref name="domainOnline"/> of them online at boot: the maximum is <see cref="VcpusMax"/> when the plan
    /// names one; else, for a domain defined for hot add (fewer online than its maximum), the domain's own, raised to
    /// <see cref="Vcpus"/> when lower; else <see cref="Vcpus"/>, the count as the plan gives it. Everything libvirt counts over every vCPU, online or not, then covers the
    /// maximum: the guest topology (its product must equal the maximum), the guest NUMA cells (each vCPU in one cell)
    /// and the scheduling class. The pins stay those of the online vCPUs: a vCPU added later runs on
    /// <c>&lt;vcpu cpuset&gt;</c>, the VM's CPUs, until a plan for the larger count pins it.
    /// </summary>
    /// <remarks>
    /// The topology keeps the plan's sockets and threads per core and grows the cores when the maximum divides by
    /// them; otherwise it is one socket of single-thread cores, which every count fits. The extra vCPUs are split into
    /// one block per guest cell (the first cells take one more when they do not divide evenly), so every cell grows
    /// with a hot add.
    /// </remarks>
    public DomainTuning ForMaximum(int domainMaximum, int domainOnline)
    {
        int max = VcpusMax ?? (domainOnline < domainMaximum ? Math.Max(domainMaximum, Vcpus) : Vcpus);
        if (max <= Vcpus)
        {
            return this with { VcpusMax = Vcpus };
        }

        return this with
        {
            VcpusMax = max,
            Topology = Topology is { } shape ? Grown(shape, max) : null,
            Cells = Cells is { Count: > 1 } cells ? Spread(cells, Vcpus, max) : Cells,
            VcpuSchedulers = VcpuSchedulers?.Select(s => s.Vcpus == CpuSet.Range(0, Vcpus - 1) ? s with { Vcpus = CpuSet.Range(0, max - 1) } : s).ToList(),
        };
    }

    private static CpuTopology Grown(CpuTopology shape, int max)
    {
        if (shape.Vcpus == max)
        {
            return shape;
        }

        int perCore = shape.Sockets * shape.Threads;
        return max % perCore == 0
            ? new CpuTopology(shape.Sockets, 1, 1, max / perCore, shape.Threads)
            : new CpuTopology(1, 1, 1, max, 1);
    }

    private static List<NumaCell> Spread(IReadOnlyList<NumaCell> cells, int online, int max)
    {
        int extra = max - online;
        var grown = new List<NumaCell>(cells.Count);
        int next = online;
        for (int i = 0; i < cells.Count; i++)
        {
            int take = extra / cells.Count + (i < extra % cells.Count ? 1 : 0);
            grown.Add(take == 0 ? cells[i] : cells[i] with { Vcpus = cells[i].Vcpus | CpuSet.Range(next, next + take - 1) });
            next += take;
        }

        return grown;
    }
}
