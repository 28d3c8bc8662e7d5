using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>A declared key and what it becomes in the tuning, as a normalized field.</summary>
/// <param name="Description">What the row shows.</param>
/// <param name="Vm">A 2-vCPU auto VM with 1 GiB on single-socket-smt, adjusted.</param>
/// <param name="Field">The <see cref="OwnedState"/> field.</param>
/// <param name="Value">Its desired value; null when the field must be unmanaged (absent from the desired state).</param>
internal sealed record TuningCase(string Description, VmSpec Vm, string Field, string? Value)
{
    /// <summary>The machine it is planned on.</summary>
    public string Machine { get; init; } = "single-socket-smt";

    /// <inheritdoc />
    public override string ToString() => Description;
}

/// <summary>From a declaration to a tuning: the mapping docs/domain-xml.md states, key by key.</summary>
public sealed partial class DomainXmlTests
{
    private static VmSpec Vm(long? memoryMiB = 1024) => PlannerTests.Auto("vm", 2, memoryMiB);

    private static readonly TuningCase[] TuningCases =
    [
        new("cpu_weight is libvirt's shares unchanged (cgroup v2 cpu.weight)", Vm() with { CpuWeight = 250 }, "cputune shares", "250"),
        new("the default cpu_weight 100 is managed too", Vm(), "cputune shares", "100"),
        new("cpu_limit 1.5 is a domain-wide 150000 us quota per 100000 us period", Vm() with { CpuLimit = 1.5 }, "cputune global_quota", "1.5 CPUs (150000/100000 us)"),
        new("cpu_limit 0.2, the monitoring profile's", Vm() with { CpuLimit = 0.2 }, "cputune global_quota", "0.2 CPUs (20000/100000 us)"),
        new("cpu_limit below libvirt's 1 ms minimum quota is raised to it", Vm() with { CpuLimit = 0.001 }, "cputune global_quota", "0.01 CPUs (1000/100000 us)"),
        new("no cpu_limit is no cap: kvmconfig removes its own", Vm(), "cputune global_quota", "unlimited"),
        new("cpuscheduling fifo:10", Vm() with { Scheduling = new SchedulingPolicy(SchedulerClass.Fifo, 10) }, "vcpusched 1", "fifo 10"),
        new("cpuscheduling rr:50", Vm() with { Scheduling = new SchedulingPolicy(SchedulerClass.RoundRobin, 50) }, "vcpusched 0", "rr 50"),
        new("cpuscheduling idle", Vm() with { Scheduling = new SchedulingPolicy(SchedulerClass.Idle) }, "vcpusched 0", "idle"),
        new("cpuscheduling other is the default class: no element", Vm(), "vcpusched 0", "other"),
        new("memory in KiB", Vm(3072), "memory", "3145728 KiB"),
        new("memory not declared is left to libvirt", Vm(null), "memory", null),
        new("hugepages 2M", Vm() with { HugePages = HugePageBacking.TwoMiB }, "hugepages", "2048 KiB") { Machine = "two-nodes-per-socket-hugepages" },
        new("hugepages none removes kvmconfig's backing", Vm(), "hugepages", "none"),
        new("hugepages without declared memory is left to libvirt, as memory is", Vm(null) with { HugePages = HugePageBacking.TwoMiB }, "hugepages", null),
        new("numa preferred on the plan's node", Vm() with { Numa = MemoryMode.Preferred }, "numatune memory", "preferred 0"),
        new("disk_weight is blkiotune's weight", Vm() with { DiskWeight = 800 }, "blkiotune weight", "800"),
        new("no disk_weight is left to libvirt", Vm(), "blkiotune weight", null),
        new("disk_read_bps in bytes/s on every data disk", Vm() with { DiskReadBytesPerSec = 500_000_000 }, "disk * read_bytes_sec", "500000000"),
        new("disk throttles put the disks in kvmconfig's throttle group", Vm() with { DiskWriteBytesPerSec = 1 }, "disk * group_name", "kvmconfig"),
        new("an undeclared throttle stays unmanaged beside a declared one", Vm() with { DiskWriteBytesPerSec = 1 }, "disk * read_bytes_sec", null),
        new("disk_iops is total_iops_sec", Vm() with { DiskIops = 3000 }, "disk * total_iops_sec", "3000"),
        new("net_bandwidth 1Gbit is 125000 KB/s (libvirt's KB is 1000 bytes) inbound", Vm() with { NetBandwidthBitsPerSec = 1_000_000_000 }, "interface * inbound average", "125000 KB/s"),
        new("net_bandwidth 100Mbit is 12500 KB/s outbound", Vm() with { NetBandwidthBitsPerSec = 100_000_000 }, "interface * outbound average", "12500 KB/s"),
        new("net_bandwidth of a few bits is libvirt's minimum 1 KB/s", Vm() with { NetBandwidthBitsPerSec = 100 }, "interface * inbound average", "1 KB/s"),
        new("no net_bandwidth is left to libvirt", Vm(), "interface * inbound average", null),
        new("a guest of one node has one cell and no memnode", Vm(), "numa cells", "1"),
        new("a guest of one node has no memnode", Vm(), "numatune memnodes", "0"),
    ];

    public static TheoryData<string> TuningNames => new(TuningCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(TuningNames))]
    public void A_declared_key_becomes_its_field(string description)
    {
        TuningCase row = TuningCases.Single(c => c.Description == description);

        OwnedState desired = DomainTuning.From(Place(row.Machine, null, [row.Vm], row.Vm.Name)).ToOwnedState();

        Assert.Equal(row.Value, desired[row.Field]);
    }

    [Fact]
    public void Hugepages_1G_is_a_page_of_1048576_KiB_for_every_cell()
    {
        // No named machine has a 1G pool; the page size depends on the declaration alone.
        VmPlacement placed = Place("two-nodes-per-socket-hugepages", null, [Vm(2048) with { HugePages = HugePageBacking.TwoMiB }], "vm");

        DomainTuning tuning = DomainTuning.From(placed with { Spec = placed.Spec with { HugePages = HugePageBacking.OneGiB } });

        HugePage page = Assert.Single(tuning.HugePages!);
        Assert.Equal(new HugePage(1024 * 1024, null), page);
    }

    [Fact]
    public void A_split_vm_without_declared_memory_manages_its_cells_but_not_their_sizes()
    {
        DomainTuning tuning = DomainTuning.From(Place("dual-socket-smt", null, [PlannerTests.Auto("big", 20)], "big"));
        OwnedState desired = tuning.ToOwnedState();

        Assert.Equal("2", desired["numa cells"]);
        Assert.Equal("10-19", desired["numa cell 1 cpus"]);
        Assert.Null(desired["numa cell 1 memory"]);
        Assert.Equal("strict 1", desired["numatune memnode 1"]);
    }

    [Fact]
    public void Fields_sort_with_numbers_in_numeric_order()
    {
        DomainTuning tuning = DomainTuning.From(Place("dual-socket-smt", null, [PlannerTests.Auto("big", 12, 4096)], "big"));

        List<string> pins = tuning.ToOwnedState().Fields.Select(f => f.Field).Where(f => f.StartsWith("vcpupin ", StringComparison.Ordinal)).ToList();

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"vcpupin {i}"), pins);
    }
}
