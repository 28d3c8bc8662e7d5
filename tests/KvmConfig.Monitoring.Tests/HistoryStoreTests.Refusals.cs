using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Monitoring.History;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Bad input (issue 5): files that are not a history, or a damaged one, are refused with KVC093 naming the path and
/// left byte for byte as they were; an unwritable location is a clear error.
/// </summary>
public sealed partial class HistoryStoreTests
{
    [Fact]
    public void A_file_of_garbage_is_refused_and_left_unchanged()
    {
        byte[] garbage = new byte[10_000];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(DbPath, garbage);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        Assert.Same(Rules.Unreadable, e.Descriptor);
        Assert.Equal(DbPath, e.Path);
        Assert.Equal(
            $"{DbPath} is not a kvmconfig history database: it is not an SQLite database (its first bytes are not \"SQLite format 3\"); kvmconfig will not overwrite it",
            e.Message);
        Assert.NotNull(e.Hint);
        AssertUnchanged(garbage);
    }

    [Fact]
    public void A_text_file_shorter_than_the_sqlite_header_is_refused()
    {
        File.WriteAllText(DbPath, "notes\n");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        Assert.Contains("not an SQLite database", e.Message, StringComparison.Ordinal);
        AssertUnchanged("notes\n"u8.ToArray());
    }

    [Fact]
    public void A_history_damaged_after_its_header_is_refused_and_left_unchanged()
    {
        // Given a real history whose pages after the first were overwritten (a bad disk block, a careless dd)
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            AppendSweeps(store, T0, sweeps: 200);
        }

        byte[] damaged = File.ReadAllBytes(DbPath);
        Assert.True(damaged.Length > 8 * 4096, $"the history is only {damaged.Length} bytes");
        new Random(3).NextBytes(damaged.AsSpan(4096, 4 * 4096));
        File.WriteAllBytes(DbPath, damaged);

        // When it is opened
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        // Then it is refused as damaged, with the path, and not repaired or replaced
        Assert.Same(Rules.Unreadable, e.Descriptor);
        Assert.StartsWith($"{DbPath} is a damaged ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("; kvmconfig will not overwrite it", e.Message, StringComparison.Ordinal);
        Assert.Contains(".recover", e.Hint, StringComparison.Ordinal);
        AssertUnchanged(damaged);
    }

    [Fact]
    public void An_sqlite_database_of_another_program_is_refused_and_left_unchanged()
    {
        using (var other = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            other.Open();
            using SqliteCommand command = other.CreateCommand();
            command.CommandText = "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');";
            command.ExecuteNonQuery();
        }

        byte[] before = File.ReadAllBytes(DbPath);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        Assert.Equal(
            $"{DbPath} is an SQLite database but not a kvmconfig history database (application_id 0x00000000, a history has 0x4B564D43); kvmconfig will not overwrite it",
            e.Message);
        AssertUnchanged(before);
    }

    [Fact]
    public void A_history_of_a_newer_schema_is_refused_naming_both_versions()
    {
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1]);
        }

        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {HistoryStore.SchemaVersion + 1}";
            command.ExecuteNonQuery();
        }

        byte[] before = File.ReadAllBytes(DbPath);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(DbPath));

        Assert.Contains($"is a kvmconfig history of schema {HistoryStore.SchemaVersion + 1}, written by a newer kvmconfig: this one reads schema {HistoryStore.SchemaVersion}", e.Message, StringComparison.Ordinal);
        AssertUnchanged(before);
        Assert.Contains($"schema {HistoryStore.SchemaVersion + 1}", Assert.Throws<KvmConfigException>(() => HistoryStore.OpenReadOnly(DbPath)).Message, StringComparison.Ordinal);
        AssertUnchanged(before);
    }

    [Fact]
    public void A_location_under_a_regular_file_cannot_be_created_and_the_error_names_it()
    {
        // Root ignores permission bits, so the unwritable location is one no one can create: a directory inside a file.
        string file = Path.Combine(_dir, "somefile");
        File.WriteAllText(file, "a file, not a directory\n");
        string path = Path.Combine(file, "history.db");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(path));

        Assert.Same(Rules.Unreadable, e.Descriptor);
        Assert.Equal(path, e.Path);
        Assert.StartsWith($"cannot create the directory {file} for the history database {path}: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("ls -ld", e.Hint, StringComparison.Ordinal);
        Assert.Equal("a file, not a directory\n", File.ReadAllText(file));
    }

    [Fact]
    public void A_directory_is_refused_as_the_history_file()
    {
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.Open(_dir));

        Assert.Equal($"{_dir} is a directory, not a history database file", e.Message);
        Assert.Equal($"pass a file name, e.g. --history {Path.Combine(_dir, "history.db")}", e.Hint);
    }

    /// <summary>The file holds exactly <paramref name="expected"/>, and SQLite left no journal beside it.</summary>
    private void AssertUnchanged(byte[] expected)
    {
        Assert.Equal(expected, File.ReadAllBytes(DbPath));
        Assert.Equal(["history.db"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }
}
