using KvmConfig.Cli.Rendering;
using System.Text.Json;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig plan --format json</c> keeps the contract of <c>docs/plan-json.md</c> on every case: each field is
/// there with its type, cpulists parse, one pin per vCPU, and the numbers agree with each other.
/// </summary>
public sealed class PlanJsonTests
{
    /// <summary>Fields every VM has, with their JSON kind (Null allowed where the doc says so).</summary>
    private static readonly (string Name, JsonValueKind[] Kinds)[] VmFields =
    [
        ("name", [JsonValueKind.String]),
        ("vcpus", [JsonValueKind.Number]),
        ("vcpusMax", [JsonValueKind.Number, JsonValueKind.Null]),
        ("pinning", [JsonValueKind.String]),
        ("smt", [JsonValueKind.String]),
        ("policy", [JsonValueKind.String]),
        ("cpus", [JsonValueKind.String]),
        ("vcpuPins", [JsonValueKind.Array]),
        ("emulator", [JsonValueKind.String]),
        ("emulatorCpus", [JsonValueKind.String]),
        ("idleSiblings", [JsonValueKind.String]),
        ("numaNodes", [JsonValueKind.String]),
        ("numa", [JsonValueKind.String]),
        ("memoryNodes", [JsonValueKind.String]),
        ("memoryMiB", [JsonValueKind.Number, JsonValueKind.Null]),
        ("hugepages", [JsonValueKind.Number]),
        ("hugepageSize", [JsonValueKind.String, JsonValueKind.Null]),
        ("guest", [JsonValueKind.Object]),
        ("cells", [JsonValueKind.Array]),
        ("explanation", [JsonValueKind.Array]),
    ];

    private static readonly (string Name, JsonValueKind[] Kinds)[] FragmentationFields =
    [
        ("node", [JsonValueKind.Number]),
        ("freeCpus", [JsonValueKind.String]),
        ("freeCpuCount", [JsonValueKind.Number]),
        ("freeWholeCores", [JsonValueKind.Number]),
        ("strandedCpus", [JsonValueKind.String]),
        ("strandedCpuCount", [JsonValueKind.Number]),
        ("ratio", [JsonValueKind.Number]),
        ("freeMemoryMiB", [JsonValueKind.Number, JsonValueKind.Null]),
    ];

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Every_vm_has_every_documented_field(PlanCase c)
    {
        using JsonDocument json = Render(c, out HostTopology host);
        JsonElement root = json.RootElement;

        Assert.True(root.GetProperty("ok").GetBoolean());
        foreach (string pool in new[] { "reserved", "sharedPool", "free" })
        {
            CpuSet.Parse(root.GetProperty(pool).GetString()!);
        }

        Assert.True(root.GetProperty("typicalVmCpus").GetInt32() >= 1);
        JsonElement[] vms = root.GetProperty("vms").EnumerateArray().ToArray();
        Assert.NotEmpty(vms);
        foreach (JsonElement vm in vms)
        {
            HasFields(vm, VmFields, $"{c}: vm {vm.GetProperty("name")}");
            foreach (string list in new[] { "cpus", "emulatorCpus", "idleSiblings", "numaNodes", "memoryNodes" })
            {
                CpuSet.Parse(vm.GetProperty(list).GetString()!);
            }

            HasFields(vm.GetProperty("guest"), [("sockets", [JsonValueKind.Number]), ("cores", [JsonValueKind.Number]), ("threads", [JsonValueKind.Number])], $"{c}: guest");
            foreach (JsonElement cell in vm.GetProperty("cells").EnumerateArray())
            {
                HasFields(cell, [("id", [JsonValueKind.Number]), ("vcpus", [JsonValueKind.String]), ("memoryMiB", [JsonValueKind.Number, JsonValueKind.Null]), ("hostNode", [JsonValueKind.Number])], $"{c}: cell");
            }

            Assert.All(vm.GetProperty("explanation").EnumerateArray(), line => Assert.Equal(JsonValueKind.String, line.ValueKind));
        }

        JsonElement[] fragmentation = root.GetProperty("fragmentation").EnumerateArray().ToArray();
        Assert.Equal(host.Nodes.Select(n => n.Id), fragmentation.Select(f => f.GetProperty("node").GetInt32()));
        Assert.All(fragmentation, f => HasFields(f, FragmentationFields, $"{c}: fragmentation"));
    }

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Pins_cells_and_sizes_agree(PlanCase c)
    {
        using JsonDocument json = Render(c, out _);

        foreach (JsonElement vm in json.RootElement.GetProperty("vms").EnumerateArray())
        {
            string what = $"{c}: vm {vm.GetProperty("name").GetString()}";
            int vcpus = vm.GetProperty("vcpus").GetInt32();
            CpuSet cpus = CpuSet.Parse(vm.GetProperty("cpus").GetString()!);
            CpuSet[] pins = vm.GetProperty("vcpuPins").EnumerateArray().Select(p => CpuSet.Parse(p.GetString()!)).ToArray();

            // One cpulist per vCPU, inside the VM's CPUs; under strict, one CPU each and no CPU twice.
            Assert.True(pins.Length == vcpus, $"{what}: {pins.Length} pins for {vcpus} vCPUs");
            Assert.All(pins, p => Assert.True(!p.IsEmpty && p.IsSubsetOf(cpus), $"{what}: pin {p} outside cpus {cpus}"));
            if (vm.GetProperty("pinning").GetString() == "strict")
            {
                Assert.All(pins, p => Assert.Equal(1, p.Count));
                Assert.Equal(pins.Length, pins.Distinct().Count());
            }

            // The guest's cells hold vCPUs 0..vcpus-1 once each; its topology multiplies out to vcpus.
            CpuSet[] cells = vm.GetProperty("cells").EnumerateArray().Select(cell => CpuSet.Parse(cell.GetProperty("vcpus").GetString()!)).ToArray();
            Assert.Equal(CpuSet.Range(0, vcpus - 1), cells.Aggregate(CpuSet.Empty, (a, b) => a | b));
            Assert.Equal(vcpus, cells.Sum(cell => cell.Count));
            JsonElement guest = vm.GetProperty("guest");
            Assert.Equal(vcpus, guest.GetProperty("sockets").GetInt32() * guest.GetProperty("cores").GetInt32() * guest.GetProperty("threads").GetInt32());

            // Huge pages: a size exactly when there are pages.
            Assert.Equal(vm.GetProperty("hugepages").GetInt64() > 0, vm.GetProperty("hugepageSize").ValueKind == JsonValueKind.String);
        }
    }

    [Fact]
    public void Finance_risk_takes_2048_pages_of_2M_on_node_1()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "finance");
        using JsonDocument json = Render(c, out _);

        JsonElement risk = json.RootElement.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "risk");

        Assert.Equal(2048, risk.GetProperty("hugepages").GetInt64());
        Assert.Equal("2M", risk.GetProperty("hugepageSize").GetString());
        Assert.Equal("1", risk.GetProperty("memoryNodes").GetString());
        Assert.Equal("3-4,7-8,43-44,47-48", risk.GetProperty("cpus").GetString());
    }

    [Fact]
    public void A_list_larger_than_vcpus_still_pins_one_list_per_vcpu()
    {
        // Given a float VM with 2 vCPUs over 4 listed CPUs (no rule forbids it) and a strict one with 2 over 3
        using var dir = new ConfigDir(
            ("00-cpu.conf", "reserved = 0,10\n"),
            ("20-f.conf", "vcpus = 2\ncpus = 4-7\ncpuspinlock = float\nmemory = 2G\n"),
            ("21-s.conf", "vcpus = 2\ncpus = 1-3\nmemory = 2G\n"));
        HostTopology host = PlanCases.Host(PlanCases.Desktop);
        CheckReport report = DeclarationCheck.Run(dir.Dir, host);

        // Then each has 2 pins and one guest cell of vCPUs 0-1
        using JsonDocument json = JsonDocument.Parse(PlanJson.Render(PlanCases.Planned(report), host, "sysroot"));
        foreach (JsonElement vm in json.RootElement.GetProperty("vms").EnumerateArray())
        {
            Assert.Equal(2, vm.GetProperty("vcpuPins").GetArrayLength());
            Assert.Equal("0-1", vm.GetProperty("cells")[0].GetProperty("vcpus").GetString());
        }
    }

    private static JsonDocument Render(PlanCase c, out HostTopology host)
    {
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology h) = c.Check(dir);
        host = h;
        return JsonDocument.Parse(PlanJson.Render(PlanCases.Planned(report), host, PlanCases.Sysroot(c.Machine)));
    }

    private static void HasFields(JsonElement element, (string Name, JsonValueKind[] Kinds)[] fields, string what)
    {
        foreach ((string name, JsonValueKind[] kinds) in fields)
        {
            Assert.True(element.TryGetProperty(name, out JsonElement value), $"{what}: no '{name}'");
            Assert.True(kinds.Contains(value.ValueKind), $"{what}: '{name}' is {value.ValueKind}, expected {string.Join(" or ", kinds)}");
        }
    }
}
