using KvmConfig.Core.Monitoring;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

public sealed partial class HistoryStore
{
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

    private static DiskFigures Disk(DeviceFiguresCodec.Disk disk, Dictionary<long, string> devices) => new(
        Name(disk.DeviceId, devices, "device"), disk.QueueDepthCenti / 100.0, disk.LatencyUs / 1000.0,
        disk.ReadKiBPerSecond * 1024.0, disk.WriteKiBPerSecond * 1024.0);

    private static HostDiskFigures HostDisk(DeviceFiguresCodec.HostDisk disk, Dictionary<long, string> devices) => new(
        Name(disk.DeviceId, devices, "device"), (ulong)disk.InFlight, disk.QueueDepthCenti / 100.0, disk.LatencyUs / 1000.0);

    private static InterfaceFigures Interface(DeviceFiguresCodec.Interface nic, Dictionary<long, string> devices) => new(
        Name(nic.DeviceId, devices, "device"), nic.ReceivedKiBPerSecond * 1024.0, nic.SentKiBPerSecond * 1024.0);

    private static string Name(long id, Dictionary<long, string> names, string table) =>
        names.TryGetValue(id, out string? name) ? name : throw new FormatException($"{table} id {id} is not in the {table} table");

    private static AlertChange ParseChange(string text) => text switch
    {
        "raised" => AlertChange.Raised,
        "cleared" => AlertChange.Cleared,
        _ => throw new FormatException($"alert change '{text}' is neither raised nor cleared"),
    };

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
        bool schema2 = FileSchemaVersion >= 2, schema3 = FileSchemaVersion >= 3;
        Dictionary<long, string> devices = schema2 ? Names("device") : [];

        // Names by id rather than joined: a week of 200 domains is 12 million rows, each of which would otherwise
        // bring its own copy of the name.
        Dictionary<long, string> domains = Names("domain");
        ForEachRow(
            $"""
            SELECT s.at_unix_ms, f.domain_id, f.cpu_bp, f.ready_mean_bp, f.ready_max_bp, f.memory_overhead_bp, f.vcpu_ready,
                   {(schema2 ? "f.disks, f.interfaces, f.throttled_bp" : "NULL, NULL, NULL")}, {(schema3 ? "f.rss_kib" : "NULL")}
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
                    RssKiB = reader.IsDBNull(10) ? null : reader.GetInt64(10),
                });
            });

        ForEachRow(
            $"""
            SELECT s.at_unix_ms, h.tcp_retransmit_bp, h.reclaim_efficiency_bp, h.cpu_some_bp, h.cpu_full_bp,
                   h.memory_some_bp, h.memory_full_bp, h.io_some_bp, h.io_full_bp, {(schema3 ? "h.disks" : "NULL")}
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
                    new HostGauges(Column(1), Column(2), Stall(3), Stall(5), Stall(7))
                    {
                        Disks = reader.IsDBNull(9) ? [] : DeviceFiguresCodec.DecodeHostDisks((byte[])reader.GetValue(9)).ConvertAll(d => HostDisk(d, devices)),
                    }));
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

    // The names of a table of names (domain, device) by id.
    private Dictionary<long, string> Names(string table)
    {
        var names = new Dictionary<long, string>();
        ForEachRow($"SELECT id, name FROM {table}", [], reader => names[reader.GetInt64(0)] = reader.GetString(1));
        return names;
    }

    private static double Percent(long basisPoints) => basisPoints / 100.0;
}
