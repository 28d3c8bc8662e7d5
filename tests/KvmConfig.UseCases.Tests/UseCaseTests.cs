using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Linux;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Reports;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>Each use case driven as a library user drives it, without the CLI, against the real daemon.</summary>
public sealed class UseCaseTests : IDisposable
{
    private readonly UseCaseFixture _f = new();

    private PlanOutcome.Planned Planned() => Assert.IsType<PlanOutcome.Planned>(DeclarationPlan.Run(_f.Config.Dir, _f.Host));

    private PlanOrigin Origin => new(_f.Host, "this host", _f.Config.Dir);

    [Fact]
    public void Plan_refuses_a_declaration_with_errors_and_carries_the_findings()
    {
        using var config = new ConfigDir(("10-vm.conf", "[vm big]\nvcpus = 64\n"));

        PlanOutcome outcome = DeclarationPlan.Run(config.Dir, _f.Host);

        PlanOutcome.Refused refused = Assert.IsType<PlanOutcome.Refused>(outcome);
        Assert.False(refused.Report.Ok);
        Assert.Contains(refused.Report.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Null(refused.Report.Plan);
    }

    [Fact]
    public void Plan_of_a_clean_declaration_places_the_vm_off_the_reserved_cpu()
    {
        PlanOutcome.Planned planned = Planned();

        Assert.True(planned.Report.Ok);
        Assert.Equal([_f.Domain.Name], planned.Plan.Vms.Select(v => v.Name));
        Assert.DoesNotContain(0, planned.Plan.Vms[0].Cpus);
    }

    [Fact]
    public void A_dry_run_returns_the_diff_and_changes_nothing()
    {
        string before = _f.Fingerprint();

        ApplyResult result = PendingApply.Apply(_f.Connection, Planned().Plan, Origin, _f.Options with { DryRun = true });

        ApplyResult.Unchanged unchanged = Assert.IsType<ApplyResult.Unchanged>(result);
        Assert.True(unchanged.DryRun);
        Assert.Equal([_f.Domain.Name], unchanged.Real.Select(c => c.Name));
        Assert.Equal(before, _f.Fingerprint());
        Assert.False(Directory.Exists(_f.Options.JournalRoot));
    }

    [Fact]
    public void A_declined_apply_is_asked_with_the_changes_and_changes_nothing()
    {
        string before = _f.Fingerprint();
        IReadOnlyList<DomainChange>? asked = null;

        ApplyResult result = PendingApply.Apply(_f.Connection, Planned().Plan, Origin, _f.Options, changes => { asked = changes; return false; });

        Assert.IsType<ApplyResult.Declined>(result);
        Assert.Equal([_f.Domain.Name], asked!.Select(c => c.Name));
        Assert.Equal(before, _f.Fingerprint());
        Assert.False(Directory.Exists(_f.Options.JournalRoot));
    }

    [Fact]
    public void Apply_brings_the_vm_in_sync_and_rollback_takes_it_back()
    {
        PlanOutcome.Planned planned = Planned();
        string before = _f.Fingerprint();
        Assert.False(DomainStatus.Observe(_f.Connection, planned.Plan).InSync);

        ApplyResult.Applied applied = Assert.IsType<ApplyResult.Applied>(PendingApply.Apply(_f.Connection, planned.Plan, Origin, _f.Options));

        Assert.True(applied.Outcome.Succeeded, applied.Outcome.Error?.Message);
        Assert.Equal("applied", applied.Journal.Status);
        StatusReport status = DomainStatus.Observe(_f.Connection, planned.Plan);
        Assert.True(status.InSync, string.Join("; ", status.Vms.SelectMany(v => v.Drift)));
        Assert.IsType<ApplyResult.Unchanged>(PendingApply.Apply(_f.Connection, planned.Plan, Origin, _f.Options));

        Journal journal = PendingRollback.OpenJournal(null, _f.Options.JournalRoot);
        Assert.Equal(applied.Journal.Directory, journal.Directory);
        RollbackResult.Restored restored = Assert.IsType<RollbackResult.Restored>(PendingRollback.Rollback(_f.Connection, journal, _f.Options));

        Assert.Equal([_f.Domain.Name], restored.Real.Select(c => c.Name));
        Assert.Equal(before, _f.Fingerprint());
        Assert.False(DomainStatus.Observe(_f.Connection, planned.Plan).InSync);
        Assert.IsType<RollbackResult.Unchanged>(PendingRollback.Rollback(_f.Connection, journal, _f.Options));
    }

    [Fact]
    public void Apply_refuses_a_vm_libvirt_does_not_know_before_writing_anything()
    {
        string name = LibvirtDaemon.NewName("absent");
        using var config = new ConfigDir(("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"), ("10-vm.conf", $"[vm {name}]\nvcpus = 1\n"));
        PlanOutcome.Planned planned = Assert.IsType<PlanOutcome.Planned>(DeclarationPlan.Run(config.Dir, _f.Host));

        var e = Assert.Throws<KvmConfigException>(() => PendingApply.Apply(_f.Connection, planned.Plan, new PlanOrigin(_f.Host, "this host", config.Dir), _f.Options));

        Assert.Equal(Rules.LibvirtError, e.Descriptor);
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(config.Dir, e.Hint, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_f.Options.JournalRoot));
    }

    [Fact]
    public void Apply_refuses_a_plan_made_for_another_host()
    {
        HostTopology captured = SysfsTopologyReader.ForSysroot(TestData.Path("sysfs", "desktop-1s-20cpu")).Read();
        PlanOutcome.Planned planned = Assert.IsType<PlanOutcome.Planned>(DeclarationPlan.Run(_f.Config.Dir, captured));
        string before = _f.Fingerprint();

        var e = Assert.Throws<KvmConfigException>(() =>
            PendingApply.Apply(_f.Connection, planned.Plan, new PlanOrigin(captured, "sysroot desktop", _f.Config.Dir), _f.Options));

        Assert.Equal(Rules.PlanForAnotherHost, e.Descriptor);
        Assert.Equal(before, _f.Fingerprint());
    }

    [Fact]
    public void Report_reads_the_sweeps_of_the_range_only()
    {
        using HistoryStore store = HistoryStore.OpenReadOnly(_f.History);
        AlertThresholds thresholds = DeclaredAlerts.Read(_f.Config.Dir, _f.Host);
        DateTimeOffset now = DateTimeOffset.UtcNow;

        HistoryReport all = HistoryReport.Read(store, new ReportRange(now.AddDays(-1), now), thresholds);
        HistoryReport none = HistoryReport.Read(store, new ReportRange(now.AddDays(-3), now.AddDays(-2)), thresholds);

        Assert.Equal(UseCaseFixture.Sweeps, all.Sweeps);
        Assert.Equal(["vm1"], all.Domains.Select(d => d.Name));
        Assert.Equal(0, none.Sweeps);
        Assert.Empty(none.Domains);
    }

    public void Dispose() => _f.Dispose();
}
