using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// Trees with a file missing that the kernel may leave out, or that disagree with each other: the reader never stops
/// on them. It keeps the best partition the rest of the tree gives and says what it assumed in a note.
/// </summary>
public sealed partial class SysfsTopologyReaderTests
{
    private static TopologyNote NoteContaining(HostTopology t, string text) =>
        Assert.Single(t.Notes, n => n.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public void A_missing_core_id_takes_the_core_id_of_its_siblings()
    {
        // Given CPU 5 of the desktop without topology/core_id; CPU 15 is its SMT sibling
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.Delete(SystemPath(tree, "cpu", "cpu5", "topology", "core_id"));

        HostTopology t = ReadCopy(tree);

        Assert.Equal(t.Cpu(15)!.CoreId, t.Cpu(5)!.CoreId);
        Assert.Equal("5,15", t.CoreOf(5).ToString());
        Assert.Equal(SysfsMachines.Desktop.Cores, t.Cores.Count);
    }

    [Theory]
    [InlineData(null, "a missing file")]
    [InlineData("-1\n", "the kernel's -1")]
    [InlineData("4294967295\n", "-1 printed unsigned")]
    public void A_cpu_without_a_package_id_joins_its_socket_by_core_siblings(string? content, string description)
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Xeon4214.Name);
        string path = SystemPath(tree, "cpu", "cpu30", "topology", "physical_package_id");
        if (content is null)
        {
            File.Delete(path);
        }
        else
        {
            File.WriteAllText(path, content);
        }

        HostTopology t = ReadCopy(tree);

        // Then CPU 30 is in the socket of CPU 6, its package sibling, and there are still two sockets
        Assert.True(t.Packages.Count == 2, description);
        Assert.Equal(t.Cpu(6)!.PackageId, t.Cpu(30)!.PackageId);
        Assert.NotEqual(t.Cpu(0)!.PackageId, t.Cpu(12)!.PackageId);
        Assert.Equal(Severity.Info, NoteContaining(t, "physical_package_id is -1 or missing for CPU 30").Severity);
    }

    [Fact]
    public void Cpus_whose_sibling_files_all_vanished_are_cores_of_their_own()
    {
        // Given CPUs 3 and 27 (one core) without any thread-sibling file
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Xeon4214.Name);
        foreach (int cpu in (int[])[3, 27])
        {
            string topology = SystemPath(tree, "cpu", $"cpu{cpu}", "topology");
            File.Delete(Path.Combine(topology, "thread_siblings_list"));
            File.Delete(Path.Combine(topology, "thread_siblings"));
        }

        HostTopology t = ReadCopy(tree);

        Assert.Equal("3", t.CoreOf(3).ToString());
        Assert.Equal("27", t.CoreOf(27).ToString());
        Assert.Equal(SysfsMachines.Xeon4214.Cores + 1, t.Cores.Count);
        Assert.Equal(Severity.Warning, NoteContaining(t, "no thread_siblings or core_cpus for CPUs 3,27").Severity);
    }

    [Fact]
    public void One_cpu_without_sibling_files_still_joins_the_core_its_sibling_lists()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Xeon4214.Name);
        string topology = SystemPath(tree, "cpu", "cpu3", "topology");
        File.Delete(Path.Combine(topology, "thread_siblings_list"));
        File.Delete(Path.Combine(topology, "thread_siblings"));

        HostTopology t = ReadCopy(tree);

        Assert.Equal("3,27", t.CoreOf(3).ToString());
        NoteContaining(t, "no thread_siblings or core_cpus for CPU 3:");
    }

    [Theory]
    [InlineData("0-20\n", "20", "one CPU past the last cpuN directory")]
    [InlineData("0-19,24-33\n", "20,24-33", "ten CPUs and a hole")]
    public void An_online_cpu_without_a_cpu_directory_is_a_core_and_socket_of_its_own(string online, string missing, string description)
    {
        // Given cpu/online listing CPUs the tree has no cpuN/ for (the desktop has cpu0-cpu19) and present agreeing
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "online"), online);
        File.WriteAllText(SystemPath(tree, "cpu", "present"), online);

        HostTopology t = ReadCopy(tree);

        CpuSet without = CpuSet.Parse(missing) & t.Online;
        Assert.True(without.All(cpu => t.CoreOf(cpu).Count == 1), description);
        Assert.Equal(without.Count, without.Select(cpu => t.Cpu(cpu)!.PackageId).Distinct().Count());
        Assert.DoesNotContain(t.Cpu(0)!.PackageId, without.Select(cpu => t.Cpu(cpu)!.PackageId));
        Assert.Equal(Severity.Warning, NoteContaining(t, $"has no cpuN directory for online").Severity);
        NoteContaining(t, "no nodeN/cpulist, cpumap or cpuX entry");
    }

    [Fact]
    public void An_online_cpu_outside_present_counts_as_present()
    {
        // Given every cpuN/ there, but cpu/present leaving out CPU 19 that cpu/online lists
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "present"), "0-18\n");

        HostTopology t = ReadCopy(tree);

        Assert.Equal("0-19", t.Present.ToString());
        Assert.Equal("0-19", t.Online.ToString());
        Assert.Contains("holds only 0-18", NoteContaining(t, "lists CPUs 19 as online").Message);
    }

    [Fact]
    public void A_cpu_in_two_nodes_stays_in_the_first()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.XeonSnc.Name);
        File.WriteAllText(SystemPath(tree, "node", "node1", "cpulist"), "2-4,7-9,13-14,17-19,43-44,47-49,53-54,57-59\n");

        HostTopology t = ReadCopy(tree);

        Assert.Equal(0, t.Cpu(2)!.Node);
        Assert.False(t.Node(1)!.Cpus.Contains(2));
        Assert.Equal(t.Online.Count, t.Nodes.Sum(n => n.Cpus.Count));
        NoteContaining(t, "lists CPU 2, which node0 lists too");
    }

    [Fact]
    public void An_online_cpu_in_no_node_goes_to_the_first_node()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "node", "node0", "cpulist"), "0-4,6-19\n");

        HostTopology t = ReadCopy(tree);

        Assert.Equal(0, t.Cpu(5)!.Node);
        Assert.Equal("0-19", t.Node(0)!.Cpus.ToString());
        NoteContaining(t, "lists online CPU 5: counted in node0");
    }

    [Fact]
    public void A_distance_row_that_fits_no_node_list_is_unknown()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "node", "node0", "distance"), "10 20\n");

        HostTopology t = ReadCopy(tree);

        Assert.Empty(t.Node(0)!.Distances);
        NoteContaining(t, "holds 2 distances for 1 nodes");
    }

    [Fact]
    public void A_distance_row_follows_the_node_directories_when_node_online_is_blank()
    {
        // Given the 2-socket machine's node/online emptied: its rows still have one column per node directory
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.XeonSnc.Name);
        File.WriteAllText(SystemPath(tree, "node", "online"), "\n");

        HostTopology t = ReadCopy(tree);

        Assert.Equal(SysfsMachines.XeonSnc.Node0Distances, t.Node(0)!.Distances.OrderBy(kv => kv.Key).Select(kv => kv.Value));
        Assert.Empty(t.Notes);
    }

    [Theory]
    [InlineData("cpuinfo_max_freq", "fast\n", "\"fast\" is not a number", "a frequency that is not a number")]
    [InlineData("related_cpus", "0 one\n", "\"one\" in \"0 one\" is not a CPU number", "a word in the CPU numbers")]
    public void A_malformed_cpufreq_policy_costs_that_policy_with_a_note(string file, string content, string error, string description)
    {
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        string path = SystemPath(tree, "cpu", "cpufreq", "policy0", file);
        File.WriteAllText(path, content);

        HostTopology t = ReadCopy(tree);

        // Then the other nineteen policies still give the governors, and the note names the file and the error
        Assert.Equal(SysfsMachines.Desktop.Governors, t.CpuFreq.Governors);
        TopologyNote note = NoteContaining(t, path);
        Assert.True(note.Message.Contains(error, StringComparison.Ordinal), $"{description}: {note.Message}");
        Assert.Equal(Severity.Warning, note.Severity);
    }

    [Fact]
    public void Cpufreq_with_no_readable_policy_is_unknown_not_none()
    {
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        foreach (string policy in Directory.EnumerateDirectories(SystemPath(tree, "cpu", "cpufreq"), "policy*"))
        {
            File.WriteAllText(Path.Combine(policy, "related_cpus"), "all\n");
        }

        HostTopology t = ReadCopy(tree);

        Assert.True(t.CpuFreq.Unknown);
        Assert.Equal(CpuFreqInfo.Unreadable, t.CpuFreq);
        Assert.Contains("the scaling governor is unknown", NoteContaining(t, "no policy could be read").Message);
        Assert.Equal(SysfsMachines.Desktop.Cores, t.Cores.Count);
    }

    [Theory]
    [InlineData("cpu/online", "the online pool: the per-CPU files decide")]
    [InlineData("cpu/possible", "the possible pool: the cpuN directories")]
    [InlineData("cpu/cpu5/topology/core_id", "a core id")]
    [InlineData("cpu/cpu5/topology/physical_package_id", "a package id")]
    [InlineData("cpu/cpu5/topology/thread_siblings_list", "a sibling list, with the hex mask beside it")]
    [InlineData("node/node0/cpulist", "a node's cpulist")]
    public void An_empty_file_from_a_failed_copy_says_nothing(string file, string description)
    {
        // Given a tree copied with cp, which leaves a file empty when the kernel refused the read
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, file.Split('/')), "");

        HostTopology t = ReadCopy(tree);

        // (An empty node cpulist is what a memory-only node has, so it is believed; its CPUs, in no other node, then
        // go to the first node with a warning, which here is the same node.)
        Assert.True(t.Online.ToString() == "0-19", description);
        Assert.Equal("0-19", t.Node(0)!.Cpus.ToString());
        Assert.Equal("5,15", t.CoreOf(5).ToString());
        Assert.Single(t.Packages);
    }

    [Fact]
    public void An_empty_cpufreq_value_is_unknown_without_a_note()
    {
        using TempTree tree = CopyMachine(SysfsMachines.Desktop.Name);
        File.WriteAllText(SystemPath(tree, "cpu", "cpufreq", "policy0", "cpuinfo_max_freq"), "");

        HostTopology t = ReadCopy(tree);

        Assert.Empty(t.Notes);
        Assert.Equal(SysfsMachines.Desktop.MaxKHz, t.CpuFreq.MaxKHz);
    }

    [Fact]
    public void An_empty_node_cpulist_beside_a_cpumap_naming_cpus_takes_the_cpumap()
    {
        // Given node1's cpulist emptied by a failed copy while its cpumap still says f0 (CPUs 4-7)
        using TempTree tree = TestData.CopyToTemp(TestData.Path("sysfs", "old-kernel-percpu-cpufreq"));
        File.WriteAllText(SystemPath(tree, "node", "node1", "cpulist"), "");

        HostTopology t = ReadCopy(tree);

        Assert.Equal("4-7", t.Node(1)!.Cpus.ToString());
        Assert.Empty(t.Notes);
    }

    [Fact]
    public void An_empty_governor_list_of_one_policy_does_not_empty_the_hosts()
    {
        using TempTree tree = TestData.CopyToTemp(TestData.Path("sysfs", "arm64-clusters-no-smt"));
        File.WriteAllText(SystemPath(tree, "cpu", "cpufreq", "policy4", "scaling_available_governors"), "");

        HostTopology t = ReadCopy(tree);

        Assert.Equal(["performance", "schedutil"], t.CpuFreq.Governors);
    }

    [Fact]
    public void An_empty_related_cpus_falls_back_to_affected_cpus()
    {
        // Given the big cluster's policy with related_cpus emptied: affected_cpus "4 5 6 7" still says it is active
        using TempTree tree = TestData.CopyToTemp(TestData.Path("sysfs", "armv7-big-little"));
        File.WriteAllText(SystemPath(tree, "cpu", "cpufreq", "policy4", "related_cpus"), "");

        HostTopology t = ReadCopy(tree);

        Assert.Equal(2000000, t.CpuFreq.MaxKHz);
    }

    [Fact]
    public void A_cpu_without_topology_that_a_siblings_list_names_joins_that_core_and_the_note_says_so()
    {
        // Given the laptop's CPU 1 without topology/: CPU 5's thread_siblings still name it, and the package's
        // core_siblings too
        using TempTree tree = TestData.CopyToTemp(TestData.Path("sysfs", "acpi-cpufreq-shared-policy"));
        Directory.Delete(SystemPath(tree, "cpu", "cpu1", "topology"), recursive: true);

        HostTopology t = ReadCopy(tree);

        Assert.Equal("1,5", t.CoreOf(1).ToString());
        Assert.Single(t.Packages);
        string note = NoteContaining(t, "no topology/ directory for CPU 1").Message;
        Assert.Contains("CPU 1 joins the core and socket that other CPUs' sibling sets name it in", note);
        Assert.DoesNotContain("of its own", note);
    }

    [Fact]
    public void A_sysfs_file_that_never_ends_is_KVC093_within_bounded_memory()
    {
        // Given a capture whose cpu/online is a link to /dev/zero
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        string online = SystemPath(tree, "cpu", "online");
        File.Delete(online);
        File.CreateSymbolicLink(online, "/dev/zero");
        long allocated = GC.GetAllocatedBytesForCurrentThread();

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(online, e.Path);
        Assert.Contains("holds more than 4 MiB; no kernel file kvmconfig reads is that large", e.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 64L * 1024 * 1024, "reading it took more than 64 MiB");
    }

    [Fact]
    public void A_malformed_cpulist_names_the_column()
    {
        using TempTree tree = CopyMachineTopologyOnly(SysfsMachines.Desktop.Name);
        string path = SystemPath(tree, "cpu", "cpu4", "topology", "thread_siblings_list");
        File.WriteAllText(path, "4,1x4\n");

        KvmConfigException e = ReadFails(tree.Path("sys"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal(path, e.Path);
        Assert.Contains("column 4 of \"4,1x4\"", e.Message);
    }
}
