using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

/// <summary>What <see cref="HistoryStore.Salvage"/> could read of one table, and what it could not.</summary>
/// <param name="Table">The table.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="UnreadableKeys">Key values (ids, sweep ids) in ranges SQLite could not read; the rows there are lost
/// (there may be fewer rows than keys: pruning leaves gaps). -1 when not even the table's key range could be read.</param>
public sealed record SalvagedTable(string Table, long Rows, long UnreadableKeys);

public sealed partial class HistoryStore
{
    // Each table with its key (the column rows are found by) and the columns of each schema version.
    private static readonly (string Table, string Key, string V1, string V2)[] SalvageOrder =
    [
        ("domain", "id", "id, name", "id, name"),
        ("device", "id", "", "id, name"),
        ("sweep", "id", "id, at_unix_ms", "id, at_unix_ms"),
        ("host_figures", "sweep_id", HostColumns, HostColumns),
        ("domain_figures", "sweep_id", FigureColumns, FigureColumns + ", disks, interfaces, throttled_bp"),
        ("alert", "id", "", "id, at_unix_ms, change, subject, metric, severity, value, threshold"),
    ];

    private const string HostColumns = "sweep_id, tcp_retransmit_bp, reclaim_efficiency_bp, cpu_some_bp, cpu_full_bp, memory_some_bp, memory_full_bp, io_some_bp, io_full_bp";

    private const string FigureColumns = "sweep_id, domain_id, cpu_bp, ready_mean_bp, ready_max_bp, memory_overhead_bp, vcpu_ready";

    // Keys copied in one statement; a range SQLite cannot read is halved until the unreadable keys are alone.
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
            throw new KvmConfigException(Rules.Unreadable, $"there is no history database at {full}", full, "pass the damaged file with --history FILE");
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
                Execute(memory, $"ATTACH DATABASE '{new Uri(full).AbsoluteUri}?immutable=1' AS damaged");
                long applicationId = Scalar(memory, "PRAGMA damaged.application_id");
                version = Scalar(memory, "PRAGMA damaged.user_version");
                if (applicationId != ApplicationId || version is < 1 or > SchemaVersion)
                {
                    throw Refuse(full, "is not a kvmconfig history database this kvmconfig reads (its header says otherwise): nothing to salvage");
                }
            }
            catch (SqliteException e)
            {
                throw Refuse(full, $"is too damaged to salvage: even its header or schema cannot be read ({e.Message})", DamagedHint, e);
            }

            var tables = new List<SalvagedTable>();
            foreach ((string table, string key, string v1, string v2) in SalvageOrder)
            {
                string columns = version >= 2 ? v2 : v1;
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
        long low, high;
        try
        {
            using SqliteCommand range = memory.CreateCommand();
            range.CommandText = $"SELECT min({key}), max({key}) FROM damaged.{table}";
            using SqliteDataReader reader = range.ExecuteReader();
            reader.Read();
            if (reader.IsDBNull(0))
            {
                return new SalvagedTable(table, 0, 0);
            }

            (low, high) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        catch (SqliteException)
        {
            return new SalvagedTable(table, 0, -1);
        }

        long rows = 0, unreadable = 0;
        for (long start = low; start <= high; start += SalvageChunk)
        {
            Copy(start, Math.Min(high, start + SalvageChunk - 1));
        }

        return new SalvagedTable(table, rows, unreadable);

        // Copies keys [from, to]; a range that fails is halved, and a single key that fails is lost.
        void Copy(long from, long to)
        {
            try
            {
                using SqliteCommand copy = memory.CreateCommand();
                copy.CommandText = $"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {columns} FROM damaged.{table} WHERE {key} BETWEEN $from AND $to";
                copy.Parameters.AddWithValue("$from", from);
                copy.Parameters.AddWithValue("$to", to);
                rows += copy.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                if (from == to)
                {
                    unreadable++;
                    return;
                }

                long middle = from + ((to - from) / 2);
                Copy(from, middle);
                Copy(middle + 1, to);
            }
        }
    }
}
