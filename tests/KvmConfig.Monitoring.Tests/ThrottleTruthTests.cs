using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// CPU quota throttling against ground truth: a spinning guest held to 20 % of a CPU by a domain-wide quota (the
/// <c>&lt;global_quota&gt;</c> that kvmconfig's <c>cpu_limit</c> writes) is throttled in most enforcement periods, and
/// its vCPU runs about a fifth of the time. Runs with the other truth tests, alone, as it spins a CPU.
/// </summary>
[Trait("Category", "Truth")]
[Collection(TruthCollection.Name)]
public sealed class ThrottleTruthTests
{
    [Fact]
    public void A_spinning_guest_under_a_20_percent_quota_reads_throttled_and_near_20_percent_cpu()
    {
        // Given a guest that would use its CPU fully, capped at 2 ms of every 10 ms for the whole domain
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using var away = new AwayFromCpu(cpu: 1);
        using var spin = SpinningDomain.Start(connection, cpu: 1, cputune: "<global_period>10000</global_period><global_quota>2000</global_quota>");
        var procfs = new ProcfsReader();
        using LibvirtMonitoredHost host = LibvirtMonitoredHost.Open(LibvirtDaemon.Uri);
        using var sweeper = new LocalSweeper(host, new LocalSampler(new QemuProcesses(), procfs, new CgroupReader()), procfs);

        // When two sweeps two seconds apart are compared (the wait is the measured interval itself)
        SweepSample first = sweeper.Sweep();
        Thread.Sleep(TimeSpan.FromSeconds(2));
        DomainFigures figures = SweepFigures.Between(first, sweeper.Sweep()).Domains.Single(d => d.Domain == spin.Name);

        // Then most periods hit the quota, and the vCPU ran close to the quota's share
        Assert.NotNull(figures.ThrottledPercent);
        Assert.True(figures.ThrottledPercent > 50, $"throttled in {figures.ThrottledPercent:F1} % of the periods");
        Assert.InRange(figures.CpuPercent, 10, 25);
    }
}
