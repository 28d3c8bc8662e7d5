using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// A tree of tests/data/sysfs made by make-shapes.py, named after the situation it shows, and what reading it must
/// give. Sets are cpulists; sockets and cores are listed as their CPU sets, ordered by first CPU.
/// </summary>
public sealed record SysfsShape(
    string Name,
    string Description,
    string Online,
    string[] Sockets,
    string[] Cores,
    string[] NodeCpus,
    string[] Governors,
    string[] NoteParts)
{
    /// <summary>Severity of every note the tree must produce (none when <see cref="NoteParts"/> is empty).</summary>
    public Severity NoteSeverity { get; init; } = Severity.Warning;

    public override string ToString() => Name;
}

public sealed partial class SysfsTopologyReaderTests
{
    private static readonly string[] AcpiGovernors = ["conservative", "ondemand", "performance", "powersave", "schedutil", "userspace"];

    public static readonly TheoryData<SysfsShape> Shapes =
    [
        new("acpi-cpufreq-shared-policy", "one acpi-cpufreq policy for all eight CPUs, related_cpus \"0 1 2 3 4 5 6 7\"",
            "0-7", ["0-7"], ["0,4", "1,5", "2,6", "3,7"], ["0-7"], AcpiGovernors, []),
        new("intel-pstate-hwp-base-frequency", "intel_pstate with HWP: a policy per CPU, each with base_frequency",
            "0-7", ["0-7"], ["0,4", "1,5", "2,6", "3,7"], ["0-7"], ["performance", "powersave"], []),
        new("old-kernel-percpu-cpufreq", "cpufreq in each cpuN/ (no policyN), only thread_siblings and core_siblings",
            "0-7", ["0-3", "4-7"], ["0", "1", "2", "3", "4", "5", "6", "7"], ["0-3", "4-7"], ["ondemand", "performance"], []),
        new("package-id-minus-one", "POWER partition: package id -1, the two chips told apart by core_siblings",
            "0-15", ["0-7", "8-15"], ["0-3", "4-7", "8-11", "12-15"], ["0-7", "8-15"], [], ["physical_package_id is -1 or missing for CPUs 0-15", "grouped by package_cpus"])
        {
            NoteSeverity = Severity.Info,
        },
        new("package-id-and-siblings-missing", "only core_id and thread_siblings: one socket per CPU",
            "0-3", ["0", "1", "2", "3"], ["0", "1", "2", "3"], ["0-3"], [], ["no physical_package_id for CPUs 0-3, and no CPU's package_cpus or core_siblings names them", "a socket of its own"]),
        new("s390-books-drawers", "books and drawers above four sockets of two SMT2 cores; no NUMA",
            "0-15", ["0-3", "4-7", "8-11", "12-15"], ["0-1", "2-3", "4-5", "6-7", "8-9", "10-11", "12-13", "14-15"], ["0-15"], [], []),
        new("no-topology-dir", "no topology/ at all (uniprocessor and some sparc kernels); each CPU its own core and socket, with a warning",
            "0-7", ["0", "1", "2", "3", "4", "5", "6", "7"], ["0", "1", "2", "3", "4", "5", "6", "7"], ["0-7"], [], ["no topology/ directory for any CPU", "SMT siblings are unknown"]),
        new("list-trailing-nul", "every cpulist ends in a NUL byte", "0-3", ["0-3"], ["0,2", "1,3"], ["0-3"], [], []),
        new("list-trailing-space", "every cpulist ends in a blank and a newline, node/online too", "0-3", ["0-3"], ["0,2", "1,3"], ["0-3"], [], []),
        new("cpu-online-file-empty", "no cpu/online: cpu1/online empty (online), cpu3/online 0 (offline)",
            "0-2", ["0-2"], ["0", "1", "2"], ["0-2"], [], []),
        new("masks-only-no-pools", "what early capture scripts kept: no CPU pools, only hex thread_siblings and core_siblings, node cpumap",
            "0-7", ["0,2,4,6", "1,3,5,7"], ["0", "1", "2", "3", "4", "5", "6", "7"], ["0,4", "1,5", "2,6", "3,7"], [], ["physical_package_id is -1 or missing for CPUs 0-7"])
        {
            NoteSeverity = Severity.Info,
        },
        new("arm64-clusters-no-smt", "one package, two clusters of four cores, a cpufreq policy per cluster",
            "0-7", ["0-7"], ["0", "1", "2", "3", "4", "5", "6", "7"], ["0-7"], ["performance", "schedutil"], []),
        new("armv7-big-little", "two clusters reported as packages 0 and 1, core_id 0-3 in each, no NUMA",
            "0-7", ["0-3", "4-7"], ["0", "1", "2", "3", "4", "5", "6", "7"], ["0-7"], ["ondemand", "performance", "schedutil"], []),
    ];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Each_shape_reads_as_lscpu_would_read_it(SysfsShape shape)
    {
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot(shape.Name)).Read();

        Assert.Equal(shape.Online, t.Online.ToString());
        Assert.Equal(shape.Sockets, t.Packages.Select(p => t.PackageCpus(p).ToString()).OrderBy(s => CpuSet.Parse(s).First));
        Assert.Equal(shape.Cores, t.Cores.Select(c => c.ToString()));
        Assert.Equal(shape.NodeCpus, t.Nodes.Select(n => n.Cpus.ToString()));
        Assert.Equal(shape.Governors, t.CpuFreq.Governors);
        Assert.False(t.CpuFreq.Unknown, shape.Description);
        if (shape.NoteParts.Length == 0)
        {
            Assert.True(t.Notes.Count == 0, $"{shape.Description}: {string.Join("; ", t.Notes)}");
        }
        else
        {
            TopologyNote note = Assert.Single(t.Notes);
            Assert.Equal(shape.NoteSeverity, note.Severity);
            Assert.All(shape.NoteParts, part => Assert.Contains(part, note.Message));
        }
    }

    [Fact]
    public void Cpufreq_frequencies_come_from_every_policy()
    {
        // The big.LITTLE board: the little cluster tops out at 1.4 GHz, the big one at 2.0 GHz
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot("armv7-big-little")).Read();

        Assert.Equal(200000, t.CpuFreq.MinKHz);
        Assert.Equal(2000000, t.CpuFreq.MaxKHz);
        Assert.Equal(["schedutil"], t.CpuFreq.CurrentGovernors);
    }

    [Fact]
    public void The_base_frequency_is_intel_pstates_base_frequency_below_the_turbo_maximum()
    {
        // The HWP laptop: every policy says base_frequency; cpuinfo_max_freq is the top of the turbo range
        string policy0 = Path.Combine(TestData.SysfsRoot("intel-pstate-hwp-base-frequency"), "devices", "system", "cpu", "cpufreq", "policy0");
        long written = long.Parse(File.ReadAllText(Path.Combine(policy0, "base_frequency")), System.Globalization.CultureInfo.InvariantCulture);

        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot("intel-pstate-hwp-base-frequency")).Read();

        Assert.Equal(written, t.CpuFreq.BaseKHz);
        Assert.True(t.CpuFreq.BaseKHz < t.CpuFreq.MaxKHz);
    }

    [Theory]
    [InlineData("desktop-1s-20cpu")]
    [InlineData("xeon-2s-4numa-snc-80cpu")]
    [InlineData("acpi-cpufreq-shared-policy")]
    [InlineData("armv7-big-little")]
    public void Without_base_frequency_files_the_base_frequency_is_unknown_not_the_maximum(string tree)
    {
        // The captures' intel_pstate policies were pruned to the files every driver writes; acpi-cpufreq and ARM
        // drivers never write base_frequency. Their cpuinfo_max_freq may be a turbo clock: no stand-in.
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot(tree)).Read();

        Assert.NotNull(t.CpuFreq.MaxKHz);
        Assert.Null(t.CpuFreq.BaseKHz);
    }

    [Fact]
    public void The_base_frequency_counts_only_when_every_policy_gives_one()
    {
        // Given the HWP laptop with one policy's base_frequency gone (a capture that missed it)
        using TempTree tree = TestData.CopyToTemp(TestData.Path("sysfs", "intel-pstate-hwp-base-frequency"));
        File.Delete(SystemPath(tree, "cpu", "cpufreq", "policy5", "base_frequency"));

        HostTopology t = ReadCopy(tree);

        // Then the cap at base cannot hold for CPU 5: unknown, not the others' figure
        Assert.Null(t.CpuFreq.BaseKHz);
        Assert.NotNull(t.CpuFreq.MaxKHz);
    }

    [Fact]
    public void Kernel_package_and_core_ids_are_kept_where_they_name_sockets_one_to_one()
    {
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot("armv7-big-little")).Read();

        Assert.Equal([0, 1], t.Packages);
        Assert.Equal(3, t.Cpu(7)!.CoreId);
        Assert.Equal(1, t.Cpu(7)!.PackageId);
    }

    [Fact]
    public void A_package_id_of_minus_one_and_a_cluster_id_of_minus_one_are_not_ids()
    {
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot("package-id-minus-one")).Read();

        Assert.Equal([0, 1], t.Packages);
        Assert.All(t.Cpus, c => Assert.Null(c.ClusterId));
        Assert.Equal(12, t.Cpu(13)!.CoreId);
    }

    [Fact]
    public void Arm64_clusters_are_kept_beside_the_socket()
    {
        HostTopology t = new SysfsTopologyReader(TestData.SysfsRoot("arm64-clusters-no-smt")).Read();

        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], t.Cpus.Select(c => c.ClusterId ?? -1));
        Assert.Equal(["0-7"], t.L3Groups.Select(g => g.ToString()));
    }
}
