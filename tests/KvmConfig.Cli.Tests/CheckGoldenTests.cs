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
            .Where(d => string.CompareOrdinal(d.Code, "KVC080") < 0)
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
        Assert.True(DocExampleRegex().Matches(doc).Count >= Rules.All.Count(d => string.CompareOrdinal(d.Code, "KVC080") < 0));
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
