using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Capabilities;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// Forms the generated captures do not show: other architectures' page sizes, units, old libvirt, partial facts, L2
/// and instruction caches.
/// </summary>
public sealed partial class CapabilitiesReaderTests
{
    private static NumaNode OnlyNode(string cellContent, HostMemoryFacts? facts = null) =>
        Assert.Single(CapabilitiesReader.Parse(Caps(Cell(TwoCpus, cellContent)), facts).Nodes);

    [Fact]
    public void The_smallest_page_size_of_a_cell_is_its_base_page_even_at_64k()
    {
        // Given an arm64 host with 64 KiB base pages, 2M and 512M huge pages
        NumaNode node = OnlyNode(
            "<memory unit='KiB'>33519936</memory><pages unit='KiB' size='64'>523749</pages>"
            + "<pages unit='KiB' size='2048'>16</pages><pages unit='KiB' size='524288'>0</pages>");

        Assert.Equal([(2048L, 16L), (524288L, 0L)], node.HugePages.Select(p => (p.SizeKiB, p.Total)));
    }

    [Fact]
    public void A_cell_with_only_base_pages_has_no_huge_page_pool()
    {
        NumaNode node = OnlyNode("<memory unit='KiB'>1048576</memory><pages unit='KiB' size='4'>262144</pages>");

        Assert.Empty(node.HugePages);
    }

    [Theory]
    [InlineData("KiB", 5990612, 5990612)]
    [InlineData("", 5990612, 5990612)]
    [InlineData("MiB", 2, 2048)]
    [InlineData("bytes", 4096, 4)]
    [InlineData("KB", 1024, 1000)]
    [InlineData("GiB", 1, 1048576)]
    public void Memory_units_are_libvirts(string unit, long value, long kib)
    {
        string unitAttribute = unit.Length == 0 ? "" : $" unit='{unit}'";

        NumaNode node = OnlyNode($"<memory{unitAttribute}>{value}</memory>");

        Assert.Equal(kib, node.MemTotalKiB);
    }

    [Fact]
    public void A_cell_without_memory_has_unknown_memory()
    {
        NumaNode node = OnlyNode("");

        Assert.Null(node.MemTotalKiB);
        Assert.Empty(node.HugePages);
        Assert.Empty(node.Distances);
    }

    [Fact]
    public void Facts_fill_what_they_name_and_leave_the_rest_unknown()
    {
        // Given two cells, facts for cell 0 only, its 2M pool only, and a cell the capabilities do not have
        string cells =
            "<cell id='0'><pages unit='KiB' size='4'>10</pages><pages unit='KiB' size='2048'>8</pages><pages unit='KiB' size='1048576'>2</pages>"
            + "<cpus num='1'><cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus></cell>"
            + "<cell id='1'><pages unit='KiB' size='4'>10</pages><pages unit='KiB' size='2048'>8</pages>"
            + "<cpus num='1'><cpu id='1' socket_id='0' core_id='1' siblings='1'/></cpus></cell>";
        var facts = new HostMemoryFacts
        {
            FreeMemoryKiB = new Dictionary<int, long> { [0] = 1000, [7] = 5 },
            FreeHugePages = new Dictionary<int, IReadOnlyDictionary<long, long>> { [0] = new Dictionary<long, long> { [2048] = 6, [64] = 1 } },
        };

        HostTopology t = CapabilitiesReader.Parse(Caps(cells), facts);

        // Then cell 0 knows its free memory and free 2M pages; the rest is unknown (memory) or none free (pages)
        Assert.Equal(1000, t.Nodes[0].MemFreeKiB);
        Assert.Equal([(2048L, 8L, 6L), (1048576L, 2L, 0L)], t.Nodes[0].HugePages.Select(p => (p.SizeKiB, p.Total, p.Free)));
        Assert.Null(t.Nodes[1].MemFreeKiB);
        Assert.Equal([(2048L, 8L, 0L)], t.Nodes[1].HugePages.Select(p => (p.SizeKiB, p.Total, p.Free)));
    }

    [Fact]
    public void Older_libvirt_without_die_id_reads_as_die_0()
    {
        // Given a libvirt from before die_id: <cpu id socket_id core_id siblings/>
        HostTopology t = CapabilitiesReader.Parse(Caps(Cell(
            "<cpu id='0' socket_id='1' core_id='3' siblings='0,2'/><cpu id='2' socket_id='1' core_id='3' siblings='0,2'/>")));

        Assert.Equal([new LogicalCpu(0, 1, 0, null, 3, CpuSet.Parse("0,2"), 0, null, null), new LogicalCpu(2, 1, 0, null, 3, CpuSet.Parse("0,2"), 0, null, null)], t.Cpus);
        Assert.Equal(["0,2"], t.Cores.Select(c => c.ToString()));
    }

    [Fact]
    public void Siblings_leaving_out_the_cpu_itself_still_make_it_part_of_its_core()
    {
        HostTopology t = CapabilitiesReader.Parse(Caps(Cell("<cpu id='0' socket_id='0' core_id='0' siblings=''/>")));

        Assert.Equal("0", t.Cpu(0)!.ThreadSiblings.ToString());
    }

    [Fact]
    public void Cache_banks_give_l2_and_l3_groups_and_instruction_caches_are_skipped()
    {
        // Given a level 2 bank per core, one unified L3, and an instruction-only level 3 bank that holds no VM memory
        string cache =
            "<cache><bank id='0' level='2' type='both' size='2' unit='MiB' cpus='0'/><bank id='1' level='2' type='both' size='2' unit='MiB' cpus='1'/>"
            + "<bank id='0' level='3' type='both' size='32' unit='MiB' cpus='0-1'/><bank id='9' level='3' type='code' size='1' unit='MiB' cpus='0-7'/></cache>";

        HostTopology t = CapabilitiesReader.Parse(Caps(Cell(TwoCpus), cache));

        Assert.Equal("0", t.Cpu(0)!.L2!.ToString());
        Assert.Equal("1", t.Cpu(1)!.L2!.ToString());
        Assert.Equal("0-1", t.Cpu(0)!.L3!.ToString());
        Assert.Equal(["0-1"], t.L3Groups.Select(g => g.ToString()));
    }

    [Fact]
    public void Without_cache_banks_caches_are_unknown()
    {
        HostTopology t = CapabilitiesReader.Parse(Caps(Cell(TwoCpus)));

        Assert.All(t.Cpus, c => Assert.Null(c.L3));
        Assert.Empty(t.L3Groups);
    }

    [Fact]
    public void Memory_only_cells_are_nodes_without_cpus()
    {
        string cells =
            "<cell id='0'><memory unit='KiB'>1024</memory><cpus num='1'><cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus></cell>"
            + "<cell id='1'><memory unit='KiB'>4096</memory><distances><sibling id='0' value='17'/><sibling id='1' value='10'/></distances><cpus num='0'/></cell>";

        HostTopology t = CapabilitiesReader.Parse(Caps(cells));

        Assert.Equal(["0", ""], t.Nodes.Select(n => n.Cpus.ToString()));
        Assert.Equal(4096, t.Nodes[1].MemTotalKiB);
        Assert.Equal(17, t.Nodes[1].Distances[0]);
        Assert.Equal(5120, t.MemTotalKiB);
    }

    [Fact]
    public void Memory_side_caches_and_interconnects_of_hmat_hosts_are_not_cpu_caches()
    {
        // Given a cell with an HMAT memory-side cache (a <cache> inside <cell>) and <interconnects> after <cells>
        const string xml = """
            <capabilities>
              <host>
                <topology>
                  <cells num='1'>
                    <cell id='0'>
                      <memory unit='KiB'>1048576</memory>
                      <cache level='1' associativity='direct' policy='writeback'>
                        <size value='10' unit='KiB'/>
                        <line value='8' unit='B'/>
                      </cache>
                      <cpus num='1'>
                        <cpu id='0' socket_id='0' die_id='0' cluster_id='0' core_id='0' siblings='0'/>
                      </cpus>
                    </cell>
                  </cells>
                  <interconnects>
                    <latency initiator='0' target='0' type='read' value='6'/>
                  </interconnects>
                </topology>
              </host>
            </capabilities>
            """;

        HostTopology t = CapabilitiesReader.Parse(xml);

        Assert.Null(t.Cpu(0)!.L2);
        Assert.Null(t.Cpu(0)!.L3);
        Assert.Equal(0, t.Cpu(0)!.ClusterId);
    }
}
