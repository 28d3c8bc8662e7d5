using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Rendering;

/// <summary>
/// <c>kvmconfig plan --format json</c>: the contract of <c>docs/plan-json.md</c>. Fields are only ever added. CPU
/// and node sets are kernel cpulists (<c>"0-3,8"</c>; the empty set is <c>""</c>), memory is in MiB.
/// </summary>
internal static class PlanJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The plan of a clean report as one JSON object, ending with a newline.</summary>
    /// <param name="planned">A declaration checked without errors, and its plan.</param>
    /// <param name="host">The host it was planned on.</param>
    /// <param name="hostSource"><c>/sys</c>, or the <c>--sysroot</c> given.</param>
    public static string Render(PlanOutcome.Planned planned, HostTopology host, string hostSource)
    {
        (CheckReport report, Core.Planning.Plan plan) = (planned.Report, planned.Plan);
        var root = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["ok"] = true,
            ["configDir"] = report.Source.Directory,
            ["host"] = new JsonObject
            {
                ["source"] = hostSource,
                ["cpus"] = host.OnlineCpuCount,
                ["online"] = host.Online.ToString(),
                ["numaNodes"] = host.Nodes.Count,
                ["cpufreqMax"] = report.Declaration.Host.CpuFreqMax?.ToString(),
                ["cpufreqMaxKHz"] = report.Declaration.Host.CpuFreqMax?.Resolve(host.CpuFreq),
            },
            ["reserved"] = plan.Reserved.ToString(),
            ["sharedPool"] = plan.SharedPool.ToString(),
            ["free"] = plan.Free.ToString(),
            ["typicalVmCpus"] = plan.TypicalVmCpus,
            ["vms"] = Array(plan.Vms.Select(vm => Vm(vm, report.Declaration.Host))),
            ["kept"] = Array(plan.Vms.Where(v => plan.Kept.Contains(v.Name)).Select(v => JsonValue.Create(v.Name))),
            ["moves"] = Array(plan.Moves.Select(m => new JsonObject
            {
                ["vm"] = m.Vm,
                ["from"] = m.From.ToString(),
                ["to"] = m.To.ToString(),
                ["why"] = m.Why,
            })),
            ["fragmentation"] = Array(plan.Fragmentation.Select(f => new JsonObject
            {
                ["node"] = f.Node,
                ["freeCpus"] = f.FreeCpus.ToString(),
                ["freeCpuCount"] = f.FreeCpus.Count,
                ["freeWholeCores"] = f.FreeWholeCores,
                ["strandedCpus"] = f.StrandedCpus.ToString(),
                ["strandedCpuCount"] = f.StrandedCpus.Count,
                ["ratio"] = Math.Round(f.Ratio, 4),
                ["freeMemoryMiB"] = f.FreeMemoryMiB,
            })),
        };
        return root.ToJsonString(Options) + "\n";
    }

    private static JsonObject Vm(VmPlacement vm, Core.Specs.HostPolicy policy) => new()
    {
        ["name"] = vm.Name,
        ["vcpus"] = vm.Spec.Vcpus,
        ["vcpusMax"] = vm.Spec.VcpusMax,
        ["pinning"] = Lower(vm.Spec.Pinning),
        ["smt"] = Lower(vm.Spec.Smt),
        ["policy"] = PlanText.Policy(vm.Spec, policy),
        ["cpus"] = vm.Cpus.ToString(),
        ["vcpuPins"] = Array(vm.VcpuPins.Select(p => JsonValue.Create(p.ToString()))),
        ["emulator"] = Lower(vm.Spec.Emulator),
        ["emulatorCpus"] = vm.EmulatorCpus.ToString(),
        ["idleSiblings"] = vm.IdleSiblings.ToString(),
        ["numaNodes"] = vm.NumaNodes.ToString(),
        ["numa"] = Lower(vm.Spec.Numa),
        ["memoryNodes"] = vm.MemoryNodes.ToString(),
        ["memoryMiB"] = vm.Spec.MemoryMiB,
        ["hugepages"] = vm.HugePages,
        ["hugepageSize"] = PlanText.PageSize(vm.Spec.HugePages),
        ["guest"] = new JsonObject
        {
            ["sockets"] = vm.Guest.Sockets,
            ["cores"] = vm.Guest.Cores,
            ["threads"] = vm.Guest.Threads,
        },
        ["cells"] = Array(vm.Cells.Select(c => new JsonObject
        {
            ["id"] = c.Id,
            ["vcpus"] = c.Vcpus.ToString(),
            ["memoryMiB"] = c.MemoryMiB,
            ["hostNode"] = c.HostNode,
            ["memoryNodes"] = c.MemoryNodes.ToString(),
        })),
        ["explanation"] = Array(vm.Explanation.Select(line => JsonValue.Create(line))),
    };

    private static JsonArray Array(IEnumerable<JsonNode?> items) => new([.. items]);

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
