using KvmConfig.Cli.Rendering;
using System.Text;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The text of <c>kvmconfig plan</c>: golden files for the shipped examples on the machines they were written for,
/// and, for every case, a CPU map read back cell by cell against the plan.
/// </summary>
public sealed class PlanTextTests
{
    [Theory]
    [InlineData("finance", true)]
    [InlineData("seed", false)]
    public void Example_plan_matches_golden(string example, bool explain)
    {
        // Given an example copied into a directory with safe modes, and its machine
        PlanCase c = PlanCases.All.Single(x => x.Name == example);
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);

        // When plan renders it
        string output = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions($"sysroot {c.Machine}", Explain: explain));

        // Then the text is the golden one
        var doc = new StringBuilder();
        doc.Append(CultureInfo($"Plan.{c.Name}: {c.Description}\nhost: {c.Machine}\n\n--- kvmconfig plan{(explain ? " --explain" : "")}\n"));
        doc.Append(output);
        Golden.Verify($"Plan.{c.Name}.{c.Machine}", dir.Scrub(doc.ToString()));
    }

    [Theory]
    [MemberData(nameof(PlanCases.Rows), MemberType = typeof(PlanCases))]
    public void Map_shows_every_online_cpu_once_under_its_number_with_its_user(PlanCase c)
    {
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);
        Core.Planning.Plan plan = report.Plan!;

        string output = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot"));
        Dictionary<int, string> map = ReadMap(output, host);

        Assert.Equal(host.Nodes.SelectMany(n => n.Cpus).Order(), map.Keys.Order());
        Dictionary<int, string> expected = ExpectedMarks(plan, host);
        foreach ((int cpu, string mark) in map)
        {
            Assert.True(expected[cpu] == mark, $"{c}: CPU {cpu} is marked '{mark}', expected '{expected[cpu]}'");
        }
    }

    [Fact]
    public void The_policy_column_names_a_scheduling_class_that_is_not_the_default()
    {
        using var dir = new ConfigDir(
            ("00-cpu.conf", "reserved = 0\n"),
            ("10-rt.conf", "[vm rt]\nvcpus = 2\ncpuscheduling = fifo:10\nmemory = 2G\n"),
            ("20-web.conf", "[vm web]\nvcpus = 2\nmemory = 2G\n"));
        HostTopology host = PlanCases.Host("desktop-1s-20cpu");

        string output = PlanText.Render(PlanCases.Planned(DeclarationCheck.Run(dir.Dir, host)), host, new PlanTextOptions("sysroot"));

        string rt = output.Split('\n').Single(l => l.StartsWith("rt ", StringComparison.Ordinal));
        string web = output.Split('\n').Single(l => l.StartsWith("web ", StringComparison.Ordinal));
        Assert.EndsWith("strict/prefer fifo:10", rt.TrimEnd(), StringComparison.Ordinal);
        Assert.EndsWith("strict/prefer", web.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Map_lines_stay_within_100_columns_on_a_node_of_28_cpus_numbered_up_to_111()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "mixed");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);

        string output = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot"));

        string[] mapLines = MapLines(output).ToArray();
        Assert.NotEmpty(mapLines);
        Assert.All(mapLines, line => Assert.True(line.Length <= 100, $"{line.Length} columns: {line}"));
    }

    [Fact]
    public void Explain_lists_each_vm_with_its_reasons_as_bullets()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "mixed");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);

        string plain = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot"));
        string explained = PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot", Explain: true));

        Assert.DoesNotContain("Why each VM landed", plain);
        Assert.DoesNotContain(report.Plan!.Vms[0].Explanation[0], plain);
        foreach (VmPlacement vm in report.Plan!.Vms)
        {
            Assert.Contains($"{vm.Name}\n" + string.Concat(vm.Explanation.Select(l => $"  - {l}\n")), explained);
        }
    }

    [Fact]
    public void Colour_only_when_asked()
    {
        PlanCase c = PlanCases.All.Single(x => x.Name == "finance");
        using ConfigDir dir = c.Directory();
        (CheckReport report, HostTopology host) = c.Check(dir);

        Assert.DoesNotContain("\e[", PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot")));
        Assert.Contains("\e[", PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions("sysroot", Color: true)));
    }

    // ---- reading the map back -------------------------------------------------------------------------------

    // The lines between the legend (ended by a blank line) and the fragmentation table: per node, a line of CPU
    // numbers (the first one starting with "nodeN") and under it a line of marks, each right-aligned under its number.
    private static IEnumerable<string> MapLines(string output)
    {
        string[] lines = output.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("CPU map", StringComparison.Ordinal));
        int start = Array.FindIndex(lines, header, l => l.Length == 0);
        int end = Array.FindIndex(lines, l => l.StartsWith("Fragmentation", StringComparison.Ordinal));
        return lines[start..end].Where(l => l.Length > 0 && !l.StartsWith("offline", StringComparison.Ordinal));
    }

    private static Dictionary<int, string> ReadMap(string output, HostTopology host)
    {
        string[] lines = MapLines(output).ToArray();
        Assert.True(lines.Length % 2 == 0, "numbers and marks come in pairs of lines");
        var map = new Dictionary<int, string>();
        for (int i = 0; i < lines.Length; i += 2)
        {
            List<(int End, string Text)> numbers = Tokens(lines[i]).Where(t => !t.Text.StartsWith("node", StringComparison.Ordinal)).ToList();
            List<(int End, string Text)> marks = Tokens(lines[i + 1]).ToList();
            Assert.Equal(numbers.Select(n => n.End), marks.Select(m => m.End));
            foreach (((int _, string number), (int _, string mark)) in numbers.Zip(marks))
            {
                Assert.True(map.TryAdd(int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), mark), $"CPU {number} shown twice");
            }
        }

        Assert.True(map.Keys.All(host.Online.Contains));
        return map;
    }

    private static IEnumerable<(int End, string Text)> Tokens(string line)
    {
        int i = 0;
        while (i < line.Length)
        {
            if (line[i] == ' ')
            {
                i++;
                continue;
            }

            int start = i;
            while (i < line.Length && line[i] != ' ')
            {
                i++;
            }

            yield return (i, line[start..i]);
        }
    }

    // The marks as the help text defines them, computed from the plan without the renderer's helpers: a dedicated
    // VM's key (A, B, ... in declaration order), r reserved, e an isolate VM's emulator CPU, i an idle sibling,
    // ~ shared pool, . free, - the rest (online, outside the cpuset).
    private static Dictionary<int, string> ExpectedMarks(Core.Planning.Plan plan, HostTopology host)
    {
        var marks = new Dictionary<int, string>();
        List<VmPlacement> dedicated = plan.Vms.Where(v => v.Spec.IsDedicated).ToList();
        for (int i = 0; i < dedicated.Count; i++)
        {
            Assign(marks, dedicated[i].Cpus, ((char)('A' + i)).ToString());
        }

        Assign(marks, plan.Reserved, "r");
        foreach (VmPlacement vm in dedicated.Where(v => v.Spec.Emulator == Core.Specs.EmulatorPlacement.Isolate))
        {
            Assign(marks, vm.EmulatorCpus, "e");
        }

        foreach (VmPlacement vm in dedicated)
        {
            Assign(marks, vm.IdleSiblings, "i");
        }

        Assign(marks, plan.SharedPool, "~");
        Assign(marks, plan.Free, ".");
        Assign(marks, host.Online, "-");
        return marks;
    }

    private static void Assign(Dictionary<int, string> marks, CpuSet cpus, string mark)
    {
        foreach (int cpu in cpus)
        {
            marks.TryAdd(cpu, mark);
        }
    }

    private static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);
}
