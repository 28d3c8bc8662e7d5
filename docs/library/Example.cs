using KvmConfig.Config;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Linux;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Reports;

namespace KvmConfig.Examples;

/// <summary>check, plan, apply, status, rollback and report of one host, one call each.</summary>
public static class LibraryExample
{
    public static string Run(string configDir, string uri, ChangeOptions options, string history)
    {
        HostTopology host = SysfsTopologyReader.ForHost().Read();

        // check: every finding, with file, line and column
        CheckReport check = DeclarationCheck.Run(configDir, host);

        // plan: a placement, or the check's errors (never a partial plan)
        if (DeclarationPlan.Of(check) is not PlanOutcome.Planned planned)
        {
            return $"refused: {check.Errors} errors";
        }

        // apply: a journal, then every change, all or nothing; declined VMs and dry runs change nothing
        using LibvirtConnection connection = LibvirtConnection.Open(uri);
        var origin = new PlanOrigin(host, "this host", configDir);
        ApplyResult applied = PendingApply.Apply(connection, planned.Plan, origin, options);

        // status: each declared VM's domain against its plan
        StatusReport status = DomainStatus.Observe(connection, planned.Plan);

        // rollback: the newest journal's VMs back as they were
        Journal journal = PendingRollback.OpenJournal(null, options.JournalRoot);
        RollbackResult rolledBack = PendingRollback.Rollback(connection, journal, options);

        // report: what serve's history holds for a range
        using HistoryStore store = HistoryStore.OpenReadOnly(history);
        var range = new ReportRange(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow);
        HistoryReport report = HistoryReport.Read(store, range, check.Declaration.Alerts);

        return $"{applied.GetType().Name} {applied.Real.Count}, in sync {status.InSync}, "
            + $"{rolledBack.GetType().Name} {rolledBack.Real.Count}, {report.Sweeps} sweeps";
    }
}
