using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using static KvmConfig.Linux.KernelFiles;
using KvmConfig.Core.Topology;

namespace KvmConfig.Linux;

/// <summary>
/// Reads the host's CPU and NUMA topology from sysfs: <c>devices/system/cpu</c> and <c>devices/system/node</c>
/// under a root directory (<c>/sys</c> by default, a captured tree in tests).
/// </summary>
/// <remarks>
/// <para>
/// The roots. sysfs and procfs are separate mounts, so each root is its own parameter and the reader never derives
/// one from the other. procfs serves one purpose: when there is no <c>devices/system/node</c> (a kernel without
/// <c>CONFIG_NUMA</c>, or a capture without <c>node/</c>), the single node's memory and default-size huge pages come
/// from <c>PROC/meminfo</c>. With no proc root that memory is unknown. <see cref="ForHost"/> reads the running
/// machine (<c>/sys</c> and <c>/proc</c>); <see cref="ForSysroot"/> reads an lscpu-style <c>--sysroot DIR</c>
/// (<c>DIR/sys</c>, and <c>DIR/proc</c> when that directory exists: captures usually hold only <c>sys/</c>).
/// </para>
/// <para>
/// The CPU pools, as the kernel lists them in <c>devices/system/cpu/</c>. Each is a cpulist; a missing file
/// degrades as shown:
/// </para>
/// <list type="bullet">
/// <item><c>possible</c>: every CPU id the kernel could ever bring up (<c>NR_CPUS</c>-bounded). Missing: the
/// <c>cpuN</c> directories.</item>
/// <item><c>present</c>: CPUs physically there; a subset of possible. Missing: the <c>cpuN</c> directories.</item>
/// <item><c>online</c>: present CPUs the scheduler runs on, each with a <c>cpuN</c> directory. Missing: the present
/// CPUs whose <c>cpuN/online</c> does not say <c>0</c> (cpu0 usually has no such file and is always online).</item>
/// <item><c>isolated</c> (<c>isolcpus=</c>) and <c>nohz_full</c>: subsets of possible. Missing: empty. The
/// kernel prints an empty <c>nohz_full</c> as <c>(null)</c> padded with spaces.</item>
/// </list>
/// <para>
/// Only online CPUs carry topology: for each, <c>topology/physical_package_id</c>, <c>topology/core_id</c> and a
/// sibling list are mandatory, and a missing one is an environment failure
/// (<see cref="Rules.Unreadable"/>, with the path). An online CPU without a <c>cpuN</c> directory, or outside
/// <c>present</c>, is <see cref="Rules.Unreadable"/> too. Everything else (die, cluster, caches, NUMA memory, huge
/// pages, distances, cpufreq) degrades to "unknown". Content the kernel would not write (a bad cpulist, a word where
/// a number belongs) is also <see cref="Rules.Unreadable"/>, naming the path and the parse error; a root without
/// <c>devices/system/cpu</c> is <see cref="Rules.NotSysfs"/>.
/// </para>
/// <para>
/// cpufreq is read only from policies that cover an online CPU (<c>related_cpus</c>, else <c>affected_cpus</c>;
/// a policy with neither counts as active). intel_pstate and amd-pstate keep one policy per CPU, offline CPUs
/// included, and the kernel answers <c>-EBUSY</c> for the attributes of such an inactive policy. So an I/O error
/// on any cpufreq file makes that policy unknown and it is skipped; it is never <see cref="Rules.Unreadable"/>.
/// </para>
/// <para>
/// Symbolic links (<c>cpu/cpu0/node0</c>, <c>node/node0/cpu0</c>, <c>cpu/cpu0/cpufreq</c>) count by their
/// existence only: on a real <c>/sys</c> they are links to directories, in captured trees they are often
/// flattened into small files holding the link target.
/// </para>
/// </remarks>
/// <param name="sysRoot">The directory holding <c>devices/system/cpu</c>: <c>/sys</c>, or <c>DIR/sys</c> for a
/// capture (see <see cref="ForSysroot"/>).</param>
/// <param name="procRoot">The directory holding <c>meminfo</c>: <c>/proc</c>, <c>DIR/proc</c>, or null for no
/// procfs (memory unknown when there is no <c>node/</c> directory). The host itself is <see cref="ForHost"/>.</param>
public sealed class SysfsTopologyReader(string sysRoot, string? procRoot = null)
{
    private const string SysrootHint = "--sysroot expects a directory holding sys/devices/system/cpu, like lscpu --sysroot";
    private const string IncompleteHint = "the tree lacks a file every Linux kernel writes; if it is a capture, copy it again with its topology/ directories";
    private const string PoolsHint = "the CPU pool files disagree with the cpuN directories; if it is a capture, copy cpu/ again in one go";

    private readonly string _cpuDir = Path.Combine(sysRoot, "devices", "system", "cpu");
    private readonly string _nodeDir = Path.Combine(sysRoot, "devices", "system", "node");

    /// <summary>The directory holding <c>devices/system/{cpu,node}</c>.</summary>
    public string SysRoot { get; } = sysRoot;

    /// <summary>The procfs root (<c>meminfo</c> is read from it), or null when there is none.</summary>
    public string? ProcRoot { get; } = procRoot;

    /// <summary>The running machine: <c>/sys</c> and <c>/proc</c>.</summary>
    public static SysfsTopologyReader ForHost() => new("/sys", "/proc");

    /// <summary>
    /// An lscpu-style sysroot: <paramref name="dir"/> stands for <c>/</c> of the machine, so sysfs is
    /// <c>DIR/sys</c> and procfs <c>DIR/proc</c> when that directory exists (else none: captured trees usually
    /// hold only <c>sys/</c>). <c>ForSysroot("/")</c> reads <c>/sys</c> and <c>/proc</c>.
    /// </summary>
    public static SysfsTopologyReader ForSysroot(string dir)
    {
        string proc = Path.Combine(dir, "proc");
        return new(Path.Combine(dir, "sys"), Directory.Exists(proc) ? proc : null);
    }

    /// <summary>
    /// Reads the whole topology. Throws <see cref="KvmConfigException"/> with <see cref="Rules.NotSysfs"/> when
    /// the root holds no CPU tree, <see cref="Rules.Unreadable"/> when a mandatory file is missing, unreadable
    /// or malformed.
    /// </summary>
    public HostTopology Read()
    {
        if (!Directory.Exists(_cpuDir))
        {
            throw NotSysfs($"{SysRoot} is not a Linux sysfs tree: {_cpuDir} does not exist");
        }

        // 1. The CPU pools. The cpuN directories stand in for possible/present when those files are missing
        //    (the cadvisor captures hold no such files).
        CpuSet cpuDirs = CpuSet.Of(NumberedEntries(_cpuDir, "cpu", directoriesOnly: true));
        CpuSet possible = ReadCpuListOrNull(CpuPath("possible")) ?? cpuDirs;
        CpuSet? presentFile = ReadCpuListOrNull(CpuPath("present"));
        CpuSet present = presentFile ?? cpuDirs;
        CpuSet? onlineFile = ReadCpuListOrNull(CpuPath("online"));
        CpuSet online = onlineFile ?? OnlineFromPerCpuFiles(present);
        CpuSet isolated = ReadCpuListOrNull(CpuPath("isolated")) ?? CpuSet.Empty;
        CpuSet nohzFull = ReadCpuListOrNull(CpuPath("nohz_full")) ?? CpuSet.Empty;
        if (online.IsEmpty)
        {
            throw NotSysfs($"{SysRoot} is not a Linux sysfs tree: no CPU is online ({_cpuDir} has no cpuN directory, and its 'online' file, if any, is empty)");
        }

        // Every later step reads cpuN/ of each online CPU, so a CPU online without one is a broken tree, and is
        // named as such here rather than as a missing topology file or a CPU in no node.
        CheckOnlineCpusExist(online, onlineFile is not null ? "online" : "present", cpuDirs, presentFile);

        // 2. NUMA nodes first, so that each CPU can be given its node as it is read.
        IReadOnlyList<NumaNode> nodes = ReadNodes(online);
        Dictionary<int, int> nodeOfCpu = NodeOfEachCpu(nodes, online);

        // 3. Each online CPU's place: package, die, cluster, core, siblings, caches.
        var cpus = new List<LogicalCpu>(online.Count);
        foreach (int cpu in online)
        {
            cpus.Add(ReadCpu(cpu, nodeOfCpu[cpu]));
        }

        return new HostTopology
        {
            Possible = possible,
            Present = present,
            Online = online,
            Isolated = isolated,
            NohzFull = nohzFull,
            Cpus = cpus,
            Nodes = nodes,
            CpuFreq = ReadCpuFreq(online),
        };
    }

    // ---- Parsers: text in, values out; no file access ---------------------------------------------------

    /// <summary>
    /// Parses a kernel cpulist file (<c>cpu/online</c>, <c>nodeN/cpulist</c>, <c>shared_cpu_list</c>). An empty
    /// file and the kernel's <c>(null)</c> (printed by <c>nohz_full</c> when no CPU is tickless) are the empty set.
    /// Throws <see cref="FormatException"/> when malformed.
    /// </summary>
    public static CpuSet ParseCpuList(string text)
    {
        // "0-2,5-6,10-12,15-16,40-42\n"       ranges and single CPUs, comma separated, ascending
        // "                  (null)\n"        cpu/nohz_full without nohz_full= on the command line
        string trimmed = text.Trim();
        return trimmed == "(null)" ? CpuSet.Empty : CpuSet.Parse(trimmed);
    }

    /// <summary>
    /// Parses <c>nodeN/meminfo</c> or <c>/proc/meminfo</c> into field name and value (KiB for sizes, a count for
    /// <c>HugePages_*</c>). Throws <see cref="FormatException"/> on a line without a number.
    /// </summary>
    public static IReadOnlyDictionary<string, long> ParseMeminfo(string text)
    {
        // nodeN/meminfo:  "Node 0 MemTotal:       48005604 kB"     /proc/meminfo:  "MemTotal:       16303428 kB"
        //                  (1)  (2) (3)            (4)     (5)                       (3)             (4)      (5)
        // 1 "Node", only in the per-node file   2 node id   3 field name, ends in ':' and may hold "(anon)"
        // 4 value   5 unit: "kB" (KiB) for sizes, absent for page counts ("Node 0 HugePages_Total:  2560")
        var fields = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("Node ", StringComparison.Ordinal))
            {
                int afterId = line.IndexOf(' ', 5);
                line = afterId < 0 ? string.Empty : line[(afterId + 1)..].TrimStart();
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new FormatException($"line \"{rawLine.Trim()}\" has no 'Field:'");
            }

            string name = line[..colon];
            string[] value = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (value.Length is 0 or > 2
                || (value.Length == 2 && value[1] != "kB")
                || !long.TryParse(value[0], NumberStyles.None, CultureInfo.InvariantCulture, out long number))
            {
                throw new FormatException($"line \"{rawLine.Trim()}\" does not end in a number of kB or a count");
            }

            fields[name] = number;
        }

        return fields;
    }

    /// <summary>
    /// Parses <c>nodeN/distance</c>: one SLIT distance per online node, in node order. Throws
    /// <see cref="FormatException"/> when a word is not a number.
    /// </summary>
    public static IReadOnlyList<int> ParseDistances(string text)
    {
        // "10 11 21 21"   distance from this node to node/online's 1st, 2nd, ... node; 10 is local (LOCAL_DISTANCE)
        var distances = new List<int>();
        foreach (string word in text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out int d))
            {
                throw new FormatException($"\"{word}\" in \"{text.Trim()}\" is not a distance");
            }

            distances.Add(d);
        }

        return distances;
    }

    /// <summary>
    /// The page size in KiB named by a huge page directory (<c>hugepages-2048kB</c> gives 2048), or null when the
    /// name has another form.
    /// </summary>
    public static long? ParseHugePageDirectoryName(string name)
    {
        // "hugepages-1048576kB"    (1) "hugepages-"  (2) page size  (3) "kB"
        const string prefix = "hugepages-", suffix = "kB";
        if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        ReadOnlySpan<char> size = name.AsSpan(prefix.Length, name.Length - prefix.Length - suffix.Length);
        return long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out long kib) && kib > 0 ? kib : null;
    }

    /// <summary>Parses a one-number sysfs attribute (<c>core_id</c>, <c>nr_hugepages</c>); may be negative.</summary>
    public static long ParseNumber(string text)
    {
        // "17\n"   physical_package_id and cluster_id are -1 where the platform does not say
        string trimmed = text.Trim();
        return long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)
            ? n
            : throw new FormatException($"\"{trimmed}\" is not a number");
    }

    /// <summary>Parses <c>scaling_available_governors</c>: governor names separated by spaces.</summary>
    public static IReadOnlyList<string> ParseGovernors(string text) =>
        // "performance powersave \n"   (the kernel leaves a space before the newline)
        text.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);

    // ---- CPUs ---------------------------------------------------------------------------------------------

    private string CpuPath(params string[] parts) => Path.Combine([_cpuDir, .. parts]);

    private CpuSet OnlineFromPerCpuFiles(CpuSet present)
    {
        // cpuN/online: "1" or "0", written by hotplug; absent for CPUs that cannot go offline (usually cpu0).
        var builder = new CpuSet.Builder();
        foreach (int cpu in present)
        {
            string path = CpuPath($"cpu{cpu}", "online");
            string? text = ReadIfPresent(path);
            if (text is null || Parse(path, text, ParseNumber) != 0)
            {
                builder.Add(cpu);
            }
        }

        return builder.ToCpuSet();
    }

    /// <summary>
    /// Online CPUs must have a <c>cpuN</c> directory and, when <c>present</c> is known, be present.
    /// <paramref name="source"/> is the pool file the online CPUs came from (<c>online</c>, or <c>present</c> when
    /// there is no <c>online</c> file).
    /// </summary>
    private void CheckOnlineCpusExist(CpuSet online, string source, CpuSet cpuDirs, CpuSet? presentFile)
    {
        string path = CpuPath(source);
        CpuSet withoutDir = online.Except(cpuDirs);
        if (!withoutDir.IsEmpty)
        {
            const int shown = 8;
            string names = string.Join(", ", withoutDir.Take(shown).Select(cpu => $"cpu{cpu}"))
                + (withoutDir.Count > shown ? $" and {withoutDir.Count - shown} more" : "");
            (string cpus, string directories) = withoutDir.Count == 1 ? ("CPU", "directory") : ("CPUs", "directories");
            throw new KvmConfigException(
                Rules.Unreadable,
                $"{path} lists {cpus} {withoutDir} as online, but {_cpuDir} has no {names} {directories}; the kernel makes cpuN/ for every CPU it runs",
                path,
                PoolsHint);
        }

        if (presentFile is not null && !online.IsSubsetOf(presentFile))
        {
            CpuSet absent = online.Except(presentFile);
            throw new KvmConfigException(
                Rules.Unreadable,
                $"{path} lists {(absent.Count == 1 ? "CPU" : "CPUs")} {absent} as online, but {CpuPath("present")} holds only {presentFile}; online CPUs are a subset of present ones",
                path,
                PoolsHint);
        }
    }

    private LogicalCpu ReadCpu(int cpu, int node)
    {
        string topology = CpuPath($"cpu{cpu}", "topology");
        string why = $"CPU {cpu} is online";
        int package = ReadInt(Path.Combine(topology, "physical_package_id"), why);
        int core = ReadInt(Path.Combine(topology, "core_id"), why);
        int die = ReadIntOrNull(Path.Combine(topology, "die_id")) ?? 0;
        int? cluster = ReadIntOrNull(Path.Combine(topology, "cluster_id"));

        // SMT siblings, newest name last: thread_siblings(_list) is in every kernel, core_cpus(_list) since 5.4.
        CpuSet siblings =
            ReadCpuListOrNull(Path.Combine(topology, "thread_siblings_list"))
            ?? ReadHexMaskOrNull(Path.Combine(topology, "thread_siblings"))
            ?? ReadCpuListOrNull(Path.Combine(topology, "core_cpus_list"))
            ?? ReadHexMaskOrNull(Path.Combine(topology, "core_cpus"))
            ?? throw Missing(Path.Combine(topology, "thread_siblings_list"), $"{why}; no thread_siblings or core_cpus either");

        (CpuSet? l2, CpuSet? l3) = ReadCaches(CpuPath($"cpu{cpu}", "cache"));
        return new LogicalCpu(cpu, package, die, cluster, core, siblings | CpuSet.Of(cpu), node, l2, l3);
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
            if (level is not (2 or 3))
            {
                continue;
            }

            string? type = ReadIfPresent(Path.Combine(dir, "type"))?.Trim();
            if (type is not ("Data" or "Unified"))
            {
                continue;
            }

            CpuSet? shared =
                ReadCpuListOrNull(Path.Combine(dir, "shared_cpu_list"))
                ?? ReadHexMaskOrNull(Path.Combine(dir, "shared_cpu_map"));
            if (shared is null)
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

    // ---- NUMA nodes ---------------------------------------------------------------------------------------

    private IReadOnlyList<NumaNode> ReadNodes(CpuSet online)
    {
        List<int> ids = Directory.Exists(_nodeDir) ? NumberedEntries(_nodeDir, "node", directoriesOnly: true) : [];
        if (ids.Count == 0)
        {
            return [SingleNode(online)];
        }

        // The columns of nodeN/distance are the online nodes in order (the kernel loops for_each_online_node).
        string onlinePath = Path.Combine(_nodeDir, "online");
        IReadOnlyList<int> distanceColumns = ReadCpuListOrNull(onlinePath)?.ToList() ?? ids;

        // CPUs of a node: cpulist, else the hex cpumap, else (collected below for all such nodes at once) the
        // nodeN/cpuX entries and the cpu/cpuX/nodeN entries. Membership is filtered to online CPUs.
        var cpusOf = new Dictionary<int, CpuSet?>();
        foreach (int id in ids)
        {
            string dir = NodePath(id);
            cpusOf[id] = ReadCpuListOrNull(Path.Combine(dir, "cpulist")) ?? ReadHexMaskOrNull(Path.Combine(dir, "cpumap"));
        }

        if (cpusOf.Values.Any(c => c is null))
        {
            Dictionary<int, CpuSet> fromLinks = NodeCpusFromLinks(ids);
            foreach (int id in ids.Where(id => cpusOf[id] is null))
            {
                cpusOf[id] = fromLinks[id];
            }
        }

        var nodes = new List<NumaNode>(ids.Count);
        foreach (int id in ids)
        {
            string dir = NodePath(id);
            IReadOnlyDictionary<string, long>? meminfo = ReadMeminfoOrNull(Path.Combine(dir, "meminfo"));
            nodes.Add(new NumaNode(
                id,
                cpusOf[id]!.Intersect(online),
                meminfo is not null && meminfo.TryGetValue("MemTotal", out long total) ? total : null,
                meminfo is not null && meminfo.TryGetValue("MemFree", out long free) ? free : null,
                ReadHugePages(Path.Combine(dir, "hugepages")),
                ReadDistances(Path.Combine(dir, "distance"), distanceColumns, onlinePath)));
        }

        return nodes;
    }

    private string NodePath(int id) => Path.Combine(_nodeDir, $"node{id}");

    private Dictionary<int, CpuSet> NodeCpusFromLinks(List<int> nodeIds)
    {
        // node/nodeN/cpuX and cpu/cpuX/nodeN: links in a live /sys, flattened files in captures. Either says "CPU
        // X belongs to node N"; some trees carry only one of the two.
        var builders = nodeIds.ToDictionary(id => id, _ => new CpuSet.Builder());
        foreach (int id in nodeIds)
        {
            foreach (int cpu in NumberedEntries(NodePath(id), "cpu", directoriesOnly: false))
            {
                builders[id].Add(cpu);
            }
        }

        foreach (int cpu in NumberedEntries(_cpuDir, "cpu", directoriesOnly: true))
        {
            foreach (int node in NumberedEntries(CpuPath($"cpu{cpu}"), "node", directoriesOnly: false))
            {
                if (builders.TryGetValue(node, out CpuSet.Builder? builder))
                {
                    builder.Add(cpu);
                }
            }
        }

        return builders.ToDictionary(kv => kv.Key, kv => kv.Value.ToCpuSet());
    }

    private Dictionary<int, int> NodeOfEachCpu(IReadOnlyList<NumaNode> nodes, CpuSet online)
    {
        var nodeOfCpu = new Dictionary<int, int>(online.Count);
        foreach (NumaNode node in nodes)
        {
            foreach (int cpu in node.Cpus)
            {
                if (nodeOfCpu.TryGetValue(cpu, out int other))
                {
                    string path = Path.Combine(NodePath(node.Id), "cpulist");
                    throw new KvmConfigException(
                        Rules.Unreadable,
                        $"{path}: CPU {cpu} is listed by both node{other} and node{node.Id}; a CPU belongs to exactly one NUMA node",
                        path,
                        MalformedHint);
                }

                nodeOfCpu[cpu] = node.Id;
            }
        }

        CpuSet homeless = online.Except(CpuSet.Of(nodeOfCpu.Keys));
        if (!homeless.IsEmpty)
        {
            throw new KvmConfigException(
                Rules.Unreadable,
                $"{_nodeDir}: online CPUs {homeless} belong to no NUMA node (no nodeN/cpulist, cpumap or cpuX entry lists them)",
                _nodeDir,
                IncompleteHint);
        }

        return nodeOfCpu;
    }

    private NumaNode SingleNode(CpuSet online)
    {
        // A kernel without CONFIG_NUMA (or a capture without node/) has one node 0 holding everything; its
        // memory is the machine's, from PROC/meminfo when there is a proc root (else unknown). Huge pages there
        // are the default size only.
        IReadOnlyDictionary<string, long>? meminfo = ProcRoot is null ? null : ReadMeminfoOrNull(Path.Combine(ProcRoot, "meminfo"));
        List<HugePagePool> hugePages = [];
        if (meminfo is not null
            && meminfo.TryGetValue("Hugepagesize", out long sizeKiB)
            && meminfo.TryGetValue("HugePages_Total", out long total)
            && meminfo.TryGetValue("HugePages_Free", out long free))
        {
            hugePages.Add(new HugePagePool(sizeKiB, total, free));
        }

        return new NumaNode(
            0,
            online,
            meminfo is not null && meminfo.TryGetValue("MemTotal", out long memTotal) ? memTotal : null,
            meminfo is not null && meminfo.TryGetValue("MemFree", out long memFree) ? memFree : null,
            hugePages,
            new Dictionary<int, int>());
    }

    private static List<HugePagePool> ReadHugePages(string hugePagesDir)
    {
        // hugepages/hugepages-2048kB/nr_hugepages    "2560"  pages reserved on this node
        //                           /free_hugepages  "2560"  of which not in use
        var pools = new List<HugePagePool>();
        if (!Directory.Exists(hugePagesDir))
        {
            return pools;
        }

        foreach (string dir in Directory.EnumerateDirectories(hugePagesDir))
        {
            if (ParseHugePageDirectoryName(Path.GetFileName(dir)) is not long sizeKiB)
            {
                continue;
            }

            long? total = ReadLongOrNull(Path.Combine(dir, "nr_hugepages"));
            long? free = ReadLongOrNull(Path.Combine(dir, "free_hugepages"));
            if (total is not null && free is not null)
            {
                pools.Add(new HugePagePool(sizeKiB, total.Value, free.Value));
            }
        }

        pools.Sort((a, b) => a.SizeKiB.CompareTo(b.SizeKiB));
        return pools;
    }

    private static Dictionary<int, int> ReadDistances(string path, IReadOnlyList<int> columns, string onlinePath)
    {
        var byNode = new Dictionary<int, int>();
        string? text = ReadIfPresent(path);
        if (text is null)
        {
            return byNode;
        }

        IReadOnlyList<int> distances = Parse(path, text, ParseDistances);
        if (distances.Count != columns.Count)
        {
            throw new KvmConfigException(
                Rules.Unreadable,
                $"{path}: {distances.Count} distances for {columns.Count} online nodes ({CpuSet.Of(columns)} in {onlinePath})",
                path,
                MalformedHint);
        }

        for (int i = 0; i < columns.Count; i++)
        {
            byNode[columns[i]] = distances[i];
        }

        return byNode;
    }

    // ---- cpufreq ------------------------------------------------------------------------------------------

    private CpuFreqInfo ReadCpuFreq(CpuSet online)
    {
        // cpu/cpufreq/policyN/ (kernel 4.6+), one per group of CPUs switching frequency together.
        // Older kernels have a cpufreq/ directory in each cpuN instead (today it is a link to policyN).
        string policyRoot = CpuPath("cpufreq");
        List<string> policies = Directory.Exists(policyRoot)
            ? NumberedEntries(policyRoot, "policy", directoriesOnly: true).Select(n => Path.Combine(policyRoot, $"policy{n}")).ToList()
            : [];
        if (policies.Count == 0)
        {
            policies = online.Select(cpu => CpuPath($"cpu{cpu}", "cpufreq")).Where(Directory.Exists).ToList();
        }

        // Governors: those every active policy offers (intersection); the ones in use (union). Range: the widest.
        SortedSet<string>? offered = null;
        var current = new SortedSet<string>(StringComparer.Ordinal);
        long? min = null, max = null;
        bool anyActive = false;
        foreach (string policy in policies)
        {
            if (ReadPolicy(policy, online) is not CpuFreqPolicy p)
            {
                continue;
            }

            anyActive = true;
            if (p.Governors is not null)
            {
                if (offered is null)
                {
                    offered = new SortedSet<string>(p.Governors, StringComparer.Ordinal);
                }
                else
                {
                    offered.IntersectWith(p.Governors);
                }
            }

            if (!string.IsNullOrEmpty(p.Governor))
            {
                current.Add(p.Governor);
            }

            if (p.MinKHz is long lo)
            {
                min = min is null ? lo : Math.Min(min.Value, lo);
            }

            if (p.MaxKHz is long hi)
            {
                max = max is null ? hi : Math.Max(max.Value, hi);
            }
        }

        return anyActive ? new CpuFreqInfo([.. offered ?? []], [.. current], min, max) : CpuFreqInfo.None;
    }

    /// <summary>What one cpufreq policy says; a null member is a file the policy does not have.</summary>
    private sealed record CpuFreqPolicy(IReadOnlyList<string>? Governors, string? Governor, long? MinKHz, long? MaxKHz);

    /// <summary>
    /// One policy directory, or null when it covers no online CPU or the kernel refuses one of its files.
    /// Malformed content is still <see cref="Rules.Unreadable"/>.
    /// </summary>
    private static CpuFreqPolicy? ReadPolicy(string dir, CpuSet online)
    {
        //   related_cpus                 "4-7"       CPUs of the policy, offline ones included
        //   affected_cpus                "4-5"       its online CPUs only (older kernels may lack related_cpus)
        //   scaling_available_governors  "performance powersave"
        //   scaling_governor             "powersave"
        //   cpuinfo_min_freq             "400000"    kHz, the hardware's range
        //   cpuinfo_max_freq             "4800000"
        try
        {
            CpuSet? cpus = ReadCpuListOrNull(Path.Combine(dir, "related_cpus")) ?? ReadCpuListOrNull(Path.Combine(dir, "affected_cpus"));
            if (cpus is not null && !cpus.Overlaps(online))
            {
                return null;
            }

            return new CpuFreqPolicy(
                ReadIfPresent(Path.Combine(dir, "scaling_available_governors")) is string available ? ParseGovernors(available) : null,
                ReadIfPresent(Path.Combine(dir, "scaling_governor"))?.Trim(),
                ReadLongOrNull(Path.Combine(dir, "cpuinfo_min_freq")),
                ReadLongOrNull(Path.Combine(dir, "cpuinfo_max_freq")));
        }
        catch (KvmConfigException e) when (e.InnerException is IOException or UnauthorizedAccessException)
        {
            // -EBUSY for an inactive policy, -EPERM or -EIO from a driver: this policy is unknown, the host is not.
            return null;
        }
    }

    // ---- File access: every read goes through here, so every failure names its path -----------------------

    /// <summary>Entries <c>{prefix}N</c> of a directory, N ascending; other names are skipped.</summary>
    private static List<int> NumberedEntries(string dir, string prefix, bool directoriesOnly)
    {
        try
        {
            IEnumerable<string> entries = directoriesOnly
                ? Directory.EnumerateDirectories(dir, prefix + "*")
                : Directory.EnumerateFileSystemEntries(dir, prefix + "*");
            var ids = new List<int>();
            foreach (string entry in entries)
            {
                ReadOnlySpan<char> name = Path.GetFileName(entry.AsSpan());
                if (name.StartsWith(prefix, StringComparison.Ordinal)
                    && name.Length - prefix.Length is > 0 and <= 5
                    && int.TryParse(name[prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int id)
                    && id <= CpuSet.MaxCpuId)
                {
                    ids.Add(id);
                }
            }

            ids.Sort();
            return ids;
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot list {dir}: {e.Message}", dir, inner: e);
        }
    }

    private static CpuSet? ReadCpuListOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseCpuList) : null;

    private static CpuSet? ReadHexMaskOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, CpuSet.ParseHexMask) : null;

    private static IReadOnlyDictionary<string, long>? ReadMeminfoOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseMeminfo) : null;

    private static long? ReadLongOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseNumber) : null;

    private static int? ReadIntOrNull(string path) =>
        ReadIfPresent(path) is string text ? Parse(path, text, ParseInt) : null;

    private static int ReadInt(string path, string why) =>
        ReadIntOrNull(path) ?? throw Missing(path, why);

    private static int ParseInt(string text) =>
        checked((int)ParseNumber(text));

    private static KvmConfigException Missing(string path, string why) =>
        new(Rules.Unreadable, $"cannot read {path}: the file is missing ({why}, so the kernel writes it)", path, IncompleteHint);

    private KvmConfigException NotSysfs(string message)
    {
        // A common slip: --sysroot DIR/sys instead of DIR. Say so when the parent holds the tree.
        string hint = SysrootHint;
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(SysRoot));
        if (parent is not null && Directory.Exists(Path.Combine(parent, "devices", "system", "cpu")))
        {
            hint += $"; {parent} is itself a sys directory, so pass its parent {Path.GetDirectoryName(parent) ?? "/"}";
        }

        return new KvmConfigException(Rules.NotSysfs, message, SysRoot, hint);
    }
}
