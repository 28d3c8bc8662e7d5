using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// Environment failures: each is a <see cref="KvmConfigException"/> with a stable code, the path involved in the
/// message and in <see cref="KvmConfigException.Path"/>, and never a raw parser exception. What a real kernel may
/// leave out is not among them: that degrades, with a note (<c>SysfsTopologyReaderTests.Gaps.cs</c>).
/// </summary>
public sealed partial class SysfsTopologyReaderTests
{
    private static KvmConfigException ReadFails(string sysRoot) =>
        Assert.Throws<KvmConfigException>(() => new SysfsTopologyReader(sysRoot).Read());

    [Fact]
    public void A_directory_that_is_not_sysfs_is_KVC092_with_the_lscpu_hint()
    {
        // Given the folder of captures itself, which holds trees but is none
        string notSysfs = TestData.Path("sysfs");

        KvmConfigException e = ReadFails(notSysfs);

        Assert.Equal(Rules.NotSysfs, e.Descriptor);
        Assert.Equal("KVC092", e.Descriptor.Code);
        Assert.Contains(Path.Combine(notSysfs, "devices", "system", "cpu"), e.Message);
        Assert.Equal(notSysfs, e.Path);
        Assert.Contains("--sysroot expects a directory holding sys/devices/system/cpu, like lscpu --sysroot", e.Hint);
    }

    [Fact]
    public void Passing_the_sys_directory_itself_as_sysroot_says_to_pass_its_parent()
    {
        // Given "--sysroot tests/data/sysfs/1s-16cpu/sys" (one level too deep)
        string sys = TestData.SysfsRoot(SysfsMachines.Hybrid.Name);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => SysfsTopologyReader.ForSysroot(sys).Read());

        Assert.Equal(Rules.NotSysfs, e.Descriptor);
        Assert.Contains($"pass its parent {TestData.Path("sysfs", SysfsMachines.Hybrid.Name)}", e.Hint);
    }

    [Fact]
    public void A_cpu_directory_without_any_cpu_is_KVC092()
    {
        using var tree = new TempTree(Directory.CreateTempSubdirectory("kvmconfig-test-").FullName);
        Directory.CreateDirectory(tree.Path("devices", "system", "cpu"));

        KvmConfigException e = ReadFails(tree.Dir);

        Assert.Equal(Rules.NotSysfs, e.Descriptor);
        Assert.Contains("no CPU is online", e.Message);
    }

    [Fact]
    public void An_offline_cpu_needs_no_topology()
    {
        // Given the EPYC with CPU 24 offline, and CPU 24's topology/ removed, as a real kernel does
        using TempTree tree = CopyMachine(SysfsMachines.Epyc.Name);
        Directory.Delete(SystemPath(tree, "cpu", "cpu24", "topology"), recursive: true);

        Assert.Equal("24-26,41,43,45", ReadCopy(tree).Offline.ToString());
    }

    [Theory]
    [InlineData("cpu/online", "0-3,x\n", "'x' is not a CPU number", "garbage in a CPU pool")]
    [InlineData("cpu/online", "0-99999\n", "larger than the largest CPU id", "a CPU id above NR_CPUS")]
    [InlineData("node/node0/cpulist", "zero\n", "'z' is not a CPU number", "garbage in a node's cpulist")]
    [InlineData("cpu/cpu2/cache/index3/shared_cpu_list", "0-19;\n", "expected ','", "garbage in a cache's CPU list")]
    [InlineData("cpu/cpu2/topology/core_id", "two\n", "\"two\" is not a number", "a word where a number belongs")]
    [InlineData("node/node0/distance", "10 far\n", "\"far\" in \"10 far\" is not a distance", "a word in the distance row")]
    [InlineData("node/node0/meminfo", "Node 0 MemTotal: lots kB\n", "does not end in a number", "a meminfo value that is not a number")]
    [InlineData("node/node0/hugepages/hugepages-2048kB/nr_hugepages", "many\n", "\"many\" is not a number", "a page count that is not a number")]
    public void Malformed_content_is_KVC093_with_the_path_and_the_parse_error(string file, string content, string error, string description)
    {
        using TempTree tree = file.Contains("cache", StringComparison.Ordinal)
            ? CopyMachine(SysfsMachines.Desktop.Name)
            : CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        string path = SystemPath(tree, file.Split('/'));
        File.WriteAllText(path, content);

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(path, e.Path);
        Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal), $"{description}: {e.Message}");
        Assert.Contains(error, e.Message);
    }
}
