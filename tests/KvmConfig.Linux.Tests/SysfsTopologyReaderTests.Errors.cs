using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// Environment failures: each is a <see cref="KvmConfigException"/> with a stable code, the path involved in the
/// message and in <see cref="KvmConfigException.Path"/>, and never a raw parser exception.
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

    [Theory]
    [InlineData("core_id", "the core of an online CPU")]
    [InlineData("physical_package_id", "the socket of an online CPU")]
    public void A_missing_mandatory_topology_file_is_KVC093_naming_the_full_path(string file, string description)
    {
        // Given CPU 5 online but its topology/FILE gone
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        string path = SystemPath(tree, "cpu", "cpu5", "topology", file);
        File.Delete(path);

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal("KVC093", e.Descriptor.Code);
        Assert.True(e.Message.Contains(path, StringComparison.Ordinal), $"{description}: {e.Message}");
        Assert.Contains("CPU 5 is online", e.Message);
        Assert.Equal(path, e.Path);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void An_offline_cpu_needs_no_topology()
    {
        // Given the EPYC with CPU 24 offline, and CPU 24's topology/ removed, as a real kernel does
        using TempTree tree = CopyMachine(SysfsMachines.Epyc.Name);
        Directory.Delete(SystemPath(tree, "cpu", "cpu24", "topology"), recursive: true);

        Assert.Equal("24-26,41,43,45", ReadCopy(tree).Offline.ToString());
    }

    [Fact]
    public void No_sibling_file_at_all_is_KVC093()
    {
        using TempTree tree = CopyMachine(SysfsMachines.Xeon4214.Name);
        string topology = SystemPath(tree, "cpu", "cpu3", "topology");
        File.Delete(Path.Combine(topology, "thread_siblings_list"));
        File.Delete(Path.Combine(topology, "thread_siblings"));

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(Path.Combine(topology, "thread_siblings_list"), e.Path);
    }

    [Theory]
    [InlineData("cpu/online", "0-3,x\n", "'x' is not a CPU number", "garbage in a CPU pool")]
    [InlineData("cpu/online", "0-99999\n", "larger than the largest CPU id", "a CPU id above NR_CPUS")]
    [InlineData("node/node0/cpulist", "zero\n", "'z' is not a CPU number", "garbage in a node's cpulist")]
    [InlineData("cpu/cpu2/cache/index3/shared_cpu_list", "0-19;\n", "expected ','", "garbage in a cache's CPU list")]
    [InlineData("cpu/cpu2/topology/core_id", "two\n", "\"two\" is not a number", "a word where a number belongs")]
    [InlineData("node/node0/distance", "10 far\n", "\"far\" in \"10 far\" is not a distance", "a word in the distance row")]
    [InlineData("node/node0/distance", "10 20\n", "2 distances for 1 online nodes", "more distances than online nodes")]
    [InlineData("node/node0/meminfo", "Node 0 MemTotal: lots kB\n", "does not end in a number", "a meminfo value that is not a number")]
    [InlineData("node/node0/hugepages/hugepages-2048kB/nr_hugepages", "many\n", "\"many\" is not a number", "a page count that is not a number")]
    [InlineData("cpu/cpufreq/policy0/cpuinfo_max_freq", "fast\n", "\"fast\" is not a number", "a frequency that is not a number")]
    public void Malformed_content_is_KVC093_with_the_path_and_the_parse_error(string file, string content, string error, string description)
    {
        using TempTree tree = file.Contains("cache", StringComparison.Ordinal) || file.Contains("cpufreq", StringComparison.Ordinal)
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

    [Fact]
    public void A_cpu_in_two_nodes_is_KVC093()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.XeonSnc.Name);
        File.WriteAllText(SystemPath(tree, "node", "node1", "cpulist"), "2-4,7-9,13-14,17-19,43-44,47-49,53-54,57-59\n");

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Contains("CPU 2 is listed by both node0 and node1", e.Message);
    }

    [Theory]
    [InlineData("0-20\n", "20", "cpu20", "one CPU past the last cpuN directory")]
    [InlineData("0-19,24-33\n", "24-33", "cpu24, cpu25, cpu26, cpu27, cpu28, cpu29, cpu30, cpu31 and 2 more", "ten CPUs, eight named")]
    public void An_online_cpu_without_a_cpu_directory_is_KVC093_naming_cpu_online(
        string online, string missing, string names, string description)
    {
        // Given cpu/online listing CPUs the tree has no cpuN/ for (the desktop has cpu0-cpu19)
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        string path = SystemPath(tree, "cpu", "online");
        File.WriteAllText(path, online);

        KvmConfigException e = ReadFails(tree.Path("sys"));

        // Then the error is about cpu/online and the missing directories, not about NUMA nodes or topology files
        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(path, e.Path);
        Assert.True(e.Message.StartsWith(path, StringComparison.Ordinal), $"{description}: {e.Message}");
        Assert.Contains($" {missing} as online", e.Message);
        Assert.Contains($"has no {names} director", e.Message);
        Assert.DoesNotContain("NUMA", e.Message);
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void An_online_cpu_outside_present_is_KVC093()
    {
        // Given every cpuN/ there, but cpu/present leaving out CPU 19 that cpu/online lists
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "present"), "0-18\n");

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(SystemPath(tree, "cpu", "online"), e.Path);
        Assert.Contains("lists CPU 19 as online, but", e.Message);
        Assert.Contains("holds only 0-18", e.Message);
    }

    [Fact]
    public void An_online_cpu_in_no_node_is_KVC093()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "node", "node0", "cpulist"), "0-4,6-19\n");

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Contains("online CPUs 5 belong to no NUMA node", e.Message);
    }
}
