using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.History;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Histories written by the kvmconfig of schema 1 (before disks, interfaces and alerts): <see cref="HistoryStore.Open"/>
/// migrates them in place keeping their rows, <see cref="HistoryStore.OpenReadOnly"/> reads them as they are.
/// </summary>
public sealed partial class HistoryStoreTests
{
    /// <summary>
    /// The schema 1 SQL exactly as kvmconfig shipped it (HistoryStore.CreateSchema before schema 2), so that the
    /// fixture is the file a user has, not one made by today's migrations.
    /// </summary>
    private const string SchemaV1 = """
        -- One row per sweep of the sampler: when it was taken, Unix time in milliseconds (UTC).
        CREATE TABLE sweep (
            id INTEGER PRIMARY KEY,
            at_unix_ms INTEGER NOT NULL
        );
        CREATE INDEX sweep_by_time ON sweep (at_unix_ms);

        -- Domain names, each stored once and referred to by id.
        CREATE TABLE domain (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        -- A domain's figures at a sweep. Percentages are integers in basis points (hundredths of a percent:
        -- 1234 = 12.34 %), which SQLite stores in 1 to 3 bytes where a REAL takes 8. vcpu_ready: each vCPU's
        -- ready %, see VcpuReadyCodec. The key starts with the sweep so that a sweep's rows are together and
        -- pruning deletes from the start of the table.
        CREATE TABLE domain_figures (
            sweep_id INTEGER NOT NULL REFERENCES sweep (id),
            domain_id INTEGER NOT NULL REFERENCES domain (id),
            cpu_bp INTEGER NOT NULL,
            ready_mean_bp INTEGER NOT NULL,
            ready_max_bp INTEGER NOT NULL,
            memory_overhead_bp INTEGER,
            vcpu_ready BLOB NOT NULL,
            PRIMARY KEY (sweep_id, domain_id)
        ) WITHOUT ROWID;

        -- The host's figures at a sweep, in basis points; NULL where the interval gave no value.
        CREATE TABLE host_figures (
            sweep_id INTEGER PRIMARY KEY REFERENCES sweep (id),
            tcp_retransmit_bp INTEGER,
            reclaim_efficiency_bp INTEGER,
            cpu_some_bp INTEGER,
            cpu_full_bp INTEGER,
            memory_some_bp INTEGER,
            memory_full_bp INTEGER,
            io_some_bp INTEGER,
            io_full_bp INTEGER
        );

        PRAGMA application_id = 1263947075;
        PRAGMA user_version = 1;
        """;

    [Fact]
    public void A_schema_1_history_is_migrated_in_place_and_keeps_its_rows()
    {
        // Given a history written by schema 1's kvmconfig: two sweeps of web1 and db1, the host at the first
        WriteSchemaV1History(DbPath);

        // When today's kvmconfig opens it to write
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            // Then its rows read back as they were, with no devices, throttling or alerts
            HistoryRows old = store.Read(T0);
            Assert.Equal([("db1", 0), ("web1", 0), ("web1", 10)], old.Domains.Select(r => (r.Domain, (r.At - T0).Seconds)));
            DomainHistoryRow web1 = old.Domains[1];
            Assert.Equal((130.5, 6.17, 12.35, (double?)21.88), (web1.CpuPercent, web1.ReadyPercent, web1.ReadyPercentMax, web1.MemoryOverheadPercent));
            Assert.Equal([new VcpuReady(0, 12.35), new VcpuReady(2, 0)], web1.Vcpus);
            Assert.Empty(web1.Disks);
            Assert.Null(web1.ThrottledPercent);
            Assert.Equal(new HostGauges(0.25, null, new StallPercent(12.5, null), null, new StallPercent(3, 0.5)), Assert.Single(old.Host).Host);
            Assert.Empty(old.Alerts);

            // and it takes the new figures from the next sweep on
            store.Append(T0.AddSeconds(20), [Web1Devices], null, [new AlertTransition(AlertChange.Raised, Web1Ready)]);
            HistoryRows now = store.Read(T0.AddSeconds(20));
            Assert.Equal(2, now.Domains.Single().Disks.Count);
            Assert.Single(now.Alerts);
        }

        using var connection = new SqliteConnection($"Data Source={DbPath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        Assert.Equal((long)HistoryStore.SchemaVersion, Pragma(connection, "user_version"));
        Assert.Equal((long)HistoryStore.ApplicationId, Pragma(connection, "application_id"));
        Assert.Equal("ok", Pragma(connection, "integrity_check"));
    }

    [Fact]
    public void A_migrated_history_has_the_schema_of_a_new_one()
    {
        WriteSchemaV1History(DbPath);
        string fresh = Path.Combine(_dir, "fresh.db");

        HistoryStore.Open(DbPath).Dispose();
        HistoryStore.Open(fresh).Dispose();

        Assert.Equal(Schema(fresh), Schema(DbPath));
        Assert.Contains("CREATE TABLE alert", Schema(DbPath), StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_1_history_opened_read_only_is_read_as_it_is_and_not_migrated()
    {
        WriteSchemaV1History(DbPath);
        byte[] before = File.ReadAllBytes(DbPath);

        using (HistoryStore reader = HistoryStore.OpenReadOnly(DbPath))
        {
            Assert.Equal(1, reader.FileSchemaVersion);
            HistoryRows rows = reader.Read(T0);
            Assert.Equal(3, rows.Domains.Count);
            Assert.All(rows.Domains, r => Assert.Empty(r.Disks));
            Assert.Empty(rows.Alerts);
        }

        AssertUnchanged(before);
    }

    [Fact]
    public void A_migration_that_fails_leaves_the_history_at_schema_1_with_its_rows()
    {
        // Given a schema 1 history to which some tool added a table of the name schema 2 creates
        WriteSchemaV1History(DbPath, "CREATE TABLE device (note TEXT);");

        // When it is opened to write, the migration fails
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        // Then the whole migration was rolled back: schema 1, no new column, every row
        Assert.Contains("table device already exists", e.Message, StringComparison.Ordinal);
        using HistoryStore reader = HistoryStore.OpenReadOnly(DbPath);
        Assert.Equal(1, reader.FileSchemaVersion);
        Assert.Equal(3, reader.Read(T0).Domains.Count);
        Assert.DoesNotContain("disks", Schema(DbPath), StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes, with SQL alone, the file schema 1's kvmconfig left after two sweeps: the schema, then WAL mode as its
    /// Open set it, then the rows its Append wrote (basis points, vCPUs encoded), closed cleanly.
    /// </summary>
    private static void WriteSchemaV1History(string path, string extraSql = "")
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Sql(connection, SchemaV1 + extraSql);
        Sql(connection, "PRAGMA journal_mode = WAL");
        byte[] web1Vcpus = VcpuReadyCodec.Encode([(0, 1235), (2, 0)]);
        byte[] db1Vcpus = VcpuReadyCodec.Encode([(0, 0), (1, 15050)]);
        long t0 = T0.ToUnixTimeMilliseconds();
        Sql(connection, $"""
            INSERT INTO sweep (id, at_unix_ms) VALUES (1, {t0}), (2, {t0 + 10_000});
            INSERT INTO domain (id, name) VALUES (1, 'web1'), (2, 'db1');
            INSERT INTO domain_figures VALUES (1, 1, 13050, 617, 1235, 2188, x'{Convert.ToHexString(web1Vcpus)}');
            INSERT INTO domain_figures VALUES (1, 2, 500, 7525, 15050, NULL, x'{Convert.ToHexString(db1Vcpus)}');
            INSERT INTO domain_figures VALUES (2, 1, 13050, 617, 1235, 2188, x'{Convert.ToHexString(web1Vcpus)}');
            INSERT INTO host_figures VALUES (1, 25, NULL, 1250, NULL, NULL, NULL, 300, 50);
            """);
    }

    private static void Sql(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    // Every table and index with its SQL, as sqlite_schema holds them.
    private static string Schema(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT type, name, sql FROM sqlite_schema ORDER BY type, name";
        using SqliteDataReader reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add($"{reader.GetString(0)} {reader.GetString(1)}: {(reader.IsDBNull(2) ? "" : reader.GetString(2))}");
        }

        return string.Join("\n", lines);
    }
}
