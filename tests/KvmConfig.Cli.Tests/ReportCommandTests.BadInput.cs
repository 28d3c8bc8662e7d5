using Microsoft.Data.Sqlite;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>report</c>'s bad input (issue 5): each is exit 2 with a message naming what is wrong, and a history file is
/// never created, migrated or changed, not even by a journal beside it.
/// </summary>
public sealed partial class ReportCommandTests
{
    [Fact]
    public void A_missing_history_is_KVC093_and_nothing_is_created()
    {
        string missing = Path.Combine(_dir, "no", "such", "history.db");

        CliResult r = Run("report", "--history", missing);

        r.CouldNotRun("KVC093");
        Assert.Contains($"there is no history database at {missing}", r.Err, StringComparison.Ordinal);
        Assert.Contains("hint: kvmconfig serve writes the history", r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "no")));
    }

    [Fact]
    public void A_damaged_history_is_refused_and_left_as_it_was()
    {
        // Given the real history with pages after the header overwritten
        byte[] damaged = File.ReadAllBytes(History);
        new Random(3).NextBytes(damaged.AsSpan(4096, 4 * 4096));
        File.WriteAllBytes(History, damaged);

        CliResult r = Run("report", "--history", History);

        r.CouldNotRun("KVC093");
        Assert.Contains($"{History} is a damaged ", r.Err, StringComparison.Ordinal);
        AssertUnchanged(History, damaged);
    }

    [Fact]
    public void Salvage_reports_what_a_damaged_history_still_holds_and_says_how_much_was_lost()
    {
        // Given the same damage as above
        byte[] damaged = File.ReadAllBytes(History);
        new Random(3).NextBytes(damaged.AsSpan(4096, 4 * 4096));
        File.WriteAllBytes(History, damaged);

        CliResult r = Run(["report", "--history", History, "--salvage", "--format", "json", .. Range]);

        // Then the report is printed from what could be read, stderr says table by table what was, and the file is
        // left as it was
        Assert.True(r.Exit == 0, r.Err);
        Assert.StartsWith($"salvaged {History}: domain ", r.Err, StringComparison.Ordinal);
        Assert.Matches(@"domain_figures \d+ rows(, (one unreadable range|\d+ unreadable ranges) lost)?", r.Err);
        Assert.StartsWith("{", r.Out.TrimStart(), StringComparison.Ordinal);
        AssertUnchanged(History, damaged);
    }

    [Fact]
    public void A_file_that_is_not_a_history_is_refused_and_left_as_it_was()
    {
        string notes = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(notes, "not a database\n");
        string other = Path.Combine(_dir, "other.db");
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE notes (text TEXT)";
            command.ExecuteNonQuery();
        }

        byte[] otherBytes = File.ReadAllBytes(other);

        CliResult text = Run("report", "--history", notes);
        CliResult sqlite = Run("report", "--history", other);

        text.CouldNotRun("KVC093");
        Assert.Contains("is not an SQLite database", text.Err, StringComparison.Ordinal);
        sqlite.CouldNotRun("KVC093");
        Assert.Contains("is an SQLite database but not a kvmconfig history database", sqlite.Err, StringComparison.Ordinal);
        Assert.Equal("not a database\n", File.ReadAllText(notes));
        AssertUnchanged(other, otherBytes);
    }

    [Fact]
    public void Reading_a_history_leaves_it_byte_for_byte_as_it_was()
    {
        byte[] before = File.ReadAllBytes(History);

        CliResult r = Run(["report", "--history", History, "--format", "json", .. Range]);

        Assert.Equal(0, r.Exit);
        AssertUnchanged(History, before);
    }

    [Theory]
    [InlineData("0", "--since 0: give a duration above zero")]
    [InlineData("-1h", "--since -1h: give a duration above zero")]
    [InlineData("yesterday", "--since yesterday: give a duration above zero and at most 36525d (24h, 90m, 7d) or a time (2025-03-01T12:00Z)")]
    [InlineData("99999999999d", "--since 99999999999d: give a duration above zero and at most 36525d")]
    [InlineData("12:00", "--since 12:00: give a duration above zero")]
    public void A_bad_since_is_a_usage_error(string since, string message)
    {
        CliResult r = Run("report", "--history", History, "--since", since);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
        r.NoStackTrace();
    }

    [Fact]
    public void A_range_that_ends_before_it_starts_is_a_usage_error()
    {
        CliResult r = Run("report", "--history", History, "--since", "2025-03-02T00:00Z", "--until", "2025-03-01T00:00Z");

        Assert.Equal(2, r.Exit);
        Assert.Contains("--since 2025-03-02T00:00Z (2025-03-02T00:00:00Z) is not before --until 2025-03-01T00:00Z (2025-03-01T00:00:00Z)", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "html", "--format html: use text or json")]
    [InlineData("--until", "never", "--until never: give a duration above zero")]
    public void A_bad_option_value_is_a_usage_error(string option, string value, string message)
    {
        CliResult r = Run("report", "--history", History, option, value);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_html_path_is_KVC093_and_nothing_is_printed()
    {
        // Root ignores permission bits, so the unwritable place is one no one can create: a file inside a file.
        string file = Path.Combine(_dir, "somefile");
        File.WriteAllText(file, "a file, not a directory\n");
        string html = Path.Combine(file, "report.html");

        CliResult r = Run(["report", "--history", History, "--html", html, .. Range]);

        r.CouldNotRun("KVC093");
        Assert.Contains($"cannot write the report {html}: ", r.Err, StringComparison.Ordinal);
        Assert.Contains("hint: give --html a file in a directory that exists", r.Err, StringComparison.Ordinal);
        Assert.Equal("a file, not a directory\n", File.ReadAllText(file));
    }

    [Fact]
    public void An_html_path_that_is_a_directory_is_KVC093()
    {
        CliResult r = Run(["report", "--history", History, "--html", _dir, .. Range]);

        r.CouldNotRun("KVC093");
        Assert.Contains($"cannot write the report {_dir}", r.Err, StringComparison.Ordinal);
    }

    /// <summary>The file holds exactly <paramref name="expected"/>, and no -wal or -shm appeared beside it.</summary>
    private static void AssertUnchanged(string path, byte[] expected)
    {
        Assert.Equal(expected, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + "-wal"), $"{path}-wal was created");
        Assert.False(File.Exists(path + "-shm"), $"{path}-shm was created");
    }
}
