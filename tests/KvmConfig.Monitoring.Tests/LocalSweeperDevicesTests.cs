using System.Diagnostics;
using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The sweep's device and cgroup figures on a real running domain: its block device's counters equal what
/// <c>virsh domblkstat</c> reads, its tap interface's equal the kernel's <c>/proc/net/dev</c> seen from the guest (the
/// libvirt path against the kernel path), traffic the host sends to the guest shows as received bytes, and the domain's
/// cgroup CPU counters are found on this machine's cgroup layout.
/// </summary>
public sealed class LocalSweeperDevicesTests : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly LibvirtMonitoredHost _host;
    private readonly string _directory;
    private readonly string _tap = "kvct" + Guid.NewGuid().ToString("N")[..8];
    private readonly ProcfsReader _procfs = new();
    private readonly LocalSweeper _sweeper;
    private TestDomain? _domain;

    public LocalSweeperDevicesTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
        _directory = Directory.CreateTempSubdirectory("kvmconfig-devices-").FullName;
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
        _host = LibvirtMonitoredHost.Open(LibvirtDaemon.Uri);
        _sweeper = new LocalSweeper(_host, new LocalSampler(new QemuProcesses(), _procfs, new CgroupReader()), _procfs);
    }

    private string Name => _domain!.Name;

    /// <summary>
    /// A blank 1 MiB raw disk (SeaBIOS reads its first sector, finds no boot signature and halts).
    /// </summary>
    private void StartWithDisk()
    {
        string image = Path.Combine(_directory, "blank.img");
        using (FileStream file = File.Create(image))
        {
            file.SetLength(1 << 20);
        }

        File.SetUnixFileMode(image, (UnixFileMode)0b110_100_100);
        _domain = TestDomain.Create(_connection, "disk", vcpus: 1, start: true, devices:
            $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='vda' bus='virtio'/></disk>");
    }

    /// <summary>
    /// A network card on an unmanaged path: a tap device libvirt creates under a name of ours, nothing else attached.
    /// With no disk, the card's boot ROM starts at once and sends DHCP requests.
    /// </summary>
    private void StartWithInterface() =>
        _domain = TestDomain.Create(_connection, "nic", vcpus: 1, start: true, devices:
            $"<interface type='ethernet'><target dev='{_tap}' managed='yes'/><model type='e1000'/></interface>");

    [Fact]
    public void The_block_device_counters_are_libvirts_and_equal_virsh_domblkstat()
    {
        // Given the domain has booted far enough to read its disk (SeaBIOS probes it at once)
        StartWithDisk();
        DomainSample sample = SweepUntil(s => s.Disks.Any(d => d.ReadRequests > 0));

        // When virsh reads the same device right after (the guest is halted: nothing moves)
        (int exit, string stdout, string stderr) = LibvirtDaemon.Virsh("domblkstat", Name, "vda");
        Assert.True(exit == 0, stderr);
        Dictionary<string, ulong> virsh = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 3)
            .ToDictionary(f => f[1], f => ulong.Parse(f[2], CultureInfo.InvariantCulture));

        // Then the sweep's counters are the same numbers
        BlockDeviceCounters vda = Assert.Single(sample.Disks);
        Assert.Equal("vda", vda.Device);
        Assert.Equal(virsh["rd_req"], vda.ReadRequests);
        Assert.Equal(virsh["rd_bytes"], vda.ReadBytes);
        Assert.Equal(virsh["rd_total_times"], vda.ReadTimeNs);
        Assert.Equal(virsh["wr_req"], vda.WriteRequests);
        Assert.True(vda.ReadBytes >= 512, $"SeaBIOS read {vda.ReadBytes} bytes");
    }

    [Fact]
    public void The_interface_counters_equal_the_kernels_tap_counters_seen_from_the_guest()
    {
        // Kernel before, libvirt (the sweep), kernel after: the host may send on a fresh tap (IPv6 neighbour
        // discovery), so libvirt's reading must fall between the two kernel readings, swapped to the guest's view.
        StartWithInterface();
        InterfaceCounters before = NetDev.GuestView(_procfs.ReadNetDev()[_tap]);
        InterfaceCounters swept = Assert.Single(Sweep().Interfaces);
        InterfaceCounters after = NetDev.GuestView(_procfs.ReadNetDev()[_tap]);

        Assert.Equal(_tap, swept.Device);
        Assert.InRange(swept.ReceivedBytes, before.ReceivedBytes, after.ReceivedBytes);
        Assert.InRange(swept.SentBytes, before.SentBytes, after.SentBytes);
        Assert.InRange(swept.ReceivedPackets, before.ReceivedPackets, after.ReceivedPackets);
    }

    [Fact]
    public void Traffic_the_guest_sends_shows_as_sent_throughput_equal_to_the_taps_receive_counter()
    {
        // Given the guest's network boot ROM, which sends DHCP requests
        StartWithInterface();
        // (the kernel is read before the first sweep and after the second, so its interval holds the sweeps')
        ulong hostReceivedBefore = _procfs.ReadNetDev()[_tap].ReceivedBytes;
        SweepSample first = _sweeper.Sweep();

        // When it has sent something
        SweepSample second = SweepUntilSent(first);
        ulong hostReceivedAfter = _procfs.ReadNetDev()[_tap].ReceivedBytes;

        // Then the interval's figures show it as sent by the guest, as much as the host's side of the tap received
        DomainFigures figures = SweepFigures.Between(first, second).Domains.Single(d => d.Domain == Name);
        InterfaceFigures net = Assert.Single(figures.Interfaces);
        double seconds = figures.IntervalNs / 1e9;
        Assert.True(net.SentBytesPerSecond > 0, $"sent {net.SentBytesPerSecond} B/s");
        ulong sentBefore = first.Domains.Single(d => d.Domain == Name).Interfaces.Single().SentBytes;
        ulong sentAfter = second.Domains.Single(d => d.Domain == Name).Interfaces.Single().SentBytes;
        Assert.True(sentAfter - sentBefore <= hostReceivedAfter - hostReceivedBefore + 0.5 && net.SentBytesPerSecond * seconds > 0,
            $"guest sent {sentBefore} -> {sentAfter}, host received {hostReceivedBefore} -> {hostReceivedAfter}");
    }

    [Fact]
    public void The_domain_cgroup_cpu_counters_are_found()
    {
        StartWithDisk();
        DomainSample sample = Sweep();

        // Without a quota the counters exist and stay at zero periods; the throttling truth test sets one.
        Assert.NotNull(sample.CgroupCpu);
        Assert.Equal(0UL, sample.CgroupCpu.Value.ThrottledPeriods);

        // The I/O counters are the cgroup's own file, read independently here (v1 on this machine, v2 elsewhere)
        string[] lines = File.ReadAllLines($"/proc/{sample.Pid}/cgroup");
        string? blkio = lines.Select(l => l.Split(':', 3)).Where(f => f[1] == "blkio").Select(f => f[2]).FirstOrDefault();
        string expected = blkio is not null
            ? $"/sys/fs/cgroup/blkio{ProcessCgroup.DomainGroup(blkio)}/blkio.throttle.io_serviced_recursive"
            : $"/sys/fs/cgroup{ProcessCgroup.DomainGroup(lines.Single(l => l.StartsWith("0::", StringComparison.Ordinal))[3..])}/io.stat";
        Assert.True(File.Exists(expected), $"{expected} does not exist");
        Assert.All(sample.HostIo, io => Assert.Contains(io.Device, File.ReadAllText(expected), StringComparison.Ordinal));
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        _host.Dispose();
        _domain?.Dispose();
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private SweepSample SweepUntilSent(SweepSample first)
    {
        ulong before = first.Domains.Single(d => d.Domain == Name).Interfaces.Single().SentBytes;
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            SweepSample sample = _sweeper.Sweep();
            if (sample.Domains.Single(d => d.Domain == Name).Interfaces.Single().SentBytes > before || deadline.Elapsed > TimeSpan.FromSeconds(90))
            {
                return sample;
            }

            Thread.Sleep(200);   // polling a boot ROM under TCG; the deadline bounds it
        }
    }

    private DomainSample Sweep() => _sweeper.Sweep().Domains.Single(d => d.Domain == Name);

    private DomainSample SweepUntil(Func<DomainSample, bool> ready)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            DomainSample sample = Sweep();
            if (ready(sample) || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                return sample;
            }

            Thread.Sleep(200);   // polling a guest that boots under TCG; the deadline bounds it
        }
    }
}
