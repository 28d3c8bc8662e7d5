using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Capabilities;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// The reader on every generated capture: each theory row is one machine of <see cref="CapabilitiesCaptures"/>, and
/// the capabilities must read as the sysfs reader reads the same machine in everything capabilities carry.
/// </summary>
public sealed partial class CapabilitiesReaderTests
{
    public static TheoryData<string> Machines => CapabilitiesCaptures.Names;

    private static HostTopology Parse(CapabilitiesCapture capture, HostMemoryFacts? facts = null) =>
        CapabilitiesReader.Parse(File.ReadAllText(capture.File), facts, capture.File);

    /// <summary>What <c>virNodeGetCellsFreeMemory</c> and <c>virNodeGetFreePages</c> would answer on that machine.</summary>
    private static HostMemoryFacts FactsOf(HostTopology host) => new()
    {
        FreeMemoryKiB = host.Nodes.Where(n => n.MemFreeKiB is not null).ToDictionary(n => n.Id, n => n.MemFreeKiB!.Value),
        FreeHugePages = host.Nodes.ToDictionary(
            n => n.Id,
            n => (IReadOnlyDictionary<long, long>)n.HugePages.ToDictionary(p => p.SizeKiB, p => p.Free)),
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void Committed_file_is_what_the_writer_makes_of_the_sysfs_capture(string machine)
    {
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        string rendered = capture.Render();
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(capture.File, rendered);
            return;
        }

        Assert.True(File.Exists(capture.File), $"{capture.File} is missing; run the tests with UPDATE_GOLDEN=1 to write it, then review it");
        string[] committed = File.ReadAllText(capture.File).Split('\n');
        string[] expected = rendered.Split('\n');
        int differs = Enumerable.Range(0, Math.Min(committed.Length, expected.Length)).FirstOrDefault(i => committed[i] != expected[i], -1);
        Assert.True(
            differs < 0 && committed.Length == expected.Length,
            differs < 0
                ? $"{capture.File} has {committed.Length} lines, the writer {expected.Length} (UPDATE_GOLDEN=1 rewrites it)"
                : $"{capture.File} line {differs + 1} is\n  {committed[differs]}\nthe writer makes\n  {expected[differs]}\n(UPDATE_GOLDEN=1 rewrites it)");
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Cpu_pools_match_the_table_and_the_sysfs_reader(string machine)
    {
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        HostTopology caps = Parse(capture);

        Assert.Equal(capture.Present, caps.Present.ToString());
        Assert.Equal(capture.Online, caps.Online.ToString());
        Assert.Equal(caps.Present, caps.Possible);
        Assert.Equal(capture.Sysfs.Online, caps.Online);
        Assert.Equal(capture.Sysfs.Offline, caps.Offline);
        Assert.Equal(CpuSet.Empty, caps.Isolated);
        Assert.Equal(CpuSet.Empty, caps.NohzFull);
        Assert.Same(CpuFreqInfo.NotVisible, caps.CpuFreq);
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Every_cpu_has_the_package_die_core_siblings_node_and_l3_that_sysfs_gives(string machine)
    {
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        HostTopology caps = Parse(capture);

        // Capabilities never carry L2 (libvirt reports caches from level 3), and cluster_id only from libvirt 10.
        List<LogicalCpu> expected = capture.Sysfs.Cpus
            .Select(c => c with { L2 = null, ClusterId = capture.Format == CapabilitiesFormat.V10 ? c.ClusterId : null })
            .ToList();
        Assert.Equal(expected, caps.Cpus);
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Cells_carry_the_node_cpus_memory_page_pools_and_distances(string machine)
    {
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        HostTopology sysfs = capture.Sysfs;
        HostTopology caps = Parse(capture);

        Assert.Equal(capture.CellCpus, caps.Nodes.Select(n => n.Cpus.ToString()).ToArray());
        Assert.Equal(sysfs.Nodes.Select(n => n.Id), caps.Nodes.Select(n => n.Id));
        foreach ((NumaNode want, NumaNode got) in sysfs.Nodes.Zip(caps.Nodes))
        {
            Assert.Equal(want.Cpus, got.Cpus);
            Assert.Equal(want.MemTotalKiB, got.MemTotalKiB);
            Assert.Equal(want.HugePages.Select(p => (p.SizeKiB, p.Total)), got.HugePages.Select(p => (p.SizeKiB, p.Total)));
            Assert.Equal(want.Distances.OrderBy(d => d.Key), got.Distances.OrderBy(d => d.Key));

            // Without facts nothing is known to be free.
            Assert.Null(got.MemFreeKiB);
            Assert.All(got.HugePages, p => Assert.Equal(0, p.Free));
        }
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void With_the_hosts_memory_facts_free_memory_and_free_pages_match_sysfs(string machine)
    {
        // Given what the two libvirt calls would answer on that machine
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        HostMemoryFacts facts = FactsOf(capture.Sysfs);

        // When the capabilities are read with them
        HostTopology caps = Parse(capture, facts);

        // Then free memory and free huge pages are the kernel's
        foreach ((NumaNode want, NumaNode got) in capture.Sysfs.Nodes.Zip(caps.Nodes))
        {
            Assert.Equal(want.MemFreeKiB, got.MemFreeKiB);
            Assert.Equal(want.HugePages.Select(p => (p.SizeKiB, p.Total, p.Free)), got.HugePages.Select(p => (p.SizeKiB, p.Total, p.Free)));
        }
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Cores_packages_and_l3_groups_are_those_of_sysfs(string machine)
    {
        CapabilitiesCapture capture = CapabilitiesCaptures.ByName(machine);
        HostTopology sysfs = capture.Sysfs;
        HostTopology caps = Parse(capture);

        Assert.Equal(sysfs.Cores, caps.Cores);
        Assert.Equal(sysfs.Packages, caps.Packages);
        Assert.Equal(sysfs.ThreadsPerCore, caps.ThreadsPerCore);
        Assert.Equal(sysfs.CoresPerPackage, caps.CoresPerPackage);
        Assert.Equal(capture.L3Groups, caps.L3Groups.Select(g => g.ToString()).ToArray());
        Assert.Equal(sysfs.L3Groups, caps.L3Groups);
        Assert.Equal(sysfs.MemTotalKiB, caps.MemTotalKiB);
        Assert.Equal(sysfs.HugePageSizesKiB, caps.HugePageSizesKiB);
    }

    [Fact]
    public void Isolcpus_of_a_remote_host_is_invisible()
    {
        // Given the 8-node machine, booted with isolcpus=4-7,60-63
        CapabilitiesCapture capture = CapabilitiesCaptures.EightNodes;
        Assert.Equal("4-7,60-63", capture.Sysfs.Isolated.ToString());

        // When it is read through libvirt, which does not report isolcpus=
        HostTopology caps = Parse(capture);

        // Then no CPU is isolated: rules about isolated CPUs cannot fire over a remote connection
        Assert.Equal("", caps.Isolated.ToString());
    }

    [Fact]
    public void Offline_cpus_written_bare_are_present_not_online_and_belong_to_no_core()
    {
        HostTopology caps = Parse(CapabilitiesCaptures.Epyc);

        Assert.Equal("24-26,41,43,45", caps.Offline.ToString());
        Assert.Null(caps.Cpu(24));
        Assert.Equal("0,24", caps.Cpu(0)!.ThreadSiblings.ToString());
        Assert.Equal("0", caps.CoreOf(0).ToString());
        Assert.Equal("0-23,27-40,42,44,46-47", caps.Node(0)!.Cpus.ToString());
    }

    [Fact]
    public void Offline_cpus_libvirt_does_not_list_are_neither_present_nor_online()
    {
        // Given the EPYC as libvirt 9 prints it on x86: the kernel took the offline CPUs out of node0's cpumap
        CapabilitiesCapture epyc = CapabilitiesCaptures.Epyc;
        string xml = CapabilitiesWriter.Render(epyc.Sysfs, new CapabilitiesWriter.Options { Name = epyc.Name, OfflineCpus = OfflineCpuForm.Omitted });

        HostTopology caps = CapabilitiesReader.Parse(xml);

        // Then the reader knows only the online CPUs; their sibling lists still name the missing threads
        Assert.Equal("0-23,27-40,42,44,46-47", caps.Present.ToString());
        Assert.Equal(caps.Present, caps.Online);
        Assert.Equal("", caps.Offline.ToString());
        Assert.Equal("0,24", caps.Cpu(0)!.ThreadSiblings.ToString());
        Assert.Equal(epyc.Sysfs.Cores, caps.Cores);
    }

    [Fact]
    public void Cluster_ids_come_from_libvirt_10_and_are_absent_before()
    {
        CapabilitiesCapture hybrid = CapabilitiesCaptures.Hybrid;
        HostTopology v10 = Parse(hybrid);
        HostTopology v9 = CapabilitiesReader.Parse(
            CapabilitiesWriter.Render(hybrid.Sysfs, new CapabilitiesWriter.Options { Name = hybrid.Name, Format = CapabilitiesFormat.V9 }));

        Assert.Equal(hybrid.Sysfs.Cpu(8)!.ClusterId, v10.Cpu(8)!.ClusterId);
        Assert.NotEqual(v10.Cpu(8)!.ClusterId, v10.Cpu(12)!.ClusterId);
        Assert.All(v9.Cpus, c => Assert.Null(c.ClusterId));
    }
}
