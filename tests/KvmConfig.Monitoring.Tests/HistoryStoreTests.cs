using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.History;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Monitoring.Tests;

/// <summary><see cref="HistoryStore"/> on real SQLite files in a temporary directory: what goes in comes back out.</summary>
public sealed partial class HistoryStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    // A sweep as the sampler computes it: web1 with two of its three vCPUs contended (vCPU 1 left out: its thread was
    // replaced during the interval), db1 with no known memory size.
    private static readonly DomainFigures Web1 = new("web1", 10_000_000_000,
        [new VcpuFigures(0, 90.5, 12.345), new VcpuFigures(2, 40, 0.004)], CpuPercent: 130.5, ReadyPercent: 6.1745, ReadyPercentMax: 12.345,
        MemoryOverheadPercent: 21.876);

    private static readonly DomainFigures Db1 = new("db1", 10_000_000_000,
        [new VcpuFigures(0, 3, 0), new VcpuFigures(1, 2, 150.5)], CpuPercent: 5, ReadyPercent: 75.25, ReadyPercentMax: 150.5, MemoryOverheadPercent: null);

    private static readonly HostGauges Host = new(TcpRetransmitPercent: 0.25, ReclaimEfficiencyPercent: null,
        CpuPressure: new StallPercent(12.5, null), IoPressure: new StallPercent(3, 0.5));

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-history-").FullName;

    private string DbPath => Path.Combine(_dir, "history.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_sweep_reads_back_to_the_hundredth_of_a_point_domains_by_name_vcpus_by_number()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        store.Append(T0, [Web1, Db1], Host);
        HistoryRows rows = store.Read(T0);

        Assert.Equal(["db1", "web1"], rows.Domains.Select(r => r.Domain));
        DomainHistoryRow web1 = rows.Domains[1];
        Assert.Equal(T0, web1.At);
        Assert.Equal(130.5, web1.CpuPercent);
        Assert.Equal(6.17, web1.ReadyPercent); // 6.1745 to the hundredth
        Assert.Equal(12.35, web1.ReadyPercentMax);
        Assert.Equal(21.88, web1.MemoryOverheadPercent);
        Assert.Equal([new VcpuReady(0, 12.35), new VcpuReady(2, 0)], web1.Vcpus);
        DomainHistoryRow db1 = rows.Domains[0];
        Assert.Null(db1.MemoryOverheadPercent);
        Assert.Equal([new VcpuReady(0, 0), new VcpuReady(1, 150.5)], db1.Vcpus);
        HostHistoryRow host = Assert.Single(rows.Host);
        Assert.Equal(T0, host.At);
        Assert.Equal(Host, host.Host);
    }

    [Fact]
    public void Read_takes_the_sweeps_from_since_inclusive_until_exclusive_oldest_first()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);
        for (int minute = 4; minute >= 0; minute--)
        {
            store.Append(T0.AddMinutes(minute), [Web1 with { CpuPercent = minute }]);
        }

        HistoryRows rows = store.Read(T0.AddMinutes(1), T0.AddMinutes(3));

        Assert.Equal([1.0, 2.0], rows.Domains.Select(r => r.CpuPercent));
        Assert.Equal([T0.AddMinutes(1), T0.AddMinutes(2)], rows.Domains.Select(r => r.At));
        Assert.Empty(rows.Host);
        Assert.Equal(5, store.Read(DateTimeOffset.MinValue).Domains.Count);
    }

    [Fact]
    public void A_sweep_with_no_domain_and_no_host_is_kept_and_reads_back_empty()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        store.Append(T0, []);

        HistoryRows rows = store.Read(T0);
        Assert.Empty(rows.Domains);
        Assert.Empty(rows.Host);
        Assert.Equal(1, Count(store, "sweep"));
    }

    [Fact]
    public void Prune_deletes_the_sweeps_before_the_cutoff_with_their_domain_and_host_rows()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);
        for (int minute = 0; minute < 10; minute++)
        {
            store.Append(T0.AddMinutes(minute), [Web1, Db1], Host);
        }

        int deleted = store.Prune(T0.AddMinutes(6));

        Assert.Equal(6, deleted);
        HistoryRows rows = store.Read(DateTimeOffset.MinValue);
        Assert.Equal([6, 6, 7, 7, 8, 8, 9, 9], rows.Domains.Select(r => (r.At - T0).Minutes));
        Assert.Equal([6, 7, 8, 9], rows.Host.Select(r => (r.At - T0).Minutes));
        Assert.Equal(4, Count(store, "sweep"));
        Assert.Equal(8, Count(store, "domain_figures"));
        Assert.Equal(4, Count(store, "host_figures"));
        Assert.Equal(0, store.Prune(T0.AddMinutes(6)));
    }

    [Fact]
    public void A_pruned_history_reuses_its_pages_instead_of_growing()
    {
        // Given a history holding one hour of 10 s sweeps
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            AppendSweeps(store, T0, sweeps: 360);
        }

        long oneHour = new FileInfo(DbPath).Length;

        // When each following hour is appended and the one before it pruned, three times over
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            for (int hour = 1; hour <= 3; hour++)
            {
                AppendSweeps(store, T0.AddHours(hour), sweeps: 360);
                store.Prune(T0.AddHours(hour));
            }
        }

        // Then the file holds about two hours at its largest, not four
        Assert.InRange(new FileInfo(DbPath).Length, oneHour, oneHour * 2.5);
    }

    [Fact]
    public void A_reopened_history_keeps_its_rows_and_adds_to_them()
    {
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1, Db1], Host);
        }

        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0.AddSeconds(10), [Db1, Web1 with { Domain = "web2" }]);
        }

        Assert.False(File.Exists(DbPath + "-wal"), "closing the last connection checkpoints and removes the WAL");
        using HistoryStore reopened = HistoryStore.Open(DbPath);
        HistoryRows rows = reopened.Read(T0);
        Assert.Equal([("db1", 0), ("web1", 0), ("db1", 10), ("web2", 10)], rows.Domains.Select(r => (r.Domain, (r.At - T0).Seconds)));
        Assert.Single(rows.Host);
        Assert.Equal(3, Count(reopened, "domain"));
    }

    [Fact]
    public void A_new_history_is_in_wal_mode_and_marked_with_its_application_id_and_schema_version()
    {
        using HistoryStore store = HistoryStore.Open(Path.Combine(_dir, "sub", "dir", "history.db"));

        Assert.Equal(Path.Combine(_dir, "sub", "dir", "history.db"), store.Path);
        using var other = new SqliteConnection($"Data Source={store.Path};Mode=ReadOnly;Pooling=False");
        other.Open();
        Assert.Equal("wal", Pragma(other, "journal_mode"));
        Assert.Equal((long)HistoryStore.ApplicationId, Pragma(other, "application_id"));
        Assert.Equal((long)HistoryStore.SchemaVersion, Pragma(other, "user_version"));
    }

    [Fact]
    public void A_history_copied_while_open_as_a_crash_would_leave_it_reopens_with_its_committed_rows()
    {
        // Given the files of a history whose writer died before checkpointing: the main file, its WAL and index
        string crashed = Path.Combine(_dir, "crashed");
        Directory.CreateDirectory(crashed);
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1, Db1], Host);
            store.Append(T0.AddSeconds(10), [Web1]);
            foreach (string file in Directory.GetFiles(_dir))
            {
                File.Copy(file, Path.Combine(crashed, Path.GetFileName(file)));
            }
        }

        Assert.True(File.Exists(Path.Combine(crashed, "history.db-wal")), "the copy has the WAL of the open history");

        // When it is opened, it is recognised (through the WAL) and recovered
        using HistoryStore reopened = HistoryStore.Open(Path.Combine(crashed, "history.db"));

        Assert.Equal(3, reopened.Read(T0).Domains.Count);
    }

    [Fact]
    public void A_path_with_spaces_and_uri_characters_is_created_and_reopened()
    {
        string path = Path.Combine(_dir, "kvm config #1 ?100%", "history.db");
        using (HistoryStore store = HistoryStore.Open(path))
        {
            store.Append(T0, [Web1]);
        }

        // Reopening validates the file through an SQLite URI (immutable mode), where '#', '?' and '%' must be escaped
        using (HistoryStore reopened = HistoryStore.Open(path))
        {
            Assert.Single(reopened.Read(T0).Domains);
        }

        Assert.Equal(["history.db"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void An_empty_file_becomes_a_new_history()
    {
        File.WriteAllBytes(DbPath, []);

        using HistoryStore store = HistoryStore.Open(DbPath);
        store.Append(T0, [Web1]);

        Assert.Single(store.Read(T0).Domains);
    }

    public static TheoryData<string, DomainFigures[], string> BadSweeps => new()
    {
        { "a domain twice", [Web1, Db1, Web1], "domain 'web1' twice in one sweep" },
        { "a vCPU twice", [Web1 with { Vcpus = [new VcpuFigures(3, 1, 1), new VcpuFigures(3, 2, 2)] }], "vCPU 3 twice in domain 'web1'" },
        { "a NaN ready %", [Web1 with { Vcpus = [new VcpuFigures(0, 1, double.NaN)] }], "ready NaN % is not a share of time" },
        { "a negative ready %", [Web1 with { Vcpus = [new VcpuFigures(0, 1, -1)] }], "ready -1 % is not a share of time" },
        { "an infinite CPU %", [Db1, Web1 with { CpuPercent = double.PositiveInfinity }], "domain 'web1': cpu Infinity % is not a number" },
    };

    [Theory]
    [MemberData(nameof(BadSweeps))]
    public void A_sweep_with_a_bad_figure_is_refused_and_writes_nothing(string description, DomainFigures[] figures, string message)
    {
        _ = description;
        using HistoryStore store = HistoryStore.Open(DbPath);

        ArgumentException e = Assert.Throws<ArgumentException>(() => store.Append(T0, figures, Host));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(store, "sweep"));
        Assert.Equal(0, Count(store, "domain"));
    }

    [Fact]
    public void The_vcpu_encoding_is_a_gap_and_a_basis_point_varint_per_vcpu()
    {
        // The example of VcpuReadyCodec's documentation: vCPUs 0, 1, 3 at 2.50 %, 0.00 %, 12.00 %
        byte[] bytes = VcpuReadyCodec.Encode([(0, 250), (1, 0), (3, 1200)]);

        Assert.Equal(Convert.FromHexString("00FA01" + "0000" + "01B009"), bytes);
        Assert.Equal([(0, 250L), (1, 0L), (3, 1200L)], VcpuReadyCodec.Decode(bytes));
        Assert.Empty(VcpuReadyCodec.Decode([]));
        Assert.Throws<FormatException>(() => VcpuReadyCodec.Decode(Convert.FromHexString("00FA")));
        Assert.Throws<ArgumentException>(() => VcpuReadyCodec.Encode([(2, 1), (1, 1)]));
    }

    /// <summary>
    /// Appends <paramref name="sweeps"/> sweeps 10 s apart of four domains with four vCPUs each, and the host; with
    /// <paramref name="devices"/>, each domain also has a disk, a network interface and a CPU quota.
    /// </summary>
    internal static void AppendSweeps(HistoryStore store, DateTimeOffset start, int sweeps, int domains = 4, int seed = 42, bool devices = false)
    {
        // Figures shaped like a busy host's: ready mostly under 1 % with bursts to 15 %, CPU up to 4 CPUs, overhead
        // 5-30 %. Rounding to basis points keeps two decimals, so the random tail does not flatter the encoding. The
        // devices of a mostly quiet server: a disk with under one request in flight, 0.1-5 ms per request, reading
        // up to 64 KiB/s and writing up to 1 MiB/s, with bursts to 50 MiB/s; an interface moving up to 1 MiB/s;
        // throttled in 1 interval of 20; QEMU's resident memory 4-4.25 GiB; the host's one busy disk.
        var random = new Random(seed);
        for (int i = 0; i < sweeps; i++)
        {
            var figures = new List<DomainFigures>(domains);
            for (int d = 0; d < domains; d++)
            {
                VcpuFigures[] vcpus = Enumerable.Range(0, 4)
                    .Select(v => new VcpuFigures(v, random.NextDouble() * 100, random.Next(10) == 0 ? random.NextDouble() * 15 : random.NextDouble()))
                    .ToArray();
                var domain = new DomainFigures($"vm-{d:D3}.example.com", 10_000_000_000, vcpus, vcpus.Sum(v => v.UsedPercent),
                    vcpus.Average(v => v.ReadyPercent), vcpus.Max(v => v.ReadyPercent), 5 + random.NextDouble() * 25)
                {
                    RssKiB = 4_194_304 + random.Next(262_144),
                };
                if (devices)
                {
                    bool burst = random.Next(20) == 0;
                    domain = domain with
                    {
                        Disks = [new DiskFigures("vda", random.NextDouble() * (burst ? 30 : 0.8), 0.1 + random.NextDouble() * 5,
                            random.NextDouble() * 64 * 1024, random.NextDouble() * (burst ? 50 : 1) * 1024 * 1024)],
                        Interfaces = [new InterfaceFigures($"vnet{d}", random.NextDouble() * 1024 * 1024, random.NextDouble() * 256 * 1024)],
                        ThrottledPercent = random.Next(20) == 0 ? random.NextDouble() * 40 : 0,
                    };
                }

                figures.Add(domain);
            }

            store.Append(start.AddSeconds(10 * i), figures,
                new HostGauges(random.NextDouble() * 2, 85 + random.NextDouble() * 15, new StallPercent(random.NextDouble() * 20, 0),
                    new StallPercent(random.NextDouble(), random.NextDouble()), new StallPercent(random.NextDouble() * 5, random.NextDouble()))
                {
                    Disks = devices ? [new HostDiskFigures("sda", (ulong)random.Next(4), random.NextDouble() * 3, 0.1 + random.NextDouble() * 2)] : [],
                });
        }
    }

    private static long Count(HistoryStore store, string table)
    {
        using var connection = new SqliteConnection($"Data Source={store.Path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    private static object Pragma(SqliteConnection connection, string name)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return command.ExecuteScalar()!;
    }
}
