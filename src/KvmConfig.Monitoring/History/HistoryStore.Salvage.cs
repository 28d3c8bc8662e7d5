using KvmConfig.Core.Diagnostics;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

/// <summary>What <see cref="HistoryStore.Salvage"/> could read of one table, and what it could not.</summary>
/// <param name="Table">The table.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="UnreadableRanges">Runs of keys SQLite could not read; the rows there are lost.</param>
public sealed record SalvagedTable(string Table, long Rows, long UnreadableRanges);

public sealed partial class HistoryStore
{
    // Each table with its key (the column rows are found by) and its columns in schema versions 1, 2 and 3 ("": none).
    private static readonly (string Table, string Key, string[] Columns)[] SalvageOrder =
    [
        ("domain", "id", ["id, name", "id, name", "id, name"]),
        ("device", "id", ["", "id, name", "id, name"]),
        ("sweep", "id", ["id, at_unix_ms", "id, at_unix_ms", "id, at_unix_ms"]),
        ("host_figures", "sweep_id", [HostColumns, HostColumns, HostColumns + ", disks"]),
        ("domain_figures", "sweep_id", [FigureColumns, FigureColumns + ", disks, interfaces, throttled_bp", FigureColumns + ", disks, interfaces, throttled_bp, rss_kib"]),
        ("alert", "id", ["", AlertColumns, AlertColumns]),
    ];

    private const string HostColumns = "sweep_id, tcp_retransmit_bp, reclaim_efficiency_bp, cpu_some_bp, cpu_full_bp, memory_some_bp, memory_full_bp, io_some_bp, io_full_bp";

    private const string AlertColumns = "id, at_unix_ms, change, subject, metric, severity, value, threshold";

    private const string FigureColumns = "sweep_id, domain_id, cpu_bp, ready_mean_bp, ready_max_bp, memory_overhead_bp, vcpu_ready";

    // Rows copied in one statement.
    private const long SalvageChunk = 4096;

    /// <summary>
    /// Every row SQLite can still read from the damaged history at <paramref name="path"/>, copied into a store in
    /// memory (the file is only read, in immutable mode), and what could not be read, table by table. The file must
    /// still be a kvmconfig history (its header and schema readable); otherwise <see cref="Rules.Unreadable"/>.
    /// </summary>
    public static (HistoryStore Store, IReadOnlyList<SalvagedTable> Tables) Salvage(string path)
    {
        string full = FullPathOfFile(path);
        if (!File.Exists(full))
        {
            throw MonitoringErrors.NoHistory(full, "pass the damaged file with --history FILE");
        }

        // A URI name for the memory database, so that ATTACH below may name the file by URI (immutable mode).
        var memory = new SqliteConnection("Data Source=file:kvmconfig-salvage?mode=memory;Pooling=False");
        memory.Open();
        try
        {
            Migrate(memory);
            long version;
            try
            {
                Execute(memory, $"ATTACH DATABASE '{new Uri(full).AbsoluteUri.Replace("'", "''", StringComparison.Ordinal)}?immutable=1' AS damaged");
                long applicationId = Scalar(memory, "PRAGMA damaged.application_id");
                version = Scalar(memory, "PRAGMA damaged.user_version");
                if (applicationId != ApplicationId || version is < 1 or > SchemaVersion)
                {
                    throw MonitoringErrors.HistoryRefused(full, "is not a kvmconfig history database this kvmconfig reads (its header says otherwise): nothing to salvage");
                }
            }
            catch (SqliteException e)
            {
                throw MonitoringErrors.HistoryRefused(full, $"is too damaged to salvage: even its header or schema cannot be read ({e.Message})", MonitoringErrors.DamagedHistoryHint, e);
            }

            var tables = new List<SalvagedTable>();
            foreach ((string table, string key, string[] byVersion) in SalvageOrder)
            {
                string columns = byVersion[version - 1];
                if (columns.Length > 0)
                {
                    tables.Add(SalvageTable(memory, table, key, columns));
                }
            }

            Execute(memory, "DETACH DATABASE damaged");
            return (new HistoryStore(full, memory, SchemaVersion, readOnly: true), tables);
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    private static SalvagedTable SalvageTable(SqliteConnection memory, string table, string key, string columns)
    {
        // Walks the keys in order, a chunk at a time, from what the last chunk reached: never over key values that are
        // not there (a damaged maximum could claim billions). A chunk that cannot be read is halved down to one row; a
        // row that cannot be read is skipped (its key if SQLite can still read that, else by probing ahead in doubling
        // steps), and a run of skips counts as one unreadable range. `last` only grows, so the walk ends.
        long rows = 0, unreadable = 0, chunk = SalvageChunk;
        long? last = null;
        bool skipping = false;
        while (true)
        {
            try
            {
                long copied = Execute(memory,
                    $"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {columns} FROM damaged.{table} WHERE $last IS NULL OR {key} > $last ORDER BY {key} LIMIT {chunk}",
                    ("$last", last));
                if (copied == 0)
                {
                    return new SalvagedTable(table, rows, unreadable);
                }

                rows += copied;
                last = ScalarOrNull(memory, $"SELECT max({key}) FROM main.{table}", []);
                (chunk, skipping) = (SalvageChunk, false);
            }
            catch (SqliteException) when (chunk > 1)
            {
                chunk /= 2;
            }
            catch (SqliteException)
            {
                unreadable += skipping ? 0 : 1;
                skipping = true;
                long? skip;
                try
                {
                    skip = ScalarOrNull(memory, $"SELECT {key} FROM damaged.{table} WHERE $last IS NULL OR {key} > $last ORDER BY {key} LIMIT 1", [("$last", last)]);
                }
                catch (SqliteException)
                {
                    skip = NextReadableKey(memory, table, key, last) is { } next ? next - 1 : null;
                }

                if (skip is not { } beyond || (last is { } was && beyond <= was))
                {
                    return new SalvagedTable(table, rows, unreadable);
                }

                last = beyond;
            }
        }
    }

    // The first key after `last` (plus 1, 2, 4, ... until the read succeeds) that SQLite can read, or null when none.
    private static long? NextReadableKey(SqliteConnection memory, string table, string key, long? last)
    {
        long from = last ?? long.MinValue;
        for (long step = 1; step > 0 && from <= long.MaxValue - step; step *= 2)
        {
            try
            {
                return ScalarOrNull(memory, $"SELECT {key} FROM damaged.{table} WHERE {key} >= $probe ORDER BY {key} LIMIT 1", [("$probe", from + step)]);
            }
            catch (SqliteException)
            {
            }
        }

        return null;
    }

    private static long Execute(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command.ExecuteNonQuery();
    }

    private static long? ScalarOrNull(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command.ExecuteScalar() is long scalar ? scalar : null;
    }
}
