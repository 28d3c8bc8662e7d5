using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Validation;
using KvmConfig.TestSupport;

namespace KvmConfig.Config.Tests;

/// <summary>
/// <c>[alerts]</c>: the contention thresholds of DESIGN.md section 5, their defaults, values, drop-in overrides and
/// mistakes, and the one rule on the pair (KVC048, ready_warning below ready_critical).
/// </summary>
public sealed partial class DeclarationBinderTests
{
    /// <summary>Rows: description, key, the built-in default.</summary>
    public static TheoryData<string, string, string> AlertDefaults => new()
    {
        { "ready warns at 5% (VMware's per-vCPU guidance, KubeVirt's alert)", "ready_warning", "5" },
        { "ready is critical at 10%", "ready_critical", "10" },
        { "the seed's disk queue depth of 200", "disk_queue_depth", "200" },
        { "the seed's 5% TCP retransmits", "tcp_retransmit", "5" },
        { "the seed's 85% page-reclaim efficiency", "reclaim_efficiency", "85" },
        { "30% memory overhead, above the ~22% a 1G VM costs", "memory_overhead", "30" },
        { "25% CPU pressure", "cpu_pressure", "25" },
        { "a 30 s hold before an alert is raised, as the issue's for = 30s", "for", "30s" },
        { "a 20% clear margin: a 5% ready warning clears below 4%", "clear_margin", "20" },
    };

    [Theory]
    [MemberData(nameof(AlertDefaults))]
    public void Alert_defaults_apply_when_nothing_is_written(string description, string key, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind("--- 00-cpu.conf\nreserved = 0");

        Assert.Empty(diagnostics);
        Expect.Equal(description, expected, ConfigText.Value(declaration.Alerts, key));
    }

    [Fact]
    public void A_declaration_built_in_code_has_the_default_thresholds()
    {
        var declaration = new Declaration(new HostPolicy(), [], new Dictionary<string, ProfileSpec>(), new CostSpec());

        Assert.Same(AlertThresholds.Default, declaration.Alerts);
        Assert.Equal(new AlertThresholds(), declaration.Alerts);
    }

    /// <summary>Rows: description, the directory, the key, its bound value.</summary>
    public static TheoryData<string, string, string, string> AlertValues => new()
    {
        { "a percentage with its sign", "--- 00-cpu.conf\nreserved = 0\n[alerts]\nready_warning = 3%", "ready_warning", "3" },
        { "a bare number is percent", "--- 00-cpu.conf\n[alerts]\nready_critical = 8", "ready_critical", "8" },
        { "a decimal percentage", "--- 00-cpu.conf\n[alerts]\ntcp_retransmit = 2.5%", "tcp_retransmit", "2.5" },
        { "a space before the sign", "--- 00-cpu.conf\n[alerts]\nreclaim_efficiency = 90 %", "reclaim_efficiency", "90" },
        { "a queue depth is a count", "--- 00-cpu.conf\n[alerts]\ndisk_queue_depth = 64", "disk_queue_depth", "64" },
        { "memory overhead may pass 100% (tiny guests)", "--- 00-cpu.conf\n[alerts]\nmemory_overhead = 150%", "memory_overhead", "150" },
        { "CPU pressure", "--- 00-cpu.conf\n[alerts]\ncpu_pressure = 40%", "cpu_pressure", "40" },
        { "[alerts] in a file of its own, like [cost]", "--- 50-alerts.conf\n[alerts]\ncpu_pressure = 10%", "cpu_pressure", "10" },
        { "a hold in seconds", "--- 00-cpu.conf\n[alerts]\nfor = 45s", "for", "45s" },
        { "a hold in minutes", "--- 00-cpu.conf\n[alerts]\nfor = 2m", "for", "120s" },
        { "no hold: raised at the first crossing", "--- 00-cpu.conf\n[alerts]\nfor = 0", "for", "0s" },
        { "a bare number of seconds", "--- 00-cpu.conf\n[alerts]\nfor = 90", "for", "90s" },
        { "a clear margin", "--- 00-cpu.conf\n[alerts]\nclear_margin = 10%", "clear_margin", "10" },
        { "no clear margin: cleared as soon as the threshold is no longer crossed", "--- 00-cpu.conf\n[alerts]\nclear_margin = 0%", "clear_margin", "0" },
        { "keys not written keep their defaults", "--- 00-cpu.conf\n[alerts]\nready_warning = 3%", "ready_critical", "10" },
        {
            "a later file's [alerts] key wins (drop-in)",
            "--- 00-cpu.conf\n[alerts]\ndisk_queue_depth = 64\ntcp_retransmit = 2%\n--- 90-local.conf\n[alerts]\ndisk_queue_depth = 128",
            "disk_queue_depth", "128"
        },
        {
            "a later file keeps the earlier file's other [alerts] keys",
            "--- 00-cpu.conf\n[alerts]\ndisk_queue_depth = 64\ntcp_retransmit = 2%\n--- 90-local.conf\n[alerts]\ndisk_queue_depth = 128",
            "tcp_retransmit", "2"
        },
        { "the same key twice in one section: the later line wins", "--- 00-cpu.conf\n[alerts]\ncpu_pressure = 30%\ncpu_pressure = 35%", "cpu_pressure", "35" },
        { "a bad value leaves the default", "--- 00-cpu.conf\n[alerts]\nready_warning = five", "ready_warning", "5" },
        { "an out-of-range value leaves the default", "--- 00-cpu.conf\n[alerts]\nreclaim_efficiency = 120%", "reclaim_efficiency", "85" },
    };

    [Theory]
    [MemberData(nameof(AlertValues))]
    public void Alert_values_bind(string description, string directory, string key, string expected)
    {
        (Declaration declaration, _) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Value(declaration.Alerts, key));
    }

    /// <summary>Rows: description, the directory, every diagnostic the binder reports.</summary>
    public static TheoryData<string, string, string> AlertFindings => new()
    {
        { "every key, well formed: no finding", "[alerts]\nready_warning = 4%\nready_critical = 9%\ndisk_queue_depth = 32\ntcp_retransmit = 1%\nreclaim_efficiency = 90%\nmemory_overhead = 40%\ncpu_pressure = 20%", "" },

        // Not a number: KVC011 on the whole value
        { "a word", "[alerts]\nready_warning = five", "KVC011 error 10-test.conf:2:17+4" },
        { "a unit that is not %", "[alerts]\ntcp_retransmit = 5x%", "KVC011 error 10-test.conf:2:18+3" },
        { "a fraction", "[alerts]\nreclaim_efficiency = 17/20", "KVC011 error 10-test.conf:2:22+5" },
        { "a queue depth with decimals", "[alerts]\ndisk_queue_depth = 2.5", "KVC011 error 10-test.conf:2:20+3" },
        { "an empty value, at the end of the line", "[alerts]\ncpu_pressure =", "KVC011 error 10-test.conf:2:15+0" },

        // Out of range: KVC012
        { "0% is no threshold", "[alerts]\nready_warning = 0%", "KVC012 error 10-test.conf:2:17+2" },
        { "above 100%", "[alerts]\nready_critical = 101%", "KVC012 error 10-test.conf:2:18+4" },
        { "a negative percentage", "[alerts]\ntcp_retransmit = -1%", "KVC012 error 10-test.conf:2:18+3" },
        { "memory_overhead above 1000%", "[alerts]\nmemory_overhead = 1001%", "KVC012 error 10-test.conf:2:19+5" },
        { "a queue depth of 0", "[alerts]\ndisk_queue_depth = 0", "KVC012 error 10-test.conf:2:20+1" },
        { "a hold longer than a day", "[alerts]\nfor = 2d", "KVC012 error 10-test.conf:2:7+2" },
        { "a clear margin of 100%: never cleared while the figure is above 0", "[alerts]\nclear_margin = 100%", "KVC012 error 10-test.conf:2:16+4" },
        { "a hold without a unit it knows", "[alerts]\nfor = 30 seconds", "KVC011 error 10-test.conf:2:7+10" },

        // Keys
        { "an unknown key in [alerts]", "[alerts]\nready_warn = 3%", "KVC010 error 10-test.conf:2:1+10" },
        { "a [host] key in [alerts]", "[alerts]\ncpuset = 1-4", "KVC010 error 10-test.conf:2:1+6" },
        { "an [alerts] key in [host]", "--- 00-cpu.conf\nreserved = 0\nready_warning = 3%", "KVC010 error 00-cpu.conf:2:1+13" },
        { "an [alerts] key in a [vm]", "[vm a]\nvcpus = 1\ncpu_pressure = 10%", "KVC010 error 10-test.conf:3:1+12" },
        { "the same key twice in one section is KVC013", "[alerts]\ncpu_pressure = 30%\ncpu_pressure = 35%", "KVC013 warning 10-test.conf:3:1+12" },

        // Drop-ins
        {
            "an [alerts] key overridden by a later file is KVC015 info at the later key",
            "--- 00-cpu.conf\n[alerts]\ndisk_queue_depth = 64\n--- 90-local.conf\n[alerts]\ndisk_queue_depth = 128",
            "KVC015 info 90-local.conf:2:1+16"
        },
        {
            "a headerless 50-alerts.conf is one KVC007, not a VM named 'alerts' with unknown keys",
            "--- 50-alerts.conf\nready_warning = 3%\nready_critical = 6%",
            "KVC007 error 50-alerts.conf:1:1+13"
        },
    };

    [Theory]
    [MemberData(nameof(AlertFindings))]
    public void Alert_mistakes_are_reported_where_they_are(string description, string directory, string expected)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Render(diagnostics));
    }

    /// <summary>Rows: description, the directory, the one diagnostic's code, a piece of its hint.</summary>
    public static TheoryData<string, string, string, string> AlertHints => new()
    {
        { "a misspelt threshold suggests the key", "[alerts]\nready_warn = 3%", "KVC010", "did you mean 'ready_warning'?" },
        { "an [alerts] key in [host] says where it belongs", "[host]\ntcp_retransmit = 2%", "KVC010", "'tcp_retransmit' belongs in [alerts], not in [host]" },
        { "a percentage out of range states the range", "[alerts]\nready_critical = 101%", "KVC012", "above 0% and at most 100%" },
        { "memory_overhead's range is wider", "[alerts]\nmemory_overhead = 1001%", "KVC012", "at most 1000%" },
        { "a word shows the form", "[alerts]\nready_warning = five", "KVC011", "e.g. 5% or 2.5%" },
        { "a hold that is not a duration shows the units", "[alerts]\nfor = soon", "KVC011", "ms, s, m, h or d, e.g. 30s or 2m" },
        { "a clear margin out of range states that 0 is allowed", "[alerts]\nclear_margin = 150%", "KVC012", "from 0% to 99%" },
        { "a headerless alerts file is told to add the header", "--- 50-alerts.conf\nready_warning = 3%", "KVC007", "add [alerts] as its first line" },
        { "an [alerts] key in a [vm] says where it belongs", "[alerts]\nready_warning = 3%\n[vm a]\nvcpus = 1\nready_warning = 4%", "KVC010", "'ready_warning' belongs in [alerts], not in [vm]" },
    };

    [Theory]
    [MemberData(nameof(AlertHints))]
    public void Alert_hints_say_how_to_fix_it(string description, string directory, string code, string hint)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Diagnostic d = Assert.Single(diagnostics, x => x.Code == code);
        Expect.Contains(description, hint, d.Hint);
    }

    [Fact]
    public void An_alerts_override_names_the_earlier_file_and_the_origin_is_the_winning_value()
    {
        // Given 00-cpu.conf sets a queue depth and a later drop-in lowers it
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 00-cpu.conf\nreserved = 0\n[alerts]\ndisk_queue_depth = 200\n--- 90-local.conf\n[alerts]\ndisk_queue_depth = 64");

        // Then the later file wins, the note says what it replaced, and the origin is the winning value
        Assert.Equal(64, declaration.Alerts.DiskQueueDepthRequests);
        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal("[alerts] disk_queue_depth = 64 overrides 200 from 00-cpu.conf", d.Message);
        Assert.Equal("00-cpu.conf:3:20+3", ConfigText.Render(Assert.Single(d.Notes!).Span));
        Assert.Equal("90-local.conf:2:20+2", ConfigText.Render(declaration.Alerts.Origins.Of("disk_queue_depth")));
    }

    // ---- KVC048: ready_warning below ready_critical ------------------------------------------------

    private const string Desktop = "desktop-1s-20cpu";

    /// <summary>Binds <paramref name="directory"/> and runs the host rules: the binder's findings, then the rules'.</summary>
    private static IReadOnlyList<Diagnostic> Check(string directory)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = ConfigText.Bind(directory);
        HostTopology host = Captures.Host(Desktop);
        return [.. binding, .. DeclarationRules.Check(declaration, host)];
    }

    /// <summary>Rows: description, the directory, every diagnostic of binder and rules.</summary>
    public static TheoryData<string, string, string> ReadyOrder => new()
    {
        { "the defaults, 5% then 10%, are in order", "--- 00-cpu.conf\nreserved = 0", "" },
        { "a warning just below the critical level is in order", "[alerts]\nready_warning = 9.5%", "" },
        { "both lowered, still in order", "[alerts]\nready_warning = 2%\nready_critical = 4%", "" },
        { "a warning above the default critical 10%: at the warning", "[alerts]\nready_warning = 20%", "KVC048 error 10-test.conf:2:17+3" },
        { "a warning equal to the critical level: at the warning", "[alerts]\nready_warning = 8%\nready_critical = 8", "KVC048 error 10-test.conf:2:17+2" },
        { "a critical level below the default warning 5%: at the critical", "[alerts]\nready_critical = 4%", "KVC048 error 10-test.conf:2:18+2" },
        { "both written and inverted: at the warning", "[alerts]\nready_critical = 3%\nready_warning = 6%", "KVC048 error 10-test.conf:3:17+2" },
        {
            "inverted across files: at the warning, wherever it is",
            "--- 00-cpu.conf\n[alerts]\nready_warning = 5%\n--- 90-local.conf\n[alerts]\nready_critical = 4%",
            "KVC048 error 00-cpu.conf:2:17+2"
        },
        {
            "a drop-in that raises the critical level repairs the pair",
            "--- 00-cpu.conf\n[alerts]\nready_warning = 12%\n--- 90-local.conf\n[alerts]\nready_critical = 15%",
            ""
        },
        { "a refused warning is reported once, and the pair is not judged", "[alerts]\nready_warning = 150%\nready_critical = 4%", "KVC012 error 10-test.conf:2:17+4" },
        { "a refused critical is reported once, and the pair is not judged", "[alerts]\nready_warning = 12%\nready_critical = ten", "KVC011 error 10-test.conf:3:18+3" },
    };

    [Theory]
    [MemberData(nameof(ReadyOrder))]
    public void Ready_warning_must_be_below_ready_critical(string description, string directory, string expected) =>
        Expect.Equal(description, expected, ConfigText.Render(Check(directory)));

    [Fact]
    public void An_inverted_pair_names_both_values_and_says_the_other_is_the_default()
    {
        Diagnostic d = Assert.Single(Check("[alerts]\nready_warning = 20%"));

        Assert.Equal(Rules.ThresholdOrder, d.Descriptor);
        Assert.Equal(Severity.Error, d.Severity);
        Assert.Equal("[alerts] ready_warning 20% is not below ready_critical 10%, so a vCPU would turn critical without ever warning first", d.Message);
        Assert.Equal("ready_critical 10% is the default", Assert.Single(d.Notes!).Message);
        Assert.Null(d.Notes![0].Span);
        Assert.Equal("lower ready_warning below 10%, or raise ready_critical above 20% (the defaults are 5% and 10%)", d.Hint);
    }

    [Fact]
    public void An_inverted_pair_across_files_points_at_the_other_value()
    {
        Diagnostic d = Assert.Single(Check("--- 00-cpu.conf\n[alerts]\nready_warning = 5%\n--- 90-local.conf\n[alerts]\nready_critical = 2.5%"));

        Assert.Equal("[alerts] ready_warning 5% is not below ready_critical 2.5%, so a vCPU would turn critical without ever warning first", d.Message);
        DiagnosticNote note = Assert.Single(d.Notes!);
        Assert.Equal("ready_critical set here", note.Message);
        Assert.Equal("90-local.conf:2:18+4", ConfigText.Render(note.Span));
    }

    [Fact]
    public void Only_the_critical_level_written_is_where_the_finding_points()
    {
        Diagnostic d = Assert.Single(Check("[alerts]\nready_critical = 4%"));

        Assert.Equal("10-test.conf:2:18+2", ConfigText.Render(d.Span));
        Assert.Equal("ready_warning 5% is the default", Assert.Single(d.Notes!).Message);
        Assert.StartsWith("raise ready_critical above 5%", d.Hint, StringComparison.Ordinal);
    }
}
