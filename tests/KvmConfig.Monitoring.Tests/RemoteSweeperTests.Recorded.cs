using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

public sealed partial class RemoteSweeperTests
{
    // ---- sweeps of a recorded host (no daemon)

    [Fact]
    public void A_sweep_turns_each_running_domains_statistics_into_its_sample_and_has_no_host_counters()
    {
        // Given the recorded host
        using var host = RecordedHost.OfCapture("qemu+ssh://kvm-recorded/system");

        // When it is swept through libvirt alone
        long before = LocalSampler.NowNs();
        SweepSample sweep = new RemoteSweeper(host).Sweep();
        long after = LocalSampler.NowNs();

        // Then the domain's sample is its record: the domain id for the pid, vCPU time and delay, balloon RSS and
        // maximum, the disk and the interface as libvirt counted them; stamped within the call; and no host counters
        DomainSample sample = Assert.Single(sweep.Domains);
        DomainStatistics recorded = RecordedCapture.Domain().Statistics;
        Assert.Equal((RecordedCapture.Name, RecordedCapture.Id), (sample.Domain, sample.Pid));
        Assert.Equal(recorded.Vcpus, sample.Vcpus);
        Assert.Equal((45636L, 65536L), (sample.RssKiB!.Value, sample.GuestMemoryKiB!.Value));
        Assert.Equal(recorded.Disks, sample.Disks);
        Assert.Equal(recorded.Interfaces, sample.Interfaces);
        Assert.InRange(sample.AtNs, before, after);
        Assert.InRange(sweep.Host.AtNs, before, after);
        Assert.True(sweep.Host.Tcp is null && sweep.Host.Reclaim is null && sweep.Host.Pressure.Count == 0 && sweep.Host.Disks.Count == 0);
    }

    [Fact]
    public void Records_without_an_id_or_a_vcpu_group_are_left_out_and_vcpus_without_delay_are_named()
    {
        // Given beside the recorded domain one that stopped during the call (no id, no vcpu group) and one of an old
        // daemon (a vCPU with time but no delay)
        using var host = RecordedHost.OfCapture();
        RecordedDomain recorded = RecordedCapture.Domain();
        host.Add(recorded with { Name = "kvmct-stopped", Statistics = new DomainStatistics("kvmct-stopped", Id: null) { RssKiB = 1000 } });
        host.Add(recorded with
        {
            Name = "kvmct-old-daemon",
            Statistics = recorded.Statistics with { Domain = "kvmct-old-daemon", Id = 4, Vcpus = [recorded.Statistics.Vcpus![0]], VcpusWithoutDelay = 1 },
        });
        var remote = new RemoteSweeper(host);

        SweepSample sweep = remote.Sweep();

        // Then the stopped one is left out rather than shown idle, and the old daemon's domain is swept with its vCPU
        // that has a delay, and named for the warning
        Assert.Equal(["kvmct-old-daemon", RecordedCapture.Name], sweep.Domains.Select(d => d.Domain));
        Assert.Equal([0], sweep.Domains[0].Vcpus.Select(v => v.Vcpu));
        Assert.Equal(["kvmct-old-daemon"], remote.DomainsWithoutDelay);
    }

    [Fact]
    public void A_failed_statistics_call_fails_the_sweep_with_the_hosts_error()
    {
        using var host = RecordedHost.OfCapture();
        var remote = new RemoteSweeper(host);
        host.Close("keepalive timeout (the daemon stopped answering)");

        var e = Assert.Throws<KvmConfigException>(remote.Sweep);

        Assert.Contains("keepalive timeout", e.Message, StringComparison.Ordinal);
    }
}
