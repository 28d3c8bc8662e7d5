using System.Globalization;

namespace KvmConfig.Core.Topology;

/// <summary>
/// A machine described by its shape rather than read from one: <c>SOCKETSxNODESxCORESxTHREADS,MEMORY</c>, as
/// <c>capacity --shape 2x2x16x2,512G</c> writes it (2 sockets of 2 NUMA nodes of 16 cores of 2 threads, 512 GiB in
/// all). Numbered as Intel firmware numbers CPUs: the first thread of every core first, then the second threads
/// (core c has CPUs c and c + cores), cores counted node by node; one L3 per socket; memory shared evenly by the
/// NUMA nodes, all of it free; SLIT 10 to itself, 12 inside a socket, 21 across.
/// </summary>
public static class MachineShapes
{
    /// <summary>The shape <paramref name="text"/> describes, or null with what is wrong in <paramref name="error"/>.</summary>
    public static HostTopology? TryParse(string text, out string? error)
    {
        error = null;
        string[] parts = text.Split(',', 2);
        string[] counts = parts[0].Split('x', 'X');
        int[] n = new int[4];
        if (counts.Length != 4 || !counts.Select((c, i) => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out n[i]) && n[i] is >= 1 and <= 1024).All(ok => ok))
        {
            error = $"'{parts[0]}' is not SOCKETSxNODESxCORESxTHREADS (four whole numbers from 1 to 1024, e.g. 2x2x16x2)";
            return null;
        }

        if (parts.Length < 2 || MemoryGiB(parts[1]) is not { } gib)
        {
            error = $"'{text}' does not end with ,MEMORY (e.g. ,512G: the machine's memory in GiB, or ,1T)";
            return null;
        }

        if ((long)n[0] * n[1] * n[2] * n[3] > 65536)
        {
            error = $"'{text}' has {(long)n[0] * n[1] * n[2] * n[3]} CPUs; at most 65536";
            return null;
        }

        return Build(n[0], n[1], n[2], n[3], gib);
    }

    /// <summary>The machine of <paramref name="sockets"/> x <paramref name="nodesPerSocket"/> x <paramref name="coresPerNode"/> x <paramref name="threads"/> with <paramref name="memoryGiB"/> in all.</summary>
    public static HostTopology Build(int sockets, int nodesPerSocket, int coresPerNode, int threads, long memoryGiB)
    {
        int nodes = sockets * nodesPerSocket;
        int cores = nodes * coresPerNode;
        int cpus = cores * threads;
        CpuSet NodeCpus(int node) => CpuSet.Of(Enumerable.Range(0, threads).SelectMany(t => Enumerable.Range((t * cores) + (node * coresPerNode), coresPerNode)));
        CpuSet[] l3 = [.. Enumerable.Range(0, sockets).Select(s => Enumerable.Range(s * nodesPerSocket, nodesPerSocket).Aggregate(CpuSet.Empty, (set, node) => set | NodeCpus(node)))];
        var logical = new List<LogicalCpu>(cpus);
        for (int id = 0; id < cpus; id++)
        {
            int core = id % cores;
            int node = core / coresPerNode;
            int socket = node / nodesPerSocket;
            CpuSet siblings = CpuSet.Of(Enumerable.Range(0, threads).Select(t => core + (t * cores)));
            logical.Add(new LogicalCpu(id, socket, 0, null, core % (coresPerNode * nodesPerSocket), siblings, node, siblings, l3[socket]));
        }

        long nodeKiB = memoryGiB * 1024 * 1024 / nodes;
        List<NumaNode> numa = [.. Enumerable.Range(0, nodes).Select(node => new NumaNode(
            node,
            NodeCpus(node),
            nodeKiB,
            nodeKiB,
            [],
            Enumerable.Range(0, nodes).ToDictionary(other => other, other => other == node ? 10 : other / nodesPerSocket == node / nodesPerSocket ? 12 : 21)))];
        CpuSet all = CpuSet.Range(0, cpus - 1);
        return new HostTopology
        {
            Possible = all,
            Present = all,
            Online = all,
            Isolated = CpuSet.Empty,
            NohzFull = CpuSet.Empty,
            Cpus = logical,
            Nodes = numa,
            CpuFreq = CpuFreqInfo.None,
        };
    }

    // "512G", "512GiB", "1T": whole GiB.
    private static long? MemoryGiB(string text)
    {
        string t = text.Trim();
        (string number, long scale) = t.EndsWith("TiB", StringComparison.OrdinalIgnoreCase) ? (t[..^3], 1024L)
            : t.EndsWith("GiB", StringComparison.OrdinalIgnoreCase) ? (t[..^3], 1L)
            : t.EndsWith('T') || t.EndsWith('t') ? (t[..^1], 1024L)
            : t.EndsWith('G') || t.EndsWith('g') ? (t[..^1], 1L)
            : (t, 0L);
        return scale > 0 && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value is > 0 and <= 1 << 20 ? value * scale : null;
    }
}
