using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt.Apply;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// Disk throttles on the real daemon: <c>apply</c> sets them on the running domain (not only for its next boot),
/// <c>status</c> sees a live limit that differs from the plan, and a rollback lifts them again.
/// </summary>
[Collection("apply")]
public sealed class LiveThrottleTests : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly string _directory = Directory.CreateTempSubdirectory("kvmconfig-throttle-").FullName;

    public LiveThrottleTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();

        // QEMU runs as libvirt-qemu: the image's directory must be open to others.
        File.SetUnixFileMode(_directory, (UnixFileMode)0b111_101_101);
    }

    // One vCPU on CPU 0, and the VM's disks limited to 1 MB/s read, 2 MB/s write and 300 IOPS.
    private static DomainTuning Throttled() => new()
    {
        Vcpus = 1,
        VcpuPins = [CpuSet.Of(0)],
        EmulatorCpus = CpuSet.Of(0),
        DiskThrottle = new DiskThrottle(1_000_000, 2_000_000, 300),
    };

    [Fact]
    public void Apply_throttles_a_running_disk_live_and_status_sees_a_limit_changed_by_hand()
    {
        // Given a running domain with one virtio disk and no limit
        string image = Path.Combine(_directory, "data.img");
        File.WriteAllBytes(image, new byte[1024 * 1024]);
        using TestDomain vm = TestDomain.Create(_connection, "throttle", vcpus: 1, start: true,
            devices: $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='vda' bus='virtio'/></disk>");
        using var port = new LibvirtApplyPort(_connection);
        DomainView view = port.Find(vm.Name)!;
        Assert.Equal(new DiskThrottle(null, null, null), view.Live!.Disks!["vda"]);

        // When kvmconfig applies the throttles
        DomainChange change = DomainChange.Plan(view, Throttled());
        Journal journal = Journal.Create(Path.Combine(_directory, "journal"), LibvirtDaemon.Uri, DateTimeOffset.UtcNow, [view]);
        ApplyOutcome outcome = Applier.Apply(port, [change], journal);

        // Then QEMU applies them now, as virsh reads them, in kvmconfig's group, and nothing waits for a reboot
        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        Assert.Empty(change.NextBoot);
        string live = LibvirtDaemon.Virsh("blkdeviotune", vm.Name, "vda", "--live").Stdout;
        Assert.Matches(@"read_bytes_sec\s*:\s*1000000\b", live);
        Assert.Matches(@"write_bytes_sec\s*:\s*2000000\b", live);
        Assert.Matches(@"total_iops_sec\s*:\s*300\b", live);
        Assert.Matches(@"group_name\s*:\s*kvmconfig\b", live);
        Assert.True(Status(port, vm.Name).InSync, string.Join("; ", Status(port, vm.Name).Drift));

        // When someone lifts the IOPS limit of the running domain by hand
        Assert.Equal(0, LibvirtDaemon.Virsh("blkdeviotune", vm.Name, "vda", "--live", "--total-iops-sec", "0").Exit);

        // Then status reports that live limit as drift, though the definition still says 300
        Drift drift = Assert.Single(Status(port, vm.Name).Drift);
        Assert.Equal(new Drift("live disk vda total_iops_sec", "300", "none"), drift);

        // And a rollback lifts every limit of the running domain again
        Assert.Empty(Applier.Restore(port, journal.Domains));
        Assert.Equal(new DiskThrottle(null, null, null), port.Find(vm.Name)!.Live!.Disks!["vda"]);
    }

    private static VmStatus Status(LibvirtApplyPort port, string name) =>
        StatusReport.Compare(name, Throttled(), new ObservedDomain(port.Find(name)!, "running"));

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
