using System.Globalization;
using System.Xml.Linq;
using KvmConfig.Cli.Plan;
using KvmConfig.Config;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig plan --svg</c>: the picture is well-formed SVG, names every VM, and has one thread box per online
/// CPU, tagged with the VM that runs on it; boxes nest package, node, (L3,) core, thread.
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

    // The classes of the groups around an element, innermost first.
    private static IEnumerable<string> Groups(XElement element) =>
        element.Ancestors(Svg + "g").Select(g => (string?)g.Attribute("class") ?? "");
}
