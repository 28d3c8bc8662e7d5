using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Topology;

/// <summary>Output formats of <c>kvmconfig topology --format</c>.</summary>
internal enum TopologyFormat
{
    /// <summary>lscpu-like summary, memory table, distance matrix and a tree.</summary>
    Text,

    /// <summary>The document described in <c>docs/topology-json.md</c>.</summary>
    Json,

    /// <summary>lscpu <c>--parse</c> compatible CSV: <c>CPU,Core,Socket,Node,L3</c>.</summary>
    Parse,
}

/// <summary>One line of the <c>parse</c> format: lscpu's logical ids, except Node, which is the kernel's.</summary>
/// <param name="Cpu">Logical CPU number.</param>
/// <param name="Core">Logical core: its thread-sibling set (<see cref="HostTopology.CoreOf"/>), numbered from 0 in first-seen order.</param>
/// <param name="Socket">Logical socket: numbered from 0 in first-seen order.</param>
/// <param name="Node">NUMA node number, as in <c>nodeN</c>.</param>
/// <param name="L3">Logical L3 group, first-seen order; null when the caches are unknown.</param>
internal sealed record LscpuRow(int Cpu, int Core, int Socket, int Node, int? L3);

/// <summary>
/// Renders a <see cref="HostTopology"/> for <c>kvmconfig topology</c>. Pure functions from topology to text: no
/// colour, no console, so tests compare strings.
/// </summary>
internal static class TopologyRenderer
{
    /// <summary>The topology in <paramref name="format"/>, ending with a newline.</summary>
    public static string Render(HostTopology topology, TopologyFormat format) => format switch
    {
        TopologyFormat.Text => Text(topology),
        TopologyFormat.Json => Json(topology),
        TopologyFormat.Parse => Parse(topology),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown topology format"),
    };

    // ---- text ---------------------------------------------------------------------------------------------

    /// <summary>
    /// lscpu-style summary (the label names are lscpu's where lscpu has them), then NUMA memory and huge pages per
    /// node, the distance matrix as <c>numactl --hardware</c> prints it, and a tree Package, NUMA node, L3 group,
    /// core with its threads.
    /// </summary>
    public static string Text(HostTopology t)
    {
        var summary = new List<(string Label, string Value)>
        {
            ("CPU(s):", Count(t.OnlineCpuCount)),
            ("On-line CPU(s) list:", t.Online.ToString()),
            ("Off-line CPU(s) list:", OrNone(t.Offline)),
            ("Isolated CPU(s):", OrNone(t.Isolated)),
        };
        if (!t.NohzFull.IsEmpty)
        {
            summary.Add(("Nohz_full CPU(s):", t.NohzFull.ToString()));
        }

        summary.Add(("Thread(s) per core:", Count(t.ThreadsPerCore)));
        summary.Add(("Core(s) per socket:", Count(t.CoresPerPackage)));
        summary.Add(("Socket(s):", Count(t.Packages.Count)));
        if (t.L3Groups.Count > 0)
        {
            summary.Add(("L3 group(s):", Count(t.L3Groups.Count)));
        }

        summary.Add(("NUMA node(s):", Count(t.Nodes.Count)));
        foreach (NumaNode node in t.Nodes)
        {
            summary.Add(($"NUMA node{node.Id} CPU(s):", node.Cpus.IsEmpty ? "none (memory only)" : node.Cpus.ToString()));
        }

        summary.AddRange(CpuFreqLines(t.CpuFreq));

        var sb = new StringBuilder();
        int width = summary.Max(l => l.Label.Length) + 2;
        foreach ((string label, string value) in summary)
        {
            sb.Append(label.PadRight(width)).Append(value).Append('\n');
        }

        sb.Append('\n');
        AppendNotes(sb, t);
        AppendMemory(sb, t);
        AppendDistances(sb, t);
        AppendTree(sb, t);
        return sb.ToString();
    }

    private static IEnumerable<(string, string)> CpuFreqLines(CpuFreqInfo f)
    {
        if (f.MaxKHz is long max)
        {
            yield return ("CPU max MHz:", Mhz(max));
        }

        if (f.BaseKHz is long rated)
        {
            yield return ("CPU base MHz:", Mhz(rated));
        }

        if (f.MinKHz is long min)
        {
            yield return ("CPU min MHz:", Mhz(min));
        }

        if (f.Available || f.CurrentGovernors.Count > 0)
        {
            string current = f.CurrentGovernors.Count > 0 ? string.Join(", ", f.CurrentGovernors) : "unknown";
            yield return ("Scaling governor:", $"{current} (offered: {string.Join(", ", f.Governors)})");
        }
        else
        {
            yield return ("Scaling governor:", f.UnknownBecause is { } why ? $"unknown ({why})" : "none (no cpufreq policy)");
        }
    }

    /// <summary>
    /// What the reader had to assume, one line each (<c>warning:</c> when the plan may suffer for it, <c>note:</c>
    /// when the kernel reports the host that way on purpose); nothing on a complete tree.
    /// </summary>
    private static void AppendNotes(StringBuilder sb, HostTopology t)
    {
        if (t.Notes.Count == 0)
        {
            return;
        }

        sb.Append("Read with assumptions:\n");
        foreach (string line in NoteLines(t))
        {
            sb.Append("  ").Append(line).Append('\n');
        }

        sb.Append('\n');
    }

    /// <summary>Each note as <c>warning: ...</c> or <c>note: ...</c>, in the order the reader found them.</summary>
    public static IEnumerable<string> NoteLines(HostTopology t) =>
        t.Notes.Select(n => $"{(n.Severity == Core.Diagnostics.Severity.Warning ? "warning" : "note")}: {n.Message}");

    private static void AppendMemory(StringBuilder sb, HostTopology t)
    {
        // node0   45.8 GiB   23.0 GiB   2M: 2560 total, 2560 free; 1G: 0 total, 0 free
        var rows = new List<string[]> { new[] { "NUMA node", "Memory total", "Memory free", "Huge pages" } };
        foreach (NumaNode node in t.Nodes)
        {
            string hugePages = node.HugePages.Count == 0
                ? "none"
                : string.Join("; ", node.HugePages.Select(p => $"{Units.PageSize(p.SizeKiB)}: {p.Total} total, {p.Free} free"));
            rows.Add([$"node{node.Id}", Gib(node.MemTotalKiB), Gib(node.MemFreeKiB), hugePages]);
        }

        AppendTable(sb, rows);
        sb.Append('\n');
    }

    private static void AppendDistances(StringBuilder sb, HostTopology t)
    {
        // As numactl --hardware:    node   0   1
        //                             0:  10  21
        if (t.Nodes.All(n => n.Distances.Count == 0))
        {
            sb.Append("NUMA distances: unknown\n\n");
            return;
        }

        int cell = Math.Max(3, t.Nodes.Max(n => Math.Max(Count(n.Id).Length, n.Distances.Values.DefaultIfEmpty(0).Max().ToString(CultureInfo.InvariantCulture).Length)));
        sb.Append("NUMA distances:\n").Append("node ");
        foreach (NumaNode to in t.Nodes)
        {
            sb.Append(' ').Append(Count(to.Id).PadLeft(cell));
        }

        sb.Append('\n');
        foreach (NumaNode from in t.Nodes)
        {
            sb.Append((Count(from.Id) + ":").PadLeft(5));
            foreach (NumaNode to in t.Nodes)
            {
                string d = from.Distances.TryGetValue(to.Id, out int distance) ? Count(distance) : "-";
                sb.Append(' ').Append(d.PadLeft(cell));
            }

            sb.Append('\n');
        }

        sb.Append('\n');
    }

    private static void AppendTree(StringBuilder sb, HostTopology t)
    {
        // Levels: package, then the nodes holding its CPUs, then the L3 groups among those CPUs, then cores
        // (SMT sibling sets) with their online threads. A node can span packages (BIOS node interleaving) and an
        // L3 can span nodes (sub-NUMA clustering): each appears under every parent it touches, labelled with its
        // full CPU set and the other nodes it serves.
        var roots = new List<TreeItem>();
        foreach (int package in t.Packages)
        {
            CpuSet packageCpus = t.PackageCpus(package);
            var packageItem = new TreeItem($"Package {package}: {packageCpus}");
            foreach (NumaNode node in t.Nodes.Where(n => n.Cpus.Overlaps(packageCpus)))
            {
                CpuSet here = node.Cpus & packageCpus;
                var nodeItem = new TreeItem($"NUMA node {node.Id}: {here}{MemorySuffix(node)}");
                packageItem.Children.Add(nodeItem);
                foreach (IGrouping<CpuSet?, LogicalCpu> l3 in here.Select(id => t.Cpu(id)!).GroupBy(c => c.L3 is null ? null : c.L3 & t.Online))
                {
                    TreeItem coreParent = nodeItem;
                    if (l3.Key is CpuSet group)
                    {
                        CpuSet otherNodes = t.NodesOf(group) - CpuSet.Of(node.Id);
                        string shared = otherNodes.IsEmpty ? "" : $" (shared with node {otherNodes})";
                        coreParent = new TreeItem($"L3 {group}{shared}");
                        nodeItem.Children.Add(coreParent);
                    }

                    foreach (LogicalCpu first in l3.DistinctBy(c => c.ThreadSiblings & t.Online))
                    {
                        coreParent.Children.Add(new TreeItem($"core {first.CoreId}: {first.ThreadSiblings & t.Online}"));
                    }
                }
            }

            roots.Add(packageItem);
        }

        foreach (NumaNode node in t.Nodes.Where(n => n.Cpus.IsEmpty))
        {
            roots.Add(new TreeItem($"NUMA node {node.Id}: no CPUs{MemorySuffix(node)}"));
        }

        sb.Append("Topology:\n");
        foreach (TreeItem root in roots)
        {
            sb.Append(root.Label).Append('\n');
            AppendChildren(sb, root, "");
        }
    }

    private static void AppendChildren(StringBuilder sb, TreeItem item, string indent)
    {
        for (int i = 0; i < item.Children.Count; i++)
        {
            bool last = i == item.Children.Count - 1;
            sb.Append(indent).Append(last ? "└─ " : "├─ ").Append(item.Children[i].Label).Append('\n');
            AppendChildren(sb, item.Children[i], indent + (last ? "   " : "│  "));
        }
    }

    private static string MemorySuffix(NumaNode node) =>
        node.MemTotalKiB is long total ? $" ({Gib(total)})" : "";

    private sealed record TreeItem(string Label)
    {
        public List<TreeItem> Children { get; } = [];
    }

    // ---- parse --------------------------------------------------------------------------------------------

    /// <summary>
    /// lscpu <c>--parse</c> layout for the online CPUs, ascending: comment lines starting with <c>#</c>, the
    /// column line <c># CPU,Core,Socket,Node,L3</c>, then one comma-separated line per CPU (see
    /// <see cref="ParseRows"/>). Scripts that read <c>lscpu -p</c> skip the <c>#</c> lines and split on commas.
    /// </summary>
    public static string Parse(HostTopology t)
    {
        var sb = new StringBuilder();
        sb.Append("# The following is the parsable format, which can be fed to other\n");
        sb.Append("# programs. Each different item in every column has an unique ID\n");
        sb.Append("# starting usually from zero.\n");
        sb.Append("# CPU,Core,Socket,Node,L3\n");
        foreach (LscpuRow row in ParseRows(t))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{row.Cpu},{row.Core},{row.Socket},{row.Node},{row.L3}\n");
        }

        return sb.ToString();
    }

    /// <summary>
    /// The rows of the <c>parse</c> format. Ids are logical, as lscpu prints them without <c>--physical</c>:
    /// walking the online CPUs in ascending order, each socket (package id), each core (package, die and
    /// core id: core ids repeat across packages) and each L3 group (its CPU set) gets the next number the first
    /// time it is seen. So on a machine numbering SMT siblings N and N+40, CPU 40 shares core 0 with CPU 0.
    /// </summary>
    public static IReadOnlyList<LscpuRow> ParseRows(HostTopology t)
    {
        var sockets = new Dictionary<int, int>();
        var cores = new Dictionary<CpuSet, int>();
        var l3Groups = new Dictionary<CpuSet, int>();
        var rows = new List<LscpuRow>(t.Cpus.Count);
        foreach (LogicalCpu cpu in t.Cpus.OrderBy(c => c.Id))
        {
            int socket = NextIdIfNew(sockets, cpu.PackageId);
            int core = NextIdIfNew(cores, t.CoreOf(cpu.Id));
            int? l3 = cpu.L3 is null ? null : NextIdIfNew(l3Groups, cpu.L3);
            rows.Add(new LscpuRow(cpu.Id, core, socket, cpu.Node, l3));
        }

        return rows;
    }

    private static int NextIdIfNew<TKey>(Dictionary<TKey, int> ids, TKey key)
        where TKey : notnull
    {
        if (!ids.TryGetValue(key, out int id))
        {
            id = ids.Count;
            ids[key] = id;
        }

        return id;
    }

    // ---- json ---------------------------------------------------------------------------------------------

    /// <summary>The topology as the JSON document of <c>docs/topology-json.md</c> (indented, camelCase).</summary>
    public static string Json(HostTopology t)
    {
        var document = new TopologyDocument(
            ProductVersion.Json,
            new CpuPoolsDocument(
                t.Possible.ToString(),
                t.Present.ToString(),
                t.Online.ToString(),
                t.Offline.ToString(),
                t.Isolated.ToString(),
                t.NohzFull.ToString()),
            t.ThreadsPerCore,
            t.CoresPerPackage,
            t.Packages.Count,
            t.L3Groups.Select(g => g.ToString()).ToList(),
            t.Nodes.Select(n => new NodeDocument(
                n.Id,
                n.Cpus.ToString(),
                n.MemTotalKiB,
                n.MemFreeKiB,
                n.HugePages.Select(p => new HugePagesDocument(p.SizeKiB, p.Total, p.Free)).ToList(),
                n.Distances.Count == 0
                    ? []
                    : t.Nodes.Select(to => n.Distances.TryGetValue(to.Id, out int d) ? d : (int?)null).ToList())).ToList(),
            t.Cpus.Select(c => new CpuDocument(
                c.Id,
                c.CoreId,
                c.PackageId,
                c.DieId,
                c.ClusterId,
                c.Node,
                c.L2?.ToString(),
                c.L3?.ToString(),
                c.ThreadSiblings.ToString())).ToList(),
            new CpuFreqDocument(t.CpuFreq.Governors, t.CpuFreq.CurrentGovernors, t.CpuFreq.MinKHz, t.CpuFreq.MaxKHz, t.CpuFreq.BaseKHz),
            t.Notes.Select(n => new NoteDocument(n.Severity.ToString().ToLowerInvariant(), n.Message)).ToList());
        return JsonSerializer.Serialize(document, TopologyJsonContext.Default.TopologyDocument) + "\n";
    }

    // ---- units --------------------------------------------------------------------------------------------

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string OrNone(CpuSet set) => set.IsEmpty ? "none" : set.ToString();

    private static string Mhz(long kHz) => (kHz / 1000.0).ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>KiB as GiB with one decimal (<c>45.8 GiB</c>), or "unknown".</summary>
    private static string Gib(long? kib) =>
        kib is long k ? (k / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB" : "unknown";

    private static void AppendTable(StringBuilder sb, List<string[]> rows)
    {
        int columns = rows[0].Length;
        int[] widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (string[] row in rows)
        {
            var line = new StringBuilder();
            for (int c = 0; c < columns; c++)
            {
                line.Append(c == columns - 1 ? row[c] : row[c].PadRight(widths[c] + 3));
            }

            sb.Append(line.ToString().TrimEnd()).Append('\n');
        }
    }
}

// The JSON document; docs/topology-json.md describes every field. Positional records keep the field order.

internal sealed record TopologyDocument(
    string Version,
    CpuPoolsDocument Cpus,
    int ThreadsPerCore,
    int CoresPerSocket,
    int Sockets,
    IReadOnlyList<string> L3Groups,
    IReadOnlyList<NodeDocument> Nodes,
    IReadOnlyList<CpuDocument> CpuList,
    CpuFreqDocument Cpufreq,
    IReadOnlyList<NoteDocument> Notes);

internal sealed record NoteDocument(string Severity, string Message);

internal sealed record CpuPoolsDocument(string Possible, string Present, string Online, string Offline, string Isolated, string NohzFull);

internal sealed record NodeDocument(
    int Id,
    string Cpus,
    long? MemTotalKiB,
    long? MemFreeKiB,
    IReadOnlyList<HugePagesDocument> Hugepages,
    IReadOnlyList<int?> Distances);

internal sealed record HugePagesDocument(long SizeKiB, long Total, long Free);

internal sealed record CpuDocument(int Cpu, int Core, int Socket, int Die, int? Cluster, int Node, string? L2, string? L3, string Siblings);

internal sealed record CpuFreqDocument(IReadOnlyList<string> Governors, IReadOnlyList<string> CurrentGovernors, long? MinKHz, long? MaxKHz, long? BaseKHz);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(TopologyDocument))]
internal sealed partial class TopologyJsonContext : JsonSerializerContext;
