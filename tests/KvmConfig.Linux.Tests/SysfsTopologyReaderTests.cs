using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>The reader on every captured machine: each theory row is one machine of <see cref="SysfsMachines"/>.</summary>
public sealed partial class SysfsTopologyReaderTests
{
    private static readonly Dictionary<string, HostTopology> Cache = [];

    public static TheoryData<string> Machines => SysfsMachines.Names;

    /// <summary>Reads a capture once per test run; the trees are read-only.</summary>
    private static HostTopology Read(string machine)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(machine, out HostTopology? topology))
            {
                topology = new SysfsTopologyReader(TestData.SysfsRoot(machine)).Read();
                Cache[machine] = topology;
            }

            return topology;
        }
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Cpu_pools_match_the_kernel_lists(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        HostTopology t = Read(machine);

        Assert.Equal(m.Possible, t.Possible.ToString());
        Assert.Equal(m.Present, t.Present.ToString());
        Assert.Equal(m.Online, t.Online.ToString());
        Assert.Equal(m.Offline, t.Offline.ToString());
        Assert.Equal(m.Isolated, t.Isolated.ToString());
        Assert.Equal("", t.NohzFull.ToString());
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Packages_cores_and_threads(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        HostTopology t = Read(machine);

        Assert.Equal(m.Packages, t.Packages.Count);
        Assert.Equal(m.Cores, t.Cores.Count);
        Assert.Equal(m.ThreadsPerCore, t.ThreadsPerCore);
        Assert.Equal(m.CoresPerPackage, t.CoresPerPackage);
        Assert.Equal(t.Online.ToList(), t.Cpus.Select(c => c.Id).ToList());
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Node_cpu_lists(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        HostTopology t = Read(machine);

        Assert.Equal(m.NodeCpus, t.Nodes.Select(n => n.Cpus.ToString()).ToArray());
        Assert.Equal(Enumerable.Range(0, m.NodeCpus.Length), t.Nodes.Select(n => n.Id));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Every_online_cpu_sits_in_exactly_one_node_and_knows_it(string machine)
    {
        HostTopology t = Read(machine);

        foreach (LogicalCpu cpu in t.Cpus)
        {
            Assert.Single(t.Nodes, n => n.Cpus.Contains(cpu.Id));
            Assert.True(t.Node(cpu.Node)!.Cpus.Contains(cpu.Id), $"CPU {cpu.Id} says node {cpu.Node}");
            Assert.True(cpu.ThreadSiblings.Contains(cpu.Id), $"CPU {cpu.Id} is its own sibling");
        }
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void L3_groups(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        HostTopology t = Read(machine);

        Assert.Equal(m.L3Groups, t.L3Groups.Select(g => g.ToString()).ToArray());
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Node0_memory_hugepages_and_distances(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        NumaNode node0 = Read(machine).Node(0)!;

        Assert.Equal(m.Node0MemoryKiB?.Total, node0.MemTotalKiB);
        Assert.Equal(m.Node0MemoryKiB?.Free, node0.MemFreeKiB);
        Assert.Equal(m.Node0HugePages, node0.HugePages.Select(p => $"{p.SizeKiB}kB {p.Total}/{p.Free}").ToArray());
        Assert.Equal(m.Node0Distances, node0.Distances.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray());
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Cpufreq(string machine)
    {
        SysfsMachine m = SysfsMachines.ByName(machine);
        CpuFreqInfo f = Read(machine).CpuFreq;

        Assert.Equal(m.Governors, f.Governors);
        Assert.Equal(m.MinKHz, f.MinKHz);
        Assert.Equal(m.MaxKHz, f.MaxKHz);
        Assert.Equal(m.Governors.Length > 0 ? ["powersave"] : Array.Empty<string>(), f.CurrentGovernors);
    }

    // ---- Facts particular to one machine ------------------------------------------------------------------

    [Fact]
    public void Xeon_snc_interleaved_siblings_share_core_0_and_an_L2()
    {
        HostTopology t = Read(SysfsMachines.XeonSnc.Name);

        LogicalCpu cpu0 = t.Cpu(0)!, cpu40 = t.Cpu(40)!;
        Assert.Equal("0,40", cpu0.ThreadSiblings.ToString());
        Assert.Equal(cpu0.ThreadSiblings, cpu40.ThreadSiblings);
        Assert.Equal((0, 0), (cpu0.CoreId, cpu40.CoreId));
        Assert.Equal((0, 0), (cpu0.PackageId, cpu40.PackageId));
        Assert.Equal("0,40", cpu0.L2!.ToString());
        Assert.Equal(1, t.Cpu(20)!.PackageId);
        Assert.Equal(2, t.Cpu(20)!.Node);
        Assert.Null(cpu0.ClusterId);
        Assert.Equal("0-19,40-59", t.PackageCpus(0).ToString());
        Assert.Equal("0-1", t.NodesOf(CpuSet.Parse("0-19")).ToString());
    }

    [Fact]
    public void Xeon_snc_distance_matrix_is_symmetric_with_11_inside_a_socket()
    {
        HostTopology t = Read(SysfsMachines.XeonSnc.Name);

        int[][] matrix = t.Nodes.Select(a => t.Nodes.Select(b => a.Distances[b.Id]).ToArray()).ToArray();
        Assert.Equal([10, 11, 21, 21], matrix[0]);
        Assert.Equal([11, 10, 21, 21], matrix[1]);
        Assert.Equal([21, 21, 10, 11], matrix[2]);
        Assert.Equal([21, 21, 11, 10], matrix[3]);
        Assert.Equal(49507804, t.Node(1)!.MemTotalKiB);
        Assert.Equal(4 * 2560, t.Nodes.Sum(n => n.HugePages.Single(p => p.SizeKiB == 2048).Free));
    }

    [Fact]
    public void Eight_nodes_memory_only_nodes_have_memory_and_no_cpus()
    {
        HostTopology t = Read(SysfsMachines.EightNodes.Name);

        Assert.Equal(8, t.Nodes.Count);
        Assert.All(t.Nodes.Where(n => n.Id >= 4), n =>
        {
            Assert.True(n.Cpus.IsEmpty);
            Assert.Equal(130023424, n.MemTotalKiB);
        });
        Assert.Equal([17, 28, 28, 28, 10, 28, 28, 28], t.Node(4)!.Distances.OrderBy(kv => kv.Key).Select(kv => kv.Value));
        Assert.Equal("0,2", t.NodesOf(t.PackageCpus(0)).ToString());
        Assert.Equal("4,60", t.Cpu(4)!.ThreadSiblings.ToString());
        Assert.Equal(t.Isolated, t.Cores.Where(core => core.Overlaps(t.Isolated)).Aggregate(CpuSet.Empty, (all, core) => all | core));
        LogicalCpu cpu63 = t.Cpu(63)!;
        Assert.Equal((1, 5, (int?)74, 3), (cpu63.PackageId, cpu63.CoreId, cpu63.ClusterId, cpu63.Node));
    }

    [Fact]
    public void Hybrid_single_thread_cores_share_an_L2_per_cluster()
    {
        HostTopology t = Read(SysfsMachines.Hybrid.Name);

        Assert.Equal(["0-1", "2-3", "4-5", "6-7", "8", "9", "10", "11", "12", "13", "14", "15"], t.Cores.Select(c => c.ToString()));
        Assert.Equal("8-11", t.Cpu(9)!.L2!.ToString());
        Assert.Equal("12-15", t.Cpu(15)!.L2!.ToString());
        Assert.Equal(32, t.Cpu(9)!.ClusterId);
        Assert.Equal(17, t.Cpu(9)!.CoreId);
        Assert.Equal(4800000, t.CpuFreq.MaxKHz);
    }

    [Fact]
    public void Epyc_offline_cpus_leave_their_cores_with_one_online_thread()
    {
        HostTopology t = Read(SysfsMachines.Epyc.Name);

        Assert.Null(t.Cpu(24));
        Assert.Equal("0,24", t.Cpu(0)!.ThreadSiblings.ToString());
        Assert.Equal(
            ["0", "1", "2", "17", "19", "21"],
            t.Cores.Where(c => c.Count == 1).Select(c => c.ToString()));
        Assert.Null(t.Cpu(0)!.L3);
        Assert.Null(t.Cpu(0)!.L2);
        Assert.Equal(0, t.Cpu(0)!.DieId);
    }

    [Theory]
    [InlineData("cadvisor-epyc7402", "no node/, no proc root: node 0 with every online CPU, memory unknown")]
    [InlineData("cadvisor-xeon4214_2socket", "two sockets but no node/: still one node, as the kernel without NUMA would say")]
    [InlineData("cadvisor-single_socket_many_NUMAs", "many packages, no node/: one node")]
    public void Trees_without_node_dir_have_one_node_0(string machine, string description)
    {
        HostTopology t = Read(machine);

        NumaNode node = Assert.Single(t.Nodes);
        Assert.Equal(0, node.Id);
        Assert.Equal(t.Online, node.Cpus);
        Assert.Null(node.MemTotalKiB);
        Assert.Empty(node.Distances);
        Assert.Empty(node.HugePages);
        Assert.All(t.Cpus, c => Assert.Equal(0, c.Node));
        Assert.False(t.CpuFreq.Available, description);
    }

    [Fact]
    public void Xeon4214_without_die_id_reads_die_0_and_hex_masks_agree_with_lists()
    {
        HostTopology t = Read(SysfsMachines.Xeon4214.Name);

        Assert.All(t.Cpus, c => Assert.Equal(0, c.DieId));
        Assert.Equal("0-11,24-35", t.PackageCpus(0).ToString());
        Assert.Equal("12-23,36-47", t.PackageCpus(1).ToString());
        string hex = File.ReadAllText(Path.Combine(TestData.SysfsRoot(SysfsMachines.Xeon4214.Name), "devices/system/cpu/cpu47/topology/thread_siblings"));
        Assert.Equal(t.Cpu(47)!.ThreadSiblings, CpuSet.ParseHexMask(hex));
    }
}
