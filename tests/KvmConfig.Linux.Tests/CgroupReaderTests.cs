using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// The cgroup reader on trees of its own, one per layout: libvirt without systemd on cgroup v1 (this machine), and
/// systemd's machine scope on v2. The domain's group is the parent of the QEMU process's <c>emulator</c> group; a
/// malformed file is refused with its path; a missing group (the domain stopped) is no value.
/// </summary>
public sealed class CgroupReaderTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("kvmconfig-cgroup-");

    [Fact]
    public void On_v1_the_domain_group_is_read_under_each_controllers_hierarchy()
    {
        const string group = "machine/qemu-1-web1.libvirt-qemu";
        Write($"cpu,cpuacct/{group}/cpu.stat", "nr_periods 40\nnr_throttled 31\nthrottled_time 1554000000\n");
        Write($"blkio/{group}/blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 512\nTotal 4608\n");
        Write($"blkio/{group}/blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 1\nTotal 2\n");
        ProcessCgroup process = ProcessCgroup.Parse($"7:blkio:/{group}\n1:cpu,cpuacct:/{group}/emulator\n0::/{group}/emulator\n");
        var reader = new CgroupReader(_root.FullName);

        Assert.Equal(new CgroupCpuStat(40, 31, 1_554_000_000, null), reader.ReadCpuStat(process));
        Assert.Equal([new CgroupIoDevice(8, 0, 4096, 512, 1, 1)], reader.ReadIo(process));
    }

    [Fact]
    public void On_v2_the_unified_group_gives_cpu_stat_and_io_stat()
    {
        const string group = "machine.slice/machine-qemu\\x2d4\\x2dweb1.scope/libvirt";
        Write($"{group}/cpu.stat", "usage_usec 10\nuser_usec 5\nsystem_usec 5\nnr_periods 3\nnr_throttled 1\nthrottled_usec 7\n");
        Write($"{group}/io.stat", "259:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n");
        ProcessCgroup process = ProcessCgroup.Parse($"0::/{group}/emulator\n");
        var reader = new CgroupReader(_root.FullName);

        Assert.Equal(new CgroupCpuStat(3, 1, 7_000, 10_000), reader.ReadCpuStat(process));
        Assert.Equal([new CgroupIoDevice(259, 0, 1, 2, 3, 4)], reader.ReadIo(process));
    }

    [Fact]
    public void A_group_that_is_gone_or_has_no_cpu_controller_gives_no_value()
    {
        Write("machine.slice/vm.scope/libvirt/cpu.stat", "usage_usec 10\nuser_usec 5\nsystem_usec 5\n");
        var reader = new CgroupReader(_root.FullName);

        Assert.Null(reader.ReadCpuStat(ProcessCgroup.Parse("0::/machine.slice/vm.scope/libvirt/emulator\n")));
        Assert.Null(reader.ReadCpuStat(ProcessCgroup.Parse("0::/machine.slice/stopped.scope/libvirt/emulator\n")));
        Assert.Null(reader.ReadIo(ProcessCgroup.Parse("0::/machine.slice/stopped.scope/libvirt/emulator\n")));
    }

    [Fact]
    public void A_malformed_file_is_refused_with_its_path()
    {
        Write("machine.slice/vm.scope/libvirt/io.stat", "sda rbytes=1\n");
        var reader = new CgroupReader(_root.FullName);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => reader.ReadIo(ProcessCgroup.Parse("0::/machine.slice/vm.scope/libvirt/emulator\n")));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.StartsWith(Path.Combine(_root.FullName, "machine.slice/vm.scope/libvirt/io.stat") + ": line 1", e.Message, StringComparison.Ordinal);
        Assert.NotNull(e.Hint);
    }

    public void Dispose() => _root.Delete(recursive: true);

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
