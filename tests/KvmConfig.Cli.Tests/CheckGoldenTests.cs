using System.Text;
using System.Text.RegularExpressions;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// One golden file per diagnostic: a small declaration an administrator could really write, checked against a
/// captured machine and rendered exactly as <c>kvmconfig check --verbose</c> prints it. The golden file holds the
/// input too, so a reviewer reads the files and the verdict side by side (docs/diagnostics.md quotes them).
/// </summary>
public sealed partial class CheckGoldenTests
{
    private const string Desktop = "desktop-1s-20cpu";
    private const string Xeon = "xeon-2s-4numa-snc-80cpu";
    private const string Epyc = "cadvisor-epyc7402";


    /// <summary>
    /// The cases, one or more per code of KVC001..KVC050. A case's name starts with the code it exists for;
    /// <see cref="CheckCase.Also"/> lists the other codes the declaration cannot avoid, so a golden file can never
    /// lock a declaration that trips something else by accident.
    /// </summary>
    public static IReadOnlyList<CheckCase> Cases { get; } =
    [
        // ---- Syntax -------------------------------------------------------------------------------------------
        new("KVC001-not-utf8",
            "a VM file saved as Latin-1 by an old editor: the 'ü' of the comment is byte 0xfc, which is not UTF-8; "
            + "the file is left out rather than read with replacement characters",
            Desktop,
            [("20-buero.conf", "# Webserver für das Büro\nvcpus = 2\nmemory = 2G\n")],
            latin1: true),

        new("KVC002-missing-equals",
            "a key and its value with the '=' forgotten",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\ncpu_weight 200\n")]),

        new("KVC003-empty-key",
            "a value left behind when the key was deleted",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\n= 200\n")]),

        new("KVC004-unterminated-header",
            "a [vm] header without its ']': its keys are skipped, the next section is read",
            Desktop,
            [("30-web.conf", "[vm web1\nvcpus = 2\nmemory = 2G\n\n[vm web2]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC004-text-after-header",
            "a key written on the header line, INI-style shortcuts do not exist",
            Desktop,
            [("30-web.conf", "[vm web1] vcpus = 2\nmemory = 2G\n")]),

        new("KVC005-unknown-section",
            "[vms web1] instead of [vm web1]: did you mean suggests the right header with the name kept",
            Desktop,
            [("30-web.conf", "[vms web1]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC006-bad-section-name",
            "a VM name with a space, which libvirt domain names do not allow unquoted",
            Desktop,
            [("30-web.conf", "[vm web server]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC006-vm-without-name",
            "[vm] with no name",
            Desktop,
            [("30-web.conf", "[vm]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC007-no-section",
            "keys at the top of a file whose name (no NN- prefix) implies no section",
            Desktop,
            [("web1.conf", "vcpus = 2\nmemory = 2G\n")]),

        new("KVC008-empty-directory",
            "a directory holding only a file with the wrong extension (.cfg): nothing is declared",
            Desktop,
            [("10-web1.cfg", "vcpus = 2\nmemory = 2G\n")]),

        new("KVC010-unknown-key",
            "cpu = 1-4 for cpus = 1-4: did you mean 'cpus'",
            Desktop,
            [("10-vm1.conf", "cpu = 1-4\nvcpus = 4\nmemory = 4G\n")]),

        new("KVC010-host-key-in-vm",
            "a [host] key written in a VM file: the hint says where it belongs",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\novercommit = 1:3\n")]),

        new("KVC011-bad-value",
            "memory = 12X: X is not a size unit; the carets point at the unit",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 12X\n")]),

        new("KVC012-overcommit-out-of-range",
            "overcommit = 1:9: a ratio, but above the 1:5 the host policy allows",
            Desktop,
            [("00-cpu.conf", "overcommit = 1:9\n")]),

        new("KVC012-vcpus-zero",
            "vcpus = 0: a number, but a VM needs at least one vCPU",
            Desktop,
            [("20-web1.conf", "vcpus = 0\nmemory = 2G\n")]),

        new("KVC013-duplicate-key",
            "memory set twice in one section: the later line wins, with a warning",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 8G\n# grown for the quarter-end batch\nmemory = 16G\n")]),

        new("KVC014-duplicate-vm",
            "web1 declared by its own file and again in a file of several web VMs",
            Desktop,
            [
                ("20-web1.conf", "vcpus = 2\nmemory = 2G\n"),
                ("30-web.conf", "[vm web1]\nvcpus = 4\nmemory = 4G\n"),
            ]),

        new("KVC015-drop-in-override",
            "a later drop-in file overrides a [host] key: allowed, reported as a note with --verbose",
            Desktop,
            [
                ("00-cpu.conf", "reserved = 0,10\novercommit = 1:2\n"),
                ("90-local.conf", "# site override\n[host]\novercommit = 1:4\n"),
            ]),

        new("KVC016-unknown-profile",
            "profile = databse: did you mean 'database'",
            Desktop,
            [("20-db1.conf", "profile = databse\n")]),

        new("KVC017-missing-key",
            "a shared-pool VM (cpuspinlock = none) with no vcpus and no profile: nothing to derive vcpus from",
            Desktop,
            [("20-web1.conf", "cpuspinlock = none\nmemory = 2G\n")]),

        new("KVC018-defaulted",
            "the seed's two-line file: strict pinning on cpus = 1-4 gives vcpus = 4, reported as a note",
            Desktop,
            [("00-vm1.conf", "cpus = 1-4\nmemory = 4G\n")]),

        // ---- Semantics against the host --------------------------------------------------------------------
        new("KVC020-more-physical-cpus-than-vms",
            "21 small web VMs on the 20-CPU desktop: the seed's rule wants more physical CPUs than VMs",
            Desktop,
            [
                ("00-cpu.conf", "overcommit = 1:2\n"),
                ("30-web.conf", string.Concat(Enumerable.Range(1, 21).Select(i => $"[vm web{i:00}]\nprofile = web\ncpuspinlock = none\n\n")).TrimEnd() + "\n"),
            ]),

        new("KVC021-max-vm-share",
            "cpus = 1-9 on the 20-CPU desktop: 9 CPUs, more than a third (6)",
            Desktop,
            [("10-build.conf", "vcpus = 9\ncpus = 1-9\nmemory = 8G\n")]),

        new("KVC022-cpu-absent",
            "cpus = 18-21 on a host whose CPUs end at 19",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 18-21\nmemory = 8G\n")]),

        new("KVC023-cpu-offline",
            "cpus = 40-43 on the EPYC capture where CPUs 41 and 43 are offline",
            Epyc,
            [("20-db1.conf", "vcpus = 4\ncpus = 40-43\nmemory = 8G\n")]),

        new("KVC024-dedicated-overlap",
            "two strict VMs both claim CPUs 4-5",
            Desktop,
            [
                ("20-db1.conf", "vcpus = 4\ncpus = 2-5\nmemory = 8G\n"),
                ("21-db2.conf", "vcpus = 4\ncpus = 4-7\nmemory = 8G\n"),
            ]),

        new("KVC024-overlap-several-owners",
            "a VM pinned over five earlier VMs gets one finding naming three of them and counting the rest",
            Desktop,
            [
                ("20-a.conf", "vcpus = 1\ncpus = 1\nmemory = 1G\n"),
                ("21-b.conf", "vcpus = 1\ncpus = 2\nmemory = 1G\n"),
                ("22-c.conf", "vcpus = 1\ncpus = 3\nmemory = 1G\n"),
                ("23-d.conf", "vcpus = 1\ncpus = 4\nmemory = 1G\n"),
                ("24-e.conf", "vcpus = 1\ncpus = 5\nmemory = 1G\n"),
                ("30-big.conf", "vcpus = 5\ncpus = 1-5\nmemory = 1G\n"),
            ]),

        new("KVC025-outside-cpuset",
            "the host gives VMs 4-9,14-19 only; a VM pinned to 2-3 is outside it",
            Desktop,
            [
                ("00-cpu.conf", "cpuset = 4-9,14-19\n"),
                ("20-db1.conf", "vcpus = 2\ncpus = 2-3\nmemory = 4G\n"),
            ]),

        new("KVC026-uses-reserved",
            "cpus = 0-3 includes CPU 0, which the host keeps by default (with its sibling 10)",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 0-3\nmemory = 4G\n")]),

        new("KVC027-vcpus-exceed-set",
            "4 vCPUs pinned strictly onto 2 CPUs",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 2-3\nmemory = 4G\n")]),

        new("KVC028-spans-numa-nodes",
            "cpus = 1-4 on the SNC Xeon: 1-2 are node 0, 3-4 node 1, with numa = strict (the default)",
            Xeon,
            [("20-db1.conf", "vcpus = 4\ncpus = 1-4\nmemory = 8G\n")]),

        new("KVC029-isolate-shares-core",
            "an smt = isolate VM on 2-3 while another VM runs on 12-13, their SMT siblings",
            Desktop,
            [
                ("20-rt1.conf", "vcpus = 2\ncpus = 2-3\nsmt = isolate\nmemory = 4G\n"),
                ("21-build.conf", "vcpus = 2\ncpus = 12-13\nmemory = 4G\n"),
            ]),

        new("KVC030-host-memory",
            "two 32G databases on a 62.6G desktop that keeps 2G for itself",
            Desktop,
            [
                ("20-db1.conf", "vcpus = 4\nmemory = 32G\n"),
                ("21-db2.conf", "vcpus = 4\nmemory = 32G\n"),
            ]),

        new("KVC031-node-memory",
            "48G pinned to CPUs of node 0 on the SNC Xeon, whose nodes have ~46G each",
            Xeon,
            [("20-db1.conf", "vcpus = 4\ncpus = 1-2,41-42\nmemory = 48G\n")]),

        new("KVC032-hugepages",
            "8G of 2M pages (4096) on node 1, which has 2560 free",
            Xeon,
            [("20-risk.conf", "vcpus = 4\ncpus = 3-4,43-44\nmemory = 8G\nhugepages = 2M\n")]),

        new("KVC033-overcommit",
            "four shared-pool CI VMs of 5 vCPUs (20) on an 18-CPU pool at overcommit 1:1",
            Desktop,
            [("30-ci.conf", string.Concat(Enumerable.Range(1, 4).Select(i => $"[vm ci{i}]\ncpuspinlock = none\nvcpus = 5\nmemory = 4G\n\n")).TrimEnd() + "\n")]),

        new("KVC034-cpufreq-governor",
            "cpufreq = perfomance, a typo that is no governor at all: did you mean names the governor, and the host's governors are listed",
            Desktop,
            [("00-cpu.conf", "cpufreq = perfomance\n")]),

        new("KVC034-governor-not-offered",
            "cpufreq = schedutil, a real governor that intel_pstate does not offer",
            Desktop,
            [("00-cpu.conf", "cpufreq = schedutil\n")]),

        new("KVC035-cpufreq-max",
            "cpufreq_max = 5GHz on CPUs that top out at 4.5GHz",
            Desktop,
            [("00-cpu.conf", "cpufreq_max = 5GHz\n")]),

        new("KVC036-dedicated-capacity",
            "four auto-placed strict VMs of 6 vCPUs (24) and only 18 CPUs outside the reserved ones",
            Desktop,
            [("30-build.conf", string.Concat(Enumerable.Range(1, 4).Select(i => $"[vm build{i}]\nvcpus = 6\nmemory = 8G\n\n")).TrimEnd() + "\n")]),

        new("KVC037-host-pools",
            "cpuset and reserved both name CPU 0",
            Desktop,
            [("00-cpu.conf", "cpuset = 0-9\nreserved = 0,10\n")]),

        new("KVC037-nothing-left",
            "every CPU reserved for the host: nothing left for VMs",
            Desktop,
            [("00-cpu.conf", "reserved = 0-19\n")]),

        new("KVC038-numa-node-absent",
            "numa_nodes = 1 on a one-node desktop",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 4G\nnuma_nodes = 1\n")]),

        new("KVC039-idle-dedicated-cpus",
            "2 vCPUs pinned strictly onto 4 CPUs: two stay idle (a warning: allowed, wasteful)",
            Desktop,
            [("20-db1.conf", "vcpus = 2\ncpus = 2-5\nmemory = 4G\n")]),

        new("KVC040-smt-whole-cores",
            "smt = require on 2-5 without the siblings 12-15",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 2-5\nsmt = require\nmemory = 4G\n")]),

        new("KVC041-cpu-limit-above-vcpus",
            "cpu_limit = 4 on a 2-vCPU VM can never bind (a warning)",
            Desktop,
            [("20-web1.conf", "vcpus = 2\ncpu_limit = 4\nmemory = 4G\n")]),

        new("KVC058-net-shaping-unsupported",
            "net_bandwidth on a kernel built without sch_sfq and act_police (a warning: apply refuses to shape a VM that has interfaces)",
            KernelWithoutSfq,
            [("20-web1.conf", "vcpus = 2\nmemory = 4G\nnet_bandwidth = 1Gbit\n")]),

        new("KVC059-vcpus-above-max",
            "vcpus = 4 with vcpus_max = 2: the domain could not boot with more vCPUs online than its maximum",
            Desktop,
            [("20-app1.conf", "vcpus = 4\nvcpus_max = 2\nmemory = 4G\n")]),

        new("KVC042-realtime-shared",
            "fifo:10 vCPU threads in the shared pool (a warning)",
            Desktop,
            [("20-rt1.conf", "vcpus = 2\ncpuspinlock = none\ncpuscheduling = fifo:10\nmemory = 4G\n")]),

        new("KVC043-memory-unmanaged",
            "no memory key: kvmconfig leaves the size to libvirt and says so (a note)",
            Desktop,
            [("20-web1.conf", "vcpus = 2\n")]),

        new("KVC044-hugepage-size",
            "hugepages = 1G on the EPYC capture, which has no huge page pool at all",
            Epyc,
            [("20-db1.conf", "vcpus = 4\nmemory = 8G\nhugepages = 1G\n")]),

        new("KVC045-cpus-with-shared-pinning",
            "a shared-pool VM given its own CPU list: it would either be fenced or the list ignored",
            Desktop,
            [("30-web1.conf", "vcpus = 2\nmemory = 2G\ncpuspinlock = none\ncpus = 4-5\n")]),

        new("KVC047-cannot-plan",
            "one vCPU with 44G of strict memory: the host has the memory, but no node has 44G free after huge page pools and memory_reserved, and one vCPU cannot be split",
            Xeon,
            [("20-cache.conf", "vcpus = 1\nmemory = 44G\n")]),

        new("KVC046-float-on-isolated",
            "a float VM over CPUs the kernel isolates (isolcpus=4-7,60-63 on the 112-CPU capture)",
            "2s-8numa-112cpu",
            [
                ("00-cpu.conf", "cpuset = 4-7,60-63\n"),
                ("20-rt.conf", "vcpus = 2\ncpus = 4,60\ncpuspinlock = float\nmemory = 4G\n"),
            ]),

        new("KVC048-threshold-order",
            "ready_warning = 20% (the seed's 200 ms of waiting per second) with ready_critical left at its default 10%: "
            + "a vCPU would be critical long before it warned",
            Desktop,
            [("00-cpu.conf", "reserved = 0,10\n\n[alerts]\n# the seed: an average wait over 200 ms per second\nready_warning = 20%\n")]),

        new("KVC048-critical-lowered-in-drop-in",
            "a site drop-in lowers ready_critical to 4% under the 5% ready_warning of 00-cpu.conf: the note points at the other file",
            Desktop,
            [
                ("00-cpu.conf", "reserved = 0,10\n\n[alerts]\nready_warning = 5%\nready_critical = 10%\n"),
                ("90-local.conf", "[alerts]\nready_critical = 4%\n"),
            ],
            also: ["KVC015"]),

        new("KVC049-host-topology-assumed",
            "a machine whose kernel writes no topology/ (no SMP support, some sparc kernels): every CPU counts as its own core and socket, "
            + "so smt rules cannot see siblings; the declaration itself is fine",
            "no-topology-dir",
            [("00-cpu.conf", "reserved = 0\n"), ("20-web1.conf", "vcpus = 2\ncpus = 2-3\nmemory = 1G\n")]),

        new("KVC049-package-id-minus-one",
            "a POWER partition reports package id -1: sockets come from core_siblings, exact, so only a note",
            "package-id-minus-one",
            [("00-cpu.conf", "reserved = 0-3\n"), ("20-db1.conf", "vcpus = 4\ncpus = 8-11\nmemory = 2G\n")]),

        new("KVC050-overclock-protection",
            "the white paper's cpufreq = vtlb on an intel_pstate laptop with HWP: the VMs' CPUs capped at the 2.8 GHz base "
            + "frequency the policies give, below their 4.7 GHz turbo",
            "intel-pstate-hwp-base-frequency",
            [("00-cpu.conf", "cpufreq = vtlb\n"), ("20-web1.conf", "vcpus = 2\ncpus = 1-2\nmemory = 1G\n")]),

        new("KVC050-base-frequency-unknown",
            "cpufreq = vtlb on a capture whose intel_pstate policies have no base_frequency: the cap cannot be computed, a warning",
            Desktop,
            [("00-cpu.conf", "cpufreq = vtlb\n")]),
    ];

    /// <summary>The cases as xunit rows.</summary>
    public static TheoryData<CheckCase> Rows()
    {
        var rows = new TheoryData<CheckCase>();
        foreach (CheckCase c in Cases)
        {
            rows.Add(c);
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Check_output_matches_golden(CheckCase c)
    {
        // Given the case's files in a safe directory and its machine
        using var dir = new ConfigDir();
        foreach ((string name, string text) in c.Files)
        {
            dir.WriteBytes(name, c.Latin1 ? Encoding.Latin1.GetBytes(text) : Encoding.UTF8.GetBytes(text));
        }

        HostTopology host = Host(c.Machine);

        // When check runs
        CheckReport report = DeclarationCheck.Run(dir.Dir, host);
        string output = CheckText.Render(report, host, $"sysroot {c.Machine}", verbose: true, color: false);

        // Then the target code is there, nothing unexpected is, and the text is the golden one
        string[] codes = report.Diagnostics.Select(d => d.Code).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Contains(c.Code, codes);
        Assert.Equal(c.Also.Append(c.Code).Distinct().Order(StringComparer.Ordinal), codes);
        Golden.Verify(c.Name, dir.Scrub(Document(c, output)));
    }

    [Fact]
    public void Every_declaration_code_has_a_golden_case()
    {
        string[] missing = Rules.All
            .Where(d => string.CompareOrdinal(d.Code, "KVC090") < 0)
            .Select(d => d.Code)
            .Except(Cases.Select(c => c.Code))
            .ToArray();
        Assert.True(missing.Length == 0, $"no golden case for {string.Join(", ", missing)}");
    }

    [Fact]
    public void Case_names_are_unique_and_name_their_rule()
    {
        Assert.Equal(Cases.Count, Cases.Select(c => c.Name).Distinct().Count());
        foreach (CheckCase c in Cases)
        {
            Assert.Matches(CaseNameRegex(), c.Name);
            Assert.Contains(Rules.All, d => d.Code == c.Code);
        }
    }

    [Fact]
    public void Docs_have_a_section_for_every_code()
    {
        string doc = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "diagnostics.md"));
        string[] headings = Regex.Matches(doc, @"^## (KVC\d{3}) (\S+)$", RegexOptions.Multiline)
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value}")
            .ToArray();
        string[] expected = Rules.All.Select(d => $"{d.Code} {d.Name}").ToArray();
        Assert.Equal(expected, headings);
    }

    [Fact]
    public void Docs_examples_are_what_check_prints_today()
    {
        // Each example in docs/diagnostics.md names its golden file; the ```text block after it must be that
        // file's output, so a change of wording cannot leave the documentation behind. UPDATE_GOLDEN=1 rewrites
        // the blocks from the golden files.
        string path = Path.Combine(TestData.RepositoryRoot, "docs", "diagnostics.md");
        string doc = File.ReadAllText(path);
        var mismatches = new List<string>();
        string updated = DocExampleRegex().Replace(doc, example =>
        {
            string printed = PrintedPart(File.ReadAllText(Path.Combine(TestData.RepositoryRoot, example.Groups["golden"].Value)));
            if (example.Groups["block"].Value != printed)
            {
                mismatches.Add($"--- docs ({example.Groups["golden"].Value})\n{example.Groups["block"].Value}--- golden\n{printed}");
            }

            return example.Value[..(example.Groups["block"].Index - example.Index)] + printed + "```";
        });
        Assert.True(DocExampleRegex().Matches(doc).Count >= Rules.All.Count(d => string.CompareOrdinal(d.Code, "KVC090") < 0));
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, updated);
            return;
        }

        Assert.True(mismatches.Count == 0, "docs/diagnostics.md examples differ from the golden files (UPDATE_GOLDEN=1 rewrites them):\n" + string.Join("\n", mismatches));
    }

    // What check printed: the part of a golden file after its input files.
    private static string PrintedPart(string golden)
    {
        const string Marker = "--- kvmconfig check --verbose\n";
        int at = golden.IndexOf(Marker, StringComparison.Ordinal);
        return at < 0 ? golden : golden[(at + Marker.Length)..];
    }

    [GeneratedRegex(@"\(`(?<golden>tests/KvmConfig\.Cli\.Tests/Golden/[^`]+\.golden\.txt)`\).*?```text\n(?<block>.*?)```", RegexOptions.Singleline)]
    private static partial Regex DocExampleRegex();

    // The golden file: what was checked (machine, files) above what check printed.
    private static string Document(CheckCase c, string output)
    {
        var sb = new StringBuilder();
        sb.Append(c.Name).Append(": ").Append(c.Description).Append('\n');
        sb.Append("host: ").Append(c.Machine).Append('\n');
        foreach ((string name, string text) in c.Files)
        {
            sb.Append("\n--- <dir>/").Append(name).Append(c.Latin1 ? " (Latin-1)" : "").Append('\n').Append(text);
        }

        sb.Append("\n--- kvmconfig check --verbose\n").Append(output);
        return sb.ToString();
    }

    // The desktop capture with a kernel that, like this project's build machines', lacks sch_sfq and act_police (what
    // /proc/config.gz would say): captures hold no kernel configuration.
    private const string KernelWithoutSfq = "desktop-1s-20cpu-kernel-without-sfq";

    private static HostTopology Host(string machine) => machine == KernelWithoutSfq
        ? Captures.Host(Desktop) with
        {
            NetShaping = new NetShaping([.. NetShaping.Required.Where(f => f.Module is "sch_sfq" or "act_police")], "/proc/config.gz"),
        }
        : Captures.Host(machine);

    [GeneratedRegex(@"^KVC0\d\d-[a-z0-9-]+$")]
    private static partial Regex CaseNameRegex();
}

/// <summary>A row of <see cref="CheckGoldenTests.Cases"/>: a named declaration, why it is there, and the machine it runs on.</summary>
public sealed class CheckCase : IXunitSerializable
{
    /// <summary>For xunit's deserializer only.</summary>
    public CheckCase()
    {
        Name = Description = Machine = "";
        Files = [];
    }

    public CheckCase(string name, string description, string machine, (string Name, string Text)[] files, bool latin1 = false, string[]? also = null)
    {
        Name = name;
        Description = description;
        Machine = machine;
        Files = files;
        Latin1 = latin1;
        Also = also ?? [];
    }

    /// <summary><c>KVC021-max-vm-share</c>: the code, then what the case shows. Also the golden file's name.</summary>
    public string Name { get; private set; }

    public string Description { get; private set; }

    /// <summary>A capture in tests/data/sysfs.</summary>
    public string Machine { get; private set; }

    /// <summary>The <c>*.conf</c> files (name, text), written in this order.</summary>
    public (string Name, string Text)[] Files { get; private set; }

    /// <summary>Write the files as Latin-1 instead of UTF-8.</summary>
    public bool Latin1 { get; private set; }

    /// <summary>Codes the declaration cannot avoid besides <see cref="Code"/>.</summary>
    public string[] Also { get; private set; } = [];

    /// <summary>The code this case exists for.</summary>
    public string Code => Name[..6];

    // Rows travel to the runner by name only; the table is the single source of their content.
    void IXunitSerializable.Serialize(IXunitSerializationInfo info) => info.AddValue(nameof(Name), Name);

    void IXunitSerializable.Deserialize(IXunitSerializationInfo info)
    {
        string name = info.GetValue<string>(nameof(Name));
        CheckCase c = CheckGoldenTests.Cases.Single(x => x.Name == name);
        (Name, Description, Machine, Files) = (c.Name, c.Description, c.Machine, c.Files);
        Latin1 = c.Latin1;
        Also = c.Also;
    }

    public override string ToString() => Name;
}
