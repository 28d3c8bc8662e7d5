namespace KvmConfig.Core.Topology;

/// <summary>Derived views of a topology: cores, sockets, cache groups, lookups by CPU.</summary>
public sealed partial record HostTopology
{
    // Cores and cache groups are asked for thousands of times while planning: computed once per topology, and again
    // only when a copy changes Cpus or Online (their init setters clear this).
    private DerivedViews? _derived;

    private DerivedViews Derived => _derived ??= DerivedViews.Of(Cpus, Online);
    /// <summary>The online CPU <paramref name="id"/>, or null when it is offline or absent.</summary>
    public LogicalCpu? Cpu(int id) => _byId.GetValueOrDefault(id);

    /// <summary>The node <paramref name="id"/>, or null.</summary>
    public NumaNode? Node(int id) => Nodes.FirstOrDefault(n => n.Id == id);

    /// <summary>lscpu's "CPU(s)" and the seed's "physical CPUs": the number of online logical CPUs.</summary>
    public int OnlineCpuCount => Online.Count;

    /// <summary>
    /// The core of CPU <paramref name="id"/> as the set of its online hardware threads: the one definition of a
    /// core used everywhere (lscpu too numbers cores by their thread-sibling sets). Empty for an offline CPU.
    /// </summary>
    public CpuSet CoreOf(int id) => Derived.CoreOf.GetValueOrDefault(id) ?? CpuSet.Empty;

    /// <summary>
    /// Every online thread of the cores that <paramref name="cpus"/> touch (a CPU without topology counts as its own
    /// core): what a VM holds when it may share no core.
    /// </summary>
    public CpuSet CoresOf(CpuSet cpus)
    {
        var builder = new CpuSet.Builder();
        foreach (int cpu in cpus)
        {
            CpuSet core = CoreOf(cpu);
            builder.AddAll(core.IsEmpty ? CpuSet.Of(cpu) : core);
        }

        return builder.ToCpuSet();
    }

    /// <summary>Physical cores, each as the set of its online hardware threads, ordered by first CPU.</summary>
    public IReadOnlyList<CpuSet> Cores => Derived.Cores;

    /// <summary>Package (socket) ids, ascending.</summary>
    public IReadOnlyList<int> Packages => Cpus.Select(c => c.PackageId).Distinct().Order().ToList();

    /// <summary>Largest number of online threads on one core (1 without SMT).</summary>
    public int ThreadsPerCore => Derived.ThreadsPerCore;

    /// <summary>Cores per socket (the largest socket when they differ).</summary>
    public int CoresPerPackage =>
        Cpus.Count == 0 ? 0 : Cores.GroupBy(core => Cpu(core.First)!.PackageId).Max(g => g.Count());

    /// <summary>Online CPUs of each L3 group (last-level cache), ordered by first CPU; empty when caches are unknown.</summary>
    public IReadOnlyList<CpuSet> L3Groups => Derived.L3Groups;

    /// <summary>The online CPUs of package <paramref name="packageId"/>.</summary>
    public CpuSet PackageCpus(int packageId) => CpuSet.Of(Cpus.Where(c => c.PackageId == packageId).Select(c => c.Id));

    /// <summary>Nodes holding any CPU of <paramref name="cpus"/>, as a set of node ids.</summary>
    public CpuSet NodesOf(CpuSet cpus) =>
        CpuSet.Of(cpus.Select(Cpu).Where(c => c is not null).Select(c => c!.Node));

    /// <summary>Host memory in KiB over all nodes; null when no node reports it.</summary>
    public long? MemTotalKiB =>
        Nodes.Any(n => n.MemTotalKiB is not null) ? Nodes.Sum(n => n.MemTotalKiB ?? 0) : null;

    /// <summary>
    /// What makes a plan for this host wrong for <paramref name="other"/>: different online CPUs, or NUMA nodes holding
    /// different CPUs. Null when a plan for one is a plan for the other (memory and cpufreq may differ: they are
    /// checked against the host at each apply).
    /// </summary>
    public string? PlacementDifference(HostTopology other)
    {
        if (Online != other.Online)
        {
            return $"online CPUs {Online} against {other.Online}";
        }

        string Nodes(HostTopology t) => string.Join("; ", t.Nodes.Where(n => !n.Cpus.IsEmpty).Select(n => $"node{n.Id} {n.Cpus}"));
        return Nodes(this) == Nodes(other) ? null : $"NUMA nodes {Nodes(this)} against {Nodes(other)}";
    }

    /// <summary>Huge page sizes present on any node, ascending, in KiB.</summary>
    public IReadOnlyList<long> HugePageSizesKiB =>
        Nodes.SelectMany(n => n.HugePages).Select(p => p.SizeKiB).Distinct().Order().ToList();
}

/// <summary>The cores and L3 groups of a topology, computed together.</summary>
internal sealed record DerivedViews(IReadOnlyDictionary<int, CpuSet> CoreOf, IReadOnlyList<CpuSet> Cores, int ThreadsPerCore, IReadOnlyList<CpuSet> L3Groups)
{
    public static DerivedViews Of(IReadOnlyList<LogicalCpu> cpus, CpuSet online)
    {
        Dictionary<int, CpuSet> coreOf = cpus.ToDictionary(c => c.Id, c => c.ThreadSiblings.Intersect(online));
        List<CpuSet> cores = coreOf.Values.Distinct().OrderBy(s => s.First).ToList();
        List<CpuSet> l3 = cpus.Where(c => c.L3 is not null)
            .Select(c => c.L3!.Intersect(online))
            .Distinct()
            .OrderBy(s => s.First)
            .ToList();
        return new DerivedViews(coreOf, cores, coreOf.Count == 0 ? 0 : coreOf.Values.Max(c => c.Count), l3);
    }
}
