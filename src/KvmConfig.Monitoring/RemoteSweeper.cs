using System.Globalization;
using System.Text.RegularExpressions;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;

namespace KvmConfig.Monitoring;

/// <summary>
/// One sweep of a host through libvirt alone, for a host whose /proc is not ours to read (a remote host, or any host
/// with <c>--source libvirt</c>): one <c>virConnectGetAllDomainStats</c> call with only the groups the figures need.
/// </summary>
/// <remarks>
/// <para>What each domain's sample holds, and from where (docs/monitoring-remote.md says it for users):</para>
/// <list type="bullet">
/// <item><see cref="DomainSample.Pid"/> is the libvirt domain id, not a pid: the QEMU driver gives every start a new id,
/// which is what the field is compared for (a restarted domain's counters began again).</item>
/// <item>vCPUs from the <c>vcpu</c> group (<see cref="LibvirtStatistics.Vcpus"/>): the same kernel counters the local
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
public sealed class RemoteSweeper(LibvirtConnection connection)
{
    /// <summary>
    /// The groups requested: <c>vcpu</c> (CPU and ready per vCPU), <c>balloon</c> (RSS and memory size, for the overhead),
    /// <c>block</c> and <c>interface</c> (devices). Not <c>state</c>, <c>cpu-total</c>, <c>perf</c>, <c>iothread</c>,
    /// <c>memory</c>, <c>dirtyrate</c> or <c>vm</c>: no figure uses them. The running domains are chosen by the call's
    /// ACTIVE filter, which needs no group. Measured inside libvirtd for 20 idle domains (issue 5): vcpu 52 ms,
    /// balloon 72 ms, block 76 ms per sweep, about 2.5 to 4 ms per domain and group.
    /// </summary>
    /// <remarks>
    /// The call waits for each domain's job lock (no <c>NOWAIT</c> flag): the balloon group's RSS and the block
    /// counters are read from QEMU's monitor under that lock, and with <c>NOWAIT</c> a domain whose lock another
    /// client's query holds for a moment (another monitoring tool, virsh, a second kvmconfig) answers without them,
    /// which made the memory overhead and the disks vanish from intervals in testing. The price: a domain whose QEMU
    /// monitor hangs delays the sweep by libvirt's job timeout (30 s) before the call goes on without its monitor data.
    /// </remarks>
    public const DomainStatsGroups Groups = DomainStatsGroups.Vcpu | DomainStatsGroups.Balloon | DomainStatsGroups.Block | DomainStatsGroups.Interface;

    // VIR_ERR_ARGUMENT_UNSUPPORTED: with ENFORCE_STATS, the driver does not know a requested group.
    private const int ArgumentUnsupported = 74;

    /// <summary>The domains of the last sweep with vCPUs whose ready time libvirt did not report (no <c>vcpu.N.delay</c>).</summary>
    public IReadOnlyList<string> DomainsWithoutDelay { get; private set; } = [];

    /// <summary>
    /// Reads every running domain once. Throws <see cref="LibvirtException"/> when the call fails, and
    /// <see cref="KvmConfigException"/> (<see cref="Rules.LibvirtError"/>) naming the groups when the driver does not
    /// give them (libvirt's test driver gives the state group only).
    /// </summary>
    public SweepSample Sweep()
    {
        IReadOnlyList<DomainStats> all;
        long startNs = LocalSampler.NowNs();
        try
        {
            all = connection.AllDomainStats(Groups, activeOnly: true, enforce: true);
        }
        catch (LibvirtException e) when (e.Code == ArgumentUnsupported)
        {
            throw Unsupported(connection.Uri, e);
        }

        long endNs = LocalSampler.NowNs();
        var domains = new List<DomainSample>(all.Count);
        var withoutDelay = new List<string>();
        for (int k = 0; k < all.Count; k++)
        {
            var parsed = new LibvirtStatistics(all[k]);
            if (parsed.VcpusWithoutDelay() > 0)
            {
                withoutDelay.Add(all[k].Domain);
            }

            if (Sample(all[k], parsed, ReadAtNs(startNs, endNs, k, all.Count)) is { } sample)
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
    public static DomainSample? Sample(DomainStats stats, long atNs) => Sample(stats, new LibvirtStatistics(stats), atNs);

    private static DomainSample? Sample(DomainStats stats, LibvirtStatistics parsed, long atNs)
    {
        if (stats.Id is not { } id || !parsed.HasVcpuGroup)
        {
            return null;
        }

        return new DomainSample(stats.Domain, id, atNs, parsed.Vcpus(), parsed.BalloonRssKiB(), parsed.BalloonMaximumKiB())
        {
            Disks = parsed.Disks(),
            Interfaces = parsed.Interfaces(),
        };
    }

    // "Stats types bits 0x3c are not supported by this daemon": the bits named, so that the user need not decode them.
    private static KvmConfigException Unsupported(string uri, LibvirtException e)
    {
        Match bits = Regex.Match(e.LibvirtMessage, @"0x([0-9a-fA-F]+)");
        uint missing = bits.Success && uint.TryParse(bits.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint b) ? b & (uint)Groups : (uint)Groups;
        string[] names = [.. Enum.GetValues<DomainStatsGroups>().Where(g => g != 0 && (missing & (uint)g) != 0).Select(GroupName)];
        return new KvmConfigException(
            Rules.LibvirtError,
            $"the driver of {uri} does not give the {Join(names)} statistics groups that kvmconfig reads through libvirt (libvirt: {e.LibvirtMessage})",
            hint: "connect to a QEMU driver (qemu:///system, qemu+ssh://user@host/system); libvirt's test driver gives the state group only",
            inner: e);
    }

    private static string Join(string[] names) => names.Length < 2 ? string.Concat(names) : $"{string.Join(", ", names[..^1])} and {names[^1]}";

    // The names virsh domstats gives the groups (--vcpu, --balloon, --block, --interface).
    private static string GroupName(DomainStatsGroups group) => group switch
    {
        DomainStatsGroups.CpuTotal => "cpu-total",
        _ => group.ToString().ToLowerInvariant(),
    };
}
