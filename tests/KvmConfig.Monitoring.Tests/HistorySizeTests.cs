using KvmConfig.Monitoring.History;
using Xunit.Abstractions;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// How big the history grows (issue 5 item 8: size per domain per day, for 200 domains kept 7 days): a day of 10 s
/// sweeps appended to a real file, whose size is divided by the domains.
/// </summary>
public sealed class HistorySizeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-history-size-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// Measured with schema 2 and this generator, per domain per day: without devices 434 KiB (4 domains) and 333 KiB
    /// (20 domains), where schema 1 took 401 and 304 (the three device columns cost a byte each when NULL); with a
    /// disk, an interface and a CPU quota each, 543 and 443 KiB (about 14 bytes more per domain per sweep). Schema 3
    /// adds each domain's resident memory (4 bytes a row here) and, with devices, the host's busy disk: 475 and 372 KiB
    /// without devices, 595 and 484 KiB with.
    /// </summary>
    [Theory]
    [InlineData(4, false, 512)]
    [InlineData(20, false, 512)]
    [InlineData(4, true, 640)]
    [InlineData(20, true, 640)]
    public void A_day_of_10_s_sweeps_costs_about_half_a_MiB_per_domain(int domains, bool devices, int limitKiB)
    {
        // Given a day of sweeps every 10 s (8640) of domains with 4 vCPUs each, with the host's figures, and with a
        // disk, an interface and a CPU quota per domain or without
        const int SweepsPerDay = 24 * 60 * 60 / 10;
        string path = Path.Combine(_dir, $"day-{domains}-{devices}.db");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (HistoryStore store = HistoryStore.Open(path))
        {
            HistoryStoreTests.AppendSweeps(store, new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero), SweepsPerDay, domains, devices: devices);
        }

        // When the file is closed (the WAL checkpointed into it)
        long bytes = new FileInfo(path).Length;
        double perDomainPerDay = (double)bytes / domains;

        // Then, divided by the domains
        output.WriteLine(
            $"{domains} domains x 4 vCPUs{(devices ? " with a disk, an interface and a quota" : "")}, {SweepsPerDay} sweeps: {bytes} bytes, {perDomainPerDay / 1024:F0} KiB per domain per day "
            + $"({perDomainPerDay / SweepsPerDay:F1} bytes per domain per sweep), appended in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.False(File.Exists(path + "-wal"));
        Assert.InRange(perDomainPerDay, 1, limitKiB * 1024);
    }
}
