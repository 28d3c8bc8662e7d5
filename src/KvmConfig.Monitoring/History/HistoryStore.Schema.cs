using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

/// <summary>The history's schema, one migration per version; a new history is made by running them all.</summary>
public sealed partial class HistoryStore
{
    /// <summary>
    /// <c>Migrations[v]</c> takes a history from schema <c>v</c> to <c>v + 1</c>; schema 0 is an empty file. A new
    /// history runs them all, so that a migrated file and a new one have the same schema, column for column.
    /// Never edit a migration that has shipped: add one.
    /// </summary>
    private static readonly string[] Migrations =
    [
        // 0 -> 1: sweeps, domains, their figures and the host's.
        $"""
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

        PRAGMA application_id = {ApplicationId};
        """,

        // 1 -> 2: a domain's disks, interfaces and CPU throttling; the alert transitions the exporter logged.
        """
        -- Block device and network interface names (vda, vnet3), each stored once and referred to by id from the
        -- disks and interfaces columns.
        CREATE TABLE device (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        -- disks, interfaces: the domain's devices at the sweep, see DeviceFiguresCodec; NULL for a domain without
        -- any. throttled_bp: share of CPU enforcement periods its cgroup's quota held it back, in basis points; NULL
        -- when unknown. Columns rather than a table of their own: a NULL costs one byte in the row, a row of a
        -- second table keyed by sweep and domain some twelve. Rows of schema 1 read NULL in all three.
        ALTER TABLE domain_figures ADD COLUMN disks BLOB;
        ALTER TABLE domain_figures ADD COLUMN interfaces BLOB;
        ALTER TABLE domain_figures ADD COLUMN throttled_bp INTEGER;

        -- Alerts raised and cleared (the exporter's alert log), with the figure and the threshold in the figure's
        -- unit (percent; requests for disk_queue). A cleared alert carries the figures it was last raised with.
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
        """,

        // 2 -> 3: a domain's memory in bytes; the host's block devices.
        """
        -- rss_kib: QEMU's resident memory in KiB (guest RAM it touched and its own), what the domain takes of the
        -- host's memory; NULL when unknown. Rows of schema 2 and before read NULL.
        ALTER TABLE domain_figures ADD COLUMN rss_kib INTEGER;

        -- disks: the host's block devices at the sweep (queue depth, latency, requests in flight), see
        -- DeviceFiguresCodec; NULL when not read. Names in the device table, beside the guests' devices.
        ALTER TABLE host_figures ADD COLUMN disks BLOB;
        """,
    ];

    /// <summary>The tables a history of schema <paramref name="version"/> has.</summary>
    private static string[] TablesOf(int version) => version >= 2
        ? ["alert", "device", "domain", "domain_figures", "host_figures", "sweep"]
        : ["domain", "domain_figures", "host_figures", "sweep"];

    /// <summary>
    /// Brings the database to <see cref="SchemaVersion"/>: nothing for a current one; otherwise, in one transaction,
    /// the migrations from its version on and the new <c>user_version</c>, so that a failure (disk full) leaves it
    /// at its old schema with all its rows. The version is read again inside the transaction, which holds the write
    /// lock, so two writers opening one file at once migrate it once.
    /// </summary>
    private static void Migrate(SqliteConnection connection)
    {
        if (Scalar(connection, "PRAGMA user_version") == SchemaVersion)
        {
            return;
        }

        using SqliteTransaction transaction = connection.BeginTransaction();
        for (long version = Scalar(connection, "PRAGMA user_version"); version < SchemaVersion; version++)
        {
            Execute(connection, Migrations[version]);
        }

        Execute(connection, $"PRAGMA user_version = {SchemaVersion}");
        transaction.Commit();
    }
}
