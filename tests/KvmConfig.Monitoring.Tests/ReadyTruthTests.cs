using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// CPU ready against ground truth (issue 5 item 6): a guest whose only vCPU spins on CPU 1, once beside a busy loop
/// pinned to that CPU and once alone. These tests need CPU 1 otherwise idle, so they carry the "Truth" trait and
/// scripts/test.sh runs them after every other test, on their own.
/// </summary>
[Trait("Category", "Truth")]
[Collection(TruthCollection.Name)]
public sealed class ReadyTruthTests : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly SpinningDomain _spin;
    private readonly LocalSampler _sampler = new();
    private readonly AwayFromCpu _away = new(cpu: 1);

    public ReadyTruthTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
        _spin = SpinningDomain.Start(_connection, cpu: 1);
    }

    [Fact]
    public void Ready_of_a_contended_vcpu_matches_its_threads_own_schedstat_and_is_clearly_critical()
    {
        // Given the spinning vCPU and a busy loop on its CPU
        using var loop = new BusyLoop(cpu: 1);

        // When kvmconfig samples it over an interval, and the vCPU thread's schedstat is read independently around it
        (DomainFigures figures, double independent) = Measure();

        // Then the two agree within 10 points, and the vCPU waits far above the 10 % critical threshold
        double ready = Assert.Single(figures.Vcpus).ReadyPercent;
        Assert.InRange(ready, independent - 10, independent + 10);
        Assert.True(ready > 25, $"ready {ready:F1} % beside a busy loop on the same CPU");
        Assert.Equal(ready, figures.ReadyPercentMax);
    }

    [Fact]
    public void Ready_of_a_vcpu_alone_on_its_cpu_is_under_5_percent()
    {
        // Up to three intervals, keeping the quietest: nothing of this test runs on CPU 1, but the machine's own
        // background work (a build server, a kernel worker) may pass through it for a moment. Each interval must agree
        // with the thread's schedstat; the quietest must be under 5 %.
        var readings = new List<(double Ready, double Independent, double Cpu)>();
        for (int i = 0; i < 3 && (readings.Count == 0 || readings.Min(r => r.Ready) >= 5); i++)
        {
            (DomainFigures figures, double independent) = Measure();
            double ready = Assert.Single(figures.Vcpus).ReadyPercent;
            Assert.InRange(ready, independent - 10, independent + 10);
            readings.Add((ready, independent, figures.CpuPercent));
        }

        (double quietest, _, double cpu) = readings.MinBy(r => r.Ready);
        Assert.True(quietest < 5, $"ready alone over {readings.Count} intervals: {string.Join(", ", readings.Select(r => $"{r.Ready:F1} %"))}");
        Assert.True(cpu > 80, $"the spinning vCPU ran {cpu:F1} % of the quietest interval");
    }

    [Fact]
    public void The_procfs_path_and_libvirts_bulk_stats_agree_within_2_percent()
    {
        using var loop = new BusyLoop(cpu: 1);
        int pid = new QemuProcesses().PidOf(_spin.Name)!.Value;
        int tid = new Linux.Procfs.ProcfsReader().ReadVcpuThreads(pid).Single().Tid;

        // The same counter two ways: libvirt's vcpu.0.delay, and the thread's schedstat wait read just before and just
        // after that call, whose midpoint stands for the moment libvirt read it (the call's own latency, longer on a
        // busy machine, would otherwise count on one side only)
        ulong Schedstat() => TaskSchedstat.Parse(File.ReadAllText($"/proc/{pid}/task/{tid}/schedstat")).WaitNs;
        (ulong Libvirt, ulong Procfs) Read()
        {
            ulong before = Schedstat();
            ulong delay = _connection.AllDomainStats(DomainStatsGroups.Vcpu, activeOnly: true).Single(s => s.Domain == _spin.Name)["vcpu.0.delay"]!.AsUInt64();
            ulong after = Schedstat();
            return (delay, before + ((after - before) / 2));
        }

        (ulong libvirtBefore, ulong procfsBefore) = Read();
        Thread.Sleep(TimeSpan.FromSeconds(2)); // the measured interval
        (ulong libvirtAfter, ulong procfsAfter) = Read();

        double viaLibvirt = libvirtAfter - libvirtBefore;
        double viaProcfs = procfsAfter - procfsBefore;
        Assert.True(viaProcfs > 1e8, $"the vCPU waited only {viaProcfs / 1e6:F0} ms in 2 s");
        Assert.InRange(viaLibvirt, viaProcfs * 0.98, viaProcfs * 1.02);
    }

    public void Dispose()
    {
        _spin.Dispose();
        _connection.Dispose();
        _away.Dispose();
    }

    // A 2 s interval measured by the sampler, and the same interval from the vCPU thread's schedstat read directly.
    private (DomainFigures Figures, double Independent) Measure()
    {
        DomainSample before = _sampler.Sample(_spin.Name) ?? throw new InvalidOperationException("the spinning domain is not running");
        int tid = before.Vcpus.Single().Tid;
        string schedstat = $"/proc/{before.Pid}/task/{tid}/schedstat";
        ulong waitBefore = ulong.Parse(File.ReadAllText(schedstat).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        long wallBefore = LocalSampler.NowNs();

        Thread.Sleep(TimeSpan.FromSeconds(2)); // the measured interval

        DomainSample after = _sampler.Sample(_spin.Name)!;
        ulong waitAfter = ulong.Parse(File.ReadAllText(schedstat).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        long wallAfter = LocalSampler.NowNs();
        return (DomainFigures.Between(before, after)!, (waitAfter - waitBefore) * 100.0 / (wallAfter - wallBefore));
    }
}

/// <summary>The truth tests run one at a time: they share CPU 1.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TruthCollection
{
    public const string Name = "truth";
}
