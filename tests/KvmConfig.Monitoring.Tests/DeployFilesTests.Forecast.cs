using System.Globalization;
using System.Text.RegularExpressions;
using KvmConfig.Core.Specs;
using KvmConfig.TestSupport;
using YamlDotNet.RepresentationModel;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <c>deploy/prometheus/kvmconfig-forecast.yml</c>: every forecast alert is a <c>predict_linear</c> of a series the
/// file records, compared with kvmconfig's <c>[alerts]</c> default and guarded by "still below it now"; the recorded
/// series use only metrics the exporter serves.
/// </summary>
public sealed partial class DeployFilesTests
{
    private static readonly string ForecastRules = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "deploy", "prometheus", "kvmconfig-forecast.yml"));

    [Fact]
    public void The_forecast_rules_predict_recorded_series_of_served_metrics_against_the_alerts_defaults()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(ForecastRules));
        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        List<YamlMappingNode> rules = [.. groups.Cast<YamlMappingNode>().SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())];
        HashSet<string> recorded = [.. rules.Where(r => r.Children.ContainsKey("record")).Select(r => r["record"].ToString())];
        Dictionary<string, string> alerts = rules.Where(r => r.Children.ContainsKey("alert")).ToDictionary(r => r["alert"].ToString(), r => r["expr"].ToString());

        // Metrics named in the file are all served
        string[] named = [.. MetricName().Matches(ForecastRules).Select(m => m.Value).Distinct()];
        Assert.All(named, name => Assert.Contains(name, Served));

        AlertThresholds defaults = AlertThresholds.Default;
        var expected = new Dictionary<string, double>
        {
            ["KvmconfigVcpuReadyForecast"] = defaults.ReadyWarningPercent,
            ["KvmconfigMemoryOverheadForecast"] = defaults.MemoryOverheadPercent,
            ["KvmconfigDiskQueueForecast"] = defaults.DiskQueueDepthRequests,
            ["KvmconfigCpuPressureForecast"] = defaults.CpuPressurePercent,
        };
        Assert.Equal(expected.Keys.Order(), alerts.Keys.Order());
        foreach ((string name, string expr) in alerts)
        {
            // predict_linear(SERIES[1d], 7 * 86400) OP THRESHOLD and SERIES OP' THRESHOLD
            Match m = ForecastRule().Match(expr);
            Assert.True(m.Success, $"{name}: {expr}");
            Assert.Contains(m.Groups["series"].Value, recorded);
            Assert.Equal(m.Groups["series"].Value, m.Groups["now"].Value);
            Assert.Equal(expected[name], double.Parse(m.Groups["threshold"].Value, CultureInfo.InvariantCulture));
            Assert.Equal(expected[name], double.Parse(m.Groups["again"].Value, CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"^predict_linear\((?<series>kvmconfig:[a-z_:]+)\[1d\], 7 \* 86400\) (>=|>) (?<threshold>[0-9.]+) and (?<now>kvmconfig:[a-z_:]+) (<|<=) (?<again>[0-9.]+)$")]
    private static partial Regex ForecastRule();
}
