using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

// NUMA nodes: devices/system/node/nodeN, or one node 0 when the kernel has no node/ directory.
public sealed partial class SysfsTopologyReader
{
    /// <summary>
    /// The nodes, and the node of each online CPU. A CPU that two nodes list stays in the first, and one that no node
    /// lists goes to the first node, each with a note: lscpu reads such a tree too, and a plan needs every CPU in a node.
    /// </summary>
    private (IReadOnlyList<NumaNode> Nodes, Dictionary<int, int> NodeOfCpu) ReadNodes(CpuSet online, List<TopologyNote> notes)
    {
        List<int> ids = Directory.Exists(_nodeDir) ? NumberedEntries(_nodeDir, "node", directoriesOnly: true) : [];
        if (ids.Count == 0)
        {
            return ([SingleNode(online)], online.ToDictionary(cpu => cpu, _ => 0));
        }

        // CPUs of a node: cpulist, else the hex cpumap, else (collected below for all such nodes at once) the
        // nodeN/cpuX entries and the cpu/cpuX/nodeN entries. Membership is filtered to online CPUs. An empty
        // cpulist is a memory-only node when cpumap agrees, and a failed copy when cpumap names CPUs.
        var cpusOf = new Dictionary<int, CpuSet>();
        foreach (int id in ids)
        {
            string dir = NodePath(id);
            CpuSet? list = ReadCpuListOrNull(Path.Combine(dir, "cpulist"));
            CpuSet? map = list is null or { IsEmpty: true } ? ReadHexMaskOrNull(Path.Combine(dir, "cpumap")) : null;
            if ((map is { IsEmpty: false } ? map : list ?? map) is { } cpus)
            {
                cpusOf[id] = cpus & online;
            }
        }

        if (cpusOf.Count < ids.Count)
        {
            Dictionary<int, CpuSet> fromLinks = NodeCpusFromLinks(ids);
            foreach (int id in ids.Where(id => !cpusOf.ContainsKey(id)))
            {
                cpusOf[id] = fromLinks[id] & online;
            }
        }

        Dictionary<int, int> nodeOfCpu = NodeOfEachCpu(ids, cpusOf, online, notes);

        // The columns of nodeN/distance are the online nodes in order (the kernel loops for_each_online_node).
        string onlinePath = Path.Combine(_nodeDir, "online");
        IReadOnlyList<int>? onlineNodes = ReadTextOrNull(onlinePath) is string text ? Parse(onlinePath, text, ParseCpuList).ToList() : null;
        (IReadOnlyList<int> columns, string columnsFrom) = onlineNodes is { Count: > 0 }
            ? (onlineNodes, onlinePath)
            : ((IReadOnlyList<int>)ids, $"the node directories of {_nodeDir}");
        var nodes = new List<NumaNode>(ids.Count);
        foreach (int id in ids)
        {
            string dir = NodePath(id);
            IReadOnlyDictionary<string, long>? meminfo = ReadMeminfoOrNull(Path.Combine(dir, "meminfo"));
            nodes.Add(new NumaNode(
                id,
                CpuSet.Of(nodeOfCpu.Where(kv => kv.Value == id).Select(kv => kv.Key)),
                meminfo is not null && meminfo.TryGetValue("MemTotal", out long total) ? total : null,
                meminfo is not null && meminfo.TryGetValue("MemFree", out long free) ? free : null,
                ReadHugePages(Path.Combine(dir, "hugepages")),
                ReadDistances(Path.Combine(dir, "distance"), columns, ids, columnsFrom, notes)));
        }

        return (nodes, nodeOfCpu);
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

    private Dictionary<int, int> NodeOfEachCpu(List<int> ids, Dictionary<int, CpuSet> cpusOf, CpuSet online, List<TopologyNote> notes)
    {
        var nodeOfCpu = new Dictionary<int, int>(online.Count);
        foreach (int id in ids)
        {
            foreach (int cpu in cpusOf[id])
            {
                if (!nodeOfCpu.TryAdd(cpu, id))
                {
                    notes.Add(new(Severity.Warning, $"{NodePath(id)} lists CPU {cpu}, which node{nodeOfCpu[cpu]} lists too: a CPU belongs to one node, so it stays in node{nodeOfCpu[cpu]}, as lscpu reads it"));
                }
            }
        }

        CpuSet homeless = online - CpuSet.Of(nodeOfCpu.Keys);
        if (!homeless.IsEmpty)
        {
            int first = ids[0];
            notes.Add(new(Severity.Warning, $"no nodeN/cpulist, cpumap or cpuX entry in {_nodeDir} lists online {Cpus(homeless)}: counted in node{first}, so NUMA placement of VMs on them may be wrong"));
            foreach (int cpu in homeless)
            {
                nodeOfCpu[cpu] = first;
            }
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

    /// <summary>
    /// One node's row of the distance matrix: a column per online node (<paramref name="columns"/>, from
    /// <paramref name="columnsFrom"/>), or per node directory when that list disagrees with the row's length. A row that fits neither is unknown, with a
    /// note; a word that is not a distance is still <see cref="Rules.Unreadable"/>.
    /// </summary>
    private static Dictionary<int, int> ReadDistances(string path, IReadOnlyList<int> columns, List<int> nodeDirs, string columnsFrom, List<TopologyNote> notes)
    {
        var byNode = new Dictionary<int, int>();
        if (ReadTextOrNull(path) is not string text)
        {
            return byNode;
        }

        IReadOnlyList<int> distances = Parse(path, text, ParseDistances);
        IReadOnlyList<int>? nodes = distances.Count == columns.Count ? columns : distances.Count == nodeDirs.Count ? nodeDirs : null;
        if (nodes is null)
        {
            notes.Add(new(Severity.Warning, $"{path} holds {distances.Count} distances for {columns.Count} nodes ({CpuSet.Of(columns)} from {columnsFrom}): this node's distances are unknown"));
            return byNode;
        }

        for (int i = 0; i < nodes.Count; i++)
        {
            byNode[nodes[i]] = distances[i];
        }

        return byNode;
    }
}
