using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using static KvmConfig.Linux.KernelFiles;

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
/// <item><c>possible</c>: every CPU id the kernel could ever bring up (<c>NR_CPUS</c>-bounded). Missing (or empty,
/// which no kernel writes): the <c>cpuN</c> directories.</item>
/// <item><c>present</c>: CPUs physically there; a subset of possible. Missing or empty: the <c>cpuN</c> directories.</item>
/// <item><c>online</c>: present CPUs the scheduler runs on, each with a <c>cpuN</c> directory. Missing: the present
/// CPUs whose <c>cpuN/online</c> does not say <c>0</c> (cpu0 usually has no such file and is always online; an
/// empty file says nothing, so the CPU counts as online).</item>
/// <item><c>isolated</c> (<c>isolcpus=</c>) and <c>nohz_full</c>: subsets of possible. Missing: empty. The
/// kernel prints an empty <c>nohz_full</c> as <c>(null)</c> padded with spaces.</item>
/// </list>
/// <para>
/// How the reader degrades. The one thing a tree must have is <c>devices/system/cpu</c> with at least one online
/// CPU (else <see cref="Rules.NotSysfs"/>). Every file the kernel may leave out, or that a capture may lack, costs
/// what it describes and adds a <see cref="TopologyNote"/> saying so; the rest is read as lscpu reads it (its
/// logical numbering: cores by <c>thread_siblings</c>, sockets by <c>core_siblings</c>, each CPU in the first such
/// set that holds it). The per-file costs are listed in <c>docs/topology-json.md</c>. Content the kernel would not
/// write (a bad cpulist, a word where a number belongs) in the CPU, cache and node files is
/// <see cref="Rules.Unreadable"/>, naming the path and the column; in cpufreq it costs that policy, with a note.
/// List files are read as the kernel's own parsers read them: surrounding blanks, newlines and a trailing NUL are
/// not content.
/// </para>
/// <para>
/// cpufreq is read only from policies that cover an online CPU (<c>related_cpus</c>, else <c>affected_cpus</c>,
/// both space-separated CPU numbers; a policy with neither counts as active). intel_pstate and amd-pstate keep one
/// policy per CPU, offline CPUs included, and the kernel answers <c>-EBUSY</c> for the attributes of such an
/// inactive policy, so an I/O error on a cpufreq file skips that policy quietly.
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
public sealed partial class SysfsTopologyReader(string sysRoot, string? procRoot = null)
{
    private const string SysrootHint = "--sysroot expects a directory holding sys/devices/system/cpu, like lscpu --sysroot";

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
    /// Reads the whole topology; what it had to assume is in <see cref="HostTopology.Notes"/>. Throws
    /// <see cref="KvmConfigException"/> with <see cref="Rules.NotSysfs"/> when the root holds no CPU tree or no online
    /// CPU, <see cref="Rules.Unreadable"/> when a file cannot be read or holds what the kernel would not write.
    /// </summary>
    public HostTopology Read()
    {
        if (!Directory.Exists(_cpuDir))
        {
            throw NotSysfs($"{SysRoot} is not a Linux sysfs tree: {_cpuDir} does not exist");
        }

        var notes = new List<TopologyNote>();

        // 1. The CPU pools. The cpuN directories stand in for possible/present when those files are missing
        //    (the cadvisor captures hold no such files).
        CpuSet cpuDirs = CpuSet.Of(NumberedEntries(_cpuDir, "cpu", directoriesOnly: true));
        CpuSet possible = ReadPoolOrNull(CpuPath("possible")) ?? cpuDirs;
        CpuSet? presentFile = ReadPoolOrNull(CpuPath("present"));
        CpuSet present = presentFile ?? cpuDirs;
        CpuSet? onlineFile = ReadPoolOrNull(CpuPath("online"));
        CpuSet online = onlineFile ?? OnlineFromPerCpuFiles(present);
        CpuSet isolated = ReadCpuListOrNull(CpuPath("isolated")) ?? CpuSet.Empty;
        CpuSet nohzFull = ReadCpuListOrNull(CpuPath("nohz_full")) ?? CpuSet.Empty;
        if (online.IsEmpty)
        {
            throw NotSysfs($"{SysRoot} is not a Linux sysfs tree: no CPU is online ({_cpuDir} has no cpuN directory, and its 'online' file, if any, is empty)");
        }

        // Online CPUs are present and possible. A tree that says otherwise was copied in pieces; the online list
        // is what the scheduler runs on, so the other two grow to hold it.
        if (!online.IsSubsetOf(present))
        {
            notes.Add(new(Severity.Warning, $"{CpuPath(onlineFile is null ? "present" : "online")} lists CPUs {online - present} as online, but {CpuPath("present")} holds only {present}: they are counted as present"));
            present |= online;
        }

        possible |= present;

        // 2. NUMA nodes first, so that each CPU can be given its node as it is read.
        (IReadOnlyList<NumaNode> nodes, Dictionary<int, int> nodeOfCpu) = ReadNodes(online, notes);

        // 3. Each online CPU's place: package, die, cluster, core, siblings, caches; cores and sockets grouped as
        //    lscpu groups them.
        IReadOnlyList<LogicalCpu> cpus = PlaceCpus(online.Select(ReadCpuFacts).ToList(), online, nodeOfCpu, notes);

        return new HostTopology
        {
            Possible = possible,
            Present = present,
            Online = online,
            Isolated = isolated,
            NohzFull = nohzFull,
            Cpus = cpus,
            Nodes = nodes,
            CpuFreq = ReadCpuFreq(online, notes),
            NetShaping = ProcRoot is null ? NetShaping.Unknown : new KernelShapingReader(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(ProcRoot)) ?? "/").Read(),
            Notes = notes,
        };
    }

    private string CpuPath(params string[] parts) => Path.Combine([_cpuDir, .. parts]);

    private CpuSet OnlineFromPerCpuFiles(CpuSet present)
    {
        // cpuN/online: "1" or "0", written by hotplug; absent for CPUs that cannot go offline (usually cpu0).
        var builder = new CpuSet.Builder();
        foreach (int cpu in present)
        {
            string path = CpuPath($"cpu{cpu}", "online");
            string? text = ReadIfPresent(path);
            if (text is null || Clean(text).Length == 0 || Parse(path, text, ParseNumber) != 0)
            {
                builder.Add(cpu);
            }
        }

        return builder.ToCpuSet();
    }

    private KvmConfigException NotSysfs(string message)
    {
        // A common slip: --sysroot DIR/sys instead of DIR. Say so when the parent holds the tree.
        string hint = SysrootHint;
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(SysRoot));
        if (parent is not null && Directory.Exists(Path.Combine(parent, "devices", "system", "cpu")))
        {
            hint += $"; {parent} is itself a sys directory, so pass its parent {Path.GetDirectoryName(parent) ?? "/"}";
        }

        return LinuxErrors.NotSysfs(message, SysRoot, hint);
    }
}
