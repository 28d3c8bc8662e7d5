using KvmConfig.Cli.Rendering;
using System.Text.Json;
using System.Xml.Linq;
using KvmConfig.Config;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig plan</c> end to end through the real entry point: a declaration that cannot be placed prints the
/// check's errors and no plan (exit 1), environment failures exit 2 as in <c>check</c>, <c>--svg</c> writes its file.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PlanCommandTests
{
    // One vCPU with 44G of strict memory on the Xeon capture: every rule passes, but no node has 44G free for VMs.
    private static readonly (string, string) Unplaceable = ("20-cache.conf", "vcpus = 1\nmemory = 44G\n");

    [Fact]
    public void The_picture_names_a_sysroot_by_its_folder_not_its_path()
    {
        using var dir = new ConfigDir(("10-vm.conf", "[vm a]\nvcpus = 2\nmemory = 2G\n"));
        string svg = Path.Combine(dir.Dir, "plan.svg");

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Xeon) + "/", "--svg", svg);

        Assert.True(r.Exit == 0, r.Out + r.Err);
        string picture = File.ReadAllText(svg);
        Assert.Contains($"kvmconfig plan: sysroot {PlanCases.Xeon} (80 CPUs, 4 NUMA nodes)", picture, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetDirectoryName(PlanCases.Sysroot(PlanCases.Xeon))!, picture, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unplaceable_declaration_exits_1_with_KVC047_and_no_plan()
    {
        // Given a declaration the planner cannot place
        using var dir = new ConfigDir(Unplaceable);
        string svg = Path.Combine(dir.Dir, "plan.svg");

        // When plan runs, even with --explain and --svg
        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Xeon), "--explain", "--svg", svg);

        // Then it prints exactly what check prints, and no table, map or picture
        Assert.True(r.Exit == 1, $"exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.StartsWith("error[KVC047]: VM 'cache' cannot be placed", r.Out);
        Assert.Contains("check FAILED: 1 error", r.Out);
        Assert.DoesNotContain("plan for", r.Out);
        Assert.DoesNotContain("vCPUs", r.Out);
        Assert.DoesNotContain("CPU map", r.Out);
        Assert.DoesNotContain("Fragmentation", r.Out);
        Assert.Equal("", r.Err);
        Assert.False(File.Exists(svg));
        CliResult check = Run("check", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Xeon));
        Assert.Equal(check.Out, r.Out);
    }

    [Fact]
    public void An_unplaceable_declaration_in_json_is_check_report_with_ok_false()
    {
        using var dir = new ConfigDir(Unplaceable);

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Xeon), "--format", "json");

        Assert.Equal(1, r.Exit);
        using JsonDocument json = JsonDocument.Parse(r.Out);
        Assert.False(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains("KVC047", json.RootElement.GetProperty("diagnostics").EnumerateArray().Select(d => d.GetProperty("code").GetString()));
        Assert.False(json.RootElement.TryGetProperty("fragmentation", out _));
    }

    [Fact]
    public void The_finance_example_prints_the_rendered_plan_and_exits_0()
    {
        using ConfigDir dir = PlanCases.CopyExample("finance");

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Xeon));

        Assert.True(r.Exit == 0, $"exit {r.Exit}\n{r.Out}{r.Err}");
        HostTopology host = PlanCases.Host(PlanCases.Xeon);
        CheckReport report = DeclarationCheck.Run(dir.Dir, host);
        Assert.Equal(PlanText.Render(PlanCases.Planned(report), host, new PlanTextOptions($"sysroot {PlanCases.Sysroot(PlanCases.Xeon)}")), r.Out);
        Assert.Equal("", r.Err);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public void Svg_is_written_and_announced_on_stderr(string format)
    {
        using ConfigDir dir = PlanCases.CopyExample("seed");
        using var output = new ConfigDir();
        string svg = Path.Combine(output.Dir, "seed.svg");

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Desktop), "--format", format, "--svg", svg);

        Assert.True(r.Exit == 0, $"exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Equal($"wrote {svg}\n", r.Err);
        Assert.Contains("vm1", XDocument.Load(svg).ToString());
        if (format == "json")
        {
            using JsonDocument json = JsonDocument.Parse(r.Out);
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        }
    }

    [Fact]
    public void An_svg_that_cannot_be_written_exits_2_and_prints_no_plan()
    {
        using ConfigDir dir = PlanCases.CopyExample("seed");
        string svg = Path.Combine(dir.Dir, "no-such-directory", "plan.svg");

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", PlanCases.Sysroot(PlanCases.Desktop), "--svg", svg);

        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.StartsWith($"error: cannot write {svg}: ", r.Err);
        Assert.Contains("hint:", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void A_missing_directory_exits_2_with_KVC090_as_check_does()
    {
        using var parent = new ConfigDir();
        string missing = Path.Combine(parent.Dir, "kvmconfig.d");

        CliResult r = Run("plan", "--config-dir", missing, "--sysroot", PlanCases.Sysroot(PlanCases.Desktop));

        Assert.Equal(2, r.Exit);
        Assert.Equal("", r.Out);
        Assert.StartsWith("error[KVC090]: ", r.Err);
    }

    [Theory]
    [InlineData(new[] { "--svg" }, "--svg needs a file name", "--svg last, without its file")]
    [InlineData(new[] { "--svg", "--explain" }, "--svg needs a file name", "--svg followed by another option")]
    [InlineData(new[] { "--format", "yaml" }, "--format yaml: use one of text, json", "an unknown format")]
    [InlineData(new[] { "--config-dir" }, "--config-dir needs a directory", "--config-dir without its directory")]
    public void Bad_usage_exits_2_and_says_what_is_wrong(string[] extra, string message, string description)
    {
        CliResult r = Run(["plan", "--sysroot", PlanCases.Sysroot(PlanCases.Desktop), .. extra]);

        Assert.True(r.Exit == 2, $"{description}: exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Equal("", r.Out);
        Assert.True(r.Err.Contains(message, StringComparison.Ordinal), $"{description}:\n{r.Err}");
        Assert.DoesNotContain("__default_command", r.Err);
    }

    private static CliResult Run(params string[] args) => CliRunner.Run(args);
}
