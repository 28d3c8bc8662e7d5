using System.Text;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

/// <summary>
/// The monitoring history (<c>serve --history FILE</c>, read by <c>report</c>): every sweep's per-domain and host
/// figures in an SQLite database, kept for a retention period.
/// </summary>
/// <remarks>
/// <para>
/// A history file is recognised by two header fields SQLite leaves to applications: <c>PRAGMA application_id</c>
/// is <see cref="ApplicationId"/> ("KVMC") and <c>PRAGMA user_version</c> is the schema version
/// (<see cref="SchemaVersion"/>). <see cref="Open"/> creates the database where no file exists (or an empty one),
/// and otherwise opens only a file that carries both, passes SQLite's quick integrity check and has the tables;
/// anything else, a damaged history included, is refused with <see cref="Rules.Unreadable"/> (KVC093) and left
/// exactly as it was: the checks read the file without SQLite, then through a read-only connection, before any
/// connection that can write is opened.
/// </para>
/// <para>
/// The journal is in WAL mode with <c>synchronous=NORMAL</c>: a sweep's append commits without an fsync, and a power
/// loss can lose the last sweeps but not damage the file. One connection, used under a lock, so the sampler and a
/// reader can share a store.
/// </para>
/// </remarks>
public sealed partial class HistoryStore : IDisposable
{
    /// <summary><c>PRAGMA application_id</c> of a kvmconfig history: the bytes "KVMC".</summary>
    public const int ApplicationId = 0x4B564D43;

    /// <summary>The schema version this kvmconfig writes and reads (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 1;

    private const string NotOverwritten = "kvmconfig will not overwrite it";

    private const string DamagedHint =
        "move the file away to start a new history (sqlite3 FILE .recover may save what it holds), or pass another --history FILE";

    // SQLite's file header starts with these 16 bytes (https://www.sqlite.org/fileformat.html, "Magic Header String").
    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private static readonly string[] Tables = ["domain", "domain_figures", "host_figures", "sweep"];

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    private HistoryStore(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    /// <summary>The database file, as a full path.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the history at <paramref name="path"/>, creating the file, its missing parent directories and the schema
    /// when there is no file or an empty one. Throws <see cref="KvmConfigException"/> (<see cref="Rules.Unreadable"/>,
    /// naming the path) for a location that cannot be created or written, and for an existing file that is not a
    /// kvmconfig history, is damaged, or was written by a newer kvmconfig; such a file is never modified.
    /// </summary>
    public static HistoryStore Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new KvmConfigException(Rules.Unreadable, $"{full} is a directory, not a history database file", full,
                $"pass a file name, e.g. --history {System.IO.Path.Combine(full, "history.db")}");
        }

        bool isNew = !File.Exists(full) || new FileInfo(full).Length == 0;
        if (isNew)
        {
            CreateParentDirectory(full);
        }
        else
        {
            Validate(full);
        }

        SqliteConnection connection = Connect(full, SqliteOpenMode.ReadWriteCreate);
        try
        {
            // The schema is written before the switch to WAL, so that it commits into the file itself: a crash
            // before the first checkpoint cannot leave a file whose header says SQLite but not kvmconfig.
            if (isNew)
            {
                CreateSchema(connection);
            }

            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new KvmConfigException(Rules.Unreadable, $"cannot write the history database {full}: {e.Message}", full, WritableHint(full), e);
        }

        return new HistoryStore(full, connection);
    }

    /// <summary>Closes the database (the WAL is checkpointed into the file when this is the last connection).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    private static void CreateParentDirectory(string full)
    {
        string dir = System.IO.Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot create the directory {dir} for the history database {full}: {e.Message}", full,
                WritableHint(full), e);
        }
    }

    /// <summary>
    /// Refuses, without writing to it, a file that is not a kvmconfig history of a version this kvmconfig reads, or
    /// that is damaged. First the file's own header, then SQLite's view through a read-only connection.
    /// </summary>
    private static void Validate(string full)
    {
        byte[] header = new byte[SqliteMagic.Length];
        int read;
        try
        {
            using FileStream file = File.OpenRead(full);
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot read the history database {full}: {e.Message}", full, inner: e);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteMagic))
        {
            throw Refuse(full, "is not a kvmconfig history database: it is not an SQLite database (its first bytes are not \"SQLite format 3\")");
        }

        // Without a -wal file beside it, the file alone is the database: SQLite's immutable mode reads it with no
        // locks and creates no -wal or -shm, so a refused file is left with nothing new beside it. With one (a writer
        // is running, or one crashed), the committed state includes the WAL, which only a normal reader sees.
        SqliteConnection connection = File.Exists(full + "-wal") ? Connect(full, SqliteOpenMode.ReadOnly) : Connect(full, SqliteOpenMode.ReadOnly, immutable: true);
        try
        {
            long applicationId = Scalar(connection, "PRAGMA application_id");
            long version = Scalar(connection, "PRAGMA user_version");
            if (applicationId != ApplicationId)
            {
                throw Refuse(full, $"is an SQLite database but not a kvmconfig history database (application_id 0x{applicationId:X8}, a history has 0x{ApplicationId:X8})");
            }

            if (version > SchemaVersion)
            {
                throw Refuse(full, $"is a kvmconfig history of schema {version}, written by a newer kvmconfig: this one reads schema {SchemaVersion}",
                    "upgrade kvmconfig, or pass another --history FILE");
            }

            if (version < 1)
            {
                throw Refuse(full, $"is marked as a kvmconfig history but has no schema version (user_version {version})");
            }

            // quick_check reads every page (O(file size), about a second for 100 MB) but skips the index-to-table
            // cross-checks of integrity_check; it returns the single row "ok" or one row per problem.
            List<string> problems = Strings(connection, "PRAGMA quick_check");
            if (problems is not ["ok"])
            {
                throw Refuse(full, $"is a damaged kvmconfig history database (SQLite's quick_check: {string.Join("; ", problems.Take(3))})", DamagedHint);
            }

            List<string> tables = Strings(connection, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
            if (Tables.Except(tables, StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
            {
                throw Refuse(full, $"is a damaged kvmconfig history database: table {string.Join(", ", missing)} missing", DamagedHint);
            }
        }
        catch (SqliteException e)
        {
            // SQLITE_NOTADB (26) and SQLITE_CORRUPT (11): a file that starts like SQLite but is not readable as one.
            throw e.SqliteErrorCode is 11 or 26
                ? Refuse(full, $"is a damaged SQLite database ({e.Message})", DamagedHint, e)
                : new KvmConfigException(Rules.Unreadable, $"cannot read the history database {full}: {e.Message}", full, inner: e);
        }
        finally
        {
            connection.Dispose();
        }
    }

    private static KvmConfigException Refuse(string full, string why, string? hint = null, Exception? inner = null) =>
        new(Rules.Unreadable, $"{full} {why}; {NotOverwritten}", full,
            hint ?? "pass another --history FILE (kvmconfig creates a new history where no file exists), or move this file away", inner);

    private static string WritableHint(string full) =>
        $"check that {System.IO.Path.GetDirectoryName(full)} is a directory kvmconfig can write (ls -ld), or pass another --history FILE";

    private static SqliteConnection Connect(string full, SqliteOpenMode mode, bool immutable = false)
    {
        // No pooling: Dispose closes the file, so a refused or closed database holds no handle. Immutable mode needs
        // a URI file name (https://www.sqlite.org/uri.html), the path percent-encoded.
        string source = immutable ? new Uri(full).AbsoluteUri + "?immutable=1" : full;
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = source, Mode = mode, Pooling = false }.ToString());
        try
        {
            connection.Open();
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            string what = mode == SqliteOpenMode.ReadOnly ? "read" : "open for writing";
            throw new KvmConfigException(Rules.Unreadable, $"cannot {what} the history database {full}: {e.Message}", full, WritableHint(full), e);
        }
    }

    private static void CreateSchema(SqliteConnection connection)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        Execute(connection, $"""
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
            PRAGMA user_version = {SchemaVersion};
            """);
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<string> Strings(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
