using KvmConfig.Cluster;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.ClusterBench;

/// <summary>A node shape: sockets x NUMA nodes per socket x cores per NUMA node x threads, and its memory.</summary>
/// <param name="Name">How the tables name it.</param>
/// <param name="Sockets">Packages.</param>
/// <param name="NumaPerSocket">NUMA nodes per package.</param>
/// <param name="CoresPerNuma">Physical cores per NUMA node.</param>
/// <param name="Threads">Threads per core.</param>
/// <param name="MemoryGiB">Memory of the whole node, split evenly over its NUMA nodes.</param>
internal sealed record NodeShape(string Name, int Sockets, int NumaPerSocket, int CoresPerNuma, int Threads, long MemoryGiB)
{
    public int NumaNodes => Sockets * NumaPerSocket;

    public int PhysicalCores => NumaNodes * CoresPerNuma;

    public int Cpus => PhysicalCores * Threads;

    public override string ToString() => $"{Name} ({Sockets}s x {NumaPerSocket} NUMA x {CoresPerNuma}c x {Threads}t = {Cpus} CPUs, {MemoryGiB} GiB)";
}

/// <summary>
/// The benchmark's nodes, built in code. Numbering as on Intel: physical core <c>c</c> has the threads <c>c</c>,
/// <c>c + cores</c>, ...; NUMA node <c>n</c> holds cores <c>n x CoresPerNuma</c> onwards; one L3 per socket; L2 per
/// core; no huge pages; every CPU online; SLIT 10 / 12 same socket / 21 remote. Nodes of one shape share one
/// <see cref="HostTopology"/> value (it is immutable), so 10,000 nodes cost 10,000 small records, not 10,000 hosts.
/// </summary>
internal static class Fleet
{
    /// <summary>Items 2 to 4: 2 sockets x 2 NUMA nodes x 16 cores x 2 threads = 128 CPUs, 512 GiB.</summary>
    public static readonly NodeShape Large = new("large", 2, 2, 16, 2, 512);

    /// <summary>Item 1's shapes: two NUMA nodes per host each.</summary>
    public static readonly NodeShape[] Small =
    [
        new("s16", 1, 2, 4, 2, 64),
        new("s32", 2, 1, 8, 2, 128),
        new("s48", 2, 1, 12, 2, 192),
    ];

    private static readonly Dictionary<NodeShape, HostTopology> Built = [];

    public static HostTopology Host(NodeShape shape)
    {
        lock (Built)
        {
            if (!Built.TryGetValue(shape, out HostTopology? host))
            {
                Built[shape] = host = Build(shape);
            }

            return host;
        }
    }

    /// <summary><paramref name="count"/> nodes of <paramref name="shape"/>, named <c>PREFIX0001</c> onwards, racks of 40.</summary>
    public static List<ClusterNode> Nodes(NodeShape shape, int count, HostPolicy policy, string prefix = "n")
    {
        HostTopology host = Host(shape);
        var nodes = new List<ClusterNode>(count);
        for (int i = 0; i < count; i++)
        {
            nodes.Add(new ClusterNode($"{prefix}{i:D5}", $"rack{i / 40:D3}", host, policy));
        }

        return nodes;
    }

    /// <summary>The policy of every node: the defaults, with the shared pool's overcommit as the mix asks.</summary>
    public static HostPolicy Policy(Ratio overcommit) => new() { Overcommit = overcommit };

    // The shape as Core builds machines from a shape (MachineShapes, what capacity --shape uses).
    private static HostTopology Build(NodeShape shape) =>
        MachineShapes.Build(shape.Sockets, shape.NumaPerSocket, shape.CoresPerNuma, shape.Threads, shape.MemoryGiB);
}
