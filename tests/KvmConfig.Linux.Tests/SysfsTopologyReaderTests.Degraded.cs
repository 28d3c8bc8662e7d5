using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// Real machines differ in what they expose. Each test copies a capture to a temporary directory, takes away
/// (or turns into a real link) what another kernel or capture tool would lack, and expects the same answer or a
/// graceful "unknown". The captures themselves are never touched.
/// </summary>
public sealed partial class SysfsTopologyReaderTests
{
    private static TempTree CopyMachine(string machine) => TestData.CopyToTemp(TestData.Path("sysfs", machine));

    /// <summary>A copy without caches and cpufreq, for tests about CPUs and nodes on the larger trees.</summary>
    private static TempTree CopyMachineTopologyOnly(string machine) =>
        TestData.CopyToTemp(
            TestData.Path("sysfs", machine),
            skip: dir => Path.GetFileName(dir) is "cache" || dir.EndsWith(Path.Combine("cpu", "cpufreq"), StringComparison.Ordinal));

    private static string SystemPath(TempTree tree, params string[] parts) =>
        tree.Path(["sys", "devices", "system", .. parts]);

    private static HostTopology ReadCopy(TempTree tree) => new SysfsTopologyReader(tree.Path("sys")).Read();

    private static void DeleteInNodes(TempTree tree, Func<string, bool> entry)
    {
        foreach (string node in Directory.EnumerateDirectories(SystemPath(tree, "node"), "node*"))
        {
            foreach (string path in Directory.EnumerateFileSystemEntries(node).Where(p => entry(Path.GetFileName(p))))
            {
                File.Delete(path);
            }
        }
    }

    private static bool IsCpuEntry(string name) => name.StartsWith("cpu", StringComparison.Ordinal) && name[3..].All(char.IsAsciiDigit);

    [Theory]
    [InlineData("cpumap", "no cpulist (kernels before 2.6.30): the hex cpumap")]
    [InlineData("node/nodeN/cpuX", "no cpulist, no cpumap: the nodeN/cpuX entries")]
    [InlineData("cpu/cpuX/nodeN", "nothing in the node directories: each CPU's cpuX/nodeN entry")]
    public void Node_membership_falls_back_in_order(string source, string description)
    {
        // Given the interleaved SNC machine stripped down to one source of node membership
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.XeonSnc.Name);
        DeleteInNodes(tree, name => name == "cpulist");
        if (source != "cpumap")
        {
            DeleteInNodes(tree, name => name == "cpumap");
        }

        if (source == "cpu/cpuX/nodeN")
        {
            DeleteInNodes(tree, IsCpuEntry);
        }

        // When it is read, Then the nodes hold the same CPUs as with cpulist
        HostTopology t = ReadCopy(tree);
        Assert.True(SysfsMachines.XeonSnc.NodeCpus.SequenceEqual(t.Nodes.Select(n => n.Cpus.ToString())), description);
    }

    [Fact]
    public void Real_symlinks_count_like_the_flattened_files_of_captures()
    {
        // Given a live-/sys layout: node/nodeN/cpuX and cpu/cpuX/cpufreq are symbolic links to directories, and
        // the node has no cpulist/cpumap, and cpu/cpufreq/ is where the links point
        using TempTree tree = CopyMachine(SysfsMachines.Hybrid.Name);
        DeleteInNodes(tree, name => name is "cpulist" or "cpumap");
        for (int cpu = 0; cpu < 16; cpu++)
        {
            string nodeEntry = SystemPath(tree, "node", "node0", $"cpu{cpu}");
            File.Delete(nodeEntry);
            File.CreateSymbolicLink(nodeEntry, $"../../cpu/cpu{cpu}");
            string cpufreq = SystemPath(tree, "cpu", $"cpu{cpu}", "cpufreq");
            File.Delete(cpufreq);
            Directory.CreateSymbolicLink(cpufreq, $"../cpufreq/policy{cpu}");
        }

        HostTopology t = ReadCopy(tree);

        Assert.Equal("0-15", t.Node(0)!.Cpus.ToString());
        Assert.Equal(4800000, t.CpuFreq.MaxKHz);
    }

    [Fact]
    public void Cpufreq_from_per_cpu_directories_when_there_are_no_policies()
    {
        // Given an old-kernel layout: no cpu/cpufreq/policyN, a real cpufreq/ directory in each cpuN
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        for (int cpu = 0; cpu < 20; cpu++)
        {
            string perCpu = SystemPath(tree, "cpu", $"cpu{cpu}", "cpufreq");
            File.Delete(perCpu);
            Directory.Move(SystemPath(tree, "cpu", "cpufreq", $"policy{cpu}"), perCpu);
        }

        Directory.Delete(SystemPath(tree, "cpu", "cpufreq"), recursive: true);

        CpuFreqInfo f = ReadCopy(tree).CpuFreq;

        Assert.Equal(["performance", "powersave"], f.Governors);
        Assert.Equal(["powersave"], f.CurrentGovernors);
        Assert.Equal((1200000L, 4500000L), (f.MinKHz, f.MaxKHz));
    }

    [Theory]
    [InlineData("0-4,6-19\n", "CPU 5 offline: its one-CPU intel_pstate policy is inactive and is not read")]
    [InlineData("0-19\n", "CPU 5 online, but the kernel refuses a file of its policy: that policy is unknown")]
    public void An_unreadable_cpufreq_policy_is_skipped_not_fatal(string online, string description)
    {
        // Given the desktop (intel_pstate, policyN covers CPU N only) where reading policy5's governors fails with
        // an I/O error (a directory in place of the file, as -EBUSY is for an offline CPU's policy)
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "online"), online);
        string governors = SystemPath(tree, "cpu", "cpufreq", "policy5", "scaling_available_governors");
        File.Delete(governors);
        Directory.CreateDirectory(governors);
        Assert.ThrowsAny<Exception>(() => File.ReadAllText(governors));

        // When it is read, Then cpufreq comes from the other policies
        CpuFreqInfo f = ReadCopy(tree).CpuFreq;

        Assert.True(f.Governors.SequenceEqual(["performance", "powersave"]), $"{description}: {string.Join(' ', f.Governors)}");
        Assert.Equal(["powersave"], f.CurrentGovernors);
        Assert.Equal((1200000L, 4500000L), (f.MinKHz, f.MaxKHz));
    }

    [Fact]
    public void Policies_of_offline_cpus_do_not_count()
    {
        // Given the desktop with its four 4.5 GHz CPUs offline, and their policies' governors changed: an offline
        // CPU's policy says nothing about the CPUs a VM can run on
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        string policies = SystemPath(tree, "cpu", "cpufreq");
        int[] fastest = Directory.EnumerateDirectories(policies, "policy*")
            .Where(p => File.ReadAllText(Path.Combine(p, "cpuinfo_max_freq")).Trim() == "4500000")
            .Select(p => int.Parse(Path.GetFileName(p)["policy".Length..], CultureInfo.InvariantCulture))
            .ToArray();
        Assert.Equal(4, fastest.Length);
        foreach (int cpu in fastest)
        {
            File.WriteAllText(Path.Combine(policies, $"policy{cpu}", "scaling_available_governors"), "performance\n");
            File.WriteAllText(Path.Combine(policies, $"policy{cpu}", "scaling_governor"), "performance\n");
        }

        File.WriteAllText(SystemPath(tree, "cpu", "online"), CpuSet.Range(0, 19).Except(CpuSet.Of(fastest)) + "\n");

        CpuFreqInfo f = ReadCopy(tree).CpuFreq;

        Assert.Equal(["performance", "powersave"], f.Governors);
        Assert.Equal(["powersave"], f.CurrentGovernors);
        Assert.Equal((1200000L, 4300000L), (f.MinKHz, f.MaxKHz));
    }

    [Fact]
    public void Flattened_cpufreq_links_without_policies_mean_no_cpufreq()
    {
        // Given cpu/cpufreq/ removed: what is left in cpuN/cpufreq are files holding a link target, not directories
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        Directory.Delete(SystemPath(tree, "cpu", "cpufreq"), recursive: true);

        Assert.Same(CpuFreqInfo.None, ReadCopy(tree).CpuFreq);
    }

    [Fact]
    public void Without_possible_present_online_files_the_cpu_directories_and_per_cpu_online_decide()
    {
        // Given the pool files gone and CPU 3 taken offline through its own cpu3/online
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Hybrid.Name);
        foreach (string pool in new[] { "possible", "present", "online", "offline" })
        {
            File.Delete(SystemPath(tree, "cpu", pool));
        }

        File.WriteAllText(SystemPath(tree, "cpu", "cpu3", "online"), "0\n");

        HostTopology t = ReadCopy(tree);

        Assert.Equal("0-15", t.Possible.ToString());
        Assert.Equal("0-15", t.Present.ToString());
        Assert.Equal("0-2,4-15", t.Online.ToString());
        Assert.Equal("3", t.Offline.ToString());
        Assert.Equal("0-2,4-15", t.Node(0)!.Cpus.ToString());
        Assert.Equal("2", t.Cores.Single(c => c.Count == 1 && c.First < 8).ToString());
    }

    [Fact]
    public void Without_node_dir_memory_and_default_hugepages_come_from_the_proc_roots_meminfo()
    {
        // Given a capture without node/ and a proc/meminfo next to its sys/ (lines of a real meminfo), passed as
        // the proc root
        using TempTree tree = CopyMachineWithProcMeminfo();

        NumaNode node = Assert.Single(new SysfsTopologyReader(tree.Path("sys"), tree.Path("proc")).Read().Nodes);

        Assert.Equal("0-19", node.Cpus.ToString());
        Assert.Equal(24731708, node.MemTotalKiB);
        Assert.Equal(23709968, node.MemFreeKiB);
        Assert.Equal(new HugePagePool(2048, 16, 12), Assert.Single(node.HugePages));
        Assert.Empty(node.Distances);
    }

    [Fact]
    public void Without_a_proc_root_a_proc_dir_beside_sys_is_not_read()
    {
        // Given the same tree, read with the sys root only: the reader does not go looking for SYS/../proc
        using TempTree tree = CopyMachineWithProcMeminfo();

        NumaNode node = Assert.Single(ReadCopy(tree).Nodes);

        Assert.Equal("0-19", node.Cpus.ToString());
        Assert.Null(node.MemTotalKiB);
        Assert.Null(node.MemFreeKiB);
        Assert.Empty(node.HugePages);
    }

    [Fact]
    public void ForSysroot_reads_memory_from_the_sysroots_proc()
    {
        using TempTree tree = CopyMachineWithProcMeminfo();

        NumaNode node = Assert.Single(SysfsTopologyReader.ForSysroot(tree.Dir).Read().Nodes);

        Assert.Equal(24731708, node.MemTotalKiB);
    }

    [Fact]
    public void ForSysroot_takes_proc_only_when_the_sysroot_has_it()
    {
        // Given a capture holding only sys/ (as every tree in tests/data does)
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        Assert.Equal((tree.Path("sys"), (string?)null), Roots(SysfsTopologyReader.ForSysroot(tree.Dir)));

        // When a proc/ directory is added beside it, Then it is the proc root
        Directory.CreateDirectory(tree.Path("proc"));
        Assert.Equal((tree.Path("sys"), (string?)tree.Path("proc")), Roots(SysfsTopologyReader.ForSysroot(tree.Dir)));
    }

    /// <summary>The desktop without node/, with a proc/meminfo beside its sys/.</summary>
    private static TempTree CopyMachineWithProcMeminfo()
    {
        TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        Directory.Delete(SystemPath(tree, "node"), recursive: true);
        Directory.CreateDirectory(tree.Path("proc"));
        File.WriteAllText(tree.Path("proc", "meminfo"), """
            MemTotal:       24731708 kB
            MemFree:        23709968 kB
            MemAvailable:   24335208 kB
            Active(anon):      63404 kB
            AnonHugePages:         0 kB
            HugePages_Total:      16
            HugePages_Free:       12
            HugePages_Rsvd:        0
            HugePages_Surp:        0
            Hugepagesize:       2048 kB
            Hugetlb:           32768 kB

            """);
        return tree;
    }

    [Fact]
    public void Node_without_meminfo_hugepages_or_distance_reads_as_unknown()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.Delete(SystemPath(tree, "node", "node0", "meminfo"));
        File.Delete(SystemPath(tree, "node", "node0", "distance"));
        Directory.Delete(SystemPath(tree, "node", "node0", "hugepages"), recursive: true);

        NumaNode node = Assert.Single(ReadCopy(tree).Nodes);

        Assert.Equal("0-19", node.Cpus.ToString());
        Assert.Null(node.MemTotalKiB);
        Assert.Null(node.MemFreeKiB);
        Assert.Empty(node.HugePages);
        Assert.Empty(node.Distances);
    }

    [Fact]
    public void Without_cache_dirs_l2_and_l3_are_unknown_and_so_are_l3_groups()
    {
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        for (int cpu = 0; cpu < 20; cpu++)
        {
            Directory.Delete(SystemPath(tree, "cpu", $"cpu{cpu}", "cache"), recursive: true);
        }

        HostTopology t = ReadCopy(tree);

        Assert.All(t.Cpus, c => Assert.Null(c.L3));
        Assert.All(t.Cpus, c => Assert.Null(c.L2));
        Assert.Empty(t.L3Groups);
    }

    [Fact]
    public void Siblings_from_the_hex_mask_then_core_cpus_when_lists_are_missing()
    {
        // Given CPU 7's thread_siblings_list gone (hex thread_siblings left), and CPU 8's whole thread_siblings* gone
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.XeonSnc.Name);
        File.Delete(SystemPath(tree, "cpu", "cpu7", "topology", "thread_siblings_list"));
        File.Delete(SystemPath(tree, "cpu", "cpu8", "topology", "thread_siblings_list"));
        File.Delete(SystemPath(tree, "cpu", "cpu8", "topology", "thread_siblings"));

        HostTopology t = ReadCopy(tree);

        Assert.Equal("7,47", t.Cpu(7)!.ThreadSiblings.ToString());
        Assert.Equal("8,48", t.Cpu(8)!.ThreadSiblings.ToString());
    }

    [Theory]
    [InlineData("2-3,6-7\n", "2-3,6-7", "nohz_full=2-3,6-7 on the kernel command line")]
    [InlineData("\n", "", "an empty file is the empty set")]
    [InlineData("                    (null)\n", "", "the kernel's (null) for no tickless CPU")]
    public void Nohz_full_forms(string content, string expected, string description)
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "nohz_full"), content);

        Assert.True(expected == ReadCopy(tree).NohzFull.ToString(), description);
    }
}
