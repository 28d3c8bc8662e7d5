using KvmConfig.Cluster;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Linux;
using KvmConfig.Monitoring.Forecasts;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Libvirt.Cluster;

/// <summary>Which node <c>capacity</c> counts on: at most one of the three, else the inventory's first node, else this host.</summary>
/// <param name="Shape">A synthetic shape, <c>SOCKETSxNODESxCORESxTHREADS,MEMORY</c> (<see cref="MachineShapes"/>).</param>
/// <param name="SysRoot">A captured sysfs tree.</param>
/// <param name="NodeLike">A <c>[node]</c> of the inventory.</param>
public sealed record NodeChoice(string? Shape = null, string? SysRoot = null, string? NodeLike = null);

/// <summary>The nodes <c>kvmconfig capacity</c> counts on, as library calls: the template node and each history's node.</summary>
public static class CapacityNodes
{
    /// <summary>
    /// The node a mix is counted on and how the answer names it, under <paramref name="policy"/> (the declaration's
    /// host policy). Throws KVC081 for a <see cref="NodeChoice.NodeLike"/> the inventory lacks, KVC080 for a node that
    /// cannot be read, and the readers' errors for a shape or sysroot that cannot be.
    /// </summary>
    public static (ClusterNode Node, string Like) Template(Declaration declaration, string directory, HostPolicy policy, NodeChoice choice)
    {
        if (choice.Shape is { } shape)
        {
            return (new ClusterNode("node", null, MachineShapes.TryParse(shape, out string? error) ?? throw new ArgumentException(error, nameof(choice)), policy), $"shape {shape}");
        }

        if (choice.SysRoot is { } root)
        {
            return (new ClusterNode("node", null, SysfsTopologyReader.ForSysroot(root).Read(), policy), $"sysroot {root}");
        }

        if (choice.NodeLike is not null || declaration.Nodes.Count > 0)
        {
            string name = choice.NodeLike ?? declaration.Nodes[0].Name;
            return (Inventory(declaration, directory, name, $"--node-like {name}"), $"node {name}");
        }

        return (new ClusterNode("node", null, SysfsTopologyReader.ForHost().Read(), policy), "this host");
    }

    /// <summary>
    /// <c>capacity --from-history</c>: opens each history read-only and forecasts when the VMs they measured outgrow
    /// their nodes. Each of <paramref name="histories"/> is <c>FILE</c>, a node like the template
    /// (<see cref="Template"/> of <paramref name="choice"/>), or <c>NODE=FILE</c>, the inventory's node of that name
    /// read for its own CPUs and memory; none: this host's history at its default place. Throws KVC081 for a node the
    /// inventory lacks, KVC080 for one that cannot be read, KVC093 for a file that is not a history this kvmconfig
    /// reads, KVC084 for one too short.
    /// </summary>
    public static CapacityForecast FromHistory(
        Declaration declaration, string directory, NodeChoice choice, IReadOnlyList<string> histories, TimeSpan horizon, DateTimeOffset? until = null)
    {
        (ClusterNode Node, string Like)? template = null;
        var nodes = new List<(string File, NodeCapacity Node)>();
        foreach (string spec in histories.Count > 0 ? histories : [HistoryStore.DefaultPath])
        {
            if (NodeOf(spec) is (string name, string file))
            {
                nodes.Add((file, Capacity($"node {name}", Inventory(declaration, directory, name, $"--history {spec}"))));
            }
            else
            {
                template ??= Template(declaration, directory, declaration.Host, choice);
                nodes.Add((spec, Capacity(template.Value.Like, template.Value.Node)));
            }
        }

        var stores = new List<HistoryStore>(nodes.Count);
        try
        {
            foreach ((string file, _) in nodes)
            {
                stores.Add(HistoryStore.OpenReadOnly(file));
            }

            return CapacityForecast.Read([.. stores.Zip(nodes, (store, n) => (store, n.Node))], declaration.Alerts, horizon, until);
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    /// <summary>What <paramref name="node"/> gives VMs: its usable CPUs and its memory less reserved and huge page pools.</summary>
    public static NodeCapacity Capacity(string name, ClusterNode node)
    {
        HostTopology host = node.Host;
        long pools = host.Nodes.Sum(n => n.HugePages.Sum(p => p.Total * p.SizeKiB)) / 1024;
        return new NodeCapacity(name, node.UsableCpus.Count, Math.Max(0, ((host.MemTotalKiB ?? 0) / 1024) - pools - node.Policy.MemoryReservedMiB));
    }

    // NODE=FILE when NODE is a [node] of the inventory (or the text before '=' is no file's name: a mistyped node);
    // null for a plain file.
    private static (string Name, string File)? NodeOf(string spec)
    {
        int equals = spec.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || File.Exists(spec))
        {
            return null;
        }

        return (spec[..equals], spec[(equals + 1)..]);
    }

    // The inventory's node of that name, read (its topology and policy; its running VMs are not wanted here).
    private static ClusterNode Inventory(Declaration declaration, string directory, string name, string option)
    {
        if (declaration.Nodes.FirstOrDefault(n => n.Name == name) is not { } spec)
        {
            throw LibvirtErrors.UnknownCapacityNode(option, name, declaration.Nodes.Select(n => n.Name), directory);
        }

        NodeReading reading = ClusterNodeReader.Read(spec, new HashSet<string>());
        return reading.Node is { } node
            ? node with { Running = new Dictionary<string, Incumbent?>() }
            : throw LibvirtErrors.NodeUnreadable(name, reading.TopologyFrom, reading.Error!);
    }
}
