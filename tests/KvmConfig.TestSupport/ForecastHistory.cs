using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.History;

namespace KvmConfig.TestSupport;

/// <summary>
/// Writes generated histories (<see cref="ForecastCases"/>) into a real history file through the real
/// <see cref="HistoryStore"/>, as <c>serve</c> would have: one domain per case, whose highest vCPU's ready % is the
/// case's samples, from <see cref="ForecastCases.T0"/>.
/// </summary>
public static class ForecastHistory
{
    /// <summary>
    /// Writes <paramref name="days"/> of sweeps every <paramref name="interval"/> at <paramref name="path"/>: each
    /// case a domain of 2 vCPUs (the first at half the second's ready %) with one disk at 1 request and 10 % memory
    /// overhead; its CPU use is <paramref name="cpu"/> (domain, days from T0; default 20 % of one CPU); the host
    /// with CPU pressure at 3 %. With <paramref name="memoryMiB"/> (domain, days from T0), each domain's resident
    /// memory, and the host's disk sda with <paramref name="hostQueue"/> requests (days from T0) when given.
    /// </summary>
    public static void Write(
        string path, IEnumerable<ForecastCase> cases, double days, TimeSpan interval, Func<string, double, double>? cpu = null,
        Func<string, double, double>? memoryMiB = null, Func<double, double>? hostQueue = null)
    {
        List<(ForecastCase Case, List<(DateTimeOffset At, double Value)> Samples)> all = [.. cases.Select(c => (c, c.Samples(days, interval).ToList()))];
        using HistoryStore store = HistoryStore.Open(path);
        int sweeps = all.Count == 0 ? 0 : all[0].Samples.Count;
        for (int i = 0; i < sweeps; i++)
        {
            DateTimeOffset at = all[0].Samples[i].At;
            double t = (at - ForecastCases.T0).TotalDays;
            var figures = new List<DomainFigures>();
            foreach ((ForecastCase c, List<(DateTimeOffset At, double Value)> samples) in all)
            {
                double ready = samples[i].Value;
                double used = cpu?.Invoke(c.Name, t) ?? 20;
                figures.Add(new DomainFigures(c.Name, (long)interval.TotalNanoseconds, [new VcpuFigures(0, used / 2, ready / 2), new VcpuFigures(1, used / 2, ready)],
                    used, ready * 0.75, ready, 10)
                {
                    Disks = [new DiskFigures("vda", 1, 0.5, 4096, 4096)],
                    RssKiB = memoryMiB is null ? null : (long)(memoryMiB(c.Name, t) * 1024),
                });
            }

            store.Append(at, figures, new HostGauges(0.1, 99, new StallPercent(3, 0), new StallPercent(0.5, 0), new StallPercent(1, 0))
            {
                Disks = hostQueue is null ? [] : [new HostDiskFigures("sda", 0, hostQueue(t), 1)],
            });
        }
    }
}
