using System.Globalization;
using System.Security;
using System.Text;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Cli.Rendering;
using KvmConfig.Cluster;
using KvmConfig.Core;

namespace KvmConfig.Cli.Cluster;

/// <summary>
/// <c>cluster plan --svg</c>: one column per rack (nodes without a rack last, each its own), one box per node with its
/// CPU and memory use as bars and its VMs as blocks as wide as their CPUs; spares are drawn dashed.
/// </summary>
internal static class ClusterSvg
{
    private const int NodeWidth = 260;
    private const int NodeHeight = 120;
    private const int Gap = 20;

    private static readonly string[] Palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    /// <summary>Writes the picture; false after saying why when the file cannot be written.</summary>
    public static bool Write(string file, ClusterPlan plan)
    {
        try
        {
            File.WriteAllText(file, Render(plan));
            Console.Error.WriteLine($"wrote {file}");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            FailureRenderer.Write(CliErrors.CannotWriteReport(file, "--svg", e));
            return false;
        }
    }

    public static string Render(ClusterPlan plan)
    {
        List<IGrouping<string, NodeAssignment>> racks = [.. plan.Assignments
            .GroupBy(a => a.Node.Rack ?? $"\u0001{a.Node.Name}")
            .OrderBy(g => g.Key.StartsWith('\u0001') ? 1 : 0)
            .ThenBy(g => g.Key, StringComparer.Ordinal)];
        int rows = racks.Max(r => r.Count());
        int width = Gap + (racks.Count * (NodeWidth + Gap));
        int height = 60 + (rows * (NodeHeight + Gap));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Gap}\" y=\"24\" font-size=\"16\">{Escape($"cluster plan: {plan.NodesUsed} nodes used, lower bound {plan.Bound.Nodes}, gap {plan.Gap}{(plan.ProvenOptimal ? ", proven optimal" : "")}")}</text>\n");
        for (int c = 0; c < racks.Count; c++)
        {
            int x = Gap + (c * (NodeWidth + Gap));
            string rack = racks[c].Key.StartsWith('\u0001') ? "no rack" : $"rack {racks[c].Key}";
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"48\" fill=\"#555\">{Escape(rack)}</text>\n");
            int y = 56;
            foreach (NodeAssignment node in racks[c])
            {
                Node(sb, node, x, y);
                y += NodeHeight + Gap;
            }
        }

        return sb.Append("</svg>\n").ToString();
    }

    private static void Node(StringBuilder sb, NodeAssignment node, int x, int y)
    {
        NodeUsage u = node.Usage;
        sb.Append(CultureInfo.InvariantCulture, $"<g><title>{Escape($"{node.Node.Name}: {u.CpusUsed}/{u.CpusTotal} CPUs, {Units.MiB(u.MemoryMiBUsed)} of {Units.MiB(u.MemoryMiBTotal)}")}</title>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\" rx=\"6\" fill=\"#fafafa\" stroke=\"#333\"{(node.Spare ? " stroke-dasharray=\"6 4\"" : "")}/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 8}\" y=\"{y + 18}\" font-weight=\"bold\">{Escape(node.Node.Name)}{(node.Spare ? " (spare)" : "")}</text>\n");
        Bar(sb, "CPU", u.CpusTotal == 0 ? 0 : (double)u.CpusUsed / u.CpusTotal, x + 8, y + 28);
        Bar(sb, "mem", u.MemoryMiBTotal == 0 ? 0 : (double)u.MemoryMiBUsed / u.MemoryMiBTotal, x + 8, y + 44);

        // VMs as blocks as wide as their vCPUs' share of the node's CPUs, in declaration order, wrapping.
        double perCpu = (NodeWidth - 16) / (double)Math.Max(1, u.CpusTotal);
        double vx = x + 8;
        double vy = y + 64;
        for (int i = 0; i < node.Vms.Count; i++)
        {
            double w = Math.Max(6, node.Vms[i].Vcpus * perCpu);
            if (vx + w > x + NodeWidth - 8)
            {
                (vx, vy) = (x + 8, vy + 24);
            }

            string colour = Palette[i % Palette.Length];
            sb.Append(CultureInfo.InvariantCulture, $"<g><title>{Escape($"{node.Vms[i].Name}: {node.Vms[i].Vcpus} vCPUs, {Units.MiB(node.Vms[i].MemoryMiB ?? 0)}")}</title><rect x=\"{vx:0.#}\" y=\"{vy:0.#}\" width=\"{w:0.#}\" height=\"20\" fill=\"{colour}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{vx + 2:0.#}\" y=\"{vy + 14:0.#}\" fill=\"#fff\" font-size=\"10\">{Escape(node.Vms[i].Name.Length * 6 < w ? node.Vms[i].Name : "")}</text></g>\n");
            vx += w + 2;
        }

        sb.Append("</g>\n");
    }

    private static void Bar(StringBuilder sb, string label, double share, int x, int y)
    {
        int full = NodeWidth - 56;
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y + 9}\" font-size=\"10\">{label}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + 28}\" y=\"{y}\" width=\"{full}\" height=\"10\" fill=\"#e6e6e6\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + 28}\" y=\"{y}\" width=\"{full * Math.Clamp(share, 0, 1):0.#}\" height=\"10\" fill=\"{(share > 0.9 ? "#e15759" : "#59a14f")}\"/>\n");
    }

    private static string Escape(string text) => SecurityElement.Escape(text);
}
