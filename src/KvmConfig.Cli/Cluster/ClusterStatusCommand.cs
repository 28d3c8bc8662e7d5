using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cluster;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt.Cluster;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Cluster;

/// <summary>
/// <c>kvmconfig cluster status</c>: the multi-host <c>virsh list --all</c>. Every node read in parallel; per node
/// whether it answered, its VMs running and defined, what they use of it, declared VMs on another node than the plan's,
/// undeclared domains, and drift as <c>status</c> reports it. Exit 0 in sync, 3 on drift, 2 when a node cannot be read.
/// </summary>
internal sealed class ClusterStatusCommand : Command<ClusterStatusCommand.Settings>
{
    internal sealed class Settings : ClusterSettings;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Open(out int exit) is not { } opened)
        {
            return exit;
        }

        (CheckReport report, IReadOnlyList<NodeReading> readings) = opened;
        ClusterReadings.ReportUnreachable(readings, skip: true);
        ClusterStatusReport status = ClusterStatus.Run(readings, report.Declaration, settings.Concurrency, settings.NodeTimeoutValue);
        Console.Out.Write(settings.Json ? Json(status.Nodes, status.Misplaced, status.Declared, status.Plan) : Text(status.Nodes, status.Misplaced, status.Declared, status.Plan));

        // A node whose domains could not be compared (it stopped answering after it was read) is as unknown as one never read.
        return !status.AllRead ? ExitCodes.CouldNotRun : !status.InSync ? ExitCodes.Drift : ExitCodes.Ok;
    }

    private static string Text(IReadOnlyList<NodeStatus> statuses, IReadOnlyList<Misplaced> misplaced, IReadOnlySet<string> declared, ClusterPlan plan)
    {
        var sb = new StringBuilder();
        int reachable = statuses.Count(s => s.Reading.Reachable);
        int inSync = statuses.Sum(s => s.Status?.Vms.Count(v => v.InSync) ?? 0);
        sb.Append(CultureInfo.InvariantCulture, $"cluster status: {Units.Plural(statuses.Count, "node")}, {reachable} reachable; {inSync} of {declared.Count} declared VMs in sync on their planned node\n\n");
        foreach (NodeStatus node in statuses)
        {
            NodeReading r = node.Reading;
            if (!r.Reachable)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{r.Spec.Name}: UNREACHABLE ({r.TopologyFrom}): {r.Error}\n");
                continue;
            }

            List<NodeDomain> active = [.. r.Domains.Where(d => d.Active)];
            int cpus = r.Node!.Host.OnlineCpuCount;
            long memory = (r.Node.Host.MemTotalKiB ?? 0) / 1024;
            sb.Append(CultureInfo.InvariantCulture, $"{r.Spec.Name}{(r.Spec.Rack is { } rack ? $" (rack {rack})" : "")}: {active.Count} running, {r.Domains.Count} defined; ");
            sb.Append(CultureInfo.InvariantCulture, $"{active.Sum(d => d.Vcpus)} vCPUs on {cpus} CPUs, {Units.MiB(active.Sum(d => d.MemoryMiB))} of {Units.MiB(memory)}\n");
            foreach (VmStatus vm in node.Status?.Vms ?? [])
            {
                string where = vm.State != VmStatus.Undefined ? vm.State
                    : misplaced.FirstOrDefault(m => m.Vm == vm.Name) is { } m ? $"planned here, runs on {m.On}"
                    : "planned here, not defined here";
                sb.Append(CultureInfo.InvariantCulture, $"  {vm.Name}: {where}{(vm.InSync ? ", in sync" : vm.State == VmStatus.Undefined ? "" : $", {Units.Plural(vm.Drift.Count, "drift")}:")}\n");
                foreach (Drift d in vm.State == VmStatus.Undefined ? [] : vm.Drift)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    {d.Field}: desired {d.Desired}, actual {d.Actual}\n");
                }
            }

            if (r.Spec.Uri is null)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  (no uri: its domains are not read; planned here: {(node.Assignment is { Vms.Count: > 0 } a ? string.Join(", ", a.Vms.Select(v => v.Name)) : "none")})\n");
            }

            foreach (NodeDomain other in r.Domains.Where(d => !declared.Contains(d.Name)))
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {other.Name}: {other.State}, not declared\n");
            }

            if (node.Error is { } error)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  (its domains could not be compared: {error})\n");
            }
        }

        foreach (Misplaced m in misplaced)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nwrong node: {m.Vm} runs on {m.On}, planned on {m.Planned}");
        }

        foreach (Unplaced u in plan.Unplaced)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nnot placeable: {u.Vm.Name} [{u.Rule}]: {u.Reason}");
        }

        return sb.Append(misplaced.Count + plan.Unplaced.Count > 0 ? "\n" : "").ToString();
    }

    private static string Json(IReadOnlyList<NodeStatus> statuses, IReadOnlyList<Misplaced> misplaced, IReadOnlySet<string> declared, ClusterPlan plan) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["nodes"] = new JsonArray([.. statuses.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Reading.Spec.Name,
                ["rack"] = s.Reading.Spec.Rack,
                ["reachable"] = s.Reading.Reachable,
                ["error"] = s.Reading.Error ?? s.Error,
                ["running"] = s.Reading.Domains.Count(d => d.Active),
                ["defined"] = s.Reading.Domains.Count,
                ["vcpusRunning"] = s.Reading.Domains.Where(d => d.Active).Sum(d => d.Vcpus),
                ["cpus"] = s.Reading.Node?.Host.OnlineCpuCount,
                ["memoryMiBRunning"] = s.Reading.Domains.Where(d => d.Active).Sum(d => d.MemoryMiB),
                ["memoryMiBTotal"] = s.Reading.Node?.Host.MemTotalKiB / 1024,
                ["vms"] = new JsonArray([.. (s.Status?.Vms ?? []).Select(v => (JsonNode)new JsonObject
                {
                    ["name"] = v.Name,
                    ["state"] = v.State,
                    ["inSync"] = v.InSync,
                    ["drift"] = new JsonArray([.. v.Drift.Select(d => (JsonNode)new JsonObject { ["field"] = d.Field, ["desired"] = d.Desired, ["actual"] = d.Actual })]),
                })]),
                ["undeclared"] = new JsonArray([.. s.Reading.Domains.Where(d => !declared.Contains(d.Name)).Select(d => (JsonNode)new JsonObject { ["name"] = d.Name, ["state"] = d.State })]),
            })]),
            ["wrongNode"] = new JsonArray([.. misplaced.Select(m => (JsonNode)new JsonObject { ["vm"] = m.Vm, ["on"] = m.On, ["planned"] = m.Planned })]),
            ["unplaced"] = new JsonArray([.. plan.Unplaced.Select(u => (JsonNode)new JsonObject { ["name"] = u.Vm.Name, ["rule"] = u.Rule, ["reason"] = u.Reason })]),
        }.ToJsonString(Options) + "\n";
}
