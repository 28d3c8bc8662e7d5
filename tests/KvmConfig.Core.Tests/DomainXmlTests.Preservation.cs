using System.Xml.Linq;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>"Leaving every other element and attribute as it was": what kvmconfig does not own survives every merge.</summary>
public sealed partial class DomainXmlTests
{
    /// <summary>
    /// Tunings that touch every owned piece of <see cref="ServerDomain"/>: small and strict, split with cells and
    /// memnodes, huge pages with limits and throttles, a shared VM that changes the vCPU count.
    /// </summary>
    private static readonly (string Description, Func<DomainTuning> Tuning)[] ServerTunings =
    [
        ("strict, 4 vCPUs on one node", () => DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Explicit("db1", "2-3,10-11", memoryMiB: 4096)], "db1"))),
        ("split over two nodes with cells and memnodes", () => DomainTuning.From(Place("dual-socket-smt", null, [PlannerTests.Auto("db1", 20, 8192)], "db1"))),
        ("huge pages, fifo, a cap, throttles and shaping", () => DomainTuning.From(Place("two-nodes-per-socket-hugepages", null,
            [PlannerTests.Auto("db1", 4, 3072) with
            {
                HugePages = HugePageBacking.TwoMiB, Scheduling = new SchedulingPolicy(SchedulerClass.Fifo, 1), CpuLimit = 2.5, CpuWeight = 50,
                DiskReadBytesPerSec = 1_000_000, DiskIops = 100, DiskWeight = 900, NetBandwidthBitsPerSec = 100_000_000,
            }], "db1"))),
        ("a shared VM with memory left to libvirt", () => DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Shared("db1", 3)], "db1"))),
    ];

    public static TheoryData<string> ServerTuningNames => new(ServerTunings.Select(t => t.Description));

    [Theory]
    [MemberData(nameof(ServerTuningNames))]
    public void Everything_kvmconfig_does_not_own_is_left_as_it_was(string description)
    {
        DomainTuning tuning = ServerTunings.Single(t => t.Description == description).Tuning();

        string merged = DomainXml.Merge(ServerDomain, tuning);

        Assert.True(
            XNode.DeepEquals(WithoutOwned(ServerDomain), WithoutOwned(merged)),
            $"the merge changed something kvmconfig does not own\n--- before, owned parts removed\n{WithoutOwned(ServerDomain)}\n--- after, owned parts removed\n{WithoutOwned(merged)}");
    }

    [Theory]
    [MemberData(nameof(ServerTuningNames))]
    public void Foreign_metadata_features_clock_and_the_description_come_back_byte_for_byte(string description)
    {
        DomainTuning tuning = ServerTunings.Single(t => t.Description == description).Tuning();

        string merged = DomainXml.Merge(ServerDomain, tuning);

        foreach (string element in (string[])["title", "description", "metadata", "os", "features", "clock", "pm", "resource"])
        {
            Assert.Equal(Slice(ServerDomain, element), Slice(merged, element));
        }
    }

    [Fact]
    public void Devices_are_untouched_when_the_declaration_leaves_disks_and_network_alone()
    {
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2, 4096)], "db1"));

        string merged = DomainXml.Merge(ServerDomain, tuning);

        Assert.Equal(Slice(ServerDomain, "devices"), Slice(merged, "devices"));
    }

    [Fact]
    public void Unmanaged_memory_leaves_memory_balloon_and_huge_pages_as_libvirt_has_them()
    {
        // Given a domain on 1G pages with a balloon target, and a VM that declares hugepages but not memory
        string xml = MinimalDomain.Replace(
            "<currentMemory unit='KiB'>1048576</currentMemory>",
            "<currentMemory unit='KiB'>524288</currentMemory>\n  <memoryBacking>\n    <hugepages>\n      <page size='1' unit='GiB'/>\n    </hugepages>\n  </memoryBacking>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("vm1", 2) with { HugePages = HugePageBacking.TwoMiB }], "vm1"));

        // When merged
        string merged = DomainXml.Merge(xml, tuning);

        // Then memory, the balloon target and the backing are as they were
        Assert.Null(tuning.MemoryKiB);
        Assert.Null(tuning.HugePages);
        foreach (string element in (string[])["memory", "currentMemory", "memoryBacking"])
        {
            Assert.Equal(Slice(xml, element), Slice(merged, element));
        }
    }

    [Fact]
    public void A_balloon_target_of_its_own_stays_while_memory_grows_and_one_equal_to_memory_follows_it()
    {
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("vm1", 2, 2048)], "vm1"));
        string ballooned = MinimalDomain.Replace("<currentMemory unit='KiB'>1048576</currentMemory>", "<currentMemory unit='KiB'>524288</currentMemory>", StringComparison.Ordinal);

        Assert.Contains("<currentMemory unit='KiB'>2097152</currentMemory>", DomainXml.Merge(MinimalDomain, tuning), StringComparison.Ordinal);
        Assert.Contains("<currentMemory unit='KiB'>524288</currentMemory>", DomainXml.Merge(ballooned, tuning), StringComparison.Ordinal);
    }

    [Fact]
    public void Shaping_changes_the_average_and_keeps_peak_and_burst()
    {
        string xml = ServerDomain.Replace(
            "<source bridge='br0'/>",
            "<source bridge='br0'/>\n      <bandwidth>\n        <inbound average='1000' peak='5000' burst='1024'/>\n      </bandwidth>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2) with { NetBandwidthBitsPerSec = 100_000_000 }], "db1"));

        string merged = DomainXml.Merge(xml, tuning);

        Assert.Contains("<bandwidth>\n        <inbound average='12500' peak='5000' burst='1024'/>\n        <outbound average='12500'/>\n      </bandwidth>", merged, StringComparison.Ordinal);
        AssertValid(merged, "a NIC shaped with peak and burst");
    }

    [Fact]
    public void A_total_byte_limit_gives_way_to_the_read_and_write_limits_libvirt_forbids_beside_it()
    {
        string xml = ServerDomain.Replace(
            "<target dev='vda' bus='virtio'/>",
            "<target dev='vda' bus='virtio'/>\n      <iotune>\n        <total_bytes_sec>9000</total_bytes_sec>\n        <read_iops_sec>7</read_iops_sec>\n        <size_iops_sec>4096</size_iops_sec>\n      </iotune>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2) with { DiskReadBytesPerSec = 1000, DiskIops = 50 }], "db1"));

        string merged = DomainXml.Merge(xml, tuning);

        Assert.Contains("<iotune>\n        <read_bytes_sec>1000</read_bytes_sec>\n        <total_iops_sec>50</total_iops_sec>\n        <size_iops_sec>4096</size_iops_sec>\n        <group_name>kvmconfig</group_name>\n      </iotune>", merged, StringComparison.Ordinal);
        AssertValid(merged, "a disk whose total limits gave way");
    }

    [Fact]
    public void A_single_cell_kept_for_shared_memory_access_follows_the_vcpus_and_memory()
    {
        // virtiofs needs memAccess='shared' on the guest's cell (or memoryBacking access): a one-node plan keeps the cell
        string xml = MinimalDomain.Replace(
            "<clock offset='utc'/>",
            "<cpu mode='host-model'>\n    <numa>\n      <cell id='0' cpus='0-1' memory='1048576' unit='KiB' memAccess='shared'/>\n    </numa>\n  </cpu>\n  <clock offset='utc'/>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("vm1", 4, 2048)], "vm1"));

        string merged = DomainXml.Merge(xml, tuning);

        Assert.Contains("<cell id='0' cpus='0-3' memory='2097152' unit='KiB' memAccess='shared'/>", merged, StringComparison.Ordinal);
        AssertValid(merged, "a one-cell guest with shared memory access");
    }

    [Fact]
    public void A_new_vcpu_count_drops_the_per_vcpu_list_and_a_current_that_meant_all_online()
    {
        string xml = MinimalDomain.Replace(
            "<vcpu placement='static'>2</vcpu>",
            "<vcpu placement='static' current='2'>2</vcpu>\n  <vcpus>\n    <vcpu id='0' enabled='yes' hotpluggable='no' order='1'/>\n    <vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/>\n  </vcpus>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("vm1", 4)], "vm1"));

        string merged = DomainXml.Merge(xml, tuning);

        Assert.Contains("<vcpu placement='static' cpuset='1-2,9-10'>4</vcpu>", merged, StringComparison.Ordinal);
        Assert.DoesNotContain("<vcpus>", merged, StringComparison.Ordinal);
        AssertValid(merged, "a domain whose vCPU count changed");
    }

    [Fact]
    public void Lifting_a_cap_removes_the_global_quota_and_keeps_the_per_vcpu_one()
    {
        string xml = ServerDomain.Replace(
            "<period>100000</period>",
            "<period>100000</period>\n    <global_period>100000</global_period>\n    <global_quota>50000</global_quota>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2)], "db1"));

        string merged = DomainXml.Merge(xml, tuning);

        Assert.DoesNotContain("global_", merged, StringComparison.Ordinal);
        Assert.Contains("<period>100000</period>\n    <quota>-1</quota>", merged, StringComparison.Ordinal);
    }

    /// <summary>
    /// The domain with everything kvmconfig owns taken out (the ownership list of <see cref="DomainTuning"/>,
    /// restated here independently), and containers left empty removed.
    /// </summary>
    private static XElement WithoutOwned(string xml)
    {
        XElement domain = Canonical(xml);
        foreach (string name in (string[])["vcpu", "vcpus", "memory", "currentMemory"])
        {
            domain.Element(name)?.Remove();
        }

        domain.Element("cputune")?.Elements().Where(e => e.Name.LocalName is "shares" or "global_period" or "global_quota" or "vcpupin" or "emulatorpin" or "vcpusched").Remove();
        domain.Element("numatune")?.Elements().Where(e => e.Name.LocalName is "memory" or "memnode").Remove();
        domain.Element("cpu")?.Elements().Where(e => e.Name.LocalName is "topology" or "numa").Remove();
        domain.Element("memoryBacking")?.Element("hugepages")?.Remove();
        domain.Element("blkiotune")?.Element("weight")?.Remove();
        domain.Descendants("iotune").Elements()
            .Where(e => e.Name.LocalName is "read_bytes_sec" or "write_bytes_sec" or "total_iops_sec" or "group_name" or "total_bytes_sec" or "read_iops_sec" or "write_iops_sec")
            .Remove();
        domain.Descendants("bandwidth").Elements().Attributes("average").Remove();
        // Innermost first, so that a container emptied by removing an empty child goes too.
        foreach (XElement element in domain.Descendants().Reverse().ToList())
        {
            if (!element.HasAttributes && !element.Nodes().Any()
                && element.Name.LocalName is "cputune" or "numatune" or "cpu" or "memoryBacking" or "blkiotune" or "iotune" or "bandwidth" or "inbound" or "outbound")
            {
                element.Remove();
            }
        }

        return domain;
    }

    /// <summary>The text of the first <c>&lt;element&gt;</c> (with its children) as printed, or "" when absent.</summary>
    private static string Slice(string xml, string element)
    {
        int start = xml.IndexOf($"<{element}", StringComparison.Ordinal);
        while (start >= 0 && xml[start + element.Length + 1] is not ('>' or ' ' or '/'))
        {
            start = xml.IndexOf($"<{element}", start + 1, StringComparison.Ordinal);
        }

        if (start < 0)
        {
            return "";
        }

        int end = xml.IndexOf($"</{element}>", start, StringComparison.Ordinal);
        int selfClosed = xml.IndexOf("/>", start, StringComparison.Ordinal);
        int open = xml.IndexOf('>', start);
        return selfClosed >= 0 && selfClosed < open + 1 ? xml[start..(selfClosed + 2)] : xml[start..(end + element.Length + 3)];
    }
}
