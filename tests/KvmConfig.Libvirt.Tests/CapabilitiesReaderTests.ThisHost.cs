using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Capabilities;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// The one capture taken from a real daemon: <c>virsh capabilities</c> of libvirt 9.0.0 on this Debian 12 TCG
/// machine (2 CPUs, 1 node), full of CPU features and guest machines the reader must step over.
/// </summary>
public sealed partial class CapabilitiesReaderTests
{
    private static readonly string ThisHostFile = TestData.Path("capabilities", "this-debian12-tcg-2cpu.xml");

    [Fact]
    public void This_daemons_capabilities_are_two_single_thread_cores_in_one_node()
    {
        HostTopology t = CapabilitiesReader.Parse(File.ReadAllText(ThisHostFile));

        Assert.Equal("0-1", t.Possible.ToString());
        Assert.Equal("0-1", t.Present.ToString());
        Assert.Equal("0-1", t.Online.ToString());
        Assert.Equal(
            [
                new LogicalCpu(0, 0, 0, null, 0, CpuSet.Of(0), 0, null, CpuSet.Parse("0-1")),
                new LogicalCpu(1, 0, 0, null, 1, CpuSet.Of(1), 0, null, CpuSet.Parse("0-1")),
            ],
            t.Cpus);
        Assert.Equal(["0", "1"], t.Cores.Select(c => c.ToString()));
        Assert.Equal(1, t.ThreadsPerCore);
        Assert.Equal(["0-1"], t.L3Groups.Select(g => g.ToString()));

        NumaNode node = Assert.Single(t.Nodes);
        Assert.Equal(0, node.Id);
        Assert.Equal("0-1", node.Cpus.ToString());
        Assert.Equal(5990612, node.MemTotalKiB);
        Assert.Null(node.MemFreeKiB);
        Assert.Equal([(2048L, 0L), (1048576L, 0L)], node.HugePages.Select(p => (p.SizeKiB, p.Total)));
        Assert.Equal([new KeyValuePair<int, int>(0, 10)], node.Distances);
        Assert.Equal("", t.Isolated.ToString());
        Assert.False(t.CpuFreq.Available);
    }

    [Fact]
    public void This_daemons_capabilities_take_free_memory_and_pages_from_the_facts()
    {
        // Given what virNodeGetCellsFreeMemory (bytes, divided by 1024) and virNodeGetFreePages would answer
        var facts = new HostMemoryFacts
        {
            FreeMemoryKiB = new Dictionary<int, long> { [0] = 3_500_000 },
            FreeHugePages = new Dictionary<int, IReadOnlyDictionary<long, long>> { [0] = new Dictionary<long, long> { [2048] = 0 } },
        };

        HostTopology t = CapabilitiesReader.Parse(File.ReadAllText(ThisHostFile), facts);

        NumaNode node = t.Nodes[0];
        Assert.Equal(3_500_000, node.MemFreeKiB);
        Assert.Equal([(2048L, 0L), (1048576L, 0L)], node.HugePages.Select(p => (p.SizeKiB, p.Free)));
    }
}
