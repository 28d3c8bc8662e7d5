using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.History;

public sealed partial class HistoryStore
{
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
            throw MonitoringErrors.HistorySqlite(Path, e, damaged: e.SqliteErrorCode is 11 or 26);
        }
        catch (FormatException e)
        {
            throw MonitoringErrors.HistoryForeignRow(Path, e);
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
