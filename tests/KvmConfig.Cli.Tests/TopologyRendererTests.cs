using System.Text.Json;
using KvmConfig.Cli.Topology;
using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig topology</c> output on the captured machines of <c>tests/data/sysfs</c>. Expected values are read
/// off the capture files (see the README there).
/// </summary>
public sealed class TopologyRendererTests
{
    private const string XeonSnc = "xeon-2s-4numa-snc-80cpu";
    private const string EightNodes = "2s-8numa-112cpu";
    private const string Epyc = "cadvisor-epyc7402";
    private const string Hybrid = "1s-16cpu";


    public static TheoryData<string> Machines =>
        new(TestData.SysfsTrees());

    private static HostTopology Read(string machine) => Captures.Host(machine);

    // ---- parse --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(XeonSnc, "0,0,0,0,0", "CPU 0: first core, socket, node and L3")]
    [InlineData(XeonSnc, "40,0,0,0,0", "CPU 40 is CPU 0's SMT sibling: same logical core 0")]
    [InlineData(XeonSnc, "3,3,0,1,0", "CPU 3 sits in sub-NUMA node 1 but shares socket 0's L3")]
    [InlineData(XeonSnc, "20,20,1,2,1", "CPU 20 opens package 1: next core, socket 1, node 2, the second L3")]
    [InlineData(XeonSnc, "60,20,1,2,1", "CPU 60 is CPU 20's sibling")]
    [InlineData(XeonSnc, "79,39,1,3,1", "the last CPU: 40 logical cores 0-39")]
    [InlineData(EightNodes, "1,1,1,1,1", "odd CPUs are package 1, so CPU 1 opens socket 1 and the second L3")]
    [InlineData(EightNodes, "56,0,0,0,0", "siblings are N and N+56")]
    [InlineData(EightNodes, "111,55,1,3,1", "the last CPU is CPU 55's sibling")]
    [InlineData(Epyc, "27,3,0,0,", "kernel core ids skip (0,1,2,4,...): CPU 27 is logical core 3, L3 unknown")]
    [InlineData(Epyc, "47,23,0,0,", "the last core")]
    [InlineData(Hybrid, "8,4,0,0,0", "the first one-thread core is logical core 4")]
    [InlineData(Hybrid, "15,11,0,0,0", "12 cores in all")]
    [InlineData("cadvisor-xeon4214_2socket", "36,12,1,0,", "CPU 36 is CPU 12's sibling on socket 1; no node/, so node 0")]
    [InlineData("cadvisor-single_socket_many_NUMAs", "31,15,15,0,", "16 one-core packages")]
    public void Parse_rows_use_lscpu_logical_ids(string machine, string row, string description)
    {
        string[] lines = TopologyRenderer.Parse(Read(machine)).Split('\n');
        int cpu = int.Parse(row.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);

        Assert.True(lines.Contains(row), $"{description}: no line '{row}'; line for CPU {cpu} is '{lines.FirstOrDefault(l => l.StartsWith(cpu + ",", StringComparison.Ordinal))}'");
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Parse_has_lscpu_comments_then_one_row_per_online_cpu(string machine)
    {
        HostTopology t = Read(machine);
        string[] lines = TopologyRenderer.Parse(t).TrimEnd('\n').Split('\n');

        string[] comments = lines.TakeWhile(l => l.StartsWith('#')).ToArray();
        Assert.Equal("# CPU,Core,Socket,Node,L3", comments[^1]);
        string[] rows = lines[comments.Length..];
        Assert.Equal(t.Online.ToList(), rows.Select(r => int.Parse(r.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(rows, r => Assert.Equal(5, r.Split(',').Length));
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Parse_core_and_socket_numbers_count_what_the_topology_counts(string machine)
    {
        HostTopology t = Read(machine);
        IReadOnlyList<LscpuRow> rows = TopologyRenderer.ParseRows(t);

        Assert.Equal(Enumerable.Range(0, t.Cores.Count), rows.Select(r => r.Core).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, t.Packages.Count), rows.Select(r => r.Socket).Distinct().Order());
        Assert.Equal(t.L3Groups.Count, rows.Where(r => r.L3 is not null).Select(r => r.L3).Distinct().Count());
        foreach (CpuSet core in t.Cores)
        {
            Assert.Single(rows.Where(r => core.Contains(r.Cpu)).Select(r => r.Core).Distinct());
        }

        Assert.All(rows, r => Assert.Equal(t.Cpu(r.Cpu)!.Node, r.Node));
    }

    [Fact]
    public void Parse_golden_for_the_interleaved_snc_machine()
    {
        Golden.Verify("Topology.xeon-2s-4numa-snc-80cpu.parse", TopologyRenderer.Parse(Read(XeonSnc)));
    }

    // ---- json ---------------------------------------------------------------------------------------------

    [Fact]
    public void Json_of_the_snc_machine_has_the_documented_values()
    {
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(Read(XeonSnc)));
        JsonElement root = doc.RootElement;

        Assert.Equal("0-79", root.GetProperty("cpus").GetProperty("online").GetString());
        Assert.Equal("", root.GetProperty("cpus").GetProperty("offline").GetString());
        Assert.Equal("", root.GetProperty("cpus").GetProperty("nohzFull").GetString());
        Assert.Equal(2, root.GetProperty("threadsPerCore").GetInt32());
        Assert.Equal(20, root.GetProperty("coresPerSocket").GetInt32());
        Assert.Equal(2, root.GetProperty("sockets").GetInt32());
        Assert.Equal(["0-19,40-59", "20-39,60-79"], root.GetProperty("l3Groups").EnumerateArray().Select(e => e.GetString()));

        JsonElement node0 = root.GetProperty("nodes")[0];
        Assert.Equal(0, node0.GetProperty("id").GetInt32());
        Assert.Equal("0-2,5-6,10-12,15-16,40-42,45-46,50-52,55-56", node0.GetProperty("cpus").GetString());
        Assert.Equal(48005604, node0.GetProperty("memTotalKiB").GetInt64());
        Assert.Equal(24118324, node0.GetProperty("memFreeKiB").GetInt64());
        JsonElement twoMeg = node0.GetProperty("hugepages")[0];
        Assert.Equal((2048L, 2560L, 2560L), (twoMeg.GetProperty("sizeKiB").GetInt64(), twoMeg.GetProperty("total").GetInt64(), twoMeg.GetProperty("free").GetInt64()));
        Assert.Equal([10, 11, 21, 21], node0.GetProperty("distances").EnumerateArray().Select(e => e.GetInt32()));

        JsonElement cpu40 = root.GetProperty("cpuList")[40];
        Assert.Equal(40, cpu40.GetProperty("cpu").GetInt32());
        Assert.Equal(0, cpu40.GetProperty("core").GetInt32());
        Assert.Equal(0, cpu40.GetProperty("socket").GetInt32());
        Assert.Equal(0, cpu40.GetProperty("die").GetInt32());
        Assert.Equal(JsonValueKind.Null, cpu40.GetProperty("cluster").ValueKind);
        Assert.Equal(0, cpu40.GetProperty("node").GetInt32());
        Assert.Equal("0,40", cpu40.GetProperty("l2").GetString());
        Assert.Equal("0-19,40-59", cpu40.GetProperty("l3").GetString());
        Assert.Equal("0,40", cpu40.GetProperty("siblings").GetString());

        JsonElement cpufreq = root.GetProperty("cpufreq");
        Assert.Equal(["performance", "powersave"], cpufreq.GetProperty("governors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["powersave"], cpufreq.GetProperty("currentGovernors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1000000, cpufreq.GetProperty("minKHz").GetInt64());
        Assert.Equal(3700000, cpufreq.GetProperty("maxKHz").GetInt64());
    }

    [Fact]
    public void Json_writes_unknowns_as_null_and_empty_lists()
    {
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(Read(Epyc)));
        JsonElement root = doc.RootElement;

        Assert.Equal("24-26,41,43,45", root.GetProperty("cpus").GetProperty("offline").GetString());
        Assert.Equal(0, root.GetProperty("l3Groups").GetArrayLength());
        JsonElement node = Assert.Single(root.GetProperty("nodes").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, node.GetProperty("memTotalKiB").ValueKind);
        Assert.Equal(JsonValueKind.Null, node.GetProperty("memFreeKiB").ValueKind);
        Assert.Equal(0, node.GetProperty("hugepages").GetArrayLength());
        Assert.Equal(0, node.GetProperty("distances").GetArrayLength());
        JsonElement cpu0 = root.GetProperty("cpuList")[0];
        Assert.Equal("0,24", cpu0.GetProperty("siblings").GetString());
        Assert.Equal(JsonValueKind.Null, cpu0.GetProperty("l3").ValueKind);
        Assert.Equal(0, root.GetProperty("cpufreq").GetProperty("governors").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("cpufreq").GetProperty("maxKHz").ValueKind);
    }

    [Fact]
    public void Json_memory_only_nodes_and_isolated_cpus()
    {
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(Read(EightNodes)));
        JsonElement root = doc.RootElement;

        Assert.Equal("4-7,60-63", root.GetProperty("cpus").GetProperty("isolated").GetString());
        JsonElement node4 = root.GetProperty("nodes")[4];
        Assert.Equal("", node4.GetProperty("cpus").GetString());
        Assert.Equal(130023424, node4.GetProperty("memTotalKiB").GetInt64());
        Assert.Equal([17, 28, 28, 28, 10, 28, 28, 28], node4.GetProperty("distances").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(74, root.GetProperty("cpuList")[63].GetProperty("cluster").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Json_round_trips_the_topology(string machine)
    {
        HostTopology t = Read(machine);
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(t));
        JsonElement root = doc.RootElement;

        Assert.Equal(t.Online, CpuSet.Parse(root.GetProperty("cpus").GetProperty("online").GetString()!));
        Assert.Equal(t.Offline, CpuSet.Parse(root.GetProperty("cpus").GetProperty("offline").GetString()!));
        Assert.Equal(t.Nodes.Select(n => n.Cpus), root.GetProperty("nodes").EnumerateArray().Select(n => CpuSet.Parse(n.GetProperty("cpus").GetString()!)));
        Assert.Equal(t.Nodes.Select(n => n.MemTotalKiB), root.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("memTotalKiB") is { ValueKind: JsonValueKind.Number } v ? v.GetInt64() : (long?)null));
        Assert.Equal(t.Cpus.Select(c => (c.Id, c.CoreId, c.PackageId, c.Node, c.ThreadSiblings)), root.GetProperty("cpuList").EnumerateArray().Select(c => (
            c.GetProperty("cpu").GetInt32(),
            c.GetProperty("core").GetInt32(),
            c.GetProperty("socket").GetInt32(),
            c.GetProperty("node").GetInt32(),
            CpuSet.Parse(c.GetProperty("siblings").GetString()!))));
        Assert.Equal(t.ThreadsPerCore, root.GetProperty("threadsPerCore").GetInt32());
        Assert.Equal(t.Packages.Count, root.GetProperty("sockets").GetInt32());
    }

    [Fact]
    public void Json_lists_the_readers_notes_with_their_severity()
    {
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(Read("package-id-minus-one")));

        JsonElement note = Assert.Single(doc.RootElement.GetProperty("notes").EnumerateArray());
        Assert.Equal("info", note.GetProperty("severity").GetString());
        Assert.Contains("grouped by package_cpus (core_siblings)", note.GetProperty("message").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("sockets").GetInt32());
    }

    [Fact]
    public void Json_of_a_complete_tree_has_no_notes()
    {
        using JsonDocument doc = JsonDocument.Parse(TopologyRenderer.Json(Read(XeonSnc)));

        Assert.Equal(0, doc.RootElement.GetProperty("notes").GetArrayLength());
    }

    // ---- text ---------------------------------------------------------------------------------------------

    [Fact]
    public void Text_says_what_was_read_with_gaps_before_the_memory_table()
    {
        string text = TopologyRenderer.Text(Read("no-topology-dir"));

        int gaps = text.IndexOf("Read with assumptions:\n  warning: the kernel gives no topology/ directory for any CPU", StringComparison.Ordinal);
        Assert.True(gaps > 0, text);
        Assert.True(gaps < text.IndexOf("NUMA node   Memory total", StringComparison.Ordinal), text);
        Assert.Contains("Socket(s):             8\n", text);
        Assert.DoesNotContain("Read with assumptions", TopologyRenderer.Text(Read(XeonSnc)));
    }

    [Theory]
    [InlineData(XeonSnc, "NUMA node0 CPU(s):     0-2,5-6,10-12,15-16,40-42,45-46,50-52,55-56\n", "interleaved node list")]
    [InlineData(XeonSnc, "NUMA node3 CPU(s):     23-24,27-29,33-34,37-39,63-64,67-69,73-74,77-79\n", "last node")]
    [InlineData(XeonSnc, "CPU(s):                80\n", "online CPU count")]
    [InlineData(XeonSnc, "Thread(s) per core:    2\nCore(s) per socket:    20\nSocket(s):             2\n", "lscpu's shape lines")]
    [InlineData(XeonSnc, "node0       45.8 GiB       23.0 GiB      2M: 2560 total, 2560 free; 1G: 0 total, 0 free\n", "memory and huge pages of node 0")]
    [InlineData(XeonSnc, "   0:  10  11  21  21\n", "distance row as numactl --hardware prints it")]
    [InlineData(XeonSnc, "│  └─ L3 0-19,40-59 (shared with node 1)\n│     ├─ core 0: 0,40\n", "tree: package, node, L3 shared by two SNC nodes, core with its threads")]
    [InlineData(EightNodes, "Isolated CPU(s):       4-7,60-63\n", "isolcpus")]
    [InlineData(EightNodes, "NUMA node4 CPU(s):     none (memory only)\n", "memory-only node in the summary")]
    [InlineData(EightNodes, "NUMA node 4: no CPUs (124.0 GiB)\n", "memory-only node in the tree")]
    [InlineData(Epyc, "Off-line CPU(s) list:  24-26,41,43,45\n", "offline CPUs")]
    [InlineData(Epyc, "node0       unknown        unknown       none\n", "no node/ and no /proc/meminfo: memory unknown")]
    [InlineData(Epyc, "   ├─ core 0: 0\n", "a core whose sibling is offline shows one thread")]
    [InlineData(Hybrid, "CPU max MHz:           4800.0000\nCPU min MHz:           400.0000\nScaling governor:      powersave (offered: performance, powersave)\n", "cpufreq as lscpu prints it")]
    public void Text_lines(string machine, string expected, string description)
    {
        string text = TopologyRenderer.Text(Read(machine));

        Assert.True(text.Contains(expected, StringComparison.Ordinal), $"{description}: missing\n{expected}\nin\n{text}");
    }

    [Theory]
    [MemberData(nameof(Machines))]
    public void Text_has_a_line_per_node_no_colour_and_every_online_cpu_in_the_tree(string machine)
    {
        HostTopology t = Read(machine);
        string text = TopologyRenderer.Text(t);

        Assert.DoesNotContain('\u001b', text);
        Assert.All(t.Nodes, n => Assert.Contains($"NUMA node{n.Id} CPU(s):", text));
        string tree = text[text.IndexOf("Topology:\n", StringComparison.Ordinal)..];
        CpuSet inCores = tree.Split('\n')
            .Where(l => l.Contains("core ", StringComparison.Ordinal))
            .Select(l => CpuSet.Parse(l[(l.LastIndexOf(": ", StringComparison.Ordinal) + 2)..]))
            .Aggregate(CpuSet.Empty, (all, core) => all | core);
        Assert.Equal(t.Online, inCores);
    }

    [Theory]
    [InlineData(XeonSnc)]
    [InlineData(Epyc)]
    public void Text_golden(string machine)
    {
        Golden.Verify($"Topology.{machine}.text", TopologyRenderer.Text(Read(machine)));
    }

    [Fact]
    public void Render_dispatches_on_the_format()
    {
        HostTopology t = Read(Hybrid);

        Assert.Equal(TopologyRenderer.Text(t), TopologyRenderer.Render(t, TopologyFormat.Text));
        Assert.Equal(TopologyRenderer.Json(t), TopologyRenderer.Render(t, TopologyFormat.Json));
        Assert.Equal(TopologyRenderer.Parse(t), TopologyRenderer.Render(t, TopologyFormat.Parse));
    }
}
