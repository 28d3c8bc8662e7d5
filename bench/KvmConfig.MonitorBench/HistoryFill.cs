using System.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.History;
using Microsoft.Data.Sqlite;

namespace KvmConfig.MonitorBench;

/// <summary>What a history file holds, counted with SQL outside <see cref="HistoryStore"/>.</summary>
/// <param name="Sweeps">Rows of <c>sweep</c>.</param>
/// <param name="DomainRows">Rows of <c>domain_figures</c>.</param>
/// <param name="First">The oldest sweep.</param>
/// <param name="Last">The newest sweep.</param>
internal sealed record HistoryContent(long Sweeps, long DomainRows, DateTimeOffset First, DateTimeOffset Last);

/// <summary>
/// Pre-fills a history database as <c>kvmconfig serve --history</c> would leave it after <c>days</c> days with a sweep
/// every 10 s: one <see cref="HistoryStore.Append"/> per sweep (one transaction each, as the exporter makes them) with
/// every domain's figures and the host's gauges, drawn from <c>Random(seed)</c>.
/// </summary>
/// <remarks>
/// The figures follow each synthetic vCPU's rates (<see cref="SyntheticVcpu"/>): used % is its run share times 0.5 to 1.5,
/// ready % its wait share times 0 to 2, and one row in a hundred has a ready spike ten times higher. A domain's memory
/// overhead is fixed per domain (2 to 30 %) with +-0.5 points of noise. The host's retransmit % is 0 to 1, reclaim
/// efficiency is unknown (no page scanned) in 9 sweeps of 10, and each pressure's <c>some</c> is 0 to 5 % and
/// <c>full</c> a fifth of it. Each domain has one disk (<c>vda</c>: queue depth 0 to 2, latency 0.2 to 5.2 ms, 0 to
/// 5 MB/s read and half that written), one interface (0 to 1 MB/s each way), the same I/O on one host device, and in one
/// sweep of ten a throttled % of 0 to 10 (<c>cpu_limit</c> at work). The values matter because the history stores basis points as SQLite varints: the file
/// size depends on them.
/// </remarks>
internal static class HistoryFill
{
    /// <summary>The exporter's default interval.</summary>
    public static readonly TimeSpan Cadence = TimeSpan.FromSeconds(10);

    /// <summary>Sweeps in a day at <see cref="Cadence"/>.</summary>
    public const int SweepsPerDay = 8640;

    /// <summary>Appends <paramref name="days"/> days of sweeps ending at <paramref name="end"/> to a new history at <paramref name="path"/>.</summary>
    /// <returns>How many sweeps were written and how long it took.</returns>
    public static (int Sweeps, TimeSpan Took) Fill(string path, IReadOnlyList<SyntheticDomain> domains, int days, DateTimeOffset end, int seed,
        Action<string> progress, CancellationToken cancel)
    {
        var random = new Random(seed);
        double[] overhead = [.. domains.Select(_ => 2 + (28 * random.NextDouble()))];
        int sweeps = days * SweepsPerDay;
        DateTimeOffset first = end - ((sweeps - 1) * Cadence);
        var clock = Stopwatch.StartNew();
        using HistoryStore store = HistoryStore.Open(path);
        var figures = new DomainFigures[domains.Count];
        for (int s = 0; s < sweeps; s++)
        {
            for (int d = 0; d < domains.Count; d++)
            {
                figures[d] = Figures(domains[d], d, overhead[d], random);
            }

            store.Append(first + (s * Cadence), figures, Host(random));
            if ((s + 1) % SweepsPerDay == 0)
            {
                cancel.ThrowIfCancellationRequested();
                progress($"history     day {(s + 1) / SweepsPerDay}/{days} written, {clock.Elapsed.TotalSeconds:F0} s so far");
            }
        }

        return (sweeps, clock.Elapsed);
    }

    /// <summary>Counts the sweeps and domain rows of a history file and its time range (read-only, no <see cref="HistoryStore"/>).</summary>
    public static HistoryContent Content(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        long Scalar(string sql)
        {
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }

        return new HistoryContent(
            Scalar("SELECT count(*) FROM sweep"),
            Scalar("SELECT count(*) FROM domain_figures"),
            DateTimeOffset.FromUnixTimeMilliseconds(Scalar("SELECT min(at_unix_ms) FROM sweep")),
            DateTimeOffset.FromUnixTimeMilliseconds(Scalar("SELECT max(at_unix_ms) FROM sweep")));
    }

    private static DomainFigures Figures(SyntheticDomain domain, int index, double overhead, Random random)
    {
        bool spike = random.NextDouble() < 0.01;
        var vcpus = new List<VcpuFigures>(domain.Vcpus.Count);
        foreach (SyntheticVcpu vcpu in domain.Vcpus)
        {
            double used = 100 * vcpu.RunShare * (0.5 + random.NextDouble());
            double ready = 100 * vcpu.WaitShare * 2 * random.NextDouble() * (spike ? 10 : 1);
            vcpus.Add(new VcpuFigures(vcpu.Vcpu, Math.Min(100, used), ready));
        }

        // One disk, one NIC and one host device per guest, as SyntheticSweeper's stand-ins for libvirt give them.
        double readBytes = 1_000_000 * 5 * random.NextDouble();
        return new DomainFigures(domain.Name, (long)Cadence.TotalNanoseconds, vcpus, vcpus.Sum(v => v.UsedPercent),
            vcpus.Average(v => v.ReadyPercent), vcpus.Max(v => v.ReadyPercent), overhead + random.NextDouble() - 0.5)
        {
            Disks = [new DiskFigures("vda", 2 * random.NextDouble(), 0.2 + (5 * random.NextDouble()), readBytes, readBytes / 2)],
            Interfaces = [new InterfaceFigures($"vnet{index}", 1_000_000 * random.NextDouble(), 1_000_000 * random.NextDouble())],
            HostIo = [new HostIoFigures("254:0", readBytes, readBytes / 2, readBytes / 16_384, readBytes / 32_768)],
            ThrottledPercent = random.NextDouble() < 0.1 ? 10 * random.NextDouble() : null,
        };
    }

    private static HostGauges Host(Random random)
    {
        StallPercent Stall()
        {
            double some = 5 * random.NextDouble();
            return new StallPercent(some, some / 5);
        }

        return new HostGauges(random.NextDouble(), random.NextDouble() < 0.1 ? 80 + (20 * random.NextDouble()) : null, Stall(), Stall(), Stall());
    }
}
