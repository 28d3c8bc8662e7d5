using System.Diagnostics;
using System.Xml.Linq;
using KvmConfig.Core;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>One CPU as a topology tool numbers it: core, socket and node labels, "" where the tool gives none.</summary>
internal sealed record ReferenceRow(string Core, string Socket, string Node);

/// <summary>
/// What the standard tools say about a sysfs tree: <c>lscpu -p=CPU,Core,Socket,Node --sysroot</c> (util-linux), or,
/// where lscpu cannot read the tree, hwloc's <c>lstopo-no-graphics --input</c>. The tree is copied first, with a
/// <c>proc/cpuinfo</c> of one "processor" entry per <c>cpuN</c> directory added: lscpu needs one to know the CPUs'
/// type, and captures hold only <c>sys/</c>. Nothing else in the copy is changed.
/// </summary>
internal static class ReferenceTopology
{
    /// <summary>The rows by CPU, and which tool gave them (<c>lscpu</c> or <c>hwloc</c>).</summary>
    public static (string Tool, IReadOnlyDictionary<int, ReferenceRow> Rows) Read(string sysroot)
    {
        using TempTree copy = TestData.CopyToTemp(sysroot);
        string cpuDir = copy.Path("sys", "devices", "system", "cpu");
        IEnumerable<int> cpus = Directory.EnumerateDirectories(cpuDir, "cpu*")
            .Select(Path.GetFileName)
            .Where(n => n!.Length > 3 && n[3..].All(char.IsAsciiDigit))
            .Select(n => int.Parse(n![3..], System.Globalization.CultureInfo.InvariantCulture))
            .Order();
        Directory.CreateDirectory(copy.Path("proc"));
        File.WriteAllText(copy.Path("proc", "cpuinfo"), string.Concat(cpus.Select(c => $"processor\t: {c}\nvendor_id\t: GenuineIntel\n\n")));

        (int exit, string output, _) = Run("lscpu", "-p=CPU,Core,Socket,Node", "--sysroot", copy.Dir);
        Dictionary<int, ReferenceRow> rows = exit == 0 ? LscpuRows(output) : [];
        if (rows.Count > 0)
        {
            return ("lscpu", rows);
        }

        (exit, output, string error) = Run("lstopo-no-graphics", "--input", copy.Dir, "--of", "xml", "-");
        Assert.True(exit == 0, $"neither lscpu nor hwloc reads {sysroot}: lstopo-no-graphics exit {exit}: {error}");
        return ("hwloc", HwlocRows(output));
    }

    /// <summary>Rows of <c>lscpu -p</c>: "#" lines skipped, then "CPU,Core,Socket,Node" with empty cells allowed.</summary>
    public static Dictionary<int, ReferenceRow> LscpuRows(string output)
    {
        var rows = new Dictionary<int, ReferenceRow>();
        foreach (string line in output.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            string[] cells = line.Split(',');
            rows[int.Parse(cells[0], System.Globalization.CultureInfo.InvariantCulture)] = new ReferenceRow(cells[1], cells[2], cells[3]);
        }

        return rows;
    }

    /// <summary>
    /// Rows from hwloc's XML: each PU (its <c>os_index</c> is the CPU) labelled with the index of the Core, Package
    /// and NUMANode objects whose <c>cpuset</c> holds it ("" when hwloc made no such object).
    /// </summary>
    private static Dictionary<int, ReferenceRow> HwlocRows(string xml)
    {
        List<XElement> objects = XDocument.Parse(xml).Descendants("object").ToList();
        List<CpuSet> Sets(string type) => objects.Where(o => (string?)o.Attribute("type") == type).Select(o => HwlocSet((string)o.Attribute("cpuset")!)).ToList();
        List<CpuSet> cores = Sets("Core"), packages = Sets("Package"), nodes = Sets("NUMANode");
        string Label(List<CpuSet> sets, int cpu) => sets.FindIndex(s => s.Contains(cpu)) is int i and >= 0 ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";

        var rows = new Dictionary<int, ReferenceRow>();
        foreach (XElement pu in objects.Where(o => (string?)o.Attribute("type") == "PU"))
        {
            int cpu = (int)pu.Attribute("os_index")!;
            rows[cpu] = new ReferenceRow(Label(cores, cpu), Label(packages, cpu), Label(nodes, cpu));
        }

        return rows;
    }

    /// <summary>hwloc's bitmap: 32-bit groups, each written <c>0x...</c>, most significant first.</summary>
    private static CpuSet HwlocSet(string text) =>
        CpuSet.ParseHexMask(string.Join(',', text.Split(',').Select(g => g.StartsWith("0x", StringComparison.Ordinal) ? g[2..] : g)));

    private static (int Exit, string Out, string Err) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using Process process = Process.Start(start)!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return (process.ExitCode, output.Result, error.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, "", $"{program} is not installed ({e.Message}); scripts/setup.sh installs util-linux and hwloc-nox");
        }
    }
}
