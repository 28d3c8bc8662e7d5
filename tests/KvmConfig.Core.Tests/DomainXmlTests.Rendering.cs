using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>
/// A plan rendered into a domain: one VM of a declaration on a named machine, merged into a base domain
/// (<c>minimal</c>, <c>server</c> or a fixture of <c>tests/data/libvirt/</c>).
/// </summary>
/// <param name="Description">What the row shows.</param>
/// <param name="Machine">A machine of <see cref="Topologies"/>.</param>
/// <param name="Vms">The declaration.</param>
/// <param name="Vm">The VM whose domain is rendered.</param>
/// <param name="Base">The domain it is merged into (<see cref="DomainXmlTests.Domain"/>).</param>
internal sealed record RenderCase(string Description, string Machine, IReadOnlyList<VmSpec> Vms, string Vm, string Base)
{
    /// <summary><c>[host]</c>, or the defaults.</summary>
    public HostPolicy? Policy { get; init; }

    /// <summary>Lines the rendered document must hold, as libvirt prints them (cpulists canonical).</summary>
    public IReadOnlyList<string> Has { get; init; } = [];

    /// <summary>Text the rendered document must not hold.</summary>
    public IReadOnlyList<string> HasNot { get; init; } = [];

    /// <inheritdoc />
    public override string ToString() => Description;
}

/// <summary>Rendered plans: libvirt's schema accepts them, they say what the plan says, and a second merge changes nothing.</summary>
public sealed partial class DomainXmlTests
{
    private static readonly RenderCase[] RenderCases =
    [
        // ---- single-socket-smt: CPUs 0-15, core n = n,n+8, host on 0,8, one node.
        new("strict: one CPU per vCPU, siblings consecutive, emulator threads on the reserved CPUs, guest threads=2",
            "single-socket-smt", [PlannerTests.Explicit("db", "2-3,10-11", memoryMiB: 4096)], "db", "minimal")
        {
            Has =
            [
                "<memory unit='KiB'>4194304</memory>", "<currentMemory unit='KiB'>4194304</currentMemory>",
                "<vcpu placement='static' cpuset='2-3,10-11'>4</vcpu>",
                "<shares>100</shares>",
                "<vcpupin vcpu='0' cpuset='2'/>", "<vcpupin vcpu='1' cpuset='10'/>", "<vcpupin vcpu='2' cpuset='3'/>", "<vcpupin vcpu='3' cpuset='11'/>",
                "<emulatorpin cpuset='0,8'/>",
                "<memory mode='strict' nodeset='0'/>",
                "<topology sockets='1' cores='2' threads='2'/>",
            ],
            HasNot = ["<numa>", "<memnode", "global_quota", "vcpusched", "hugepages"],
        },
        new("float: the vCPUs roam the VM's set, which <vcpu cpuset> says for all of them: no <vcpupin> repeats it",
            "single-socket-smt", [PlannerTests.Explicit("f", "4-7", memoryMiB: 2048) with { Pinning = PinningMode.Float }], "f", "minimal")
        {
            Has = ["<vcpu placement='static' cpuset='4-7'>4</vcpu>", "<emulatorpin cpuset='0,8'/>", "<topology sockets='1' cores='4' threads='1'/>"],
            HasNot = ["<vcpupin"],
        },
        new("shared pool: the vCPUs float over the CPUs no dedicated VM owns, with the host's emulator CPUs",
            "single-socket-smt", [PlannerTests.Explicit("db", "2-3,10-11"), PlannerTests.Shared("web", 2, 2048)], "web", "minimal")
        {
            Has =
            [
                "<vcpu placement='static' cpuset='1,4-7,9,12-15'>2</vcpu>", "<emulatorpin cpuset='0,8'/>",
                "<memory mode='strict' nodeset='0'/>", "<topology sockets='1' cores='2' threads='1'/>",
            ],
            HasNot = ["<vcpupin"],
        },
        new("cpu_limit 1.5 caps the whole domain at 150 ms per 100 ms period; cpu_weight 200 is shares 200",
            "single-socket-smt", [PlannerTests.Auto("capped", 2, 1024) with { CpuLimit = 1.5, CpuWeight = 200 }], "capped", "minimal")
        {
            Has = ["<shares>200</shares>", "<global_period>100000</global_period>", "<global_quota>150000</global_quota>"],
            HasNot = ["<period>", "<quota>"],
        },
        new("cpuscheduling fifo:10 puts every vCPU thread in SCHED_FIFO at priority 10",
            "single-socket-smt", [PlannerTests.Auto("rt", 2, 1024) with { Scheduling = new SchedulingPolicy(SchedulerClass.Fifo, 10) }], "rt", "minimal")
        {
            Has = ["<vcpusched vcpus='0-1' scheduler='fifo' priority='10'/>"],
        },
        new("cpuscheduling batch has no priority",
            "single-socket-smt", [PlannerTests.Auto("bulk", 2, 1024) with { Scheduling = new SchedulingPolicy(SchedulerClass.Batch) }], "bulk", "minimal")
        {
            Has = ["<vcpusched vcpus='0-1' scheduler='batch'/>"],
            HasNot = ["priority"],
        },

        // ---- dual-socket-smt: node0 = 0-7,16-23, node1 = 8-15,24-31, host on 0,16, 16 GiB per node.
        new("split over two nodes: one guest cell per node with half the memory, a memnode binding each cell to its node, one socket per cell",
            "dual-socket-smt", [PlannerTests.Auto("big", 20, 8192)], "big", "minimal")
        {
            Has =
            [
                "<vcpu placement='static' cpuset='1-5,8-12,17-21,24-28'>20</vcpu>",
                "<vcpupin vcpu='0' cpuset='1'/>", "<vcpupin vcpu='1' cpuset='17'/>", "<vcpupin vcpu='19' cpuset='28'/>",
                "<memory mode='strict' nodeset='0-1'/>",
                "<memnode cellid='0' mode='strict' nodeset='0'/>", "<memnode cellid='1' mode='strict' nodeset='1'/>",
                "<topology sockets='2' cores='5' threads='2'/>",
                "<cell id='0' cpus='0-9' memory='4194304' unit='KiB'/>", "<cell id='1' cpus='10-19' memory='4194304' unit='KiB'/>",
                "<memory unit='KiB'>8388608</memory>",
            ],
        },
        new("memory not declared: <memory> stays as libvirt has it and the cells split it in proportion to their vCPUs",
            "dual-socket-smt", [PlannerTests.Auto("big", 20)], "big", "minimal")
        {
            Has =
            [
                "<memory unit='KiB'>1048576</memory>",
                "<cell id='0' cpus='0-9' memory='524288' unit='KiB'/>", "<cell id='1' cpus='10-19' memory='524288' unit='KiB'/>",
            ],
        },
        new("an existing host-passthrough CPU keeps its mode, cache and features; the cells go after them, the topology before",
            "dual-socket-smt", [PlannerTests.Auto("big", 20, 8192)], "big", "server")
        {
            Has =
            [
                "<cpu mode='host-passthrough' check='none' migratable='on'>\n    <topology sockets='2' cores='5' threads='2'/>\n    <cache mode='passthrough'/>\n    <feature policy='disable' name='svm'/>\n    <numa>",
                "<period>100000</period>", "<quota>-1</quota>", "<iothreadpin iothread='1' cpuset='0'/>", "<iothreadsched iothreads='1' scheduler='batch'/>",
                "<source type='memfd'/>", "<access mode='shared'/>",
            ],
        },

        // ---- two-nodes-per-socket-hugepages: 1024 free 2M pages on every node.
        new("2M huge pages: one page size for every cell, the host node coming from numatune; memoryBacking's other settings stay",
            "two-nodes-per-socket-hugepages", [PlannerTests.Auto("db", 4, 3072) with { HugePages = HugePageBacking.TwoMiB }], "db", "server")
        {
            Has =
            [
                "<memoryBacking>\n    <hugepages>\n      <page size='2048' unit='KiB'/>\n    </hugepages>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>",
                "<cell id='0' cpus='0-1' memory='1572864' unit='KiB'/>", "<cell id='1' cpus='2-3' memory='1572864' unit='KiB'/>",
            ],
            HasNot = ["<page size='2048' unit='KiB' nodeset"],
        },

        // ---- throttles on the server domain: one disk, a CD-ROM, a bridged NIC and a user-mode NIC.
        new("disk throttles go in every data disk's <iotune> with one throttle group; the bandwidth on every NIC libvirt can shape",
            "single-socket-smt",
            [PlannerTests.Auto("db", 2, 4096) with
            {
                DiskReadBytesPerSec = 500_000_000, DiskWriteBytesPerSec = 200_000_000, DiskIops = 5000, DiskWeight = 500,
                NetBandwidthBitsPerSec = 1_000_000_000,
            }],
            "db", "server")
        {
            Has =
            [
                "<target dev='vda' bus='virtio'/>\n      <iotune>\n        <read_bytes_sec>500000000</read_bytes_sec>\n        <write_bytes_sec>200000000</write_bytes_sec>\n        <total_iops_sec>5000</total_iops_sec>\n        <group_name>kvmconfig</group_name>\n      </iotune>\n      <address",
                "<blkiotune>\n    <weight>500</weight>\n  </blkiotune>",
                "<vlan>\n        <tag id='42'/>\n      </vlan>\n      <bandwidth>\n        <inbound average='125000'/>\n        <outbound average='125000'/>\n      </bandwidth>\n      <model type='virtio'/>",
                "<interface type='user'>\n      <mac address='52:54:00:11:22:33'/>\n      <model type='virtio'/>\n    </interface>",
                "<target dev='sda' bus='sata'/>\n      <readonly/>",
            ],
        },

        // ---- the libvirt fixtures as the domains being re-planned.
        new("cputune.xml re-planned: per-vCPU period/quota, iothread settings and iothreadsched stay, and so does a global quota of -1 (no cap: what cpu_limit = none asks); pins, shares and vcpusched become the plan's",
            "single-socket-smt", [PlannerTests.Explicit("db", "2-3,10-11", memoryMiB: 256)], "db", "cputune.xml")
        {
            Has =
            [
                "<shares>100</shares>\n    <period>1000000</period>\n    <quota>-1</quota>\n    <global_period>1000000</global_period>\n    <global_quota>-1</global_quota>\n    <iothread_period>1000000</iothread_period>\n    <iothread_quota>-1</iothread_quota>\n    <vcpupin vcpu='0' cpuset='2'/>",
                "<vcpupin vcpu='3' cpuset='11'/>\n    <emulatorpin cpuset='0,8'/>\n    <iothreadsched iothreads='1-3,^2' scheduler='batch'/>",
                "<memory unit='KiB'>262144</memory>",
            ],
            HasNot = ["vcpusched"],
        },
        new("numatune-memnode.xml re-planned as a VM of two cells: cell 2 and the memnodes of the old layout go",
            "dual-socket-smt", [PlannerTests.Auto("big", 20, 8192)], "big", "numatune-memnode.xml")
        {
            Has =
            [
                // memnode 0 is rewritten where it stands (before <memory>, as the fixture has it); memnode 1 is new
                "<numatune>\n    <memnode cellid='0' mode='strict' nodeset='0'/>\n    <memory mode='strict' nodeset='0-1'/>\n    <memnode cellid='1' mode='strict' nodeset='1'/>\n  </numatune>",
                "<cpu>\n    <topology sockets='2' cores='5' threads='2'/>\n    <numa>\n      <cell id='0' cpus='0-9' memory='4194304' unit='KiB'/>\n      <cell id='1' cpus='10-19' memory='4194304' unit='KiB'/>\n    </numa>\n  </cpu>",
            ],
            HasNot = ["cellid='2'", "id='2'"],
        },
        new("numatune-memnode.xml re-planned as a VM of one node: the guest NUMA layout and its memnodes go",
            "dual-socket-smt", [PlannerTests.Auto("small", 4, 2048)], "small", "numatune-memnode.xml")
        {
            Has = ["<numatune>\n    <memory mode='strict' nodeset='0'/>\n  </numatune>", "<cpu>\n    <topology sockets='1' cores='2' threads='2'/>\n  </cpu>"],
            HasNot = ["<numa>", "memnode"],
        },
        new("cputune-numatune.xml re-planned: numad's placement gives way to the plan's; the I/O thread pin, the domain's maximum of six vCPUs (hot add) and the balloon target stay; the guest topology covers all six",
            "single-socket-smt", [PlannerTests.Auto("app", 4, 128)], "app", "cputune-numatune.xml")
        {
            Has =
            [
                "<vcpu placement='static' cpuset='1-2,9-10' current='4'>6</vcpu>", "<iothreadpin iothread='1' cpuset='2'/>",
                "<currentMemory unit='KiB'>65536</currentMemory>",
                "<memory mode='strict' nodeset='0'/>", "<cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>qemu64</model>\n    <topology sockets='1' cores='3' threads='2'/>",
            ],
            HasNot = ["placement='auto'"],
        },
    ];

    public static TheoryData<string> RenderNames => new(RenderCases.Select(c => c.Description));

    /// <summary>The rendered domain of a row: its VM's plan merged into its base domain.</summary>
    private static (string Xml, DomainTuning Tuning) Render(RenderCase row)
    {
        // The tuning as the merge makes it whole for this domain's vCPU maximum (what status compares with).
        DomainTuning tuning = DomainTuning.From(Place(row.Machine, row.Policy, row.Vms, row.Vm));
        DomainTuning before = DomainXml.ReadTuning(Domain(row.Base));
        return (DomainXml.Merge(Domain(row.Base), tuning), tuning.ForMaximum(before.VcpusMax!.Value, before.Vcpus));
    }

    [Theory]
    [MemberData(nameof(RenderNames))]
    public void A_rendered_plan_passes_virt_xml_validate(string description)
    {
        RenderCase row = RenderCases.Single(c => c.Description == description);

        (string xml, _) = Render(row);

        AssertValid(xml, $"the rendering of '{description}'");
    }

    [Theory]
    [MemberData(nameof(RenderNames))]
    public void A_rendered_plan_says_what_the_plan_says(string description)
    {
        RenderCase row = RenderCases.Single(c => c.Description == description);

        (string xml, _) = Render(row);

        Assert.All(row.Has, line => Assert.True(xml.Contains(line, StringComparison.Ordinal), $"missing:\n{line}\n--- in\n{xml}"));
        Assert.All(row.HasNot, text => Assert.False(xml.Contains(text, StringComparison.Ordinal), $"unexpected:\n{text}\n--- in\n{xml}"));
    }

    [Theory]
    [MemberData(nameof(RenderNames))]
    public void A_second_merge_of_the_same_plan_changes_nothing(string description)
    {
        RenderCase row = RenderCases.Single(c => c.Description == description);

        (string once, DomainTuning tuning) = Render(row);

        Assert.Equal(once, DomainXml.Merge(once, tuning));
    }

    [Theory]
    [MemberData(nameof(RenderNames))]
    public void A_rendered_plan_keeps_libvirts_rules(string description)
    {
        RenderCase row = RenderCases.Single(c => c.Description == description);

        (string xml, DomainTuning tuning) = Render(row);
        DomainTuning rendered = DomainXml.ReadTuning(xml);

        // The topology's product is the vCPU maximum; every vCPU, online or not, is in exactly one cell; the cells'
        // memory is <memory>.
        Assert.Equal(tuning.VcpusMax!.Value, rendered.Topology!.Vcpus);
        Assert.Equal(tuning.VcpusMax, rendered.VcpusMax);
        if (rendered.Cells is { Count: > 1 } cells)
        {
            Assert.Equal(CpuSet.Range(0, rendered.VcpusMax!.Value - 1), cells.Aggregate(CpuSet.Empty, (all, c) => all | c.Vcpus));
            Assert.Equal(rendered.VcpusMax!.Value, cells.Sum(c => c.Vcpus.Count));
            Assert.Equal(rendered.MemoryKiB, cells.Sum(c => c.MemoryKiB));
            Assert.All(rendered.MemNodes!, m => Assert.Contains(cells, c => c.Id == m.CellId));
        }
    }
}
