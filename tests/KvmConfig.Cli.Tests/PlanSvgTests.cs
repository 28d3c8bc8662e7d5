using KvmConfig.Cli.Rendering;
using System.Globalization;
using System.Xml.Linq;
using KvmConfig.Cli.Plan;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig plan --svg</c>: the picture is well-formed SVG, names every VM, and has one thread box per online
/// CPU, tagged with the VM that runs on it; boxes nest package, node, (L3,) core, thread. Each cell carries the mark
/// the text CPU map prints for its CPU, shared-pool cells are cut into one slice per shared VM in that VM's own fill,
/// and the CPUs the fragmentation table calls stranded are outlined (issue 13, item 15).
/// </summary>
public sealed class PlanSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Svg_parses_names_every_vm_and_draws_every_online_cpu_once(PlanCase c)
    {
        // Given a clean plan
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        Core.Planning.Plan plan = report.Plan!;

        // When it is drawn
        XDocument svg = XDocument.Parse(PlanSvg.Render(plan, host, $"sysroot {c.Machine}"));

        // Then it is an SVG document
        Assert.Equal(Svg + "svg", svg.Root!.Name);

        // naming every VM in its legend
        string[] texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToArray();
        foreach (VmPlacement vm in plan.Vms)
        {
            Assert.True(texts.Any(t => t.Contains(vm.Name, StringComparison.Ordinal)), $"{c}: no text names {vm.Name}");
        }

        // with one thread box per online CPU, inside a core, inside a node, inside a package
        XElement[] threads = svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "thread").ToArray();
        int[] cpus = threads.Select(t => int.Parse((string)t.Attribute("data-cpu")!, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(host.Online.ToArray(), cpus.Order().ToArray());
        Assert.All(threads, t => Assert.Equal(["core", "node", "package"], Groups(t).Where(g => g != "l3" && g != "machine")));

        // each filled for the VM that runs there
        foreach (XElement thread in threads)
        {
            int cpu = int.Parse((string)thread.Attribute("data-cpu")!, CultureInfo.InvariantCulture);
            string? owner = plan.Vms.FirstOrDefault(v => v.Spec.IsDedicated && v.Cpus.Contains(cpu))?.Name;
            if (owner is not null)
            {
                Assert.Equal(owner, (string?)thread.Attribute("data-vm"));
                Assert.Equal("vm", (string?)thread.Attribute("data-role"));
            }
            else if (plan.Reserved.Contains(cpu))
            {
                Assert.Equal("reserved", (string?)thread.Attribute("data-role"));
            }
        }
    }

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Every_cell_carries_the_mark_the_text_cpu_map_prints_for_its_cpu(PlanCase c)
    {
        // Given a clean plan, printed as text and drawn
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        string text = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot"));
        XDocument svg = XDocument.Parse(PlanSvg.Render(report.Plan!, host, c.Machine));

        // Then the picture's mark of every CPU is the one under its number in the text map
        Dictionary<int, string> drawn = svg.Descendants(Svg + "text")
            .Where(t => (string?)t.Attribute("class") == "mark")
            .ToDictionary(t => int.Parse((string)t.Attribute("data-cpu")!, CultureInfo.InvariantCulture), t => t.Value);
        Dictionary<int, string> printed = TextMap(text);
        Assert.Equal(host.Online.ToArray(), printed.Keys.Order());
        Assert.Equal(printed.OrderBy(p => p.Key), drawn.OrderBy(p => p.Key));
    }

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Shared_pool_cells_show_every_shared_vm_in_its_own_fill_as_wide_as_its_vcpus(PlanCase c)
    {
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        Core.Planning.Plan plan = report.Plan!;
        XDocument svg = XDocument.Parse(PlanSvg.Render(plan, host, c.Machine));
        List<VmPlacement> shared = [.. plan.Vms.Where(v => !v.Spec.IsDedicated)];
        int vcpus = shared.Sum(v => v.Spec.Vcpus);

        // Each CPU of the pool holds one slice per shared VM, in declaration order, as wide as its share of the vCPUs
        ILookup<string, XElement> slices = svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "share")
            .ToLookup(r => (string)r.Attribute("data-cpu")!);
        Assert.Equal(plan.SharedPool.Select(cpu => cpu.ToString(CultureInfo.InvariantCulture)).Order(), slices.Select(g => g.Key).Order());
        foreach (IGrouping<string, XElement> cell in slices)
        {
            Assert.Equal(shared.Select(v => v.Name), cell.Select(r => (string?)r.Attribute("data-vm")));
            double width = cell.Sum(Width);
            Assert.All(cell.Zip(shared), p => Assert.Equal((double)p.Second.Spec.Vcpus / vcpus, Width(p.First) / width, precision: 2));
        }

        // in a fill of its own, the same in every cell and on its legend swatch, never a dedicated VM's colour
        Dictionary<string, string> fills = slices.SelectMany(g => g)
            .GroupBy(r => (string)r.Attribute("data-vm")!)
            .ToDictionary(g => g.Key, g => Assert.Single(g.Select(r => (string)r.Attribute("fill")!).Distinct()));
        Assert.Equal(fills.Count, fills.Values.Distinct().Count());
        Assert.Empty(fills.Values.Intersect(CpuRoles.Palette));
        Dictionary<string, string> swatches = svg.Descendants(Svg + "rect")
            .Where(r => (string?)r.Attribute("class") == "swatch" && r.Attribute("data-vm") is not null)
            .ToDictionary(r => (string)r.Attribute("data-vm")!, r => (string)r.Attribute("fill")!);
        Assert.All(fills, f => Assert.Equal(f.Value, swatches[f.Key]));
    }

    [Fact]
    public void Thirty_shared_vms_get_thirty_different_fills()
    {
        // Given 30 shared-pool VMs of one vCPU each on the 80-CPU Xeon
        string vms = string.Concat(Enumerable.Range(1, 30).Select(i => $"[vm s{i:00}]\nvcpus = 1\nmemory = 256M\ncpuspinlock = none\n\n"));
        using var dir = new ConfigDir(("10-shared.conf", vms));
        HostTopology host = PlanCases.Host(PlanCases.Xeon);
        CheckReport report = DeclarationCheck.Run(dir.Dir, host);
        Assert.True(report.Ok, string.Join("\n", report.Diagnostics));

        XDocument svg = XDocument.Parse(PlanSvg.Render(report.Plan!, host, "xeon"));

        // Then the swatches differ: ten tints, then the same striped one way, then the other, each pattern defined
        string[] fills = [.. svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "swatch" && r.Attribute("data-vm") is not null)
            .Select(r => (string)r.Attribute("fill")!)];
        Assert.Equal(30, fills.Distinct().Count());
        string[] patterns = [.. svg.Descendants(Svg + "pattern").Select(p => $"url(#{(string)p.Attribute("id")!})")];
        Assert.All(fills.Where(f => f.StartsWith("url(", StringComparison.Ordinal)), f => Assert.Contains(f, patterns));
        Assert.Equal(20, fills.Count(f => f.StartsWith("url(", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void The_cpus_the_fragmentation_table_calls_stranded_are_outlined_and_say_why(PlanCase c)
    {
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        Core.Planning.Plan plan = report.Plan!;

        XDocument svg = XDocument.Parse(PlanSvg.Render(plan, host, c.Machine));

        XElement[] marked = [.. svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("data-stranded") == "true")];
        CpuSet stranded = CpuSet.Of(plan.Fragmentation.SelectMany(f => f.StrandedCpus));
        Assert.Equal(stranded, CpuSet.Of(marked.Select(r => int.Parse((string)r.Attribute("data-cpu")!, CultureInfo.InvariantCulture))));
        Assert.All(marked, r => Assert.Contains("; stranded: ", r.Element(Svg + "title")!.Value, StringComparison.Ordinal));
        Assert.Equal(stranded.Count, svg.Descendants(Svg + "rect").Count(r => (string?)r.Attribute("class") == "stranded"));
    }

    [Fact]
    public void The_free_siblings_of_the_seed_vm_are_stranded_in_the_picture_as_in_the_table()
    {
        // Given the seed: vm1 strict on 1-4 of the desktop, whose siblings 11-14 stay free
        PlanCase c = PlanCases.All.Single(x => x.Name == "seed");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        string text = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot"));

        XDocument svg = XDocument.Parse(PlanSvg.Render(report.Plan!, host, "desktop"));

        // Then the table and the picture both call 11-14 stranded, and the picture says it is the split cores
        Assert.Contains("4 (11-14)", text, StringComparison.Ordinal);
        XElement[] marked = [.. svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("data-stranded") == "true")];
        Assert.Equal(CpuSet.Parse("11-14"), CpuSet.Of(marked.Select(r => int.Parse((string)r.Attribute("data-cpu")!, CultureInfo.InvariantCulture))));
        Assert.All(marked, r => Assert.EndsWith("a sibling thread of its core is taken, so no VM that wants whole cores can use it", r.Element(Svg + "title")!.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void Sub_numa_clustering_draws_the_shared_l3_inside_each_node()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "finance");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);

        XDocument svg = XDocument.Parse(PlanSvg.Render(report.Plan!, host, "xeon"));

        string[] labels = svg.Descendants(Svg + "text").Select(t => t.Value).ToArray();
        Assert.Equal(2, labels.Count(l => l.StartsWith("Package ", StringComparison.Ordinal)));
        Assert.Equal(4, labels.Count(l => l.StartsWith("NUMA node ", StringComparison.Ordinal)));
        Assert.Contains("L3 (shared with node 1)", labels);
        Assert.Equal(40, labels.Count(l => l.StartsWith("Core ", StringComparison.Ordinal)));
    }

    [Fact]
    public void Markup_in_the_title_is_escaped()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "seed");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        const string title = "sysroot /captures/R&D <lab> \"b\"";

        XDocument svg = XDocument.Parse(PlanSvg.Render(report.Plan!, host, title));

        Assert.Equal($"kvmconfig plan: {title}", svg.Root!.Element(Svg + "title")!.Value);
    }

    // The text CPU map: under each line of CPU numbers (after an optional nodeN label), the line of their marks.
    private static Dictionary<int, string> TextMap(string text)
    {
        string[] lines = text.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("CPU map", StringComparison.Ordinal));
        int end = Array.FindIndex(lines, l => l.StartsWith("Fragmentation", StringComparison.Ordinal));
        var map = new Dictionary<int, string>();
        for (int i = start + 1; i < end - 1; i++)
        {
            string[] numbers = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            numbers = numbers.Length > 0 && numbers[0].StartsWith("node", StringComparison.Ordinal) ? numbers[1..] : numbers;
            if (numbers.Length == 0 || !numbers.All(n => n.All(char.IsAsciiDigit)))
            {
                continue;
            }

            string[] marks = lines[++i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(numbers.Length, marks.Length);
            foreach ((string number, string mark) in numbers.Zip(marks))
            {
                map.Add(int.Parse(number, CultureInfo.InvariantCulture), mark);
            }
        }

        return map;
    }

    private static double Width(XElement rect) => double.Parse((string)rect.Attribute("width")!, CultureInfo.InvariantCulture);

    // The classes of the groups around an element, innermost first.
    private static IEnumerable<string> Groups(XElement element) =>
        element.Ancestors(Svg + "g").Select(g => (string?)g.Attribute("class") ?? "");
}
