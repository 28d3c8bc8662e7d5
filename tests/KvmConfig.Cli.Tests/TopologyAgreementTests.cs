using System.Text.Json;
using KvmConfig.Core;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig topology --format parse</c> against the standard tools on every tree in <c>tests/data/sysfs</c>: the
/// partition of the online CPUs into cores, sockets and NUMA nodes equals lscpu's (hwloc's where lscpu cannot read
/// the tree). Numbering may differ; a CPU the tool leaves without a core or socket counts as one of its own.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TopologyAgreementTests
{
    /// <summary>Every tree: the captures and the shapes made by make-shapes.py.</summary>
    public static TheoryData<string> Trees() => new(TestData.SysfsTrees());

    [Fact]
    public void Every_shape_of_tree_is_in_the_table()
    {
        Assert.True(Trees().Count >= 18, $"only {Trees().Count} trees under tests/data/sysfs");
    }

    [Theory]
    [MemberData(nameof(Trees))]
    public void Cores_sockets_and_nodes_partition_the_cpus_as_lscpu_or_hwloc_does(string tree)
    {
        string sysroot = TestData.Path("sysfs", tree);
        CliResult ours = CliRunner.Run("topology", "--sysroot", sysroot, "--format", "parse");
        Assert.True(ours.Exit == 0, $"{tree}: exit {ours.Exit}\n{ours.Err}");
        Dictionary<int, ReferenceRow> rows = ReferenceTopology.LscpuRows(ours.Out);

        (string tool, IReadOnlyDictionary<int, ReferenceRow> reference) = ReferenceTopology.Read(sysroot);

        CpuSet cpus = CpuSet.Of(rows.Keys);
        Assert.False(cpus.IsEmpty, $"{tree}: no CPU in\n{ours.Out}");
        Assert.True(cpus.IsSubsetOf(CpuSet.Of(reference.Keys)), $"{tree}: {tool} lists {CpuSet.Of(reference.Keys)}, kvmconfig {cpus}");
        Assert.Equal((tree, tool, "cores", Partition(reference, cpus, r => r.Core)), (tree, tool, "cores", Partition(rows, cpus, r => r.Core)));
        Assert.Equal((tree, tool, "sockets", Partition(reference, cpus, r => r.Socket)), (tree, tool, "sockets", Partition(rows, cpus, r => r.Socket)));
        Assert.Equal((tree, tool, "nodes", Partition(reference, cpus, r => r.Node, emptyIsAlone: false)), (tree, tool, "nodes", Partition(rows, cpus, r => r.Node)));
    }

    [Theory]
    [MemberData(nameof(Trees))]
    public void Check_and_plan_work_on_every_tree_and_own_no_cpu_twice(string tree)
    {
        // Given two small VMs on auto, which every tree (3 to 112 CPUs) has room for
        using var dir = new ConfigDir(("20-web1.conf", "vcpus = 1\nmemory = 256M\n"), ("20-web2.conf", "vcpus = 1\nmemory = 256M\n"));
        string sysroot = TestData.Path("sysfs", tree);

        CliResult check = CliRunner.Run("check", "--config-dir", dir.Dir, "--sysroot", sysroot);
        CliResult plan = CliRunner.Run("plan", "--config-dir", dir.Dir, "--sysroot", sysroot, "--format", "json");

        Assert.True(check.Exit == 0, $"{tree}: check exit {check.Exit}\n{check.Out}{check.Err}");
        Assert.True(plan.Exit == 0, $"{tree}: plan exit {plan.Exit}\n{plan.Out}{plan.Err}");
        using JsonDocument doc = JsonDocument.Parse(plan.Out);
        CpuSet[] owned = doc.RootElement.GetProperty("vms").EnumerateArray().Select(vm => CpuSet.Parse(vm.GetProperty("cpus").GetString()!)).ToArray();
        Assert.Equal(2, owned.Length);
        Assert.False(owned[0].Overlaps(owned[1]), $"{tree}: both VMs own {owned[0] & owned[1]}");
        Assert.False(owned.Any(o => o.Overlaps(CpuSet.Parse(doc.RootElement.GetProperty("reserved").GetString()!))), $"{tree}: a VM on reserved CPUs");
    }

    [Fact]
    public void The_reference_partition_is_not_trivially_equal()
    {
        // Given two trees whose sockets differ (one, two), the comparison must tell them apart
        IReadOnlyDictionary<int, ReferenceRow> laptop = ReferenceTopology.Read(TestData.Path("sysfs", "acpi-cpufreq-shared-policy")).Rows;
        IReadOnlyDictionary<int, ReferenceRow> server = ReferenceTopology.Read(TestData.Path("sysfs", "old-kernel-percpu-cpufreq")).Rows;
        CpuSet cpus = CpuSet.Parse("0-7");

        Assert.Equal("0-7", Partition(laptop, cpus, r => r.Socket));
        Assert.Equal("0-3 | 4-7", Partition(server, cpus, r => r.Socket));
    }

    /// <summary>
    /// The classes of <paramref name="cpus"/> by a column, as cpulists ordered by first CPU and joined by " | ". An
    /// empty core or socket cell is a class of its own (the tool knows nothing that puts the CPU with another); an
    /// empty node cell (no <c>node/</c> in the tree) is the one node of a machine without NUMA.
    /// </summary>
    private static string Partition(IReadOnlyDictionary<int, ReferenceRow> rows, CpuSet cpus, Func<ReferenceRow, string> column, bool emptyIsAlone = true)
    {
        IEnumerable<CpuSet> classes = cpus
            .GroupBy(cpu => column(rows[cpu]) is { Length: > 0 } label ? label : emptyIsAlone ? $"alone {cpu}" : "")
            .Select(g => CpuSet.Of(g))
            .OrderBy(set => set.First);
        return string.Join(" | ", classes);
    }
}
