using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The shape of a hand-written machine: sockets of NUMA nodes of cores of threads, numbered the way Intel and AMD
/// firmware usually number them: the first thread of every core first, then the second threads (core c has CPUs
/// c and c + cores), cores counted socket by socket and node by node.
/// </summary>
public sealed record MachineShape
{
    /// <summary>Packages.</summary>
    public int Sockets { get; init; } = 1;

    /// <summary>NUMA nodes with CPUs in each package (2 with sub-NUMA clustering, 4 for EPYC NPS4).</summary>
    public int NodesPerSocket { get; init; } = 1;

    /// <summary>Cores in each node.</summary>
    public int CoresPerNode { get; init; } = 8;

    /// <summary>Hardware threads per core: 1 without SMT, 2 with.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Cores sharing one L3 (an AMD CCX); 0 = one L3 per package, as on Intel.</summary>
    public int CoresPerL3 { get; init; }

    /// <summary>Memory of each CPU node, in order; nodes past the end of the list get <see cref="MemoryPerNodeMiB"/>.</summary>
    public IReadOnlyList<long> NodeMemoryMiB { get; init; } = [];

    /// <summary>Memory of a CPU node not listed in <see cref="NodeMemoryMiB"/>.</summary>
    public long MemoryPerNodeMiB { get; init; } = 16 * 1024;

    /// <summary>2M huge pages reserved (and free) on every CPU node.</summary>
    public long HugePages2MPerNode { get; init; }

    /// <summary>Memory-only nodes (CXL expanders, HBM), numbered after the CPU nodes, attached to socket i mod sockets.</summary>
    public int MemoryOnlyNodes { get; init; }

    /// <summary>Memory of each memory-only node.</summary>
    public long MemoryOnlyNodeMiB { get; init; } = 64 * 1024;

    /// <summary>CPUs present but offline (cpulist).</summary>
    public string Offline { get; init; } = "";

    /// <summary>CPUs isolated by <c>isolcpus=</c> (cpulist).</summary>
    public string Isolated { get; init; } = "";

    /// <summary>Cores on the whole machine.</summary>
    public int TotalCores => Sockets * NodesPerSocket * CoresPerNode;

    /// <summary>CPU nodes on the whole machine.</summary>
    public int CpuNodes => Sockets * NodesPerSocket;

    /// <inheritdoc />
    public override string ToString() =>
        $"{Sockets} socket(s) x {NodesPerSocket} node(s) x {CoresPerNode} core(s) x {Threads} thread(s)"
        + (CoresPerL3 > 0 ? $", L3 per {CoresPerL3} cores" : "")
        + $", memory {(NodeMemoryMiB.Count > 0 ? string.Join("/", NodeMemoryMiB) : MemoryPerNodeMiB.ToString(System.Globalization.CultureInfo.InvariantCulture))} MiB"
        + (HugePages2MPerNode > 0 ? $", {HugePages2MPerNode} 2M pages per node" : "")
        + (MemoryOnlyNodes > 0 ? $", {MemoryOnlyNodes} memory-only node(s)" : "")
        + (Offline.Length > 0 ? $", offline {Offline}" : "")
        + (Isolated.Length > 0 ? $", isolated {Isolated}" : "");
}

/// <summary>
/// Machines the planner tests share, by name (as kubelet's CPU manager tests share <c>topoDualSocketHT</c>): small
/// hand-written ones built from a <see cref="MachineShape"/>, and trees captured from real machines
/// (<c>tests/data/sysfs/</c>) read with the production reader.
/// </summary>
public static class Topologies
{
    /// <summary>1 socket, 1 node, 8 cores x 2 threads: CPUs 0-15, core n is n,n+8. 32 GiB.</summary>
    public static MachineShape SingleSocketSmt { get; } = new() { MemoryPerNodeMiB = 32 * 1024 };

    /// <summary>2 sockets of one node each, 8 cores x 2 threads: node0 = 0-7,16-23, node1 = 8-15,24-31. 16 GiB per node.</summary>
    public static MachineShape DualSocketSmt { get; } = new() { Sockets = 2 };

    /// <summary>
    /// 2 sockets x 2 nodes (sub-NUMA clustering) x 4 cores x 2 threads, 16 GiB per node: node0 = 0-3,16-19,
    /// node1 = 4-7,20-23, node2 = 8-11,24-27, node3 = 12-15,28-31. Distances 11 inside a socket, 21 across.
    /// </summary>
    public static MachineShape TwoNodesPerSocket { get; } = new() { Sockets = 2, NodesPerSocket = 2, CoresPerNode = 4 };

    /// <summary>
    /// EPYC in NPS4 mode, scaled down: 2 sockets x 4 nodes x 4 cores x 2 threads, each node two L3 groups (CCX) of
    /// 2 cores, 8 GiB per node. Node k = 4k..4k+3 and their siblings +32; node0's CCXs are 0-1,32-33 and 2-3,34-35.
    /// </summary>
    public static MachineShape EightSmallNodes { get; } = new()
    {
        Sockets = 2, NodesPerSocket = 4, CoresPerNode = 4, CoresPerL3 = 2, MemoryPerNodeMiB = 8 * 1024,
    };

    /// <summary>1 socket, 2 nodes of 8 single-thread cores: node0 = 0-7, node1 = 8-15. 16 GiB per node.</summary>
    public static MachineShape NoSmt { get; } = new() { NodesPerSocket = 2, Threads = 1 };

    /// <summary>
    /// <see cref="SingleSocketSmt"/> with CPUs 3,11 (all of core 3) and 13 (one thread of core 5) offline: core 5 runs
    /// on CPU 5 alone.
    /// </summary>
    public static MachineShape OfflineCpus { get; } = SingleSocketSmt with { Offline = "3,11,13" };

    /// <summary><see cref="SingleSocketSmt"/> booted with <c>isolcpus=4-7,12-15</c> (cores 4-7).</summary>
    public static MachineShape IsolatedCpus { get; } = SingleSocketSmt with { Isolated = "4-7,12-15" };

    /// <summary>
    /// 1 socket x 2 nodes x 4 cores x 2 threads (node0 = 0-3,8-11, node1 = 4-7,12-15, 16 GiB each) and a memory-only
    /// node 2 of 64 GiB (a CXL expander), distance 17 from the CPU nodes.
    /// </summary>
    public static MachineShape MemoryOnlyNode { get; } = new() { NodesPerSocket = 2, CoresPerNode = 4, MemoryOnlyNodes = 1 };

    /// <summary>2 sockets x 2 nodes x 4 cores x 2 threads with 1024 free 2M huge pages (2 GiB) on every node.</summary>
    public static MachineShape TwoNodesPerSocketHugePages { get; } = TwoNodesPerSocket with { HugePages2MPerNode = 1024 };

    private static readonly Dictionary<string, MachineShape> HandWritten = new(StringComparer.Ordinal)
    {
        ["single-socket-smt"] = SingleSocketSmt,
        ["dual-socket-smt"] = DualSocketSmt,
        ["two-nodes-per-socket"] = TwoNodesPerSocket,
        ["two-nodes-per-socket-hugepages"] = TwoNodesPerSocketHugePages,
        ["eight-small-nodes"] = EightSmallNodes,
        ["no-smt"] = NoSmt,
        ["offline-cpus"] = OfflineCpus,
        ["isolated-cpus"] = IsolatedCpus,
        ["memory-only-node"] = MemoryOnlyNode,
    };

    private static readonly Dictionary<string, HostTopology> Cache = new(StringComparer.Ordinal);

    /// <summary>
    /// A machine by name: a hand-written one above (<c>dual-socket-smt</c>), or a capture in <c>tests/data/sysfs/</c>
    /// (<c>xeon-2s-4numa-snc-80cpu</c>).
    /// </summary>
    public static HostTopology Named(string name)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(name, out HostTopology? host))
            {
                host = HandWritten.TryGetValue(name, out MachineShape? shape)
                    ? Build(shape)
                    : Captures.Host(name);
                Cache[name] = host;
            }

            return host;
        }
    }

    /// <summary>Builds the topology a sysfs reader would report for <paramref name="shape"/>.</summary>
    public static HostTopology Build(MachineShape shape)
    {
        int cores = shape.TotalCores;
        int cpuCount = cores * shape.Threads;
        CpuSet present = CpuSet.Range(0, cpuCount - 1);
        CpuSet online = present - CpuSet.Parse(shape.Offline);
        int coresPerSocket = shape.NodesPerSocket * shape.CoresPerNode;

        CpuSet CoreCpus(int core) => CpuSet.Of(Enumerable.Range(0, shape.Threads).Select(t => core + (t * cores)));
        CpuSet CoresCpus(int first, int count) =>
            CpuSet.Of(Enumerable.Range(first, count).SelectMany(c => CoreCpus(c)));

        var cpus = new List<LogicalCpu>();
        foreach (int id in online)
        {
            int core = id % cores;
            int node = core / shape.CoresPerNode;
            int socket = node / shape.NodesPerSocket;
            CpuSet l3 = shape.CoresPerL3 > 0
                ? CoresCpus(core / shape.CoresPerL3 * shape.CoresPerL3, shape.CoresPerL3)
                : CoresCpus(socket * coresPerSocket, coresPerSocket);

            // As in sysfs, thread_siblings_list names offline siblings too; HostTopology.CoreOf drops them.
            cpus.Add(new LogicalCpu(id, socket, 0, null, core % coresPerSocket, CoreCpus(core), node, CoreCpus(core), l3));
        }

        int allNodes = shape.CpuNodes + shape.MemoryOnlyNodes;
        int SocketOf(int node) => node < shape.CpuNodes ? node / shape.NodesPerSocket : (node - shape.CpuNodes) % shape.Sockets;

        // SLIT: 10 local, 11 between nodes of one socket, 21 across sockets; a memory-only node is 17 from the CPU
        // nodes of its socket and 28 from everything else.
        int Distance(int a, int b)
        {
            if (a == b)
            {
                return 10;
            }

            bool memoryOnly = a >= shape.CpuNodes || b >= shape.CpuNodes;
            bool sameSocket = SocketOf(a) == SocketOf(b);
            return memoryOnly
                ? (sameSocket && (a < shape.CpuNodes || b < shape.CpuNodes) ? 17 : 28)
                : (sameSocket ? 11 : 21);
        }

        var nodes = new List<NumaNode>();
        for (int node = 0; node < allNodes; node++)
        {
            bool hasCpus = node < shape.CpuNodes;
            CpuSet nodeCpus = hasCpus ? CoresCpus(node * shape.CoresPerNode, shape.CoresPerNode) & online : CpuSet.Empty;
            long memoryMiB = !hasCpus ? shape.MemoryOnlyNodeMiB
                : node < shape.NodeMemoryMiB.Count ? shape.NodeMemoryMiB[node]
                : shape.MemoryPerNodeMiB;
            IReadOnlyList<HugePagePool> pages = hasCpus && shape.HugePages2MPerNode > 0
                ? [new HugePagePool(2048, shape.HugePages2MPerNode, shape.HugePages2MPerNode)]
                : [];
            int self = node;
            nodes.Add(new NumaNode(
                node,
                nodeCpus,
                memoryMiB * 1024,
                memoryMiB * 1024 / 2,
                pages,
                Enumerable.Range(0, allNodes).ToDictionary(other => other, other => Distance(self, other))));
        }

        return new HostTopology
        {
            Possible = present,
            Present = present,
            Online = online,
            Isolated = CpuSet.Parse(shape.Isolated),
            NohzFull = CpuSet.Empty,
            Cpus = cpus,
            Nodes = nodes,
            CpuFreq = CpuFreqInfo.None,
        };
    }
}
