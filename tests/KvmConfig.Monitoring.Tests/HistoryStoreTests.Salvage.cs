using KvmConfig.Core;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <see cref="HistoryStore.Salvage"/>: a history damaged in its middle is refused by the normal readers, and salvage
/// reads every row SQLite still can, says how much it could not, and leaves the file as it was.
/// </summary>
public sealed partial class HistoryStoreTests
{
    private const int SalvageSweeps = 2000;

    // A history of 2000 sweeps (two domains and the host each), closed, then pages in its middle third overwritten.
    private byte[] DamagedHistory()
    {
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            for (int n = 0; n < SalvageSweeps; n++)
            {
                store.Append(T0.AddSeconds(10 * n), [Web1, Db1], Host);
            }
        }

        using (var file = new FileStream(DbPath, FileMode.Open, FileAccess.ReadWrite))
        {
            long pages = file.Length / 4096;
            file.Position = pages / 3 * 4096;
            file.Write(Enumerable.Repeat((byte)0xA5, (int)(pages / 3 * 4096)).ToArray());
        }

        return File.ReadAllBytes(DbPath);
    }

    [Fact]
    public void Salvage_reads_what_sqlite_still_can_from_a_damaged_history_and_says_what_it_could_not()
    {
        byte[] damaged = DamagedHistory();
        Assert.Contains("damaged", Assert.Throws<KvmConfigException>(() => HistoryStore.OpenReadOnly(DbPath)).Message, StringComparison.Ordinal);

        (HistoryStore salvaged, IReadOnlyList<SalvagedTable> tables) = HistoryStore.Salvage(DbPath);
        using (salvaged)
        {
            // Something was read, something was not, and no table was invented
            Assert.Equal(["domain", "device", "sweep", "host_figures", "domain_figures", "alert"], tables.Select(t => t.Table));
            SalvagedTable figures = tables.Single(t => t.Table == "domain_figures");
            long read = tables.Sum(t => t.Rows);
            Assert.True(read > 0, "nothing was salvaged");
            Assert.True(tables.Any(t => t.UnreadableRanges != 0), "the damage went unnoticed");
            Assert.InRange(figures.Rows, 0, 2 * SalvageSweeps);
            Assert.Equal(2, tables.Single(t => t.Table == "domain").Rows);

            // And the reads report uses work on what was salvaged
            HistoryRows rows = salvaged.Read(DateTimeOffset.UnixEpoch);
            Assert.Equal(figures.Rows, rows.Domains.Count);
            Assert.All(rows.Domains, r => Assert.Contains(r.Domain, (string[])["web1", "db1"]));
        }

        Assert.Equal(damaged, File.ReadAllBytes(DbPath));
    }

    [Fact]
    public void Salvage_walks_the_keys_that_are_there_not_the_range_between_the_smallest_and_largest()
    {
        // Given a sound history with one domain id at the very top of the key space
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1], Host);
        }

        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var insert = connection.CreateCommand();
            insert.CommandText = $"INSERT INTO domain (id, name) VALUES ({long.MaxValue}, 'far')";
            insert.ExecuteNonQuery();
        }

        (HistoryStore salvaged, IReadOnlyList<SalvagedTable> tables) = HistoryStore.Salvage(DbPath);
        using (salvaged)
        {
            Assert.Equal(2, tables.Single(t => t.Table == "domain").Rows);
            Assert.All(tables, t => Assert.Equal(0, t.UnreadableRanges));
        }
    }

    [Fact]
    public void Salvage_of_a_sound_history_reads_everything_and_loses_nothing()
    {
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1, Db1], Host);
            store.Append(T0.AddSeconds(10), [Web1], Host);
        }

        (HistoryStore salvaged, IReadOnlyList<SalvagedTable> tables) = HistoryStore.Salvage(DbPath);
        using (salvaged)
        {
            Assert.All(tables, t => Assert.Equal(0, t.UnreadableRanges));
            Assert.Equal(3, tables.Single(t => t.Table == "domain_figures").Rows);
            Assert.Equal(3, salvaged.Read(DateTimeOffset.UnixEpoch).Domains.Count);
        }
    }
}
