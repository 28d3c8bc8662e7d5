using KvmConfig.Config;
using KvmConfig.Core.Specs;
using KvmConfig.Linux;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The <c>[alerts]</c> thresholds the monitoring commands (<c>top</c>, <c>serve</c>, <c>report</c>) compare with.</summary>
internal static class AlertSettings
{
    /// <summary>What <c>--config-dir</c> means to the commands that only read the thresholds.</summary>
    public const string ConfigDirHelp = "Where [[alerts]] thresholds are read (default: $KVMCONFIG_DIR or /etc/kvmconfig.d; the built-in defaults when it does not exist).";

    /// <summary>
    /// The thresholds of the configuration directory (<paramref name="configDir"/>, else <c>$KVMCONFIG_DIR</c>, else
    /// <c>/etc/kvmconfig.d</c>); DESIGN.md's defaults when no directory was named and the default one does not exist.
    /// </summary>
    public static AlertThresholds Load(string? configDir)
    {
        string directory = ConfigDirectoryReader.Resolve(configDir, Environment.GetEnvironmentVariable(ConfigDirectoryReader.EnvironmentVariable));
        return configDir is null && !Directory.Exists(directory)
            ? AlertThresholds.Default
            : DeclaredAlerts.Read(directory, SysfsTopologyReader.ForHost().Read());
    }
}
