using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Config;

/// <summary>The <c>[alerts]</c> thresholds that <c>top</c>, <c>serve</c> and <c>report</c> compare with.</summary>
public static class DeclaredAlerts
{
    /// <summary>
    /// The thresholds <paramref name="directory"/> declares, checked against <paramref name="host"/>. Only
    /// <c>[alerts]</c> matters here: the rest of the declaration is <c>check</c>'s business.
    /// </summary>
    /// <exception cref="Core.KvmConfigException">KVC093 when a threshold is refused or a warning threshold is not
    /// below its critical one (KVC048); the directory's own failures as <see cref="DeclarationCheck"/> reports them.</exception>
    public static AlertThresholds Read(string directory, HostTopology host)
    {
        CheckReport report = DeclarationCheck.Run(directory, host);
        AlertThresholds alerts = report.Declaration.Alerts;
        Diagnostic? order = report.Diagnostics.FirstOrDefault(d => d.Descriptor == Rules.ThresholdOrder);
        IReadOnlySet<string> refused = alerts.Origins.Refused ?? new HashSet<string>();
        if (refused.Count > 0 || order is not null)
        {
            throw ConfigErrors.AlertsWithErrors(directory, order?.Message ?? $"refused value for {string.Join(", ", refused)}");
        }

        return alerts;
    }
}
