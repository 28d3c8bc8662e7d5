using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// One sweep of the local host. The kernel answers whatever it can: through <see cref="LocalSampler"/> each domain's
/// vCPU threads, RSS and cgroup, from <c>/proc/net/dev</c> its interfaces, and through <see cref="ProcfsReader"/> the
/// host's counters. libvirt answers the rest (through <see cref="IMonitoredHost"/>): which domains run (one listing), each domain's memory size and devices
/// (its live XML, once per QEMU process), and the block device counters only QEMU keeps for the domains that have disks,
/// read apart on a thread and a connection of their own (<see cref="GuestBlockCounters"/>) so that a sweep never waits
/// for a QEMU monitor.
/// </summary>
/// <param name="host">libvirt's view of the host.</param>
/// <param name="sampler">Reads each domain's process.</param>
/// <param name="procfs">Reads the host's files.</param>
/// <param name="completeFirstInterval">
/// Wait at the second sweep for fresh guest block counters, so that the first interval has its disks
/// (<c>top --once</c>, which prints it alone); otherwise they come from the third sweep on, and no sweep after the first
/// waits for a QEMU monitor.
/// </param>
public sealed class LocalSweeper(IMonitoredHost host, LocalSampler sampler, ProcfsReader procfs, bool completeFirstInterval = false) : IDisposable
{
    private readonly GuestBlockCounters _blocks = new(host.OpenAnother, waitedRequests: completeFirstInterval ? 2 : 1);
    private Dictionary<string, Known> _known = new(StringComparer.Ordinal);

    /// <summary>Reads every running domain and the host once.</summary>
    public SweepSample Sweep()
    {
        IReadOnlyList<string> running = host.RunningDomains();
        var samples = new List<DomainSample>(running.Count);
        var withDisks = new List<string>();
        var known = new Dictionary<string, Known>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, InterfaceCounters>? netDev = null;
        foreach (string domain in running)
        {
            // libvirt is asked about a QEMU process once: its memory size is what the overhead is measured against.
            if (sampler.PidOf(domain) is not { } pid
                || (_known.TryGetValue(domain, out Known? was) && was.Pid == pid ? was : Learn(domain, pid)) is not { } learned
                || sampler.Sample(domain, pid, learned.MemoryKiB) is not { } sample)
            {
                continue;   // stopped meanwhile
            }

            known[domain] = learned;
            IReadOnlyList<InterfaceCounters> interfaces = [];
            if (learned.Devices.Interfaces.Count > 0)
            {
                netDev ??= procfs.ReadNetDev();
                interfaces = [.. learned.Devices.Interfaces
                    .Where(i => netDev.ContainsKey(i.Device))
                    .Select(i => i.SwapsWithGuest ? NetDev.GuestView(netDev[i.Device]) : netDev[i.Device])];
            }

            samples.Add(sample with { Interfaces = interfaces });
            if (learned.Devices.Disks.Count > 0)
            {
                withDisks.Add(domain);
            }
        }

        _known = known;
        return new SweepSample(WithDisks(samples, withDisks), ReadHost(procfs));
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

    /// <summary>Stops the block counter reader.</summary>
    public void Dispose() => _blocks.Dispose();

    // The latest block counters of the domains that have disks (see GuestBlockCounters), stamped with their own time.
    private List<DomainSample> WithDisks(List<DomainSample> samples, List<string> withDisks)
    {
        if (withDisks.Count == 0)
        {
            return samples;
        }

        GuestBlockCounters.Reading reading = _blocks.Next(withDisks);
        return [.. samples.Select(s => reading.Disks.TryGetValue(s.Domain, out IReadOnlyList<BlockDeviceCounters>? d)
            ? s with { Disks = d, DisksAtNs = reading.AtNs }
            : s)];
    }

    // Null when libvirt no longer knows the domain: it stopped since the listing.
    private Known? Learn(string domain, int pid) =>
        host.Definition(domain) is { } definition ? new Known(pid, definition.MemoryKiB, DomainDevices.FromXml(definition.Xml)) : null;

    /// <summary>What libvirt told of a domain's QEMU process, kept until the process changes.</summary>
    private sealed record Known(int Pid, long? MemoryKiB, DomainDevices Devices);
}
