using System.Text.Json.Nodes;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>capacity --from-history</c> on memory (the VMs' resident memory, kept from schema 3 on) and on nodes of the
/// inventory, each counted with its own shape (<c>--history NODE=FILE</c>).
/// </summary>
public sealed partial class CapacityHistoryTests
{
    private static string Capabilities(string machine) => TestData.Path("capabilities", $"{machine}.xml");

    [Fact]
    public void Memory_that_fills_the_node_before_the_cpus_binds_and_needs_another_node_inside_the_interval()
    {
        // Given four VMs at a flat 50 % of a CPU each, whose resident memory grows from 8 GiB by 0.5 GiB a day each
        // with a small daily cycle and noise
        string path = Path.Combine(_tmp, "memory.db");
        ForecastHistory.Write(path, ForecastCases.Flat.Take(4), ForecastCases.HistoryDays, TimeSpan.FromMinutes(5), (_, _) => 50,
            memoryMiB: (vm, t) => MemoryMiB(t) + (64 * new Random((vm[^1] * 7919) + (int)Math.Round(t * 1440)).NextDouble()) - 32);

        // When capacity is asked on a node of 64 GiB
        CliResult json = Run("--history", path, "--format", "json");
        CliResult text = Run("--history", path);

        // Then memory binds: the VMs together reach the node's memory for VMs inside the interval, the CPUs never
        Assert.True(json.Exit == 0, json.Err);
        JsonNode root = JsonNode.Parse(json.Out)!;
        long forVms = (long)root["memoryForVmsMiB"]!;
        Assert.InRange(forVms, 48 * 1024, 64 * 1024);
        DateTimeOffset truth = Enumerable.Range(0, 30 * 1440).Select(m => ForecastCases.HistoryDays + (m / 1440.0))
            .Where(t => 4 * MemoryMiB(t) >= forVms).Select(t => ForecastCases.T0 + TimeSpan.FromDays(t)).First();
        Assert.Equal("memory", (string)root["binds"]!);
        Assert.InRange((double)root["vmMemoryMiB"]!["trendPerDay"]!, (0.5 * 4 * 1024) - 50, (0.5 * 4 * 1024) + 50);
        JsonNode node = root["anotherNode"]!;
        Assert.Equal("expected", (string)node["status"]!);
        Assert.InRange(truth, Time((string)node["earliest"]!), Time((string)node["latest"]!));
        Assert.Equal(root["memoryFull"]!.ToJsonString(), node.ToJsonString());
        Assert.Equal("not-within-horizon", (string)root["cpuFull"]!["status"]!);

        Assert.True(text.Exit == 0, text.Err);
        Assert.Contains($"another node is needed by {(string)node["at"]!} (memory binds", text.Out, StringComparison.Ordinal);
        Assert.Contains($"gives VMs 7 CPUs and {Math.Round(forVms / 1024.0, 2)} GiB", text.Out, StringComparison.Ordinal);
        Assert.Contains("the VMs' memory together: now ", text.Out, StringComparison.Ordinal);
    }

    // Each VM's true resident memory: 8 GiB growing by half a GiB a day, with 128 MiB of daily cycle.
    private static double MemoryMiB(double days) => 8192 + (512 * days) + (128 * Math.Cos(2 * Math.PI * days));

    [Fact]
    public void Each_nodes_history_counts_against_that_nodes_own_shape()
    {
        // Given an inventory of two nodes of different shapes, and a history of each
        File.WriteAllText(Path.Combine(_dir.Dir, "10-nodes.conf"),
            $"[node big]\ncapabilities = {Capabilities("xeon-2s-4numa-snc-80cpu")}\n\n[node small]\ncapabilities = {Capabilities("desktop-1s-20cpu")}\n");
        string big = Write("big.db", (_, t) => 100 + (5 * t));
        string small = Write("small.db", (_, _) => 50);

        // When capacity is asked with NODE=FILE, and, for comparison, each file against its node alone with --node-like
        CliResult both = CliRunner.Run(["capacity", "--from-history", "--history", $"big={big}", "--history", $"small={small}", "--format", "json", "--config-dir", _dir.Dir]);
        JsonNode Alone(string node, string file)
        {
            CliResult r = CliRunner.Run(["capacity", "--from-history", "--history", file, "--node-like", node, "--format", "json", "--config-dir", _dir.Dir]);
            Assert.True(r.Exit == 0, r.Err);
            return JsonNode.Parse(r.Out)!["nodes"]![0]!;
        }

        // Then each history counts against its own node's CPUs and memory, and the cluster against their sum
        Assert.True(both.Exit == 0, both.Err);
        JsonNode root = JsonNode.Parse(both.Out)!;
        JsonArray nodes = root["nodes"]!.AsArray();
        Assert.Equal(["node big", "node small"], nodes.Select(n => (string)n!["name"]!));
        Assert.Equal(Alone("big", big).ToJsonString(), nodes[0]!.ToJsonString());
        Assert.Equal(Alone("small", small).ToJsonString(), nodes[1]!.ToJsonString());
        Assert.NotEqual((int)nodes[0]!["cpusForVms"]!, (int)nodes[1]!["cpusForVms"]!);
        Assert.Equal(nodes.Sum(n => (int)n!["cpusForVms"]!), (int)root["cpusForVms"]!);
        Assert.Equal(nodes.Sum(n => (long)n!["memoryForVmsMiB"]!), (long)root["memoryForVmsMiB"]!);
    }

    [Fact]
    public void A_history_naming_a_node_the_inventory_lacks_is_KVC081_with_the_nearest()
    {
        File.WriteAllText(Path.Combine(_dir.Dir, "10-nodes.conf"), $"[node kvm1]\ncapabilities = {Capabilities("desktop-1s-20cpu")}\n");
        string history = Write("kvm1.db", (_, _) => 50);

        CliResult r = CliRunner.Run(["capacity", "--from-history", "--history", $"kvm2={history}", "--config-dir", _dir.Dir]);

        r.CouldNotRun("KVC081");
        Assert.Contains($"--history kvm2={history}: no [node kvm2] in", r.Err, StringComparison.Ordinal);
        Assert.Contains("did you mean 'kvm1'?", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_history_naming_a_node_that_cannot_be_read_is_KVC080_saying_why()
    {
        // Given a node whose captured capabilities file is not there
        string missing = Path.Combine(_tmp, "kvm1-capabilities.xml");
        File.WriteAllText(Path.Combine(_dir.Dir, "10-nodes.conf"), $"[node kvm1]\ncapabilities = {missing}\n");
        string history = Write("kvm1.db", (_, _) => 50);

        CliResult r = CliRunner.Run(["capacity", "--from-history", "--history", $"kvm1={history}", "--config-dir", _dir.Dir]);

        r.CouldNotRun("KVC080");
        Assert.Contains("node kvm1 (", r.Err, StringComparison.Ordinal);
        Assert.Contains("cannot be read", r.Err, StringComparison.Ordinal);
        Assert.Contains("fix its uri, sysroot or capabilities", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }
}
