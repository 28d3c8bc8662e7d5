using System.Globalization;
using System.Text;
using KvmConfig.Cluster;
using KvmConfig.Core;
using KvmConfig.Libvirt.Cluster;

namespace KvmConfig.Cli.Cluster;

/// <summary><c>cluster plan</c>'s text: a summary line, a table of nodes, then what moves and what fits nowhere.</summary>
internal static class ClusterText
{
    public static string Render(ClusterPlan plan, ClusterRequest request, IReadOnlyList<NodeReading> readings, bool verbose)
    {
        var sb = new StringBuilder();
        int placed = request.Declaration.Vms.Count - plan.Unplaced.Count;
        sb.Append(CultureInfo.InvariantCulture, $"cluster plan: {Units.Plural(placed, "VM")} on {plan.NodesUsed} of {Units.Plural(request.Nodes.Count, "node")}");
        sb.Append(CultureInfo.InvariantCulture, $"; lower bound {plan.Bound.Nodes} ({plan.Bound.Why}), gap {plan.Gap}{(plan.ProvenOptimal ? ", proven optimal" : "")}\n");
        sb.Append(CultureInfo.InvariantCulture, $"policy {request.Policy.ToString().ToLowerInvariant()}{(request.Ha > 0 ? $", --ha {request.Ha}" : "")}; solver: {plan.Solver}\n\n");

        string[] header = ["NODE", "RACK", "VMS", "CPUS", "MEMORY", "RUNS"];
        List<string[]> rows = [.. plan.Assignments.Select(a => new[]
        {
            a.Node.Name,
            a.Node.Rack ?? "-",
            a.Spare ? "spare" : a.Vms.Count.ToString(CultureInfo.InvariantCulture),
            $"{a.Usage.CpusUsed}/{a.Usage.CpusTotal} {Percent(a.Usage.CpusUsed, a.Usage.CpusTotal)}",
            $"{Gib(a.Usage.MemoryMiBUsed)}/{Gib(a.Usage.MemoryMiBTotal)} GiB {Percent(a.Usage.MemoryMiBUsed, a.Usage.MemoryMiBTotal)}",
            a.Spare ? "(held empty for --ha)" : string.Join(", ", a.Vms.Select(v => v.Name)),
        })];
        int[] widths = [.. Enumerable.Range(0, header.Length).Select(c => rows.Select(r => r[c].Length).Append(header[c].Length).Max())];
        foreach (string[] row in rows.Prepend(header))
        {
            sb.Append(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
        }

        if (plan.Moves.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nMoves ({plan.Moves.Count}):\n");
            foreach (ClusterMove move in plan.Moves)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {move.Vm}: {move.From} -> {move.To}: {move.Why}\n");
            }
        }

        if (plan.Unplaced.Count > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nNot placed ({plan.Unplaced.Count}):\n");
            foreach (Unplaced vm in plan.Unplaced)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  {vm.Vm.Name} [{vm.Rule}]: {vm.Reason}\n");
            }
        }

        foreach (string problem in plan.Problems)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\nwarning: {problem}\n");
        }

        if (verbose)
        {
            sb.Append('\n');
            foreach (NodeReading node in readings)
            {
                sb.Append(CultureInfo.InvariantCulture, $"note: node {node.Spec.Name}: topology from {node.TopologyFrom}{(node.Reachable ? $", {Units.Plural(node.Domains.Count, "domain")} in its libvirt" : $", unreachable: {node.Error}")}\n");
            }
        }

        return sb.ToString();
    }

    private static string Percent(long used, long total) =>
        total == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * used / total:0}%");

    private static string Gib(long mib) => string.Create(CultureInfo.InvariantCulture, $"{mib / 1024.0:0.#}");
}
