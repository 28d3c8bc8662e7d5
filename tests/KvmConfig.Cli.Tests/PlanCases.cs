using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// Declarations that plan cleanly, on the captured machine each was written for. The renderers' tests (text, JSON,
/// SVG) all run over this one list, so a new shape of plan is added once and checked by every output.
/// </summary>
public static class PlanCases
{
    /// <summary>The plan of a clean check, as <c>plan</c> hands it to its renderers.</summary>
    public static PlanOutcome.Planned Planned(CheckReport report) => Assert.IsType<PlanOutcome.Planned>(DeclarationPlan.Of(report));

    public const string Desktop = "desktop-1s-20cpu";
    public const string Xeon = "xeon-2s-4numa-snc-80cpu";
    public const string Numa8 = "2s-8numa-112cpu";
    public const string Epyc = "cadvisor-epyc7402";


    /// <summary>The cases, by name.</summary>
    public static IReadOnlyList<PlanCase> All { get; } =
    [
        PlanCase.Example("finance", Xeon,
            "the shipped finance example: explicit database and risk VMs, an auto replica under smt = isolate, six shared-pool VMs, 2M huge pages, on two sockets with sub-NUMA clustering"),
        PlanCase.Example("seed", Desktop,
            "the shipped seed example: one strict VM on CPUs 1-4 of a 20-CPU desktop"),
        new("mixed", Numa8,
            "every kind of VM on 4 CPU nodes and 4 memory-only nodes: a 20-vCPU auto VM, isolate with an odd vCPU count (an idle sibling) and its own emulator CPU, float, require, two shared-pool VMs; the kernel's isolated CPUs left out of the cpuset",
            [
                ("00-cpu.conf", "reserved = 0,56\ncpuset = 1-3,8-55,57-59,64-111\novercommit = 1:2\nmax_vm_share = 1/2\n"),
                ("20-big.conf", "vcpus = 20\nmemory = 16G\n"),
                ("21-iso.conf", "vcpus = 3\nmemory = 2G\nsmt = isolate\nemulator = isolate\n"),
                ("22-flt.conf", "vcpus = 4\nmemory = 2G\ncpuspinlock = float\n"),
                ("23-req.conf", "vcpus = 6\nmemory = 4G\nsmt = require\n"),
                ("30-web.conf", "[vm web1]\nvcpus = 2\nmemory = 1G\ncpuspinlock = none\n\n[vm web2]\nvcpus = 2\ncpuspinlock = none\n"),
            ]),
        new("offline", Epyc,
            "a single node with six CPUs offline (siblings of 0-2 and 17-19 among them) and no cache tree: cores of one thread, an idle sibling",
            [
                ("00-cpu.conf", "reserved = 0\n"),
                ("20-a.conf", "vcpus = 6\nmemory = 4G\n"),
                ("21-b.conf", "vcpus = 3\nmemory = 2G\nsmt = isolate\n"),
                ("30-s.conf", "[vm s1]\nvcpus = 2\ncpuspinlock = none\n"),
            ]),
    ];

    /// <summary>The cases as xunit rows.</summary>
    public static TheoryData<PlanCase> Rows()
    {
        var rows = new TheoryData<PlanCase>();
        foreach (PlanCase c in All)
        {
            rows.Add(c);
        }

        return rows;
    }

    /// <summary>The captured machine <paramref name="machine"/>, read once.</summary>
    public static HostTopology Host(string machine) => Captures.Host(machine);

    /// <summary><c>tests/data/sysfs/MACHINE</c>, as <c>--sysroot</c> takes it.</summary>
    public static string Sysroot(string machine) => TestData.Path("sysfs", machine);

    /// <summary>A copy of <c>examples/NAME</c> in a directory with safe modes.</summary>
    public static ConfigDir CopyExample(string name)
    {
        var dir = new ConfigDir();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestData.RepositoryRoot, "examples", name)))
        {
            dir.Write(Path.GetFileName(file), File.ReadAllText(file));
        }

        return dir;
    }
}

/// <summary>A named declaration (the files of an example, or files written here), the machine it runs on, and why it is a case.</summary>
public sealed class PlanCase : IXunitSerializable
{
    /// <summary>For xunit's deserializer only.</summary>
    public PlanCase()
    {
    }

    public PlanCase(string name, string machine, string description, (string Name, string Text)[] files, string? example = null)
    {
        Name = name;
        Machine = machine;
        Description = description;
        Files = files;
        ExampleName = example;
    }

    public string Name { get; private set; } = "";

    public string Machine { get; private set; } = "";

    public string Description { get; private set; } = "";

    /// <summary>The files, unless the case is a shipped example.</summary>
    public (string Name, string Text)[] Files { get; private set; } = [];

    /// <summary>The directory under <c>examples/</c>, or null.</summary>
    public string? ExampleName { get; private set; }

    public static PlanCase Example(string example, string machine, string description) =>
        new(example, machine, description, [], example);

    /// <summary>The case's files in a fresh directory with safe modes.</summary>
    public ConfigDir Directory()
    {
        if (ExampleName is not null)
        {
            return PlanCases.CopyExample(ExampleName);
        }

        var dir = new ConfigDir();
        foreach ((string name, string text) in Files)
        {
            dir.Write(name, text);
        }

        return dir;
    }

    /// <summary>Checks (and so plans) the case on its machine; asserts the check is clean.</summary>
    public (CheckReport Report, HostTopology Host) Check(ConfigDir dir)
    {
        HostTopology host = PlanCases.Host(Machine);
        CheckReport report = DeclarationCheck.Run(dir.Dir, host);
        Assert.True(report.Ok && report.Plan is not null,
            $"{Name} on {Machine} does not plan:\n{CheckCommandText(report, host)}");
        return (report, host);
    }

    // Rows travel to the runner by name only; the table is the single source of their content.
    void IXunitSerializable.Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Name), Name);

    void IXunitSerializable.Deserialize(IXunitSerializationInfo info)
    {
        string name = info.GetValue<string>(nameof(Name));
        PlanCase c = PlanCases.All.Single(x => x.Name == name);
        (Name, Machine, Description, Files, ExampleName) = (c.Name, c.Machine, c.Description, c.Files, c.ExampleName);
    }

    public override string ToString() => $"{Name} on {Machine}";

    private static string CheckCommandText(CheckReport report, HostTopology host) =>
        CheckText.Render(report, host, "sysroot", verbose: true, color: false);
}
