using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

public sealed partial class HistoryStore
{
    /// <summary>
    /// SQLite's <c>PRAGMA quick_check</c> of the file as it is on disk now, through a connection of its own (the
    /// writer's page cache would hide damage done to the file under it). Empty when the file is sound; otherwise one
    /// line per problem SQLite found (at most five), or why the file could not be read at all.
    /// </summary>
    /// <remarks>quick_check reads every page, so it costs about a second per 100 MB: the exporter spaces its checks by
    /// what the last one cost (<see cref="QuickCheckTook"/>).</remarks>
    public IReadOnlyList<string> QuickCheck()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            using SqliteConnection reader = Connect(Path, SqliteOpenMode.ReadOnly);
            List<string> rows = Strings(reader, "PRAGMA quick_check(5)");
            return rows is ["ok"] ? [] : rows;
        }
        catch (SqliteException e)
        {
            return [$"SQLite error {e.SqliteErrorCode}: {e.Message}"];
        }
        catch (Core.KvmConfigException e)
        {
            return [e.Message];
        }
        finally
        {
            QuickCheckTook = clock.Elapsed;
        }
    }

    /// <summary>How long the last <see cref="QuickCheck"/> took.</summary>
    public TimeSpan QuickCheckTook { get; private set; }

    /// <summary>
    /// A new file name beside <paramref name="path"/> for a history that replaces a damaged one:
    /// <c>history.db</c> becomes <c>history-20261206T031500Z.db</c>.
    /// </summary>
    public static string FreshPathBeside(string path, DateTimeOffset now)
    {
        string dir = System.IO.Path.GetDirectoryName(path) ?? ".";
        string name = System.IO.Path.GetFileNameWithoutExtension(path);
        string extension = System.IO.Path.GetExtension(path);
        string stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        string fresh = System.IO.Path.Combine(dir, $"{name}-{stamp}{extension}");
        for (int n = 1; File.Exists(fresh); n++)
        {
            fresh = System.IO.Path.Combine(dir, $"{name}-{stamp}-{n}{extension}");
        }

        return fresh;
    }
}
