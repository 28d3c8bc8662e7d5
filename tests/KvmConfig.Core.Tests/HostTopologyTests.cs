using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>Derived views of a topology, on a small hand-written machine: 1 socket, 2 nodes, 4 cores x 2 threads.</summary>
public sealed class HostTopologyTests
{
    // CPUs 0-3 are cores 0-3, their siblings are 4-7 (the usual Intel numbering); node 0 holds cores 0-1.
    private static HostTopology Machine()
    {
        var cpus = Enumerable.Range(0, 8).Select(id =>
        {
            int core = id % 4;
            return new LogicalCpu(id, 0, 0, null, core, CpuSet.Of(core, core + 4), core < 2 ? 0 : 1, CpuSet.Of(core, core + 4), CpuSet.Range(0, 7));
        }).ToList();
        return new HostTopology
        {
            Possible = CpuSet.Range(0, 7),
            Present = CpuSet.Range(0, 7),
            Online = CpuSet.Range(0, 7),
            Isolated = CpuSet.Empty,
            NohzFull = CpuSet.Empty,
            Cpus = cpus,
            Nodes =
            [
                new NumaNode(0, CpuSet.Parse("0-1,4-5"), 8 * 1024 * 1024, 4 * 1024 * 1024, [], new Dictionary<int, int> { [0] = 10, [1] = 21 }),
                new NumaNode(1, CpuSet.Parse("2-3,6-7"), 8 * 1024 * 1024, 4 * 1024 * 1024, [], new Dictionary<int, int> { [0] = 21, [1] = 10 }),
            ],
            CpuFreq = CpuFreqInfo.None,
        };
    }

    [Fact]
    public void Cores_are_sibling_sets_ordered_by_first_cpu()
    {
        HostTopology host = Machine();

        Assert.Equal(["0,4", "1,5", "2,6", "3,7"], host.Cores.Select(c => c.ToString()));
        Assert.Equal(2, host.ThreadsPerCore);
        Assert.Equal(4, host.CoresPerPackage);
        Assert.Equal(8, host.OnlineCpuCount);
        Assert.Equal(16L * 1024 * 1024, host.MemTotalKiB);
    }

    [Fact]
    public void NodesOf_names_every_node_a_set_touches()
    {
        HostTopology host = Machine();

        Assert.Equal("0", host.NodesOf(CpuSet.Parse("0-1")).ToString());
        Assert.Equal("0-1", host.NodesOf(CpuSet.Parse("1-2")).ToString());
        Assert.Equal("", host.NodesOf(CpuSet.Parse("40")).ToString());
    }

    [Fact]
    public void A_copy_with_fewer_cpus_does_not_see_the_removed_ones()
    {
        // Given a topology whose CPU lookup has been used
        HostTopology host = Machine();
        Assert.NotNull(host.Cpu(5));

        // When a what-if copy keeps only CPUs 0-3
        HostTopology smaller = host with { Cpus = host.Cpus.Where(c => c.Id < 4).ToList() };

        // Then the copy's lookup follows its own list, and the original is unchanged
        Assert.Null(smaller.Cpu(5));
        Assert.NotNull(smaller.Cpu(3));
        Assert.NotNull(host.Cpu(5));
    }

    [Theory]
    [InlineData(512, "512M")]
    [InlineData(4096, "4G")]
    [InlineData(1536, "1.5G")]
    [InlineData(1024 * 1024, "1T")]
    [InlineData(1024 * 1024 + (1024 * 1024 / 2), "1.5T")]
    [InlineData(1025 * 1024, "1025G")]
    public void Sizes_print_in_the_largest_exact_binary_unit(long mib, string expected) =>
        Assert.Equal(expected, Units.MiB(mib));
}
