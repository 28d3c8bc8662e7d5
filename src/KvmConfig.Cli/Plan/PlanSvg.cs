using KvmConfig.Cli.Rendering;
using System.Globalization;
using System.Text;
using System.Xml;
using KvmConfig.Core;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Plan;

/// <summary>
/// <c>kvmconfig plan --svg FILE</c>: the plan drawn in the spirit of lstopo. Packages are the outer boxes, NUMA
/// nodes sit inside them, L3 groups inside the nodes, then cores, each with one small box per online thread. A
/// thread shows its CPU number and, under it, the mark the text CPU map prints there (the VM's key, <c>r</c>,
/// <c>~</c>, <c>i</c>, <c>e</c>, <c>.</c>, <c>-</c>). It is filled with the colour of the dedicated VM running on it
/// (<see cref="CpuRoles.Palette"/>, by VM order); reserved CPUs are dark grey and hatched, free ones white, idle
/// siblings striped in their VM's colour; a shared-pool CPU is cut into one slice per shared VM, in that VM's own
/// tint, as wide as its share of the pool's vCPUs. CPUs the fragmentation table calls stranded have a red dashed
/// outline. A legend lists every VM with its colour and CPUs, then the marks present.
/// </summary>
/// <remarks>
/// Every thread box is a <c>rect</c> with <c>class="thread"</c>, <c>data-cpu</c> (the CPU number) and
/// <c>data-role</c> (<c>vm</c>, <c>emulator</c>, <c>idle</c>, <c>reserved</c>, <c>shared</c>, <c>free</c>,
/// <c>outside</c>), <c>data-vm</c> when a VM owns it and <c>data-stranded="true"</c> when stranded; its mark is a
/// <c>text class="mark"</c> with the same <c>data-cpu</c>, each slice of a shared CPU a <c>rect class="share"</c> with
/// <c>data-cpu</c> and <c>data-vm</c>, so that scripts and tests can read the picture back. Written with
/// <see cref="XmlWriter"/>, which escapes names; the layout is computed in two passes (measure, then draw) over a
/// small box tree.
/// </remarks>
internal static partial class PlanSvg
{
    private const string SvgNamespace = "http://www.w3.org/2000/svg";
    private const double ThreadWidth = 30;
    private const double ThreadHeight = 32;
    private const double LabelHeight = 16;
    private const double Padding = 6;
    private const double Gap = 6;

    // Average advance of a character of the 11px sans-serif labels, for boxes to be at least as wide as their label.
    private const double CharWidth = 6.4;

    private const string FreeFill = "#ffffff";
    private const string OutsideFill = "#eeeeee";
    private const string StrandedStroke = "#c62828";

    /// <summary>The SVG document for <paramref name="plan"/> on <paramref name="host"/>.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="host">The host it was made for.</param>
    /// <param name="title">The first line of the picture (the host's name and size).</param>
    public static string Render(Core.Planning.Plan plan, HostTopology host, string title)
    {
        var roles = new CpuRoles(plan, host);
        var topology = new Box($"Machine: {title}", "machine", Arrangement.Column, Layout(plan, host, roles));
        (double width, double height) = topology.Size;
        List<LegendLine> legend = Legend(plan, roles);
        double legendHeight = (legend.Count * 18) + LabelHeight + Padding;
        double totalWidth = Math.Max(width, (legend.Max(l => l.Text.Length) * CharWidth) + 40) + (2 * Padding);
        double totalHeight = height + legendHeight + (3 * Padding);

        var sb = new StringBuilder();
        using (var xml = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            xml.WriteStartElement("svg", SvgNamespace);
            xml.WriteAttributeString("width", Num(totalWidth));
            xml.WriteAttributeString("height", Num(totalHeight));
            xml.WriteAttributeString("viewBox", $"0 0 {Num(totalWidth)} {Num(totalHeight)}");
            xml.WriteAttributeString("font-family", "sans-serif");
            xml.WriteAttributeString("font-size", "11");
            xml.WriteElementString("title", SvgNamespace, $"kvmconfig plan: {title}");
            WriteDefs(xml, roles);
            xml.WriteStartElement("rect", SvgNamespace);
            xml.WriteAttributeString("width", "100%");
            xml.WriteAttributeString("height", "100%");
            xml.WriteAttributeString("fill", "#ffffff");
            xml.WriteEndElement();
            topology.Draw(xml, Padding, Padding);
            WriteLegend(xml, legend, Padding, height + (2 * Padding));
            xml.WriteEndElement();
        }

        return sb.Append('\n').ToString();
    }

    // ---- layout ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The box tree: package, the nodes holding its CPUs, the L3 groups among those CPUs, cores. A node spanning
    /// packages (node interleaving) and an L3 spanning nodes (sub-NUMA clustering) appear under every parent they
    /// touch, as in <c>kvmconfig topology</c>. Nodes without CPUs follow the packages.
    /// </summary>
    private static List<Element> Layout(Core.Planning.Plan plan, HostTopology t, CpuRoles roles)
    {
        int threads = Math.Max(1, t.ThreadsPerCore);
        int columns = Math.Max(2, 10 / threads);
        var packages = new List<Element>();
        foreach (int package in t.Packages)
        {
            CpuSet packageCpus = t.PackageCpus(package);
            var nodes = new List<Element>();
            foreach (NumaNode node in t.Nodes.Where(n => n.Cpus.Overlaps(packageCpus)))
            {
                CpuSet here = node.Cpus & packageCpus;
                var groups = new List<Element>();
                foreach (IGrouping<CpuSet?, LogicalCpu> l3 in here.Select(id => t.Cpu(id)!).GroupBy(c => c.L3 is null ? null : c.L3 & t.Online))
                {
                    List<Element> cores = l3.DistinctBy(c => c.ThreadSiblings & t.Online)
                        .Select(c => (Element)new Box($"Core {c.CoreId}", "core", Arrangement.Row,
                            (c.ThreadSiblings & t.Online & here).Select(cpu => (Element)new ThreadBox(cpu, plan, roles)).ToList()))
                        .ToList();
                    if (l3.Key is CpuSet group)
                    {
                        CpuSet otherNodes = t.NodesOf(group) - CpuSet.Of(node.Id);
                        string shared = otherNodes.IsEmpty ? "" : $" (shared with node {otherNodes})";
                        groups.Add(new Box($"L3{shared}", "l3", Arrangement.Grid(columns), cores));
                    }
                    else
                    {
                        groups.AddRange(cores);
                    }
                }

                nodes.Add(new Box($"NUMA node {node.Id}{Memory(node)}", "node",
                    groups.All(g => g is Box { Class: "l3" }) ? Arrangement.Column : Arrangement.Grid(columns), groups));
            }

            packages.Add(new Box($"Package {package}", "package", Arrangement.Row, nodes));
        }

        foreach (NumaNode node in t.Nodes.Where(n => n.Cpus.IsEmpty))
        {
            packages.Add(new Box($"NUMA node {node.Id}: no CPUs{Memory(node)}", "node", Arrangement.Row, []));
        }

        return packages;
    }

    private static string Memory(NumaNode node) =>
        node.MemTotalKiB is long kib ? $" ({Units.KiB(kib)})" : "";

    /// <summary>How a box places its children: side by side, stacked, or in rows of a fixed count.</summary>
    private sealed record Arrangement(int Columns)
    {
        public static readonly Arrangement Row = new(int.MaxValue);
        public static readonly Arrangement Column = new(1);

        public static Arrangement Grid(int columns) => new(columns);
    }

    private abstract class Element
    {
        public abstract (double Width, double Height) Size { get; }

        public abstract void Draw(XmlWriter xml, double x, double y);
    }

    /// <summary>A labelled box around children, arranged by <see cref="Arrangement"/>.</summary>
    private sealed class Box(string label, string cssClass, Arrangement arrangement, List<Element> children) : Element
    {
        private (double, double)? _size;

        public string Class => cssClass;

        public override (double Width, double Height) Size => _size ??= Measure();

        public override void Draw(XmlWriter xml, double x, double y)
        {
            (double width, double height) = Size;
            xml.WriteStartElement("g", SvgNamespace);
            xml.WriteAttributeString("class", cssClass);
            xml.WriteStartElement("rect", SvgNamespace);
            xml.WriteAttributeString("x", Num(x));
            xml.WriteAttributeString("y", Num(y));
            xml.WriteAttributeString("width", Num(width));
            xml.WriteAttributeString("height", Num(height));
            xml.WriteAttributeString("fill", BoxFill(cssClass));
            xml.WriteAttributeString("stroke", "#555555");
            xml.WriteAttributeString("rx", cssClass == "core" ? "2" : "4");
            xml.WriteEndElement();
            Text(xml, x + Padding, y + LabelHeight - 4, label, "start", "#000000");
            foreach ((Element child, double cx, double cy) in Positions())
            {
                child.Draw(xml, x + cx, y + cy);
            }

            xml.WriteEndElement();
        }

        // Children in rows of arrangement.Columns; each row as tall as its tallest child, each column as wide as
        // its widest, so that cores line up in a grid.
        private IEnumerable<(Element Child, double X, double Y)> Positions()
        {
            int columns = Math.Max(1, Math.Min(arrangement.Columns, children.Count));
            double[] widths = ColumnWidths(columns);
            double y = LabelHeight + (cssClass == "core" ? 0 : Padding / 2);
            for (int row = 0; row * columns < children.Count; row++)
            {
                double x = Padding;
                double rowHeight = 0;
                for (int c = 0; c < columns && (row * columns) + c < children.Count; c++)
                {
                    Element child = children[(row * columns) + c];
                    yield return (child, x, y);
                    x += widths[c] + Gap;
                    rowHeight = Math.Max(rowHeight, child.Size.Height);
                }

                y += rowHeight + Gap;
            }
        }

        private double[] ColumnWidths(int columns)
        {
            double[] widths = new double[columns];
            for (int i = 0; i < children.Count; i++)
            {
                widths[i % columns] = Math.Max(widths[i % columns], children[i].Size.Width);
            }

            return widths;
        }

        private (double, double) Measure()
        {
            double labelWidth = (label.Length * CharWidth) + (2 * Padding);
            if (children.Count == 0)
            {
                return (Math.Max(labelWidth, 120), LabelHeight + Padding);
            }

            int columns = Math.Max(1, Math.Min(arrangement.Columns, children.Count));
            double contentWidth = ColumnWidths(columns).Sum() + (Gap * (columns - 1));
            double bottom = Positions().Max(p => p.Y + p.Child.Size.Height);
            return (Math.Max(labelWidth, contentWidth + (2 * Padding)), bottom + Padding);
        }
    }

    private static string BoxFill(string cssClass) => cssClass switch
    {
        "machine" => "#fafafa",
        "package" => "#e8e8e8",
        "node" => "#f5f0dc",
        "l3" => "#ffffff",
        _ => "#dedede",
    };

    private static void Text(XmlWriter xml, double x, double y, string text, string anchor, string fill)
    {
        xml.WriteStartElement("text", SvgNamespace);
        xml.WriteAttributeString("x", Num(x));
        xml.WriteAttributeString("y", Num(y));
        xml.WriteAttributeString("text-anchor", anchor);
        xml.WriteAttributeString("fill", fill);
        xml.WriteString(text);
        xml.WriteEndElement();
    }

    private static string Num(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
