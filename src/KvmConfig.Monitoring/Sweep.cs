using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring;

/// <summary>Everything one sweep read: every running domain and the host.</summary>
/// <param name="Domains">One sample per running domain, by name.</param>
/// <param name="Host">The host's counters.</param>
public sealed record SweepSample(IReadOnlyList<DomainSample> Domains, HostSample Host);

/// <summary>The figures between two sweeps.</summary>
/// <param name="Domains">Per domain present in both sweeps (with the same QEMU process), sorted by ready % max, highest first.</param>
/// <param name="Host">The host's figures.</param>
public sealed record SweepFigures(IReadOnlyList<DomainFigures> Domains, HostFigures? Host)
{
    /// <summary>Figures between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static SweepFigures Between(SweepSample before, SweepSample after)
    {
        var previous = before.Domains.ToDictionary(d => d.Domain, StringComparer.Ordinal);
        List<DomainFigures> domains = [.. after.Domains
            .Select(d => previous.TryGetValue(d.Domain, out DomainSample? was) ? DomainFigures.Between(was, d) : null)
            .OfType<DomainFigures>()
            .OrderByDescending(d => d.ReadyPercentMax)
            .ThenBy(d => d.Domain, StringComparer.Ordinal)];
        return new SweepFigures(domains, HostFigures.Between(before.Host, after.Host));
    }
}

/// <summary>
/// One sweep of the local host. libvirt answers what the kernel cannot tell, in one bulk call: which domains run and
/// their block and network device counters (QEMU's own accounting, the only per-guest-device latency there is for an
/// image file). Everything else comes from the kernel through <see cref="LocalSampler"/>: vCPU threads, RSS, the
/// domain's cgroup; and the host's counters through <see cref="ProcfsReader"/>. A domain's memory size is asked of
/// libvirt once per QEMU process.
/// </summary>
public sealed class LocalSweeper(LibvirtConnection connection, LocalSampler sampler, ProcfsReader procfs)
{
    private const DomainStatsGroups Groups = DomainStatsGroups.State | DomainStatsGroups.Block | DomainStatsGroups.Interface;

    private Dictionary<string, Known> _known = new(StringComparer.Ordinal);

    /// <summary>Reads every running domain and the host once.</summary>
    public SweepSample Sweep()
    {
        var domains = new List<DomainSample>();
        var known = new Dictionary<string, Known>(StringComparer.Ordinal);
        foreach (DomainStats stats in connection.AllDomainStats(Groups, activeOnly: true))
        {
            if (sampler.Sample(stats.Domain) is not { } sample)
            {
                continue;
            }

            Known domain = _known.TryGetValue(stats.Domain, out Known? was) && was.Pid == sample.Pid ? was : Learn(stats.Domain, sample.Pid);
            known[stats.Domain] = domain;
            var devices = new LibvirtStatistics(stats);
            domains.Add(sample with { GuestMemoryKiB = domain.MemoryKiB, Disks = devices.Disks(), Interfaces = devices.Interfaces() });
        }

        _known = known;
        return new SweepSample(domains, ReadHost(procfs));
    }

    /// <summary>The host's counters: TCP segments, page reclaim, pressure where the kernel has it, block devices.</summary>
    public static HostSample ReadHost(ProcfsReader procfs)
    {
        var pressure = new Dictionary<PressureResource, PressureStall>();
        foreach (PressureResource resource in Enum.GetValues<PressureResource>())
        {
            if (procfs.ReadPressure(resource) is { } stall)
            {
                pressure[resource] = stall;
            }
        }

        // Devices that never did any I/O (unused loop and ram devices) would only add idle series.
        List<DiskStats> disks = [.. procfs.ReadDiskStats().Where(d => d.ReadsCompleted + d.WritesCompleted > 0 || d.InFlight > 0)];
        return new HostSample(LocalSampler.NowNs(), procfs.ReadTcpSegments(), procfs.ReadPageReclaim(), pressure) { Disks = disks };
    }

    private Known Learn(string domain, int pid)
    {
        using LibvirtDomain? found = connection.TryLookup(domain);
        return new Known(pid, found?.MemoryKiB);
    }

    /// <summary>What libvirt told of a domain's QEMU process, kept until the process changes.</summary>
    private sealed record Known(int Pid, long? MemoryKiB);
}
