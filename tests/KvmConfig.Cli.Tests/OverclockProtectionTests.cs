using System.Globalization;
using System.Text.Json;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The white paper's <c>cpufreq = vtlb</c> (overclock protection: the VMs' CPUs capped at their base frequency) through
/// <c>check</c> and <c>plan</c>, on a host that says its base frequency (intel_pstate with HWP) and on a real capture
/// whose policies do not.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OverclockProtectionTests
{
    private const string WithBase = "intel-pstate-hwp-base-frequency";
    private const string WithoutBase = "desktop-1s-20cpu";

    /// <summary>The base frequency in kHz as the tree's first policy writes it.</summary>
    private static long BaseKHz(string machine) => long.Parse(
        File.ReadAllText(Path.Combine(TestData.SysfsRoot(machine), "devices", "system", "cpu", "cpufreq", "policy0", "base_frequency")),
        CultureInfo.InvariantCulture);

    private static ConfigDir WhitePaper() =>
        new(("00-cpu.conf", "cpufreq = vtlb\n"), ("20-web1.conf", "vcpus = 2\ncpus = 1-2\nmemory = 1G\n"));

    [Fact]
    public void Check_accepts_vtlb_with_a_note_giving_the_base_frequency()
    {
        using ConfigDir dir = WhitePaper();
        string mhz = $"{BaseKHz(WithBase) / 1000} MHz";

        CliResult text = Run("check", "--config-dir", dir.Dir, "--sysroot", TestData.Path("sysfs", WithBase), "--verbose");
        CliResult json = Run("check", "--config-dir", dir.Dir, "--sysroot", TestData.Path("sysfs", WithBase), "--format", "json", "--verbose");

        Assert.True(text.Exit == 0, text.Out + text.Err);
        Assert.Contains($"note[KVC050]: overclock protection: the CPUs VMs use are capped at their base frequency, {mhz}", text.Out);
        Assert.Contains("1 | cpufreq = vtlb", text.Out);
        Assert.True(json.Exit == 0, json.Out + json.Err);
        using JsonDocument report = JsonDocument.Parse(json.Out);
        Assert.True(report.RootElement.GetProperty("ok").GetBoolean());
        JsonElement note = Assert.Single(report.RootElement.GetProperty("diagnostics").EnumerateArray(), d => d.GetProperty("code").GetString() == "KVC050");
        Assert.Equal("info", note.GetProperty("severity").GetString());
        Assert.Contains(mhz, note.GetProperty("message").GetString());
        Assert.Equal(1, note.GetProperty("line").GetInt32());
    }

    [Fact]
    public void Check_warns_that_the_cap_cannot_be_computed_where_the_host_gives_no_base_frequency()
    {
        using ConfigDir dir = WhitePaper();

        CliResult json = Run("check", "--config-dir", dir.Dir, "--sysroot", TestData.Path("sysfs", WithoutBase), "--format", "json");

        // Accepted (exit 0, no KVC034), with a warning shown even without --verbose
        Assert.True(json.Exit == 0, json.Out + json.Err);
        using JsonDocument report = JsonDocument.Parse(json.Out);
        JsonElement[] diagnostics = [.. report.RootElement.GetProperty("diagnostics").EnumerateArray()];
        Assert.DoesNotContain(diagnostics, d => d.GetProperty("code").GetString() == "KVC034");
        JsonElement warning = Assert.Single(diagnostics, d => d.GetProperty("code").GetString() == "KVC050");
        Assert.Equal("warning", warning.GetProperty("severity").GetString());
        Assert.Contains("the cap cannot be computed on this host", warning.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(WithBase, true)]
    [InlineData(WithoutBase, false)]
    public void Topology_shows_the_base_frequency_the_cap_is_taken_from(string machine, bool known)
    {
        CliResult text = Run("topology", "--sysroot", TestData.Path("sysfs", machine));
        CliResult json = Run("topology", "--sysroot", TestData.Path("sysfs", machine), "--format", "json");

        Assert.True(text.Exit == 0 && json.Exit == 0, text.Err + json.Err);
        using JsonDocument topology = JsonDocument.Parse(json.Out);
        JsonElement baseKHz = topology.RootElement.GetProperty("cpufreq").GetProperty("baseKHz");
        if (known)
        {
            Assert.Equal(BaseKHz(machine), baseKHz.GetInt64());
            Assert.Matches($@"\nCPU base MHz:\s+{BaseKHz(machine) / 1000}(\.0+)?\n", text.Out);
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, baseKHz.ValueKind);
            Assert.DoesNotContain("CPU base MHz:", text.Out);
        }
    }

    /// <summary>Rows: description, the tree, the [host] file, host.cpufreqMax, whether host.cpufreqMaxKHz is the base frequency.</summary>
    public static TheoryData<string, string, string, string?, bool> PlanRows => new()
    {
        { "vtlb on the HWP laptop: capped at the base frequency its policies give", WithBase, "cpufreq = vtlb\n", "base", true },
        { "vtlb on a capture without base_frequency: the cap is declared but has no figure", WithoutBase, "cpufreq = vtlb\n", "base", false },
        { "cpufreq_max = base is the same cap", WithBase, "cpufreq_max = base\n", "base", true },
        { "no cap", WithBase, "cpufreq = keep\n", null, false },
    };

    [Theory]
    [MemberData(nameof(PlanRows))]
    public void Plan_json_shows_the_cap_in_its_host_section(string description, string machine, string cpuConf, string? declared, bool atBase)
    {
        using var dir = new ConfigDir(("00-cpu.conf", cpuConf), ("20-web1.conf", "vcpus = 2\ncpus = 1-2\nmemory = 1G\n"));

        CliResult r = Run("plan", "--config-dir", dir.Dir, "--sysroot", TestData.Path("sysfs", machine), "--format", "json");

        Assert.True(r.Exit == 0, $"{description}\n{r.Out}{r.Err}");
        using JsonDocument plan = JsonDocument.Parse(r.Out);
        JsonElement host = plan.RootElement.GetProperty("host");
        Assert.Equal(declared, host.GetProperty("cpufreqMax").GetString());
        JsonElement khz = host.GetProperty("cpufreqMaxKHz");
        if (atBase)
        {
            Assert.Equal(BaseKHz(machine), khz.GetInt64());
        }
        else
        {
            Assert.Equal(JsonValueKind.Null, khz.ValueKind);
        }
    }
}
