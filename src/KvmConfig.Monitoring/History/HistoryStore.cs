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
/// connection that can write is opened. A history of an older schema is brought to this one in place, in one
/// transaction, keeping its rows (see <c>HistoryStore.Schema.cs</c>). <see cref="OpenReadOnly"/>, for readers such
/// as <c>report</c>, makes the same checks but never creates, migrates or writes a file.
/// </para>
/// <para>
/// The journal is in WAL mode with <c>synchronous=NORMAL</c>: a sweep's append commits without an fsync, and a power
/// loss can lose the last sweeps but not damage the file. One connection, used under a lock, so the sampler and a
/// reader can share a store.
/// </para>
/// </remarks>
public sealed partial class HistoryStore : IDisposable
{
    /// <summary>Where <c>serve</c> keeps its history and <c>report</c> reads it unless told otherwise.</summary>
    public const string DefaultPath = "/var/lib/kvmconfig/history.db";

    /// <summary><c>PRAGMA application_id</c> of a kvmconfig history: the bytes "KVMC".</summary>
    public const int ApplicationId = 0x4B564D43;

    /// <summary>The schema version this kvmconfig writes and reads (<c>PRAGMA user_version</c>).</summary>
    public const int SchemaVersion = 3;



    // SQLite's file header starts with these 16 bytes (https://www.sqlite.org/fileformat.html, "Magic Header String").
    private static readonly byte[] SqliteMagic = Encoding.ASCII.GetBytes("SQLite format 3\0");

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    private HistoryStore(string path, SqliteConnection connection, int schemaVersion, bool readOnly)
    {
        Path = path;
        _connection = connection;
        FileSchemaVersion = schemaVersion;
        IsReadOnly = readOnly;
    }

    /// <summary>The database file, as a full path.</summary>
    public string Path { get; }

    /// <summary>
    /// The file's schema version: <see cref="SchemaVersion"/> for a store that can write (an older file was migrated
    /// when opened), and the file's own for one opened with <see cref="OpenReadOnly"/>, whose reads then leave out
    /// what that schema did not keep.
    /// </summary>
    public int FileSchemaVersion { get; }

    /// <summary>True for a store opened with <see cref="OpenReadOnly"/>: it reads, and refuses to append or prune.</summary>
    public bool IsReadOnly { get; }

    /// <summary>
    /// Opens the history at <paramref name="path"/>, creating the file, its missing parent directories and the schema
    /// when there is no file or an empty one, and bringing a history of an older schema to <see cref="SchemaVersion"/>.
    /// Throws <see cref="KvmConfigException"/> (<see cref="Rules.Unreadable"/>, naming the path) for a location that
    /// cannot be created or written, and for an existing file that is not a kvmconfig history, is damaged, or was
    /// written by a newer kvmconfig; such a file is never modified.
    /// </summary>
    public static HistoryStore Open(string path)
    {
        string full = FullPathOfFile(path);
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
            // A new file's schema is written before the switch to WAL, so that it commits into the file itself: a
            // crash before the first checkpoint cannot leave a file whose header says SQLite but not kvmconfig. An
            // older history is migrated in the same transaction that checks its version.
            Migrate(connection);
            Execute(connection, "PRAGMA journal_mode = WAL");
            Execute(connection, "PRAGMA synchronous = NORMAL");
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw MonitoringErrors.HistoryCannot("write", full, e);
        }

        return new HistoryStore(full, connection, SchemaVersion, readOnly: false);
    }

    /// <summary>
    /// Opens an existing history for reading only, as it is: no file, directory, journal or schema change is made,
    /// so a history of an older schema is read with what it holds (<see cref="FileSchemaVersion"/>). Throws
    /// <see cref="KvmConfigException"/> (<see cref="Rules.Unreadable"/>, naming the path) when there is no file, and
    /// for a file <see cref="Open"/> would refuse.
    /// </summary>
    /// <remarks>
    /// While a writer has the history open (a <c>-wal</c> file beside it) the reader shares its WAL, and each
    /// <see cref="Read"/> sees the sweeps committed when it starts. Otherwise the file is read in SQLite's immutable mode, which takes no
    /// lock and creates no <c>-wal</c> or <c>-shm</c>; a writer that starts during the read can then make it fail,
    /// never damage the file.
    /// </remarks>
    public static HistoryStore OpenReadOnly(string path)
    {
        string full = FullPathOfFile(path);
        if (!File.Exists(full))
        {
            throw MonitoringErrors.NoHistory(full, "kvmconfig serve writes the history (by default /var/lib/kvmconfig/history.db); pass the file it writes with --history FILE");
        }

        if (new FileInfo(full).Length == 0)
        {
            throw MonitoringErrors.HistoryEmpty(full);
        }

        int version = Validate(full);
        SqliteConnection connection = ReaderConnection(full);
        return new HistoryStore(full, connection, version, readOnly: true);
    }

    /// <summary>Closes the database (the WAL is checkpointed into the file when this is the last connection).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _connection.Dispose();
        }
    }

    /// <summary>The full path of <paramref name="path"/>, refused when it names a directory.</summary>
    private static string FullPathOfFile(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        return Directory.Exists(full)
            ? throw MonitoringErrors.HistoryIsADirectory(full)
            : full;
    }

    // Without a -wal file beside it, the file alone is the database: SQLite's immutable mode reads it with no locks and
    // creates no -wal or -shm, so a file read this way is left with nothing new beside it. With one (a writer is
    // running, or one crashed), the committed state includes the WAL, which only a normal reader sees.
    private static SqliteConnection ReaderConnection(string full) =>
        File.Exists(full + "-wal") ? Connect(full, SqliteOpenMode.ReadOnly) : Connect(full, SqliteOpenMode.ReadOnly, immutable: true);

    private static void CreateParentDirectory(string full)
    {
        string dir = System.IO.Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw MonitoringErrors.HistoryDirectoryUncreatable(dir, full, e);
        }
    }

    /// <summary>
    /// Refuses, without writing to it, a file that is not a kvmconfig history of a version this kvmconfig reads, or
    /// that is damaged; returns its schema version. First the file's own header, then SQLite's view through a
    /// read-only connection.
    /// </summary>
    private static int Validate(string full)
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
            throw MonitoringErrors.HistoryUnreadable(full, e);
        }

        if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteMagic))
        {
            throw MonitoringErrors.HistoryRefused(full, "is not a kvmconfig history database: it is not an SQLite database (its first bytes are not \"SQLite format 3\")");
        }

        SqliteConnection connection = ReaderConnection(full);
        try
        {
            long applicationId = Scalar(connection, "PRAGMA application_id");
            long version = Scalar(connection, "PRAGMA user_version");
            if (applicationId != ApplicationId)
            {
                throw MonitoringErrors.HistoryRefused(full, $"is an SQLite database but not a kvmconfig history database (application_id 0x{applicationId:X8}, a history has 0x{ApplicationId:X8})");
            }

            if (version > SchemaVersion)
            {
                throw MonitoringErrors.HistoryRefused(full, $"is a kvmconfig history of schema {version}, written by a newer kvmconfig: this one reads schema {SchemaVersion}",
                    "upgrade kvmconfig, or pass another --history FILE");
            }

            if (version < 1)
            {
                throw MonitoringErrors.HistoryRefused(full, $"is marked as a kvmconfig history but has no schema version (user_version {version})");
            }

            // quick_check reads every page (O(file size), about a second for 100 MB) but skips the index-to-table
            // cross-checks of integrity_check; it returns the single row "ok" or one row per problem.
            List<string> problems = Strings(connection, "PRAGMA quick_check");
            if (problems is not ["ok"])
            {
                throw MonitoringErrors.HistoryRefused(full, $"is a damaged kvmconfig history database (SQLite's quick_check: {string.Join("; ", problems.Take(3))})", MonitoringErrors.DamagedHistoryHint);
            }

            List<string> tables = Strings(connection, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
            if (TablesOf((int)version).Except(tables, StringComparer.Ordinal).ToList() is { Count: > 0 } missing)
            {
                throw MonitoringErrors.HistoryRefused(full, $"is a damaged kvmconfig history database: table {string.Join(", ", missing)} missing", MonitoringErrors.DamagedHistoryHint);
            }

            return (int)version;
        }
        catch (SqliteException e)
        {
            // SQLITE_NOTADB (26) and SQLITE_CORRUPT (11): a file that starts like SQLite but is not readable as one.
            throw e.SqliteErrorCode is 11 or 26
                ? MonitoringErrors.HistoryRefused(full, $"is a damaged SQLite database ({e.Message})", MonitoringErrors.DamagedHistoryHint, e)
                : MonitoringErrors.HistoryUnreadable(full, e);
        }
        finally
        {
            connection.Dispose();
        }
    }


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
            throw MonitoringErrors.HistoryCannot(what, full, e);
        }
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
