using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

// Each online CPU's place. Read first (CpuFacts: what the files say, null where they say nothing), then grouped into
// cores and sockets the way lscpu groups them, so the partition agrees with lscpu on every shape of tree.
public sealed partial class SysfsTopologyReader
{
    /// <summary>
    /// What <c>cpuN/topology/</c> and <c>cpuN/cache/</c> say about one CPU. Ids are null when the file is missing or
    /// says -1 (the kernel's "not known": POWER partitions and some hypervisors have no package id, most arm64 parts no
    /// cluster id). Masks are null when no file of that kind exists.
    /// </summary>
    private sealed record CpuFacts(
        int Id,
        bool HasTopology,
        int? PackageId,
        int? DieId,
        int? ClusterId,
        int? CoreId,
        int? BookId,
        int? DrawerId,
        CpuSet? ThreadSiblings,
        CpuSet? PackageSiblings,
        CpuSet? L2,
        CpuSet? L3);

    private CpuFacts ReadCpuFacts(int cpu)
    {
        string topology = CpuPath($"cpu{cpu}", "topology");
        (CpuSet? l2, CpuSet? l3) = ReadCaches(CpuPath($"cpu{cpu}", "cache"));
        if (!Directory.Exists(topology))
        {
            return new CpuFacts(cpu, false, null, null, null, null, null, null, null, null, l2, l3);
        }

        string File(string name) => Path.Combine(topology, name);
        return new CpuFacts(
            cpu,
            true,
            ReadIdOrNull(File("physical_package_id")),
            ReadIdOrNull(File("die_id")),
            ReadIdOrNull(File("cluster_id")),
            ReadIdOrNull(File("core_id")),
            ReadIdOrNull(File("book_id")),
            ReadIdOrNull(File("drawer_id")),
            // SMT siblings, newest name last: thread_siblings(_list) is in every kernel, core_cpus(_list) since 5.4.
            ReadFirstCpuSet(File("thread_siblings_list"), File("thread_siblings"), File("core_cpus_list"), File("core_cpus")),
            // The package's CPUs: core_siblings(_list) is in every kernel, package_cpus(_list) since 5.4. On s390,
            // book_siblings and drawer_siblings are levels above this one and never stand in for it.
            ReadFirstCpuSet(File("package_cpus_list"), File("package_cpus"), File("core_siblings_list"), File("core_siblings")),
            l2,
            l3);
    }

    /// <summary>
    /// Groups the online CPUs into cores and sockets and gives each its <see cref="LogicalCpu"/>.
    /// </summary>
    /// <remarks>
    /// <list type="number">
    /// <item>Cores: by the thread-sibling sets, as lscpu does: each CPU joins the first set (in CPU order) that holds
    /// it; a CPU that none holds (no sibling file) is a core of its own.</item>
    /// <item>Sockets: the same over the package sets (<c>package_cpus</c>, <c>core_siblings</c>). A CPU that none
    /// holds goes by its package id (with its book and drawer on s390, where socket ids may repeat per book), and
    /// without one it is a socket of its own.</item>
    /// <item>Socket numbers: the kernel's package ids when each socket has exactly one and no two share it (every
    /// ordinary machine); otherwise 0, 1, ... in CPU order, as lscpu's logical ids.</item>
    /// </list>
    /// The CPU's sibling set becomes exactly its core's online CPUs (plus the offline siblings the kernel listed), so
    /// cores partition the online CPUs even when a tree's sibling files disagree with each other.
    /// </remarks>
    private IReadOnlyList<LogicalCpu> PlaceCpus(List<CpuFacts> facts, CpuSet online, Dictionary<int, int> nodeOfCpu, List<TopologyNote> notes)
    {
        Grouping core = Group(facts, f => f.ThreadSiblings, _ => null);
        Grouping socket = Group(facts, f => f.PackageSiblings, f => f.PackageId is int p ? (f.DrawerId, f.BookId, p) : null);
        NoteMissingTopology(facts, core, socket, notes);
        int[] packageOf = SocketNumbers(facts, socket, notes);

        // Each core's online CPUs, and the kernel core_id of its first CPU that has one.
        var coreSets = new Dictionary<int, CpuSet>();
        var firstCoreId = new Dictionary<int, int>();
        foreach (IGrouping<int, int> members in Enumerable.Range(0, facts.Count).GroupBy(i => core.Of[i]))
        {
            coreSets[members.Key] = CpuSet.Of(members.Select(i => facts[i].Id));
            if (members.Select(i => facts[i].CoreId).FirstOrDefault(id => id is not null) is int coreId)
            {
                firstCoreId[members.Key] = coreId;
            }
        }

        var cpus = new List<LogicalCpu>(facts.Count);
        for (int i = 0; i < facts.Count; i++)
        {
            CpuFacts f = facts[i];
            CpuSet siblings = coreSets[core.Of[i]] | ((f.ThreadSiblings ?? CpuSet.Empty) - online);

            // The core number shown: the kernel's core_id, else that of a sibling, else the core's first CPU. Only
            // shown, never grouped by: cores are the sibling sets.
            int coreId = f.CoreId ?? (firstCoreId.TryGetValue(core.Of[i], out int sibling) ? sibling : coreSets[core.Of[i]].First);
            cpus.Add(new LogicalCpu(f.Id, packageOf[i], f.DieId ?? 0, f.ClusterId, coreId, siblings, nodeOfCpu[f.Id], f.L2, f.L3));
        }

        return cpus;
    }

    /// <summary>A group number per CPU (in the order of the facts), and whether a kernel set put it there.</summary>
    private sealed record Grouping(int[] Of, bool[] BySet)
    {
        /// <summary>The CPUs of <paramref name="facts"/> that no set holds and that are alone in their group.</summary>
        public CpuSet Alone(List<CpuFacts> facts)
        {
            Dictionary<int, int> sizes = Of.GroupBy(g => g).ToDictionary(g => g.Key, g => g.Count());
            return CpuSet.Of(Enumerable.Range(0, facts.Count).Where(i => !BySet[i] && sizes[Of[i]] == 1).Select(i => facts[i].Id));
        }
    }

    /// <summary>
    /// lscpu's grouping: the distinct sets <paramref name="mask"/> gives, in CPU order; each CPU in the first set
    /// that holds it. A CPU that no set holds goes by <paramref name="fallback"/> (equal keys together), and is
    /// alone when that is null too.
    /// </summary>
    private static Grouping Group(List<CpuFacts> cpus, Func<CpuFacts, CpuSet?> mask, Func<CpuFacts, object?> fallback)
    {
        var sets = new List<CpuSet>();
        var seen = new HashSet<CpuSet>();
        foreach (CpuFacts f in cpus)
        {
            if (mask(f) is { } set && seen.Add(set))
            {
                sets.Add(set);
            }
        }

        var firstSetHolding = new Dictionary<int, int>();
        for (int s = 0; s < sets.Count; s++)
        {
            foreach (int cpu in sets[s])
            {
                firstSetHolding.TryAdd(cpu, s);
            }
        }

        var byKey = new Dictionary<object, int>();
        int next = sets.Count;
        var group = new int[cpus.Count];
        var bySet = new bool[cpus.Count];
        for (int i = 0; i < cpus.Count; i++)
        {
            if (firstSetHolding.TryGetValue(cpus[i].Id, out int s))
            {
                (group[i], bySet[i]) = (s, true);
            }
            else if (fallback(cpus[i]) is { } key)
            {
                group[i] = byKey.TryGetValue(key, out int g) ? g : byKey[key] = next++;
            }
            else
            {
                group[i] = next++;
            }
        }

        return new Grouping(group, bySet);
    }

    /// <summary>The package id of each CPU: the kernel's when it names the sockets one to one, else logical.</summary>
    private static int[] SocketNumbers(List<CpuFacts> facts, Grouping socket, List<TopologyNote> notes)
    {
        // Kernel ids of each socket group, and the groups in the order of their first CPU.
        var idsOf = new Dictionary<int, HashSet<int?>>();
        var order = new List<int>();
        for (int i = 0; i < facts.Count; i++)
        {
            if (!idsOf.TryGetValue(socket.Of[i], out HashSet<int?>? ids))
            {
                idsOf[socket.Of[i]] = ids = [];
                order.Add(socket.Of[i]);
            }

            ids.Add(facts[i].PackageId);
        }

        bool oneToOne = idsOf.Values.All(ids => ids.Count == 1 && ids.Single() is not null)
            && idsOf.Values.Select(ids => ids.Single()).Distinct().Count() == idsOf.Count;
        var number = oneToOne
            ? idsOf.ToDictionary(kv => kv.Key, kv => kv.Value.Single()!.Value)
            : order.Select((group, index) => (group, index)).ToDictionary(x => x.group, x => x.index);

        CpuSet withoutId = CpuSet.Of(facts.Where(f => f.HasTopology && f.PackageId is null).Select(f => f.Id));
        CpuSet bySet = CpuSet.Of(Enumerable.Range(0, facts.Count).Where(i => socket.BySet[i]).Select(i => facts[i].Id));
        if (!(withoutId & bySet).IsEmpty)
        {
            notes.Add(new(Severity.Info, $"topology/physical_package_id is -1 or missing for {Cpus(withoutId & bySet)}: their sockets are grouped by package_cpus (core_siblings), as lscpu does"));
        }

        if (!(withoutId - bySet).IsEmpty)
        {
            notes.Add(new(Severity.Warning, $"topology/ gives no physical_package_id for {Cpus(withoutId - bySet)}, and no CPU's package_cpus or core_siblings names them: each is counted as a socket of its own"));
        }

        if (!oneToOne && withoutId.IsEmpty && facts.All(f => f.HasTopology))
        {
            notes.Add(new(Severity.Info, "topology/physical_package_id does not name the package_cpus (core_siblings) groups one to one: sockets follow the groups, as lscpu's do, numbered from 0 in CPU order"));
        }

        return socket.Of.Select(group => number[group]).ToArray();
    }

    private void NoteMissingTopology(List<CpuFacts> facts, Grouping core, Grouping socket, List<TopologyNote> notes)
    {
        // What lscpu does with such CPUs, and so kvmconfig: each joins the first core and socket another CPU's
        // sibling sets name it in, and is a core or socket of its own where none does. The notes say which.
        CpuSet aloneInCore = core.Alone(facts), aloneInSocket = socket.Alone(facts);
        string Placed(CpuSet cpus)
        {
            CpuSet joined = cpus - (aloneInCore & aloneInSocket);
            return joined.IsEmpty
                ? "each is counted as a core and a socket of its own, as lscpu counts it, so SMT siblings are unknown"
                : $"{Cpus(joined)} {(joined.Count == 1 ? "joins the core and socket that other CPUs' sibling sets name it" : "join the cores and sockets that other CPUs' sibling sets name them")} in, as lscpu places them{(joined == cpus ? "" : ", and the rest are each a core and a socket of their own")}";
        }

        CpuSet noDirectory = CpuSet.Of(facts.Where(f => !Directory.Exists(CpuPath($"cpu{f.Id}"))).Select(f => f.Id));
        CpuSet noTopology = CpuSet.Of(facts.Where(f => !f.HasTopology).Select(f => f.Id)) - noDirectory;
        CpuSet noSiblings = CpuSet.Of(facts.Where(f => f.HasTopology && f.ThreadSiblings is null).Select(f => f.Id));
        if (!noDirectory.IsEmpty)
        {
            notes.Add(new(Severity.Warning, $"{_cpuDir} has no cpuN directory for online {Cpus(noDirectory)}: {Placed(noDirectory)}"));
        }

        if (!noTopology.IsEmpty)
        {
            string which = noTopology.Count == facts.Count ? "any CPU" : Cpus(noTopology);
            notes.Add(new(Severity.Warning, $"the kernel gives no topology/ directory for {which} (kernels without SMP support, some old kernels and captures): {Placed(noTopology)}"));
        }

        if (!noSiblings.IsEmpty)
        {
            CpuSet alone = noSiblings & aloneInCore;
            string placed = alone == noSiblings
                ? "each is counted as a core of its own, so SMT siblings are unknown"
                : alone.IsEmpty
                    ? "their cores come from other CPUs' sibling lists"
                    : $"{Cpus(noSiblings - alone)} join the cores that other CPUs' sibling lists name them in, and {Cpus(alone)} are each a core of their own";
            notes.Add(new(Severity.Warning, $"topology/ has no thread_siblings or core_cpus for {Cpus(noSiblings)}: {placed}"));
        }
    }

    private (CpuSet? L2, CpuSet? L3) ReadCaches(string cacheDir)
    {
        // cache/indexN/ describes one cache the CPU uses:
        //   level            "2"
        //   type             "Data", "Instruction" or "Unified"; instruction caches do not hold VM memory
        //   shared_cpu_list  "0,40"  the CPUs using this same cache (older kernels: only shared_cpu_map, hex)
        if (!Directory.Exists(cacheDir))
        {
            return (null, null);
        }

        CpuSet? l2 = null, l3 = null;
        foreach (int index in NumberedEntries(cacheDir, "index", directoriesOnly: true))
        {
            string dir = Path.Combine(cacheDir, $"index{index}");
            int? level = ReadIntOrNull(Path.Combine(dir, "level"));
            string? type = ReadIfPresent(Path.Combine(dir, "type")) is string t ? Clean(t) : null;
            if (level is not (2 or 3) || type is not ("Data" or "Unified"))
            {
                continue;
            }

            if (ReadFirstCpuSet(Path.Combine(dir, "shared_cpu_list"), Path.Combine(dir, "shared_cpu_map")) is not { } shared)
            {
                continue;
            }

            if (level == 2)
            {
                l2 = l2 is null ? shared : l2 | shared;
            }
            else
            {
                l3 = l3 is null ? shared : l3 | shared;
            }
        }

        return (l2, l3);
    }
}
