using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

public sealed partial class HistoryStore
{
    // Name -> id in the domain and device tables; filled as rows are written and read, only with committed ids.
    private readonly Dictionary<string, long> _domainIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _deviceIds = new(StringComparer.Ordinal);

    /// <summary>
    /// Records one sweep in one transaction: its time, each domain's figures (with its disks, interfaces and CPU
    /// throttling), the host's, if known, and the alert transitions logged at it. Percentages are kept to 0.01 point,
    /// queue depths to 0.01 request, latencies to the microsecond, throughput to the KiB/s. Throws
    /// <see cref="ArgumentException"/> for a domain, vCPU or device listed twice, or a figure that is NaN, infinite
    /// or negative where it cannot be; <see cref="KvmConfigException"/> when the database cannot be written (disk
    /// full, file damaged since it was opened), in which case nothing of the sweep is kept;
    /// <see cref="InvalidOperationException"/> on a store opened with <see cref="OpenReadOnly"/>.
    /// </summary>
    /// <param name="at">When the sweep was taken (stored as UTC milliseconds).</param>
    /// <param name="figures">Each running domain's figures over the sweep's interval.</param>
    /// <param name="host">The host's figures, or null when unknown.</param>
    /// <param name="alerts">The alert transitions of this sweep (<see cref="AlertTransitions.Update"/>), or null.</param>
    public void Append(DateTimeOffset at, IReadOnlyList<DomainFigures> figures, HostGauges? host = null, IReadOnlyList<AlertTransition>? alerts = null)
    {
        ThrowIfReadOnly();
        List<PreparedRow> rows = Prepare(figures);
        List<NamedHostDisk>? hostDisksPrepared = host is null ? null : PrepareHostDisks(host);
        PrepareAlerts(alerts ?? []);
        lock (_gate)
        {
            Guard(() =>
            {
                using SqliteTransaction transaction = _connection.BeginTransaction();
                var newDomainIds = new Dictionary<string, long>(StringComparer.Ordinal);
                var newDeviceIds = new Dictionary<string, long>(StringComparer.Ordinal);
                long sweep = QueryInt64("INSERT INTO sweep (at_unix_ms) VALUES ($at) RETURNING id", ("$at", at.ToUnixTimeMilliseconds()));
                foreach (PreparedRow row in rows)
                {
                    DomainFigures domain = row.Figures;
                    long domainId = NameId("domain", _domainIds, newDomainIds, domain.Domain);
                    byte[]? disks = row.Disks.Count == 0 ? null : DeviceFiguresCodec.Encode(
                        [.. row.Disks.Select(d => d.Figures with { DeviceId = NameId("device", _deviceIds, newDeviceIds, d.Device) })]);
                    byte[]? interfaces = row.Interfaces.Count == 0 ? null : DeviceFiguresCodec.Encode(
                        [.. row.Interfaces.Select(i => i.Figures with { DeviceId = NameId("device", _deviceIds, newDeviceIds, i.Device) })]);
                    Execute(
                        """
                        INSERT INTO domain_figures (sweep_id, domain_id, cpu_bp, ready_mean_bp, ready_max_bp, memory_overhead_bp, vcpu_ready,
                                                    disks, interfaces, throttled_bp, rss_kib)
                        VALUES ($sweep, $domain, $cpu, $mean, $max, $overhead, $vcpus, $disks, $interfaces, $throttled, $rss)
                        """,
                        ("$sweep", sweep), ("$domain", domainId), ("$cpu", BasisPoints(domain.CpuPercent)),
                        ("$mean", BasisPoints(domain.ReadyPercent)), ("$max", BasisPoints(domain.ReadyPercentMax)),
                        ("$overhead", domain.MemoryOverheadPercent is { } overhead ? BasisPoints(overhead) : null), ("$vcpus", row.VcpuReady),
                        ("$disks", disks), ("$interfaces", interfaces), ("$throttled", BasisPoints(domain.ThrottledPercent)), ("$rss", domain.RssKiB));
                }

                foreach (AlertTransition transition in alerts ?? [])
                {
                    Alert alert = transition.Alert;
                    Execute(
                        """
                        INSERT INTO alert (at_unix_ms, change, subject, metric, severity, value, threshold)
                        VALUES ($at, $change, $subject, $metric, $severity, $value, $threshold)
                        """,
                        ("$at", at.ToUnixTimeMilliseconds()), ("$change", ChangeName(transition.Change)), ("$subject", alert.Subject),
                        ("$metric", alert.Metric), ("$severity", SeverityName(alert.Severity)), ("$value", alert.Value), ("$threshold", alert.Threshold));
                }

                if (host is not null)
                {
                    byte[]? hostDisks = hostDisksPrepared!.Count == 0 ? null : DeviceFiguresCodec.Encode(
                        [.. hostDisksPrepared.Select(d => d.Figures with { DeviceId = NameId("device", _deviceIds, newDeviceIds, d.Device) })]);
                    Execute(
                        """
                        INSERT INTO host_figures (sweep_id, tcp_retransmit_bp, reclaim_efficiency_bp, cpu_some_bp, cpu_full_bp,
                                                  memory_some_bp, memory_full_bp, io_some_bp, io_full_bp, disks)
                        VALUES ($sweep, $tcp, $reclaim, $cpuSome, $cpuFull, $memorySome, $memoryFull, $ioSome, $ioFull, $disks)
                        """,
                        ("$sweep", sweep), ("$tcp", BasisPoints(host.TcpRetransmitPercent)), ("$reclaim", BasisPoints(host.ReclaimEfficiencyPercent)),
                        ("$cpuSome", BasisPoints(host.CpuPressure?.SomePercent)), ("$cpuFull", BasisPoints(host.CpuPressure?.FullPercent)),
                        ("$memorySome", BasisPoints(host.MemoryPressure?.SomePercent)), ("$memoryFull", BasisPoints(host.MemoryPressure?.FullPercent)),
                        ("$ioSome", BasisPoints(host.IoPressure?.SomePercent)), ("$ioFull", BasisPoints(host.IoPressure?.FullPercent)), ("$disks", hostDisks));
                }

                transaction.Commit();
                Remember(_domainIds, newDomainIds);
                Remember(_deviceIds, newDeviceIds);
            });
        }
    }

    /// <summary>
    /// Deletes the sweeps taken before <paramref name="olderThan"/> (retention), with their domain and host figures,
    /// and the alert transitions before it, in one transaction; returns how many sweeps went. The file does not
    /// shrink: SQLite reuses the freed pages for the next sweeps, so a history pruned regularly stays at the size of
    /// its retention period. Domain and device names stay.
    /// </summary>
    public int Prune(DateTimeOffset olderThan)
    {
        ThrowIfReadOnly();
        lock (_gate)
        {
            int deleted = 0;
            Guard(() =>
            {
                using SqliteTransaction transaction = _connection.BeginTransaction();
                var cutoff = ("$cutoff", (object?)olderThan.ToUnixTimeMilliseconds());
                Execute("DELETE FROM domain_figures WHERE sweep_id IN (SELECT id FROM sweep WHERE at_unix_ms < $cutoff)", cutoff);
                Execute("DELETE FROM host_figures WHERE sweep_id IN (SELECT id FROM sweep WHERE at_unix_ms < $cutoff)", cutoff);
                Execute("DELETE FROM alert WHERE at_unix_ms < $cutoff", cutoff);
                deleted = Execute("DELETE FROM sweep WHERE at_unix_ms < $cutoff", cutoff);
                transaction.Commit();
            });
            return deleted;
        }
    }

    /// <summary>Checks the figures and encodes the vCPUs before the transaction starts, so a bad value writes nothing.</summary>
    private static List<PreparedRow> Prepare(IReadOnlyList<DomainFigures> figures)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var rows = new List<PreparedRow>(figures.Count);
        foreach (DomainFigures domain in figures)
        {
            if (!names.Add(domain.Domain))
            {
                throw new ArgumentException($"domain '{domain.Domain}' twice in one sweep", nameof(figures));
            }

            var vcpus = new List<(int, long)>();
            foreach (VcpuFigures vcpu in domain.Vcpus.OrderBy(v => v.Vcpu))
            {
                if (vcpus.Count > 0 && vcpus[^1].Item1 == vcpu.Vcpu)
                {
                    throw new ArgumentException($"vCPU {vcpu.Vcpu} twice in domain '{domain.Domain}'", nameof(figures));
                }

                if (vcpu.Vcpu < 0 || !(vcpu.ReadyPercent >= 0) || double.IsInfinity(vcpu.ReadyPercent))
                {
                    throw new ArgumentException($"domain '{domain.Domain}' vCPU {vcpu.Vcpu}: ready {vcpu.ReadyPercent} % is not a share of time", nameof(figures));
                }

                vcpus.Add((vcpu.Vcpu, BasisPoints(vcpu.ReadyPercent)));
            }

            foreach ((string name, double value) in new[] { ("cpu", domain.CpuPercent), ("ready", domain.ReadyPercent), ("ready max", domain.ReadyPercentMax), ("memory overhead", domain.MemoryOverheadPercent ?? 0) })
            {
                if (!double.IsFinite(value))
                {
                    throw new ArgumentException($"domain '{domain.Domain}': {name} {value} % is not a number", nameof(figures));
                }
            }

            if (domain.RssKiB is < 0)
            {
                throw new ArgumentException($"domain '{domain.Domain}': resident memory {domain.RssKiB} KiB is negative", nameof(figures));
            }

            if (domain.ThrottledPercent is { } throttled && !(throttled >= 0 && double.IsFinite(throttled)))
            {
                throw new ArgumentException($"domain '{domain.Domain}': throttled {throttled} % is not a share of periods", nameof(figures));
            }

            rows.Add(new PreparedRow(domain, VcpuReadyCodec.Encode(vcpus), PrepareDisks(domain), PrepareInterfaces(domain)));
        }

        return rows;
    }

    // A domain's devices in stored units, each device once, every figure a non-negative finite number.
    private static List<NamedDisk> PrepareDisks(DomainFigures domain)
    {
        var disks = new List<NamedDisk>(domain.Disks.Count);
        foreach (DiskFigures disk in domain.Disks)
        {
            string what = $"domain '{domain.Domain}' disk {disk.Device}";
            if (disks.Any(d => d.Device == disk.Device))
            {
                throw new ArgumentException($"{what} twice", nameof(domain));
            }

            disks.Add(new NamedDisk(disk.Device, new DeviceFiguresCodec.Disk(0,
                Stored(disk.QueueDepth * 100, what, "queue depth"),
                disk.LatencyMs is { } ms ? Stored(ms * 1000, what, "latency") : null,
                Stored(disk.ReadBytesPerSecond / 1024, what, "read bytes/s"),
                Stored(disk.WriteBytesPerSecond / 1024, what, "write bytes/s"))));
        }

        return disks;
    }

    private static List<NamedInterface> PrepareInterfaces(DomainFigures domain)
    {
        var interfaces = new List<NamedInterface>(domain.Interfaces.Count);
        foreach (InterfaceFigures nic in domain.Interfaces)
        {
            string what = $"domain '{domain.Domain}' interface {nic.Device}";
            if (interfaces.Any(i => i.Device == nic.Device))
            {
                throw new ArgumentException($"{what} twice", nameof(domain));
            }

            interfaces.Add(new NamedInterface(nic.Device, new DeviceFiguresCodec.Interface(0,
                Stored(nic.ReceivedBytesPerSecond / 1024, what, "received bytes/s"),
                Stored(nic.SentBytesPerSecond / 1024, what, "sent bytes/s"))));
        }

        return interfaces;
    }

    private static List<NamedHostDisk> PrepareHostDisks(HostGauges host)
    {
        var disks = new List<NamedHostDisk>(host.Disks.Count);
        foreach (HostDiskFigures disk in host.Disks)
        {
            string what = $"host disk {disk.Device}";
            if (disks.Any(d => d.Device == disk.Device))
            {
                throw new ArgumentException($"{what} twice", nameof(host));
            }

            disks.Add(new NamedHostDisk(disk.Device, new DeviceFiguresCodec.HostDisk(0,
                Stored(disk.QueueDepth * 100, what, "queue depth"),
                disk.LatencyMs is { } ms ? Stored(ms * 1000, what, "latency") : null,
                Stored(disk.InFlight, what, "requests in flight"))));
        }

        return disks;
    }

    private static void PrepareAlerts(IReadOnlyList<AlertTransition> alerts)
    {
        foreach (AlertTransition transition in alerts)
        {
            if (!double.IsFinite(transition.Alert.Value) || !double.IsFinite(transition.Alert.Threshold))
            {
                throw new ArgumentException($"alert {transition.Alert.Subject} {transition.Alert.Metric}: {transition.Alert.Value} against {transition.Alert.Threshold} is not a number", nameof(alerts));
            }
        }
    }

    // A figure scaled to its stored unit, rounded to the nearest.
    private static long Stored(double scaled, string what, string figure) =>
        scaled >= 0 && scaled < long.MaxValue
            ? (long)Math.Round(scaled, MidpointRounding.AwayFromZero)
            : throw new ArgumentException($"{what}: {figure} {scaled} (stored unit) is not a non-negative number", "figures");

    private static string ChangeName(AlertChange change) => change == AlertChange.Raised ? "raised" : "cleared";

    private static string SeverityName(AlertSeverity severity) => severity == AlertSeverity.Critical ? "critical" : "warning";

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException($"the history {Path} was opened read-only");
        }
    }

    private static long BasisPoints(double percent) => (long)Math.Round(percent * 100, MidpointRounding.AwayFromZero);

    private static long? BasisPoints(double? percent) =>
        percent is { } value && double.IsFinite(value) ? BasisPoints(value) : null;

    private static void Remember(Dictionary<string, long> committed, Dictionary<string, long> newIds)
    {
        foreach ((string name, long id) in newIds)
        {
            committed[name] = id;
        }
    }

    // The id of a name in a table of names (domain, device), added in the open transaction when new. Ids added by it
    // go to newIds until the transaction commits, so a rolled-back sweep leaves no id behind in the cache.
    private long NameId(string table, Dictionary<string, long> committed, Dictionary<string, long> newIds, string name)
    {
        if (committed.TryGetValue(name, out long id) || newIds.TryGetValue(name, out id))
        {
            return id;
        }

        Execute($"INSERT INTO {table} (name) VALUES ($name) ON CONFLICT (name) DO NOTHING", ("$name", name));
        id = QueryInt64($"SELECT id FROM {table} WHERE name = $name", ("$name", name));
        newIds[name] = id;
        return id;
    }

    /// <summary>A domain's figures checked and put in stored units, its devices not yet given ids.</summary>
    private sealed record PreparedRow(DomainFigures Figures, byte[] VcpuReady, List<NamedDisk> Disks, List<NamedInterface> Interfaces);

    // A device's figures in stored units (id 0 until the transaction gives it one) and its name.
    private readonly record struct NamedDisk(string Device, DeviceFiguresCodec.Disk Figures);

    private readonly record struct NamedInterface(string Device, DeviceFiguresCodec.Interface Figures);

    private readonly record struct NamedHostDisk(string Device, DeviceFiguresCodec.HostDisk Figures);
}
