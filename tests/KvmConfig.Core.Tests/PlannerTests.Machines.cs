using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The named machines are what their documentation says: the placement rows' expectations are written against these
/// node, core and cache layouts, so a change to the builder must show up here first.
/// </summary>
public sealed partial class PlannerTests
{
    /// <summary>Rows: machine, online CPUs, each node's CPUs (" | " between nodes), a core's siblings, L3 groups, threads per core.</summary>
    public static TheoryData<string, string, string, string, string, int> MachineLayouts => new()
    {
        { "single-socket-smt", "0-15", "0-15", "3,11", "0-15", 2 },
        { "dual-socket-smt", "0-31", "0-7,16-23 | 8-15,24-31", "3,19", "0-7,16-23 | 8-15,24-31", 2 },
        { "two-nodes-per-socket", "0-31", "0-3,16-19 | 4-7,20-23 | 8-11,24-27 | 12-15,28-31", "5,21", "0-7,16-23 | 8-15,24-31", 2 },
        {
            "eight-small-nodes", "0-63", "0-3,32-35 | 4-7,36-39 | 8-11,40-43 | 12-15,44-47 | 16-19,48-51 | 20-23,52-55 | 24-27,56-59 | 28-31,60-63",
            "5,37", "0-1,32-33 | 2-3,34-35 | 4-5,36-37 | 6-7,38-39 | 8-9,40-41 | 10-11,42-43 | 12-13,44-45 | 14-15,46-47 | 16-17,48-49 | 18-19,50-51 | 20-21,52-53 | 22-23,54-55 | 24-25,56-57 | 26-27,58-59 | 28-29,60-61 | 30-31,62-63", 2
        },
        { "no-smt", "0-15", "0-7 | 8-15", "3", "0-15", 1 },
        { "offline-cpus", "0-2,4-10,12,14-15", "0-2,4-10,12,14-15", "5", "0-2,4-10,12,14-15", 2 },
        { "isolated-cpus", "0-15", "0-15", "4,12", "0-15", 2 },
        { "memory-only-node", "0-15", "0-3,8-11 | 4-7,12-15 | ", "2,10", "0-15", 2 },
    };

    [Theory]
    [MemberData(nameof(MachineLayouts))]
    public void Named_machines_have_the_documented_layout(string machine, string online, string nodes, string core, string l3, int threads)
    {
        HostTopology host = Topologies.Named(machine);
        int coreCpu = CpuSet.Parse(core).First;

        Assert.Equal(online, host.Online.ToString());
        Assert.Equal(nodes, string.Join(" | ", host.Nodes.Select(n => n.Cpus.ToString())));
        Assert.Equal(core, host.CoreOf(coreCpu).ToString());
        Assert.Equal(l3, string.Join(" | ", host.L3Groups));
        Assert.Equal(threads, host.ThreadsPerCore);
        Assert.All(host.Cpus, cpu => Assert.Contains(cpu.Id, host.Node(cpu.Node)!.Cpus));
    }

    [Fact]
    public void Named_machines_report_isolated_cpus_memory_only_nodes_and_distances()
    {
        Assert.Equal("4-7,12-15", Topologies.Named("isolated-cpus").Isolated.ToString());
        Assert.Equal("3,11,13", Topologies.Named("offline-cpus").Offline.ToString());

        NumaNode expander = Topologies.Named("memory-only-node").Nodes[2];
        Assert.True(expander.Cpus.IsEmpty);
        Assert.Equal(64L * 1024 * 1024, expander.MemTotalKiB);
        Assert.Equal([17, 17, 10], expander.Distances.OrderBy(d => d.Key).Select(d => d.Value));

        HostTopology snc = Topologies.Named("two-nodes-per-socket");
        Assert.Equal([10, 11, 21, 21], snc.Nodes[0].Distances.OrderBy(d => d.Key).Select(d => d.Value));
        Assert.Equal(1024, Assert.Single(Topologies.Named("two-nodes-per-socket-hugepages").Nodes[3].HugePages).Free);
    }
}
