using System.Globalization;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.Prometheus;

/// <summary>
/// kvmconfig's metrics for <c>/metrics</c>: the latest sample of each running domain and the host's gauges, as
/// Prometheus families named <c>kvmconfig_*</c> with the unit in the name.
/// </summary>
/// <remarks>
/// <para>
/// Counters come straight from the samples (schedstat's nanoseconds as seconds): Prometheus computes rates itself,
/// so <c>rate(kvmconfig_vcpu_ready_seconds_total[1m]) * 100</c> is a vCPU's ready % over the last minute, and a
/// restarted domain's counters starting again from zero are a counter reset that <c>rate()</c> already handles.
/// Shares are ratios (0-1, Prometheus's convention), not percent: <c>kvmconfig_domain_memory_overhead_ratio</c> 0.25
/// is 25 %. A figure with no value (memory size unknown, no TCP segment sent in the interval) has no series at all
/// rather than NaN, and a family with no series is left out; <c>kvmconfig_scrape_domains</c> is always there.
/// </para>
/// <para>Labels: <c>domain</c> is the libvirt domain name, <c>vcpu</c> the guest's vCPU index, <c>resource</c> one of
/// <c>cpu</c>, <c>memory</c>, <c>io</c>.</para>
/// </remarks>
public static class MetricsExposition
{
    /// <summary>
    /// The text exposition (<see cref="PrometheusTextWriter"/>) of <paramref name="samples"/> and <paramref name="host"/>.
    /// </summary>
    /// <param name="samples">The latest sample of each running domain, one per domain.</param>
    /// <param name="host">The host's figures over the last interval, or null before the second sweep.</param>
    /// <param name="hostCounters">The host's latest counters (its block devices), or null.</param>
    public static string Render(IReadOnlyList<DomainSample> samples, HostGauges? host = null, HostSample? hostCounters = null) =>
        PrometheusTextWriter.Write(Families(samples, host, hostCounters));

    /// <summary>
    /// The metric families of <paramref name="samples"/> and <paramref name="host"/>, before writing. Two samples of
    /// one domain, or one vCPU twice in a sample, are an <see cref="ArgumentException"/> (duplicate series).
    /// </summary>
    public static IReadOnlyList<MetricFamily> Families(IReadOnlyList<DomainSample> samples, HostGauges? host = null, HostSample? hostCounters = null)
    {
        var devices = new DeviceFamilies();
        var run = new List<MetricSample>();
        var ready = new List<MetricSample>();
        var timeslices = new List<MetricSample>();
        var vcpus = new List<MetricSample>();
        var resident = new List<MetricSample>();
        var guest = new List<MetricSample>();
        var overhead = new List<MetricSample>();
        foreach (DomainSample sample in samples)
        {
            MetricLabel domain = new("domain", sample.Domain);
            vcpus.Add(new MetricSample([domain], sample.Vcpus.Count));
            foreach (VcpuThread thread in sample.Vcpus)
            {
                MetricLabel[] labels = [domain, new("vcpu", thread.Vcpu.ToString(CultureInfo.InvariantCulture))];
                run.Add(new MetricSample(labels, thread.Schedstat.RunNs / 1e9));
                ready.Add(new MetricSample(labels, thread.Schedstat.WaitNs / 1e9));
                timeslices.Add(new MetricSample(labels, thread.Schedstat.Timeslices));
            }

            if (sample.RssKiB is { } rssKiB)
            {
                resident.Add(new MetricSample([domain], rssKiB * 1024.0));
            }

            if (sample.GuestMemoryKiB is { } guestKiB)
            {
                guest.Add(new MetricSample([domain], guestKiB * 1024.0));
            }

            if (sample.Memory is { } memory && sample.GuestMemoryKiB is { } size && Metrics.MemoryOverheadPercent(memory, size) is { } percent)
            {
                overhead.Add(new MetricSample([domain], percent / 100));
            }

            devices.Add(domain, sample);
        }

        var families = new List<MetricFamily>
        {
            new("kvmconfig_scrape_domains", MetricType.Gauge, "Running domains sampled in the last sweep.", [new MetricSample(samples.Count)]),
            new("kvmconfig_vcpu_run_seconds_total", MetricType.Counter,
                "Time the vCPU thread ran on a host CPU (schedstat run time).", run),
            new("kvmconfig_vcpu_ready_seconds_total", MetricType.Counter,
                "Time the vCPU thread was runnable but waited for a host CPU (schedstat run-queue wait): CPU ready, steal to the guest. rate() x 100 is ready %.",
                ready),
            new("kvmconfig_vcpu_timeslices_total", MetricType.Counter, "Times the vCPU thread was put on a host CPU (schedstat timeslices).", timeslices),
            new("kvmconfig_domain_vcpus", MetricType.Gauge, "vCPU threads found in the domain's QEMU process.", vcpus),
            new("kvmconfig_domain_resident_memory_bytes", MetricType.Gauge, "Resident memory of the domain's QEMU process (VmRSS).", resident),
            new("kvmconfig_domain_guest_memory_bytes", MetricType.Gauge, "Memory size of the guest, from libvirt.", guest),
            new("kvmconfig_domain_memory_overhead_ratio", MetricType.Gauge,
                "QEMU resident memory outside the guest RAM mappings (/proc/PID/smaps) / guest memory: what the VM costs beyond its guest.", overhead),
        };

        families.AddRange(devices.Families());
        if (hostCounters is not null)
        {
            families.AddRange(HostDisks(hostCounters.Disks));
        }

        if (host is not null)
        {
            families.Add(Single("kvmconfig_host_tcp_retransmit_ratio",
                "Retransmitted TCP segments / segments sent over the last interval (/proc/net/snmp).", host.TcpRetransmitPercent));
            families.Add(Single("kvmconfig_host_reclaim_efficiency_ratio",
                "Pages reclaimed / pages scanned over the last interval (/proc/vmstat pgsteal / pgscan); low means reclaim works hard for little.",
                host.ReclaimEfficiencyPercent));
            families.Add(Pressure("kvmconfig_host_pressure_some_ratio",
                "Share of the last interval at least one task stalled on the resource (/proc/pressure some).", host, p => p.SomePercent));
            families.Add(Pressure("kvmconfig_host_pressure_full_ratio",
                "Share of the last interval all non-idle tasks stalled on the resource at once (/proc/pressure full).", host, p => p.FullPercent));
        }

        return families;
    }

    private static IEnumerable<MetricFamily> HostDisks(IReadOnlyList<DiskStats> disks)
    {
        MetricLabel[] Device(DiskStats d) => [new("device", d.Name)];
        yield return new("kvmconfig_host_disk_in_flight_requests", MetricType.Gauge,
            "Requests in flight on the host block device at the sweep (/proc/diskstats field 12); the seed warns above 200.",
            [.. disks.Select(d => new MetricSample(Device(d), d.InFlight))]);
        yield return new("kvmconfig_host_disk_io_time_weighted_seconds_total", MetricType.Counter,
            "Time in queue weighted by requests in flight (/proc/diskstats field 14); rate() is the average queue depth (iostat aqu-sz).",
            [.. disks.Select(d => new MetricSample(Device(d), d.WeightedIoTimeMs / 1e3))]);
        yield return new("kvmconfig_host_disk_completed_total", MetricType.Counter, "Reads and writes completed on the host block device.",
            [.. disks.Select(d => new MetricSample(Device(d), d.ReadsCompleted + d.WritesCompleted))]);
        yield return new("kvmconfig_host_disk_io_time_seconds_total", MetricType.Counter,
            "Time the completed reads and writes took, summed; divided by completed_total it is the average latency.",
            [.. disks.Select(d => new MetricSample(Device(d), (d.ReadTimeMs + d.WriteTimeMs) / 1e3))]);
    }

    private static MetricFamily Single(string name, string help, double? percent) =>
        new(name, MetricType.Gauge, help, percent is { } value ? [new MetricSample(value / 100)] : []);

    private static MetricFamily Pressure(string name, string help, HostGauges host, Func<StallPercent, double?> line)
    {
        var samples = new List<MetricSample>();
        foreach (PressureResource resource in Enum.GetValues<PressureResource>())
        {
            if (host.Pressure(resource) is { } stall && line(stall) is { } percent)
            {
                samples.Add(new MetricSample([new MetricLabel("resource", resource.ToString().ToLowerInvariant())], percent / 100));
            }
        }

        return new MetricFamily(name, MetricType.Gauge, help, samples);
    }

    /// <summary>The per-device and cgroup series of the domains, gathered while the domains are walked.</summary>
    private sealed class DeviceFamilies
    {
        private readonly List<MetricSample> _diskRequests = [];
        private readonly List<MetricSample> _diskBytes = [];
        private readonly List<MetricSample> _diskTime = [];
        private readonly List<MetricSample> _netBytes = [];
        private readonly List<MetricSample> _netPackets = [];
        private readonly List<MetricSample> _netDrops = [];
        private readonly List<MetricSample> _periods = [];
        private readonly List<MetricSample> _throttledPeriods = [];
        private readonly List<MetricSample> _throttled = [];
        private readonly List<MetricSample> _usage = [];
        private readonly List<MetricSample> _hostIoBytes = [];
        private readonly List<MetricSample> _hostIoOps = [];

        public void Add(MetricLabel domain, DomainSample sample)
        {
            foreach (BlockDeviceCounters d in sample.Disks)
            {
                MetricLabel device = new("device", d.Device);
                MetricLabel[] Op(string op) => [domain, device, new("op", op)];
                _diskRequests.AddRange([new(Op("read"), d.ReadRequests), new(Op("write"), d.WriteRequests), new(Op("flush"), d.FlushRequests)]);
                _diskBytes.AddRange([new(Op("read"), d.ReadBytes), new(Op("write"), d.WriteBytes)]);
                _diskTime.AddRange([new(Op("read"), d.ReadTimeNs / 1e9), new(Op("write"), d.WriteTimeNs / 1e9), new(Op("flush"), d.FlushTimeNs / 1e9)]);
            }

            foreach (InterfaceCounters n in sample.Interfaces)
            {
                MetricLabel device = new("device", n.Device);
                MetricLabel[] Direction(string direction) => [domain, device, new("direction", direction)];
                _netBytes.AddRange([new(Direction("receive"), n.ReceivedBytes), new(Direction("transmit"), n.SentBytes)]);
                _netPackets.AddRange([new(Direction("receive"), n.ReceivedPackets), new(Direction("transmit"), n.SentPackets)]);
                _netDrops.AddRange([new(Direction("receive"), n.ReceiveDrops), new(Direction("transmit"), n.SendDrops)]);
            }

            foreach (CgroupIoDevice io in sample.HostIo)
            {
                MetricLabel device = new("device", io.Device);
                MetricLabel[] Op(string op) => [domain, device, new("op", op)];
                _hostIoBytes.AddRange([new(Op("read"), io.ReadBytes), new(Op("write"), io.WriteBytes)]);
                _hostIoOps.AddRange([new(Op("read"), io.ReadOps), new(Op("write"), io.WriteOps)]);
            }

            if (sample.CgroupCpu is { } cpu)
            {
                _periods.Add(new([domain], cpu.Periods));
                _throttledPeriods.Add(new([domain], cpu.ThrottledPeriods));
                _throttled.Add(new([domain], cpu.ThrottledNs / 1e9));
                if (cpu.UsageNs is { } usage)
                {
                    _usage.Add(new([domain], usage / 1e9));
                }
            }
        }

        public IEnumerable<MetricFamily> Families() =>
        [
            new("kvmconfig_domain_disk_requests_total", MetricType.Counter, "Requests the guest block device completed, by op (QEMU's accounting, libvirt block.N.*.reqs).", _diskRequests),
            new("kvmconfig_domain_disk_bytes_total", MetricType.Counter, "Bytes the guest block device read or wrote.", _diskBytes),
            new("kvmconfig_domain_disk_time_seconds_total", MetricType.Counter,
                "Time the completed requests took, summed, by op; rate() summed over ops is the average queue depth (Little's law), and / requests the latency.",
                _diskTime),
            new("kvmconfig_domain_network_bytes_total", MetricType.Counter, "Bytes through the guest's interface, from the guest's point of view (receive, transmit).", _netBytes),
            new("kvmconfig_domain_network_packets_total", MetricType.Counter, "Packets through the guest's interface, guest's view.", _netPackets),
            new("kvmconfig_domain_network_drops_total", MetricType.Counter, "Packets to or from the guest that were dropped.", _netDrops),
            new("kvmconfig_domain_cpu_periods_total", MetricType.Counter, "CPU bandwidth periods of the domain's cgroup (cpu.stat nr_periods; only with a quota, kvmconfig's cpu_limit).", _periods),
            new("kvmconfig_domain_cpu_throttled_periods_total", MetricType.Counter,
                "Periods in which the domain's cgroup hit its CPU quota (nr_throttled); / periods_total is the throttled share.", _throttledPeriods),
            new("kvmconfig_domain_cpu_throttled_seconds_total", MetricType.Counter, "Time the domain's threads were held back by the CPU quota.", _throttled),
            new("kvmconfig_domain_cpu_usage_seconds_total", MetricType.Counter,
                "CPU time of all the domain's threads (vCPUs, emulator, I/O) from its cgroup (cgroup v2 usage_usec; absent on cgroup v1).", _usage),
            new("kvmconfig_domain_host_io_bytes_total", MetricType.Counter,
                "Bytes the domain's cgroup read or wrote on a host block device (device is MAJ:MIN; io.stat or blkio.throttle.*).", _hostIoBytes),
            new("kvmconfig_domain_host_io_operations_total", MetricType.Counter, "Reads or writes the domain's cgroup issued to a host block device.", _hostIoOps),
        ];
    }
}
