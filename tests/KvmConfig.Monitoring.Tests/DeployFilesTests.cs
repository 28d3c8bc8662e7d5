using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.Prometheus;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The files under <c>deploy/</c> against the code: the Prometheus rules and the Grafana dashboard name only metrics the
/// exporter serves, and the rules' thresholds are kvmconfig's <c>[alerts]</c> defaults.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string Rules = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "deploy", "prometheus", "kvmconfig-alerts.yml"));
    private static readonly string Dashboard = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "deploy", "grafana", "kvmconfig-dashboard.json"));

    // Every family the exporter can serve: one domain with one vCPU, every host gauge set, and the exporter's own
    // kvmconfig_libvirt_up.
    private static readonly HashSet<string> Served = [.. MetricsExposition.Families(
        [new DomainSample("vm", 1, 0, [new VcpuThread(0, 2, new TaskSchedstat(1, 1, 1))], 1024, 2048)
        {
            Disks = [new BlockDeviceCounters("vda", 1, 1, 1, 1, 1, 1, 1, 1)],
            Interfaces = [new InterfaceCounters("vnet0", 1, 1, 0, 1, 1, 0)],
            CgroupCpu = new CgroupCpuStat(10, 1, 1000, 5000),
            HostIo = [new CgroupIoDevice(8, 0, 1, 1, 1, 1)],
        }],
        new HostGauges(1, 99, new StallPercent(1, 1), new StallPercent(1, 1), new StallPercent(1, 1)),
        new HostSample(0, default, default, new Dictionary<PressureResource, PressureStall>())
        {
            Disks = DiskStats.ParseAll("   8       0 sda 1 0 8 1 1 0 8 1 0 1 2\n"),
        }).Select(f => f.Name), "kvmconfig_libvirt_up"];

    [Fact]
    public void The_rules_and_the_dashboard_name_only_metrics_the_exporter_serves()
    {
        string[] named = [.. MetricName().Matches(Rules + Dashboard).Select(m => m.Value).Distinct()];

        Assert.NotEmpty(named);
        Assert.All(named, name => Assert.Contains(name, Served));
        Assert.Contains("kvmconfig_vcpu_ready_seconds_total", named);
    }

    [Fact]
    public void The_rules_thresholds_are_the_alerts_defaults()
    {
        AlertThresholds defaults = AlertThresholds.Default;
        var expected = new Dictionary<string, double>
        {
            ["KvmconfigVcpuReadyWarning"] = defaults.ReadyWarningPercent,
            ["KvmconfigVcpuReadyCritical"] = defaults.ReadyCriticalPercent,
            ["KvmconfigMemoryOverhead"] = defaults.MemoryOverheadPercent,
            ["KvmconfigTcpRetransmits"] = defaults.TcpRetransmitPercent,
            ["KvmconfigReclaimEfficiency"] = defaults.ReclaimEfficiencyPercent,
            ["KvmconfigCpuPressure"] = defaults.CpuPressurePercent,
            ["KvmconfigDiskQueue"] = defaults.DiskQueueDepthRequests,
            ["KvmconfigHostDiskQueue"] = defaults.DiskQueueDepthRequests,
        };

        // "- alert: NAME" followed by "expr: ... OP NUMBER": the threshold is the number the expression compares with.
        var found = new Dictionary<string, double>();
        foreach (Match rule in AlertRule().Matches(Rules))
        {
            found[rule.Groups["name"].Value] = double.Parse(rule.Groups["threshold"].Value, CultureInfo.InvariantCulture);
        }

        foreach ((string name, double threshold) in expected)
        {
            Assert.True(found.TryGetValue(name, out double written), $"no rule {name}");
            Assert.Equal(threshold, written);
        }
    }

    [Fact]
    public void The_dashboard_is_json_with_a_panel_per_figure()
    {
        JsonNode dashboard = JsonNode.Parse(Dashboard)!;

        string[] exprs = [.. dashboard["panels"]!.AsArray()
            .SelectMany(p => p!["targets"]?.AsArray() ?? [])
            .Select(t => t!["expr"]!.GetValue<string>())];
        Assert.Contains(exprs, e => e.Contains("kvmconfig_vcpu_ready_seconds_total", StringComparison.Ordinal));
        Assert.Contains(exprs, e => e.Contains("kvmconfig_domain_memory_overhead_ratio", StringComparison.Ordinal));
        Assert.Contains(exprs, e => e.Contains("kvmconfig_host_tcp_retransmit_ratio", StringComparison.Ordinal));
        Assert.Contains(exprs, e => e.Contains("kvmconfig_domain_disk_time_seconds_total", StringComparison.Ordinal));
        Assert.Contains(exprs, e => e.Contains("kvmconfig_host_disk_io_time_weighted_seconds_total", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"kvmconfig_[a-z_]+[a-z]")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"- alert: (?<name>\w+)\s+expr: [^\n]*?(>=|<=|>|<) (?<threshold>[0-9.]+)\s*\n")]
    private static partial Regex AlertRule();
}
