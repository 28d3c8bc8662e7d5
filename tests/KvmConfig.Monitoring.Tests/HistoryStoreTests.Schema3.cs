using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.History;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Schema 3: each domain's resident memory in bytes and the host's block devices, and the migration of a history
/// written by schema 2's kvmconfig.
/// </summary>
public sealed partial class HistoryStoreTests
{
    /// <summary>The statements schema 2's kvmconfig ran on a schema 1 file, exactly as shipped (its migration 1 -> 2).</summary>
    private const string SchemaV2Migration = """
        CREATE TABLE device (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        ALTER TABLE domain_figures ADD COLUMN disks BLOB;
        ALTER TABLE domain_figures ADD COLUMN interfaces BLOB;
        ALTER TABLE domain_figures ADD COLUMN throttled_bp INTEGER;
        CREATE TABLE alert (
            id INTEGER PRIMARY KEY,
            at_unix_ms INTEGER NOT NULL,
            change TEXT NOT NULL CHECK (change IN ('raised', 'cleared')),
            subject TEXT NOT NULL,
            metric TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
            value REAL NOT NULL,
            threshold REAL NOT NULL
        );
        CREATE INDEX alert_by_time ON alert (at_unix_ms);
        PRAGMA user_version = 2;
        """;

    // The host with two block devices: sda busy, nvme0n1 that completed nothing in the interval.
    private static readonly HostGauges HostWithDisks = Host with
    {
        Disks = [new HostDiskFigures("sda", InFlight: 3, QueueDepth: 2.504, LatencyMs: 0.8), new HostDiskFigures("nvme0n1", 0, 0, null)],
    };

    [Fact]
    public void Resident_memory_and_the_hosts_disks_read_back_in_their_stored_units()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        store.Append(T0, [Web1Devices with { RssKiB = 4_300_000 }, Db1], HostWithDisks);
        HistoryRows rows = store.Read(T0);

        Assert.Equal(4_300_000, rows.Domains.Single(r => r.Domain == "web1").RssKiB);
        Assert.Null(rows.Domains.Single(r => r.Domain == "db1").RssKiB);
        Assert.Equal(
            [new HostDiskFigures("sda", 3, 2.5, 0.8), new HostDiskFigures("nvme0n1", 0, 0, null)], // queue to 0.01 request
            Assert.Single(rows.Host).Host.Disks);

        // The host's device names sit beside the guests' in one table: vda, vdb, vnet3, sda, nvme0n1
        Assert.Equal(5, Count(store, "device"));
    }

    [Fact]
    public void The_host_disk_encoding_is_varints_of_id_queue_latency_and_requests_in_flight()
    {
        // The example of DeviceFiguresCodec's documentation
        byte[] disks = DeviceFiguresCodec.Encode([new DeviceFiguresCodec.HostDisk(4, 250, 800, 3)]);

        Assert.Equal(Convert.FromHexString("04" + "FA01" + "A106" + "03"), disks);
        Assert.Equal([new DeviceFiguresCodec.HostDisk(4, 250, 800, 3)], DeviceFiguresCodec.DecodeHostDisks(disks));
        Assert.Equal([new DeviceFiguresCodec.HostDisk(1, 0, null, 0)], DeviceFiguresCodec.DecodeHostDisks(Convert.FromHexString("01000000")));
        Assert.Throws<FormatException>(() => DeviceFiguresCodec.DecodeHostDisks(Convert.FromHexString("04FA")));
    }

    public static TheoryData<string, DomainFigures, HostGauges?, string> BadMemoryOrHostDisks => new()
    {
        { "a negative resident memory", Web1 with { RssKiB = -1 }, null, "domain 'web1': resident memory -1 KiB is negative" },
        { "a host disk twice", Web1, Host with { Disks = [new HostDiskFigures("sda", 0, 1, 1), new HostDiskFigures("sda", 0, 2, 1)] }, "host disk sda twice" },
        { "a NaN host queue depth", Web1, Host with { Disks = [new HostDiskFigures("sda", 0, double.NaN, 1)] }, "host disk sda: queue depth NaN" },
        { "a negative host latency", Web1, Host with { Disks = [new HostDiskFigures("sda", 0, 1, -1)] }, "host disk sda: latency -1000" },
    };

    [Theory]
    [MemberData(nameof(BadMemoryOrHostDisks))]
    public void A_sweep_with_a_bad_memory_or_host_disk_figure_is_refused_and_writes_nothing(string description, DomainFigures figures, HostGauges? host, string message)
    {
        _ = description;
        using HistoryStore store = HistoryStore.Open(DbPath);

        ArgumentException e = Assert.Throws<ArgumentException>(() => store.Append(T0, [figures], host));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(store, "sweep"));
        Assert.Equal(0, Count(store, "device"));
    }

    [Fact]
    public void A_schema_2_history_is_migrated_in_place_keeps_its_rows_and_takes_memory_from_then_on()
    {
        // Given a history written by schema 2's kvmconfig: schema 1's rows plus a sweep with web1's disk and an alert
        WriteSchemaV2History(DbPath);

        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            // Then its rows read back as they were, with no memory in bytes and no host disks
            HistoryRows old = store.Read(T0);
            Assert.Equal(4, old.Domains.Count);
            Assert.All(old.Domains, r => Assert.Null(r.RssKiB));
            Assert.Equal([new DiskFigures("vda", 0.37, 1.25, 4096, 0)], old.Domains.Single(r => r.At == T0.AddSeconds(20)).Disks);
            Assert.Empty(Assert.Single(old.Host).Host.Disks);
            Assert.Single(old.Alerts);

            // and the next sweeps keep them
            store.Append(T0.AddSeconds(30), [Web1 with { RssKiB = 2048 }], HostWithDisks);
            HistoryRows now = store.Read(T0.AddSeconds(30));
            Assert.Equal(2048, now.Domains.Single().RssKiB);
            Assert.Equal(["sda", "nvme0n1"], now.Host.Single().Host.Disks.Select(d => d.Device));
        }

        // and the file has the schema of a new history
        string fresh = Path.Combine(_dir, "fresh.db");
        HistoryStore.Open(fresh).Dispose();
        Assert.Equal(Schema(fresh), Schema(DbPath));
    }

    [Fact]
    public void A_schema_2_history_opened_read_only_is_read_as_it_is_and_not_migrated()
    {
        WriteSchemaV2History(DbPath);
        byte[] before = File.ReadAllBytes(DbPath);

        using (HistoryStore reader = HistoryStore.OpenReadOnly(DbPath))
        {
            Assert.Equal(2, reader.FileSchemaVersion);
            HistoryRows rows = reader.Read(T0);
            Assert.Equal(4, rows.Domains.Count);
            Assert.All(rows.Domains, r => Assert.Null(r.RssKiB));
            Assert.Single(rows.Domains, r => r.Disks.Count == 1);
        }

        AssertUnchanged(before);
    }

    [Fact]
    public void Salvage_keeps_memory_and_host_disks()
    {
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1 with { RssKiB = 1_000_000 }], HostWithDisks);
        }

        (HistoryStore salvaged, IReadOnlyList<SalvagedTable> tables) = HistoryStore.Salvage(DbPath);
        using (salvaged)
        {
            Assert.All(tables, t => Assert.Equal(0, t.UnreadableRanges));
            HistoryRows rows = salvaged.Read(DateTimeOffset.UnixEpoch);
            Assert.Equal(1_000_000, rows.Domains.Single().RssKiB);
            Assert.Equal(HostWithDisks.Disks.Select(d => d.Device), rows.Host.Single().Host.Disks.Select(d => d.Device));
        }
    }

    /// <summary>
    /// Writes the file schema 2's kvmconfig left: schema 1's file and rows (<see cref="WriteSchemaV1History"/>), its
    /// migration to schema 2, then a sweep as schema 2 wrote it (web1 with disk vda, an alert).
    /// </summary>
    private static void WriteSchemaV2History(string path)
    {
        WriteSchemaV1History(path);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Sql(connection, SchemaV2Migration);
        byte[] web1Vcpus = VcpuReadyCodec.Encode([(0, 1235), (2, 0)]);
        byte[] disks = DeviceFiguresCodec.Encode([new DeviceFiguresCodec.Disk(1, 37, 1250, 4, 0)]);
        long t20 = T0.AddSeconds(20).ToUnixTimeMilliseconds();
        Sql(connection, $"""
            INSERT INTO sweep (id, at_unix_ms) VALUES (3, {t20});
            INSERT INTO device (id, name) VALUES (1, 'vda');
            INSERT INTO domain_figures VALUES (3, 1, 13050, 617, 1235, 2188, x'{Convert.ToHexString(web1Vcpus)}', x'{Convert.ToHexString(disks)}', NULL, 1250);
            INSERT INTO alert (at_unix_ms, change, subject, metric, severity, value, threshold) VALUES ({t20}, 'raised', 'web1 vcpu 0', 'ready', 'warning', 12.35, 5);
            """);
    }
}
