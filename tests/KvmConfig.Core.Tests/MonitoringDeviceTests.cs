using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The per-device and cgroup figures: <c>/proc/net/dev</c>, <c>/proc/PID/cgroup</c> and <c>cpu.stat</c> of both cgroup
/// versions (valid and malformed), a guest block device's queue depth and latency, an interface's throughput, a
/// cgroup's throttled share, the host's block devices, and the disk queue alerts.
/// </summary>
public sealed class MonitoringDeviceTests
{
    private const long OneSecondNs = 1_000_000_000;

    // The layout of this machine's /proc/net/dev (Linux 6.1), with a tap device added.
    private const string NetDevText = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 222762388   57339    0    0    0     0          0         0 222762388   57339    0    0    0     0       0          0
         vnet3:    1523      12    0    2    0     0          0         0     9120      80    0    1    0     0       0          0
        eth0:18446744073709551615 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0
        """;

    [Fact]
    public void Net_dev_gives_each_device_by_name_as_the_host_sees_it()
    {
        IReadOnlyDictionary<string, InterfaceCounters> devices = NetDev.Parse(NetDevText);

        Assert.Equal(["lo", "vnet3", "eth0"], devices.Keys);
        Assert.Equal(new InterfaceCounters("vnet3", 1523, 12, 2, 9120, 80, 1), devices["vnet3"]);
        Assert.Equal(ulong.MaxValue, devices["eth0"].ReceivedBytes);
    }

    [Fact]
    public void A_tap_device_seen_from_the_guest_swaps_receive_and_transmit()
    {
        InterfaceCounters guest = NetDev.GuestView(NetDev.Parse(NetDevText)["vnet3"]);

        Assert.Equal(new InterfaceCounters("vnet3", 9120, 80, 1, 1523, 12, 2), guest);
    }

    public static TheoryData<string, string, string> MalformedNetDev => new()
    {
        { "a device line without a colon", "h1\nh2\n  vnet3 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3" },
        { "15 counters", "h1\nh2\n vnet3: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n", "expected a name and 16 counters, found 15" },
        { "a negative counter", "h1\nh2\n vnet3: -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3 (vnet3 receive bytes)" },
        { "no name", "h1\nh2\n : 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3" },
    };

    [Theory]
    [MemberData(nameof(MalformedNetDev))]
    public void Malformed_net_dev_is_refused_with_the_line(string description, string text, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => NetDev.Parse(text));

        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{description}: {e.Message}");
    }

    [Fact]
    public void A_v1_process_cgroup_names_the_cpu_hierarchy_and_the_domain_group_is_the_emulators_parent()
    {
        // Captured from a QEMU process of this machine (libvirt 9 without systemd, hybrid hierarchy).
        ProcessCgroup cgroup = ProcessCgroup.Parse("""
            9:name=systemd:/
            7:blkio:/machine/qemu-1-probe-cg.libvirt-qemu
            3:cpuset:/machine/qemu-1-probe-cg.libvirt-qemu/emulator
            2:cpuacct:/
            1:cpu:/machine/qemu-1-probe-cg.libvirt-qemu/emulator
            0::/machine/qemu-1-probe-cg.libvirt-qemu/emulator
            """);

        Assert.Equal("/machine/qemu-1-probe-cg.libvirt-qemu/emulator", cgroup.V1["cpu"]);
        Assert.Equal("/", cgroup.V1["cpuacct"]);
        Assert.Equal("/machine/qemu-1-probe-cg.libvirt-qemu", ProcessCgroup.DomainGroup(cgroup.V1["cpu"]));
    }

    [Fact]
    public void A_v2_process_cgroup_has_only_the_unified_path()
    {
        ProcessCgroup cgroup = ProcessCgroup.Parse("0::/machine.slice/machine-qemu\\x2d4\\x2dweb1.scope/libvirt/emulator\n");

        Assert.Empty(cgroup.V1);
        Assert.Equal("/machine.slice/machine-qemu\\x2d4\\x2dweb1.scope/libvirt", ProcessCgroup.DomainGroup(cgroup.Unified!));
    }

    [Theory]
    [InlineData("1:cpu\n")]
    [InlineData("1:cpu:machine/relative\n")]
    public void A_malformed_process_cgroup_line_is_refused(string text)
    {
        FormatException e = Assert.Throws<FormatException>(() => ProcessCgroup.Parse(text));

        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cpu_stat_of_cgroup_v2_gives_usage_and_throttled_time_in_ns()
    {
        CgroupCpuStat stat = CgroupCpuStat.Parse("""
            usage_usec 8243421
            user_usec 5512093
            system_usec 2731328
            nr_periods 1021
            nr_throttled 17
            throttled_usec 402117
            nr_bursts 0
            burst_usec 0
            """);

        Assert.Equal(new CgroupCpuStat(1021, 17, 402_117_000, 8_243_421_000), stat);
    }

    [Fact]
    public void Cpu_stat_of_cgroup_v1_has_throttled_time_in_ns_and_no_usage()
    {
        CgroupCpuStat stat = CgroupCpuStat.Parse("nr_periods 40\nnr_throttled 31\nthrottled_time 1554000000\nnr_bursts 0\nburst_time 0\n");

        Assert.Equal(new CgroupCpuStat(40, 31, 1_554_000_000, null), stat);
    }

    public static TheoryData<string, string, string> MalformedCpuStat => new()
    {
        { "v2 without the cpu controller: usage only", "usage_usec 5\nuser_usec 3\nsystem_usec 2\n", "missing nr_periods, nr_throttled, throttled time" },
        { "a line with three fields", "nr_periods 1 2\n", "line 1" },
        { "a negative value", "nr_periods -1\n", "line 1 (nr_periods)" },
    };

    [Theory]
    [MemberData(nameof(MalformedCpuStat))]
    public void Malformed_cpu_stat_is_refused(string description, string text, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => CgroupCpuStat.Parse(text));

        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{description}: {e.Message}");
    }

    [Fact]
    public void Io_stat_of_cgroup_v2_gives_bytes_and_operations_per_device()
    {
        IReadOnlyList<CgroupIoDevice> devices = CgroupIoDevice.ParseV2(
            "259:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");

        Assert.Equal([new CgroupIoDevice(259, 0, 1459200, 314773504, 192, 353), new CgroupIoDevice(8, 16, 4096, 0, 1, 0)], devices);
        Assert.Equal("259:0", devices[0].Device);
    }

    [Fact]
    public void Blkio_of_cgroup_v1_joins_the_bytes_and_the_operations_files_per_device()
    {
        const string bytes = "8:0 Read 4096\n8:0 Write 1052672\n8:0 Sync 1056768\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 1056768\nTotal 1056768\n";
        const string ops = "8:0 Read 1\n8:0 Write 257\n8:0 Sync 258\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 258\n253:1 Read 3\n253:1 Write 0\nTotal 261\n";

        Assert.Equal([new CgroupIoDevice(8, 0, 4096, 1052672, 1, 257), new CgroupIoDevice(253, 1, 0, 0, 3, 0)], CgroupIoDevice.ParseV1(bytes, ops));
        Assert.Empty(CgroupIoDevice.ParseV1("Total 0\n", "Total 0\n"));
    }

    public static TheoryData<string, Func<IReadOnlyList<CgroupIoDevice>>, string> MalformedIo => new()
    {
        { "v2 without a device number", () => CgroupIoDevice.ParseV2("sda rbytes=1 wbytes=1 rios=1 wios=1\n"), "expected a device MAJ:MIN, found 'sda'" },
        { "v2 without wios", () => CgroupIoDevice.ParseV2("8:0 rbytes=1 wbytes=1 rios=1\n"), "line 1: no wios=" },
        { "v2 pair without =", () => CgroupIoDevice.ParseV2("8:0 rbytes\n"), "is not key=value" },
        { "v1 with a short line", () => CgroupIoDevice.ParseV1("8:0 Read\n", ""), "io_service_bytes line 1" },
        { "v1 negative count", () => CgroupIoDevice.ParseV1("", "8:0 Read -4\n"), "io_serviced line 1 (Read)" },
    };

    [Theory]
    [MemberData(nameof(MalformedIo))]
    public void Malformed_cgroup_io_files_are_refused_with_the_line(string description, Func<IReadOnlyList<CgroupIoDevice>> parse, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => parse());

        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{description}: {e.Message}");
    }

    [Fact]
    public void Host_io_figures_are_per_second_and_restart_with_the_counters()
    {
        DomainSample before = Sample(0, []) with { HostIo = [new CgroupIoDevice(8, 0, 0, 1_000, 0, 10)] };
        DomainSample after = Sample(2 * OneSecondNs, []) with { HostIo = [new CgroupIoDevice(8, 0, 4_096, 9_000, 1, 30)] };
        DomainSample restarted = Sample(2 * OneSecondNs, []) with { HostIo = [new CgroupIoDevice(8, 0, 0, 0, 0, 0)] };

        Assert.Equal([new HostIoFigures("8:0", 2_048, 4_000, 0.5, 10)], DomainFigures.Between(before, after)!.HostIo);
        Assert.Empty(DomainFigures.Between(after with { AtNs = 0 }, restarted)!.HostIo);
    }

    [Fact]
    public void Live_xml_names_the_disks_and_the_host_side_interfaces_with_their_direction()
    {
        DomainDevices devices = DomainDevices.FromXml("""
            <domain type='kvm' id='3'><name>web1</name><devices>
              <disk type='file' device='disk'><source file='/var/lib/libvirt/images/web1.qcow2'/><target dev='vda' bus='virtio'/></disk>
              <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
              <interface type='bridge'><source bridge='br0'/><target dev='vnet3'/><model type='virtio'/></interface>
              <interface type='direct'><source dev='eth1' mode='bridge'/><target dev='macvtap0'/></interface>
              <interface type='user'><model type='virtio'/></interface>
            </devices></domain>
            """);

        Assert.Equal(["vda", "sda"], devices.Disks);
        Assert.Equal([new HostInterface("vnet3", SwapsWithGuest: true), new HostInterface("macvtap0", SwapsWithGuest: false)], devices.Interfaces);
        Assert.Empty(DomainDevices.FromXml("<domain><name>bare</name></domain>").Disks);
    }

    // ---- Guest block devices ------------------------------------------------------------------------------

    private static BlockDeviceCounters Block(ulong reads, ulong readNs, ulong writes, ulong writeNs, ulong flushNs = 0, ulong readBytes = 0, string device = "vda") =>
        new(device, reads, readBytes, readNs, writes, 0, writeNs, 0, flushNs);

    [Fact]
    public void Queue_depth_is_the_time_the_completed_requests_took_over_the_interval()
    {
        // 100 reads of 4 ms and 50 writes of 8 ms in one second: 0.8 s of request time, flushes 0.2 s more, i.e.
        // one request in flight on average; latency (400 + 400) ms / 150 requests.
        DiskFigures? disk = Metrics.Disk(Block(0, 0, 0, 0), Block(100, 400_000_000, 50, 400_000_000, flushNs: 200_000_000, readBytes: 409_600), OneSecondNs);

        Assert.NotNull(disk);
        Assert.Equal(1.0, disk.QueueDepth, 9);
        Assert.Equal(800.0 / 150, disk.LatencyMs!.Value, 9);
        Assert.Equal(409_600, disk.ReadBytesPerSecond, 9);
        Assert.Equal("vda", disk.Device);
    }

    [Fact]
    public void An_idle_disk_has_queue_zero_and_no_latency()
    {
        DiskFigures? disk = Metrics.Disk(Block(7, 100, 3, 100), Block(7, 100, 3, 100), OneSecondNs);

        Assert.NotNull(disk);
        Assert.Equal(0, disk.QueueDepth);
        Assert.Null(disk.LatencyMs);
    }

    [Fact]
    public void A_disk_whose_counters_went_backwards_has_no_figures()
    {
        Assert.Null(Metrics.Disk(Block(100, 5_000, 0, 0), Block(3, 10, 0, 0), OneSecondNs));
        Assert.Null(Metrics.Disk(Block(0, 0, 0, 0), Block(1, 1, 1, 1), 0));
    }

    private static DomainSample Sample(long atNs, IReadOnlyList<BlockDeviceCounters> disks, CgroupCpuStat? cpu = null, IReadOnlyList<InterfaceCounters>? interfaces = null) =>
        new("vm", 100, atNs, [], 1024, 2048) { Disks = disks, CgroupCpu = cpu, Interfaces = interfaces ?? [] };

    [Fact]
    public void Domain_figures_pair_devices_by_name_and_leave_out_new_and_restarted_ones()
    {
        DomainSample before = Sample(0, [Block(10, 1_000, 0, 0, device: "vda"), Block(50, 9_000, 0, 0, device: "vdb")]);
        DomainSample after = Sample(OneSecondNs, [Block(20, 2_000, 0, 0, device: "vda"), Block(1, 10, 0, 0, device: "vdb"), Block(1, 1, 0, 0, device: "vdc")]);

        DomainFigures figures = DomainFigures.Between(before, after)!;

        Assert.Equal(["vda"], figures.Disks.Select(d => d.Device));
        Assert.Equal(1_000.0 / 10 / 1e6, figures.Disks[0].LatencyMs!.Value, 12);
    }

    [Fact]
    public void Disks_read_apart_are_rated_over_their_own_interval_and_not_at_all_without_a_new_reading()
    {
        // Two sweeps 2 s apart; the disk readings they carry were taken 0.5 s apart (the reader lagged).
        DomainSample before = Sample(0, [Block(0, 0, 0, 0, readBytes: 0)]) with { DisksAtNs = -100_000_000 };
        DomainSample after = Sample(2 * OneSecondNs, [Block(10, 50_000_000, 0, 0, readBytes: 4_096)]) with { DisksAtNs = 400_000_000 };
        DomainSample stale = Sample(2 * OneSecondNs, before.Disks) with { DisksAtNs = before.DisksAtNs };

        DiskFigures disk = Assert.Single(DomainFigures.Between(before, after)!.Disks);

        Assert.Equal(4_096 / 0.5, disk.ReadBytesPerSecond, 9);
        Assert.Equal(0.05 / 0.5, disk.QueueDepth, 9);
        Assert.Empty(DomainFigures.Between(before, stale)!.Disks);
    }

    [Fact]
    public void Interface_throughput_is_per_second_of_the_interval()
    {
        DomainSample before = Sample(0, [], interfaces: [new InterfaceCounters("vnet0", 1_000, 1, 0, 500, 1, 0)]);
        DomainSample after = Sample(2 * OneSecondNs, [], interfaces: [new InterfaceCounters("vnet0", 5_000, 9, 0, 1_500, 2, 0)]);

        InterfaceFigures net = Assert.Single(DomainFigures.Between(before, after)!.Interfaces);

        Assert.Equal(new InterfaceFigures("vnet0", 2_000, 500), net);
    }

    [Fact]
    public void Throttled_percent_is_the_share_of_enforcement_periods_that_hit_the_quota()
    {
        DomainSample before = Sample(0, [], new CgroupCpuStat(100, 10, 0, null));
        DomainSample after = Sample(OneSecondNs, [], new CgroupCpuStat(200, 85, 5_000_000, null));

        Assert.Equal(75.0, DomainFigures.Between(before, after)!.ThrottledPercent!.Value, 9);
        Assert.Null(DomainFigures.Between(before, Sample(OneSecondNs, [], new CgroupCpuStat(100, 10, 0, null)))!.ThrottledPercent);
        Assert.Null(DomainFigures.Between(Sample(0, []), after)!.ThrottledPercent);
    }

    // ---- Host block devices and alerts ---------------------------------------------------------------------

    private static HostSample Host(long atNs, string diskstats) =>
        new(atNs, default, default, new Dictionary<PressureResource, PressureStall>()) { Disks = DiskStats.ParseAll(diskstats) };

    [Fact]
    public void Host_disks_give_in_flight_average_queue_and_latency()
    {
        // sda: 10 s of weighted queue time in 1 s is 10 in flight on average; 40 reads + 10 writes took 500 ms.
        HostSample before = Host(0, "   8       0 sda 100 0 800 1000 50 0 400 500 0 100 2000\n");
        HostSample after = Host(OneSecondNs, "   8       0 sda 140 0 800 1400 60 0 400 600 3 900 12000\n");

        HostDiskFigures disk = Assert.Single(HostFigures.Between(before, after)!.Disks);

        Assert.Equal(new HostDiskFigures("sda", 3, 10.0, 10.0), disk);
    }

    [Fact]
    public void Disk_queue_alerts_fire_above_the_threshold_for_guest_and_host_devices()
    {
        var thresholds = new AlertThresholds { DiskQueueDepthRequests = 200 };
        var domain = new DomainFigures("db1", OneSecondNs, [], 0, 0, 0, null)
        {
            Disks = [new DiskFigures("vda", 250, 12, 0, 0), new DiskFigures("vdb", 200, 1, 0, 0)],
        };
        var host = new HostFigures(null, null, new Dictionary<PressureResource, double>())
        {
            Disks = [new HostDiskFigures("sda", 0, 201, null), new HostDiskFigures("sdb", 300, 20, null), new HostDiskFigures("sdc", 5, 5, null)],
        };

        Alert guest = Assert.Single(AlertRules.Of(domain, thresholds));
        Alert[] hosts = [.. AlertRules.Of(host, thresholds)];

        Assert.Equal(("db1 disk vda", Alert.DiskQueue, 250.0, 200.0), (guest.Subject, guest.Metric, guest.Value, guest.Threshold));
        Assert.Equal("warning: db1 disk vda disk_queue 250 requests (above 200 requests)", guest.ToString());
        Assert.Equal(["host disk sda", "host disk sdb"], hosts.Select(a => a.Subject));
        Assert.Equal(300, hosts[1].Value);
    }
}
