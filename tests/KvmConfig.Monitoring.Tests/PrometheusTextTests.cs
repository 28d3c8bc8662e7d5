using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Prometheus;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <see cref="MetricsExposition"/> and <see cref="PrometheusTextWriter"/>: what <c>/metrics</c> serves, read back by
/// the strict <see cref="PrometheusTextParser"/>.
/// </summary>
public sealed class PrometheusTextTests
{
    private const long GiB = 1024 * 1024 * 1024;

    // Two domains as LocalSampler reads them: web1 with 3 vCPUs (numbered 0, 2, 10 to see the numeric order),
    // db1 with one, both with their RSS, memory size and smaps split (a quarter of the guest's size resident outside its
    // RAM); a third, "booting", whose RSS and size are unknown.
    private static readonly DomainSample Web1 = new("web1", 4242, 1_000, [
        new VcpuThread(10, 4301, new TaskSchedstat(RunNs: 7_000_000_000, WaitNs: 250_000_000, Timeslices: 900)),
        new VcpuThread(0, 4299, new TaskSchedstat(RunNs: 12_500_000_000, WaitNs: 1_500_000_001, Timeslices: 1200)),
        new VcpuThread(2, 4300, new TaskSchedstat(RunNs: 3, WaitNs: 0, Timeslices: 1)),
    ], RssKiB: 5 * 1024 * 1024, GuestMemoryKiB: 4 * 1024 * 1024) { Memory = new QemuMemory(RssKiB: 5 * 1024 * 1024, GuestRamRssKiB: 4 * 1024 * 1024, GuestRamMappings: 1) };

    private static readonly DomainSample Db1 = new("db1", 5151, 1_000, [
        new VcpuThread(0, 5200, new TaskSchedstat(RunNs: 60_000_000_000, WaitNs: 9_000_000_000, Timeslices: 77)),
    ], RssKiB: 1024 * 1024 + 256 * 1024, GuestMemoryKiB: 1024 * 1024) { Memory = new QemuMemory(RssKiB: 1024 * 1024 + 256 * 1024, GuestRamRssKiB: 1024 * 1024, GuestRamMappings: 2) };

    private static readonly DomainSample Booting = new("booting", 6000, 1_000, [], RssKiB: null, GuestMemoryKiB: null);

    private static readonly HostGauges Host = new(
        TcpRetransmitPercent: 1.25,
        ReclaimEfficiencyPercent: null,
        CpuPressure: new StallPercent(SomePercent: 12.5, FullPercent: null),
        IoPressure: new StallPercent(SomePercent: 3, FullPercent: 0.5));

    [Fact]
    public void Rendered_metrics_parse_back_to_the_samples_counters_in_seconds_and_shares_as_ratios()
    {
        string text = MetricsExposition.Render([Web1, Db1, Booting], Host);

        IReadOnlyList<ParsedFamily> families = PrometheusTextParser.Parse(text);

        ParsedFamily ready = families.Single(f => f.Name == "kvmconfig_vcpu_ready_seconds_total");
        Assert.Equal("counter", ready.Type);
        Assert.Equal(
            [("db1", "0", 9.0), ("web1", "0", 1.500000001), ("web1", "2", 0.0), ("web1", "10", 0.25)],
            ready.Samples.Select(s => (s["domain"], s["vcpu"], s.Value)));
        Assert.Equal(12.5, PrometheusTextParser.Family(text, "kvmconfig_vcpu_run_seconds_total").Samples.Single(s => s["domain"] == "web1" && s["vcpu"] == "0").Value);
        Assert.Equal(1200, PrometheusTextParser.Family(text, "kvmconfig_vcpu_timeslices_total").Samples.Single(s => s["domain"] == "web1" && s["vcpu"] == "0").Value);
        Assert.Equal([("booting", 0.0), ("db1", 1.0), ("web1", 3.0)], Values(text, "kvmconfig_domain_vcpus"));
        Assert.Equal([("db1", 1.25 * GiB), ("web1", 5.0 * GiB)], Values(text, "kvmconfig_domain_resident_memory_bytes"));
        Assert.Equal([("db1", 1.0 * GiB), ("web1", 4.0 * GiB)], Values(text, "kvmconfig_domain_guest_memory_bytes"));
        Assert.Equal([("db1", 0.25), ("web1", 0.25)], Values(text, "kvmconfig_domain_memory_overhead_ratio"));
        Assert.Equal(3, PrometheusTextParser.Family(text, "kvmconfig_scrape_domains").Samples.Single().Value);
        Assert.Equal(0.0125, PrometheusTextParser.Family(text, "kvmconfig_host_tcp_retransmit_ratio").Samples.Single().Value);
        Assert.Equal(
            [("cpu", 0.125), ("io", 0.03)],
            PrometheusTextParser.Family(text, "kvmconfig_host_pressure_some_ratio").Samples.Select(s => (s["resource"], s.Value)));
        Assert.Equal(
            [("io", 0.005)],
            PrometheusTextParser.Family(text, "kvmconfig_host_pressure_full_ratio").Samples.Select(s => (s["resource"], s.Value)));
        Assert.All(families, f => Assert.False(string.IsNullOrWhiteSpace(f.Help), $"{f.Name} has no HELP"));
        Assert.All(families, f => Assert.StartsWith("kvmconfig_", f.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Families_are_sorted_by_name_and_a_figure_without_a_value_has_no_series()
    {
        string text = MetricsExposition.Render([Web1, Db1, Booting], Host);

        string[] names = PrometheusTextParser.Parse(text).Select(f => f.Name).ToArray();

        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        // The reclaim efficiency is null (nothing scanned) and no domain has a memory pressure: no family, no NaN.
        Assert.DoesNotContain("kvmconfig_host_reclaim_efficiency_ratio", names);
        Assert.DoesNotContain("NaN", text, StringComparison.Ordinal);
        Assert.DoesNotContain("resource=\"memory\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain(PrometheusTextParser.Family(text, "kvmconfig_domain_resident_memory_bytes").Samples, s => s["domain"] == "booting");
    }

    [Fact]
    public void The_output_is_the_same_bytes_whatever_the_order_of_domains_and_vcpus()
    {
        DomainSample web1Reversed = Web1 with { Vcpus = Web1.Vcpus.Reverse().ToList() };

        Assert.Equal(MetricsExposition.Render([Web1, Db1, Booting], Host), MetricsExposition.Render([Booting, Db1, web1Reversed], Host));
    }

    [Fact]
    public void The_exposition_of_two_domains_and_the_host_is_locked_by_a_golden_file()
    {
        Golden.Verify("prometheus-two-domains", MetricsExposition.Render([Web1, Db1, Booting], Host));
    }

    [Fact]
    public void Without_domains_or_host_only_the_domain_count_is_exposed()
    {
        string text = MetricsExposition.Render([]);

        Assert.Equal(
            "# HELP kvmconfig_scrape_domains Running domains sampled in the last sweep.\n"
            + "# TYPE kvmconfig_scrape_domains gauge\n"
            + "kvmconfig_scrape_domains 0\n",
            text);
        Assert.Equal(0, PrometheusTextParser.Family(text, "kvmconfig_scrape_domains").Samples.Single().Value);
        Assert.Empty(PrometheusTextParser.Parse(PrometheusTextWriter.Write([])));
        Assert.Equal("", PrometheusTextWriter.Write([]));
    }

    [Theory]
    [InlineData("a domain name with a double quote", "we\"b", "we\\\"b")]
    [InlineData("a backslash, doubled", @"c:\vm", @"c:\\vm")]
    [InlineData("two backslashes then a quote", "x\\\\\"", "x\\\\\\\\\\\"")]
    [InlineData("a newline", "line1\nline2", @"line1\nline2")]
    [InlineData("a tab and UTF-8 are written as they are", "café\tvm", "café\tvm")]
    [InlineData("a closing brace and a comma inside the value", "a},b=\"c", "a},b=\\\"c")]
    [InlineData("an empty value", "", "")]
    public void A_label_value_is_escaped_and_reads_back_the_same(string description, string domain, string escaped)
    {
        _ = description;
        var sample = new DomainSample(domain, 1, 0, [new VcpuThread(0, 2, new TaskSchedstat(5_000_000_000, 2_000_000_000, 9))], null, null);

        string text = MetricsExposition.Render([sample]);

        Assert.Contains($"kvmconfig_vcpu_ready_seconds_total{{domain=\"{escaped}\",vcpu=\"0\"}} 2\n", text, StringComparison.Ordinal);
        ParsedSample ready = PrometheusTextParser.Family(text, "kvmconfig_vcpu_ready_seconds_total").Samples.Single();
        Assert.Equal(domain, ready["domain"]);
        Assert.Equal(2, ready.Value);
    }

    [Theory]
    [InlineData("a backslash is doubled", @"C:\ drive", @"# HELP m C:\\ drive")]
    [InlineData("a newline becomes \\n", "one\ntwo", @"# HELP m one\ntwo")]
    [InlineData("a double quote stays as it is in HELP", "say \"hi\"", "# HELP m say \"hi\"")]
    public void Help_text_escapes_backslash_and_newline_only(string description, string help, string line)
    {
        _ = description;
        string text = PrometheusTextWriter.Write([new MetricFamily("m", MetricType.Gauge, help, [new MetricSample(1)])]);

        Assert.Equal(line, text.Split('\n')[0]);
        Assert.Equal(help, PrometheusTextParser.Family(text, "m").Help);
    }

    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-05, "1E-05")]
    [InlineData(1.5e21, "1.5E+21")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void Gauge_values_use_the_shortest_text_that_reads_back_the_same_double(double value, string written)
    {
        string text = PrometheusTextWriter.Write([new MetricFamily("g", MetricType.Gauge, "a gauge", [new MetricSample(value)])]);

        Assert.EndsWith($"\ng {written}\n", text, StringComparison.Ordinal);
        Assert.Equal(value, PrometheusTextParser.Family(text, "g").Samples.Single().Value);
    }

    public static TheoryData<string, MetricFamily[], string> Unwritable => new()
    {
        { "a counter that went negative", [Counter(-1)], "a counter is a finite number >= 0" },
        { "a NaN counter", [Counter(double.NaN)], "is NaN" },
        { "an infinite counter", [Counter(double.PositiveInfinity)], "is +Inf" },
        { "a counter not named *_total", [new("c_seconds", MetricType.Counter, "h", [new MetricSample(1)])], "not named *_total" },
        { "a metric name with a dash", [new("kvm-config", MetricType.Gauge, "h", [new MetricSample(1)])], "not a metric name" },
        { "a metric name starting with a digit", [new("1m", MetricType.Gauge, "h", [new MetricSample(1)])], "not a metric name" },
        { "a reserved label name", [new("g", MetricType.Gauge, "h", [new MetricSample([new("__name__", "x")], 1)])], "not a label name" },
        { "a label name with a dot", [new("g", MetricType.Gauge, "h", [new MetricSample([new("a.b", "x")], 1)])], "not a label name" },
        { "a label twice in a series", [new("g", MetricType.Gauge, "h", [new MetricSample([new("a", "x"), new("a", "y")], 1)])], "label 'a' twice" },
        { "the same series twice, labels in another order",
            [new("g", MetricType.Gauge, "h", [new MetricSample([new("a", "1"), new("b", "2")], 1), new MetricSample([new("b", "2"), new("a", "1")], 2)])],
            "two series of g" },
        { "two families of one name", [new("g", MetricType.Gauge, "h", [new MetricSample(1)]), new("g", MetricType.Gauge, "h", [new MetricSample(2)])],
            "two metric families named 'g'" },
    };

    [Theory]
    [MemberData(nameof(Unwritable))]
    public void The_writer_refuses_what_prometheus_would_reject(string description, MetricFamily[] families, string message)
    {
        _ = description;
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => PrometheusTextWriter.Write(families));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_samples_of_one_domain_are_refused_as_duplicate_series()
    {
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => MetricsExposition.Render([Db1, Db1]));

        Assert.Contains("two series of", e.Message, StringComparison.Ordinal);
        Assert.Contains("domain=\"db1\"", e.Message, StringComparison.Ordinal);
    }

    private static MetricFamily Counter(double value) => new("c_total", MetricType.Counter, "a counter", [new MetricSample(value)]);

    private static IEnumerable<(string Domain, double Value)> Values(string text, string family) =>
        PrometheusTextParser.Family(text, family).Samples.Select(s => (s["domain"], s.Value));
}
