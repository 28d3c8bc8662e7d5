using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Linux;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The <c>[alerts]</c> thresholds the monitoring commands (<c>top</c>, <c>serve</c>) compare with.</summary>
internal static class AlertSettings
{
    /// <summary>
    /// The thresholds of the configuration directory (<paramref name="configDir"/>, else <c>$KVMCONFIG_DIR</c>, else
    /// <c>/etc/kvmconfig.d</c>); DESIGN.md's defaults when no directory was named and the default one does not exist.
    /// Only <c>[alerts]</c> matters here: a refused threshold or thresholds in the wrong order (KVC048) stop the
    /// command, the rest of the declaration is <c>check</c>'s business.
    /// </summary>
    public static AlertThresholds Load(string? configDir)
    {
        string directory = ConfigDirectoryReader.Resolve(configDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));
        if (configDir is null && !Directory.Exists(directory))
        {
            return AlertThresholds.Default;
        }

        CheckReport report = DeclarationCheck.Run(directory, SysfsTopologyReader.ForHost().Read());
        AlertThresholds alerts = report.Declaration.Alerts;
        Diagnostic? order = report.Diagnostics.FirstOrDefault(d => d.Descriptor == Rules.ThresholdOrder);
        IReadOnlySet<string> refused = alerts.Origins.Refused ?? new HashSet<string>();
        if (refused.Count > 0 || order is not null)
        {
            string what = order?.Message ?? $"refused value for {string.Join(", ", refused)}";
            throw new KvmConfigException(Rules.Unreadable, $"the [alerts] thresholds in {directory} have errors: {what}", directory,
                $"kvmconfig check --config-dir {directory} shows them");
        }

        return alerts;
    }
}
