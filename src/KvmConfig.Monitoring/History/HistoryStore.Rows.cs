using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
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
                                                    disks, interfaces, throttled_bp)
                        VALUES ($sweep, $domain, $cpu, $mean, $max, $overhead, $vcpus, $disks, $interfaces, $throttled)
                        """,
                        ("$sweep", sweep), ("$domain", domainId), ("$cpu", BasisPoints(domain.CpuPercent)),
                        ("$mean", BasisPoints(domain.ReadyPercent)), ("$max", BasisPoints(domain.ReadyPercentMax)),
                        ("$overhead", domain.MemoryOverheadPercent is { } overhead ? BasisPoints(overhead) : null), ("$vcpus", row.VcpuReady),
                        ("$disks", disks), ("$interfaces", interfaces), ("$throttled", BasisPoints(domain.ThrottledPercent)));
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
                    Execute(
                        """
                        INSERT INTO host_figures (sweep_id, tcp_retransmit_bp, reclaim_efficiency_bp, cpu_some_bp, cpu_full_bp,
                                                  memory_some_bp, memory_full_bp, io_some_bp, io_full_bp)
                        VALUES ($sweep, $tcp, $reclaim, $cpuSome, $cpuFull, $memorySome, $memoryFull, $ioSome, $ioFull)
                        """,
                        ("$sweep", sweep), ("$tcp", BasisPoints(host.TcpRetransmitPercent)), ("$reclaim", BasisPoints(host.ReclaimEfficiencyPercent)),
                        ("$cpuSome", BasisPoints(host.CpuPressure?.SomePercent)), ("$cpuFull", BasisPoints(host.CpuPressure?.FullPercent)),
                        ("$memorySome", BasisPoints(host.MemoryPressure?.SomePercent)), ("$memoryFull", BasisPoints(host.MemoryPressure?.FullPercent)),
                        ("$ioSome", BasisPoints(host.IoPressure?.SomePercent)), ("$ioFull", BasisPoints(host.IoPressure?.FullPercent)));
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

    /// <summary>
    /// The rows of the sweeps and the alert transitions from <paramref name="since"/> (inclusive) until
    /// <paramref name="until"/> (exclusive; null: no end), oldest first, all in memory (a reader of long ranges
    /// takes them one by one with <see cref="ReadEach"/>). A history of schema 1 opened read-only has no devices,
    /// throttling or alerts to give.
    /// </summary>
    public HistoryRows Read(DateTimeOffset since, DateTimeOffset? until = null)
    {
        (string, object?)[] range = Range(since, until);
        var domains = new List<DomainHistoryRow>();
        var host = new List<HostHistoryRow>();
        var alerts = new List<AlertHistoryRow>();
        lock (_gate)
        {
            Guard(() =>
            {
                // One read transaction, so that the queries see the same sweeps while a writer appends.
                using SqliteTransaction snapshot = _connection.BeginTransaction(deferred: true);
                ReadRows(range, domains.Add, host.Add);
                ReadAlerts(range, alerts);
                snapshot.Commit();
            });
        }

        return new HistoryRows(domains, host) { Alerts = alerts };
    }

    /// <summary>
    /// Hands the rows of the sweeps from <paramref name="since"/> (inclusive) until <paramref name="until"/>
    /// (exclusive; null: no end) to <paramref name="domain"/> and <paramref name="host"/> one at a time, as
    /// <see cref="Read"/> orders them (all the domain rows, then all the host rows), keeping none: memory does not
    /// grow with the range. The callbacks run under the store's lock and must not use the store.
    /// </summary>
    public void ReadEach(DateTimeOffset since, DateTimeOffset? until, Action<DomainHistoryRow> domain, Action<HostHistoryRow> host)
    {
        (string, object?)[] range = Range(since, until);
        lock (_gate)
        {
            Guard(() =>
            {
                using SqliteTransaction snapshot = _connection.BeginTransaction(deferred: true);
                ReadRows(range, domain, host);
                snapshot.Commit();
            });
        }
    }

    /// <summary>
    /// How many sweeps from <paramref name="since"/> (inclusive) until <paramref name="until"/> (exclusive; null: no
    /// end) have domain or host figures, and the first and last of them; null when none. A sweep with neither (no
    /// domain running, host figures unknown) is not counted, as <see cref="Read"/> gives no row for it.
    /// </summary>
    public (int Count, DateTimeOffset First, DateTimeOffset Last)? SweepSpan(DateTimeOffset since, DateTimeOffset? until = null)
    {
        (string, object?)[] range = Range(since, until);
        (int, DateTimeOffset, DateTimeOffset)? span = null;
        lock (_gate)
        {
            Guard(() => ForEachRow(
                """
                SELECT count(DISTINCT s.at_unix_ms), min(s.at_unix_ms), max(s.at_unix_ms)
                FROM sweep s
                WHERE s.at_unix_ms >= $since AND s.at_unix_ms < $until
                  AND (EXISTS (SELECT 1 FROM domain_figures f WHERE f.sweep_id = s.id) OR EXISTS (SELECT 1 FROM host_figures h WHERE h.sweep_id = s.id))
                """,
                range,
                reader =>
                {
                    if (!reader.IsDBNull(1))
                    {
                        span = ((int)reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
                    }
                }));
        }

        return span;
    }

    /// <summary>
    /// The alert transitions from <paramref name="since"/> (inclusive) until <paramref name="until"/> (exclusive;
    /// null: no end), by time then in the order logged; none for a history of schema 1. Transitions are few (one
    /// per crossing), so a reader may take them from well before the sweeps it reads, to know which alerts were
    /// already raised when its range starts.
    /// </summary>
    public IReadOnlyList<AlertHistoryRow> ReadAlerts(DateTimeOffset since, DateTimeOffset? until = null)
    {
        (string, object?)[] range = Range(since, until);
        var alerts = new List<AlertHistoryRow>();
        lock (_gate)
        {
            Guard(() => ReadAlerts(range, alerts));
        }

        return alerts;
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

    private static DiskFigures Disk(DeviceFiguresCodec.Disk disk, Dictionary<long, string> devices) => new(
        Name(disk.DeviceId, devices, "device"), disk.QueueDepthCenti / 100.0, disk.LatencyUs / 1000.0,
        disk.ReadKiBPerSecond * 1024.0, disk.WriteKiBPerSecond * 1024.0);

    private static InterfaceFigures Interface(DeviceFiguresCodec.Interface nic, Dictionary<long, string> devices) => new(
        Name(nic.DeviceId, devices, "device"), nic.ReceivedKiBPerSecond * 1024.0, nic.SentKiBPerSecond * 1024.0);

    private static string Name(long id, Dictionary<long, string> names, string table) =>
        names.TryGetValue(id, out string? name) ? name : throw new FormatException($"{table} id {id} is not in the {table} table");

    private static string ChangeName(AlertChange change) => change == AlertChange.Raised ? "raised" : "cleared";

    private static AlertChange ParseChange(string text) => text switch
    {
        "raised" => AlertChange.Raised,
        "cleared" => AlertChange.Cleared,
        _ => throw new FormatException($"alert change '{text}' is neither raised nor cleared"),
    };

    private static string SeverityName(AlertSeverity severity) => severity == AlertSeverity.Critical ? "critical" : "warning";

    private static AlertSeverity ParseSeverity(string text) => text switch
    {
        "warning" => AlertSeverity.Warning,
        "critical" => AlertSeverity.Critical,
        _ => throw new FormatException($"alert severity '{text}' is neither warning nor critical"),
    };

    private static (string, object?)[] Range(DateTimeOffset since, DateTimeOffset? until) =>
        [("$since", since.ToUnixTimeMilliseconds()), ("$until", until?.ToUnixTimeMilliseconds() ?? long.MaxValue)];

    // The domain rows by time then name, then the host rows by time; under the lock, in a read transaction.
    private void ReadRows((string, object?)[] range, Action<DomainHistoryRow> domain, Action<HostHistoryRow> host)
    {
        bool schema2 = FileSchemaVersion >= 2;
        Dictionary<long, string> devices = schema2 ? Names("device") : [];

        // Names by id rather than joined: a week of 200 domains is 12 million rows, each of which would otherwise
        // bring its own copy of the name.
        Dictionary<long, string> domains = Names("domain");
        ForEachRow(
            $"""
            SELECT s.at_unix_ms, f.domain_id, f.cpu_bp, f.ready_mean_bp, f.ready_max_bp, f.memory_overhead_bp, f.vcpu_ready,
                   {(schema2 ? "f.disks, f.interfaces, f.throttled_bp" : "NULL, NULL, NULL")}
            FROM sweep s
            JOIN domain_figures f ON f.sweep_id = s.id
            JOIN domain d ON d.id = f.domain_id
            WHERE s.at_unix_ms >= $since AND s.at_unix_ms < $until
            ORDER BY s.at_unix_ms, s.id, d.name
            """,
            range,
            reader =>
            {
                List<(int Vcpu, long ReadyBp)> vcpus = VcpuReadyCodec.Decode((byte[])reader.GetValue(6));
                var ready = new VcpuReady[vcpus.Count];
                for (int i = 0; i < ready.Length; i++)
                {
                    ready[i] = new VcpuReady(vcpus[i].Vcpu, Percent(vcpus[i].ReadyBp));
                }

                domain(new DomainHistoryRow(
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                    Name(reader.GetInt64(1), domains, "domain"),
                    Percent(reader.GetInt64(2)),
                    Percent(reader.GetInt64(3)),
                    Percent(reader.GetInt64(4)),
                    reader.IsDBNull(5) ? null : Percent(reader.GetInt64(5)),
                    ready)
                {
                    Disks = reader.IsDBNull(7) ? [] : DeviceFiguresCodec.DecodeDisks((byte[])reader.GetValue(7)).ConvertAll(d => Disk(d, devices)),
                    Interfaces = reader.IsDBNull(8) ? [] : DeviceFiguresCodec.DecodeInterfaces((byte[])reader.GetValue(8)).ConvertAll(i => Interface(i, devices)),
                    ThrottledPercent = reader.IsDBNull(9) ? null : Percent(reader.GetInt64(9)),
                });
            });

        ForEachRow(
            """
            SELECT s.at_unix_ms, h.tcp_retransmit_bp, h.reclaim_efficiency_bp, h.cpu_some_bp, h.cpu_full_bp,
                   h.memory_some_bp, h.memory_full_bp, h.io_some_bp, h.io_full_bp
            FROM sweep s
            JOIN host_figures h ON h.sweep_id = s.id
            WHERE s.at_unix_ms >= $since AND s.at_unix_ms < $until
            ORDER BY s.at_unix_ms, s.id
            """,
            range,
            reader =>
            {
                double? Column(int i) => reader.IsDBNull(i) ? null : Percent(reader.GetInt64(i));
                StallPercent? Stall(int some) => Column(some) is null && Column(some + 1) is null ? null : new StallPercent(Column(some), Column(some + 1));
                host(new HostHistoryRow(
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                    new HostGauges(Column(1), Column(2), Stall(3), Stall(5), Stall(7))));
            });
    }

    private void ReadAlerts((string, object?)[] range, List<AlertHistoryRow> alerts)
    {
        if (FileSchemaVersion < 2)
        {
            return;
        }

        ForEachRow(
            """
            SELECT at_unix_ms, change, subject, metric, severity, value, threshold
            FROM alert
            WHERE at_unix_ms >= $since AND at_unix_ms < $until
            ORDER BY at_unix_ms, id
            """,
            range,
            reader =>
            {
                alerts.Add(new AlertHistoryRow(
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)),
                    ParseChange(reader.GetString(1)),
                    new Alert(reader.GetString(2), reader.GetString(3), reader.GetDouble(5), reader.GetDouble(6), ParseSeverity(reader.GetString(4)))));
            });
    }

    private void ThrowIfReadOnly()
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException($"the history {Path} was opened read-only");
        }
    }

    // The names of a table of names (domain, device) by id.
    private Dictionary<long, string> Names(string table)
    {
        var names = new Dictionary<long, string>();
        ForEachRow($"SELECT id, name FROM {table}", [], reader => names[reader.GetInt64(0)] = reader.GetString(1));
        return names;
    }

    private static long BasisPoints(double percent) => (long)Math.Round(percent * 100, MidpointRounding.AwayFromZero);

    private static long? BasisPoints(double? percent) =>
        percent is { } value && double.IsFinite(value) ? BasisPoints(value) : null;

    private static double Percent(long basisPoints) => basisPoints / 100.0;

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

    /// <summary>
    /// Runs database work, turning SQLite's failures into the environment error that names the file: a disk that is
    /// full or read-only, or a file damaged after it was opened.
    /// </summary>
    private void Guard(Action work)
    {
        try
        {
            work();
        }
        catch (SqliteException e)
        {
            throw new KvmConfigException(Rules.Unreadable, $"history database {Path}: {e.Message}", Path,
                e.SqliteErrorCode is 11 or 26 ? DamagedHint : WritableHint(Path), e);
        }
        catch (FormatException e)
        {
            throw new KvmConfigException(Rules.Unreadable, $"history database {Path} holds a row kvmconfig did not write: {e.Message}", Path, DamagedHint, e);
        }
    }

    private SqliteCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    private long QueryInt64(string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return (long)command.ExecuteScalar()!;
    }

    private void ForEachRow(string sql, (string Name, object? Value)[] parameters, Action<SqliteDataReader> row)
    {
        using SqliteCommand command = Command(sql, parameters);
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            row(reader);
        }
    }
}
