using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// One sweep of a host through libvirt alone, for a host whose /proc is not ours to read (a remote host, or any host
/// with <c>--source libvirt</c>): one <c>virConnectGetAllDomainStats</c> call with only the groups the figures need.
/// </summary>
/// <remarks>
/// <para>What each domain's sample holds, and from where (docs/monitoring-remote.md says it for users):</para>
/// <list type="bullet">
/// <item><see cref="DomainSample.Pid"/> is the libvirt domain id, not a pid: the QEMU driver gives every start a new id,
/// which is what the field is compared for (a restarted domain's counters began again).</item>
/// <item>vCPUs from the <c>vcpu</c> group (<see cref="DomainStatistics.Vcpus"/>): the same kernel counters the local
/// path reads, run time in 10 ms steps.</item>
/// <item>RSS and the guest's memory size from the <c>balloon</c> group (<c>balloon.rss</c>, <c>balloon.maximum</c>).</item>
/// <item>Block devices and interfaces from the <c>block</c> and <c>net</c> groups, as in the local path.</item>
/// <item>No cgroup counters (<see cref="DomainSample.CgroupCpu"/> null), and for the host nothing at all: TCP, reclaim
/// and pressure are null or empty in the <see cref="HostSample"/>.</item>
/// </list>
/// <para>
/// The clock: libvirtd reads the domains one after the other during the call, in the order of the records it returns,
/// so the k-th of n records is stamped at the middle of its share of the call, start + (k + 1/2) / n x duration,
/// rather than all at its end. A domain's interval is then off only by how unevenly the call's time was spent (and, for
/// a remote host, by the change in round-trip time): milliseconds against seconds of interval, where stamping every
/// domain at the end would shift the first domain of a 200-domain, 800 ms call by the whole change in its duration.
/// </para>
/// </remarks>
public sealed class RemoteSweeper(IMonitoredHost host)
{
    /// <summary>The domains of the last sweep with vCPUs whose ready time libvirt did not report (no <c>vcpu.N.delay</c>).</summary>
    public IReadOnlyList<string> DomainsWithoutDelay { get; private set; } = [];

    /// <summary>
    /// Reads every running domain once (<see cref="IMonitoredHost.RunningDomainStatistics"/>). Throws
    /// <see cref="KvmConfigException"/>: libvirt's error when the call fails, or one (<see cref="Rules.LibvirtError"/>)
    /// naming the groups the driver does not give (libvirt's test driver gives the state group only).
    /// </summary>
    public SweepSample Sweep()
    {
        long startNs = LocalSampler.NowNs();
        IReadOnlyList<DomainStatistics> all = host.RunningDomainStatistics();
        long endNs = LocalSampler.NowNs();
        var domains = new List<DomainSample>(all.Count);
        var withoutDelay = new List<string>();
        for (int k = 0; k < all.Count; k++)
        {
            if (all[k].VcpusWithoutDelay > 0)
            {
                withoutDelay.Add(all[k].Domain);
            }

            if (Sample(all[k], ReadAtNs(startNs, endNs, k, all.Count)) is { } sample)
            {
                domains.Add(sample);
            }
        }

        DomainsWithoutDelay = withoutDelay;
        return new SweepSample(domains, new HostSample(endNs, Tcp: null, Reclaim: null, new Dictionary<PressureResource, PressureStall>()));
    }

    /// <summary>
    /// When the <paramref name="index"/>-th of <paramref name="count"/> records of a call that ran from
    /// <paramref name="startNs"/> to <paramref name="endNs"/> was read: the middle of its share of the call.
    /// </summary>
    public static long ReadAtNs(long startNs, long endNs, int index, int count) =>
        startNs + (long)((endNs - startNs) * ((index + 0.5) / count));

    /// <summary>
    /// One domain's sample from its bulk statistics taken at <paramref name="atNs"/>, or null when it cannot be compared
    /// with another: no id or no <c>vcpu</c> group (it stopped during the call; it is left out of this sweep rather
    /// than shown idle).
    /// </summary>
    public static DomainSample? Sample(DomainStatistics stats, long atNs)
    {
        if (stats.Id is not { } id || stats.Vcpus is not { } vcpus)
        {
            return null;
        }

        return new DomainSample(stats.Domain, id, atNs, vcpus, stats.RssKiB, stats.GuestMemoryKiB)
        {
            Disks = stats.Disks,
            Interfaces = stats.Interfaces,
        };
    }
}
