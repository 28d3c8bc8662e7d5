using KvmConfig.Core.Topology;

namespace KvmConfig.PlannerBench;

/// <summary>
/// The benchmark's host, built in code: 2 sockets x 4 NUMA nodes x 16 cores x 2 threads = 256 CPUs, in the shape of
/// a dual-socket Xeon with sub-NUMA clustering (SNC4).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Numbering as on Intel: physical core <c>c</c> (0..127) has the threads <c>c</c> and <c>c + 128</c>, so node
/// <c>n</c> holds cores <c>16n..16n+15</c>, that is CPUs <c>16n..16n+15</c> and <c>128+16n..128+16n+15</c>
/// (node 0 = <c>0-15,128-143</c>). Sockets are nodes 0-3 and 4-7.</item>
/// <item>L3: one group per <b>socket</b> (<c>0-63,128-191</c> and <c>64-127,192-255</c>), which is what sysfs
/// reports on SNC parts: the captured <c>xeon-2s-4numa-snc-80cpu</c> tree has each L3 spanning both of its
/// socket's nodes. L2: per core.</item>
/// <item>Memory: 128 GiB per node (1 TiB in all), all of it free. No huge pages.</item>
/// <item>SLIT: 10 to itself, 12 to the other nodes of its socket, 21 across sockets.</item>
/// <item>Every CPU online; none isolated or tickless; no cpufreq.</item>
/// </list>
/// </remarks>
internal static class SyntheticHost
{
    public const int Sockets = 2;
    public const int NodesPerSocket = 4;
    public const int CoresPerNode = 16;
    public const int ThreadsPerCore = 2;
    public const long NodeMemoryKiB = 128L * 1024 * 1024;

    public const int Nodes = Sockets * NodesPerSocket;
    public const int PhysicalCores = Nodes * CoresPerNode;
    public const int Cpus = PhysicalCores * ThreadsPerCore;

    // Core builds machines from a shape (MachineShapes, what capacity --shape uses): the numbering, L3 per socket and
    // SLIT above are its.
    public static HostTopology Build() =>
        MachineShapes.Build(Sockets, NodesPerSocket, CoresPerNode, ThreadsPerCore, NodeMemoryKiB * Nodes / (1024 * 1024));
}
