using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// A history with known contents for <c>report</c>: two hours of 10 s sweeps (720, more than a chart line keeps)
/// from <see cref="T0"/>, of three domains made to be worst at different things.
/// <list type="bullet">
/// <item><c>db1</c>, 2 vCPUs: ready about 2 %, and vCPU 1 at 30 % for three minutes from minute 60 (critical
/// alert raised then cleared). The worst offender by CPU ready.</item>
/// <item><c>web1</c>, 2 vCPUs: ready under 1 %, memory overhead 40 % all along (a warning raised at the first
/// sweep and never cleared), disk <c>vda</c> at 250 requests in flight for a minute from minute 90 (raised and
/// cleared).</item>
/// <item><c>web&lt;2&gt;&amp;"x"</c>, 1 vCPU: quiet; a name that must be escaped in HTML. It starts at minute 30,
/// so its lines begin later.</item>
/// </list>
/// The host has figures at every sweep.
/// </summary>
internal static class ReportHistory
{
    /// <summary>The first sweep.</summary>
    public static readonly DateTimeOffset T0 = new(2025, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The domain whose name needs escaping.</summary>
    public const string OddName = "web<2>&\"x\"";

    /// <summary>Sweeps written.</summary>
    public const int Sweeps = 720;

    /// <summary>Writes the history at <paramref name="path"/>.</summary>
    public static void Write(string path)
    {
        using HistoryStore store = HistoryStore.Open(path);
        // Each interval judged alone (no hold, no margin), so that the spikes below are alerts of their own
        AlertThresholds thresholds = AlertThresholds.Default with { HoldFor = TimeSpan.Zero, ClearMarginPercent = 0 };
        var transitions = new AlertTransitions(thresholds);
        for (int i = 0; i < Sweeps; i++)
        {
            DateTimeOffset at = T0.AddSeconds(10 * i);
            double minute = i / 6.0;
            double spike = minute is >= 60 and < 63 ? 30 : 2.5;
            var figures = new List<DomainFigures>
            {
                Domain("db1", [2, spike], overhead: 8, queue: 0.5),
                Domain("web1", [0.5, 0.75], overhead: 40, queue: minute is >= 90 and < 91 ? 250 : 1.5),
            };
            if (minute >= 30)
            {
                figures.Add(Domain(OddName, [0.25], overhead: 12, queue: 0.25));
            }

            var host = new HostGauges(TcpRetransmitPercent: i % 100 == 0 ? 6 : 0.5, ReclaimEfficiencyPercent: 97,
                CpuPressure: new StallPercent(minute is >= 60 and < 63 ? 40 : 3, null), MemoryPressure: new StallPercent(0.5, 0), IoPressure: new StallPercent(1, 0.5));
            IEnumerable<AlertFigure> watched = figures.SelectMany(f => AlertRules.Watch(f, thresholds));
            store.Append(at, figures, host, transitions.Update(watched, i * 10_000_000_000L));
        }
    }

    /// <summary>
    /// Writes at <paramref name="path"/> two hours of 20 s sweeps from <see cref="T0"/> of <paramref name="domains"/>
    /// domains drawn from a seeded series, for the page's layout at scale: names from 4 to 43 characters; CPU ready
    /// mostly under 3 %, every seventh domain with stretches at the warning level, every eleventh with critical
    /// spikes; every ninth stopped for half an hour (a hole in its row); memory overhead from 2 % to 900 % (tiny
    /// guests); host figures with noise.
    /// </summary>
    public static void WriteMany(string path, int domains, int seed)
    {
        var random = new Random(seed);
        string[] words = ["db", "web", "cache", "queue", "portal", "frontend", "reporting", "canary", "euwest", "runner"];
        string[] names = [.. Enumerable.Range(0, domains).Select(d => d switch
        {
            0 => "vm-0",
            1 => "customer-portal-frontend-canary-eu-west-001",
            _ => $"{string.Join('-', Enumerable.Range(0, 1 + (d % 3)).Select(_ => words[random.Next(words.Length)]))}-{d:000}",
        })];
        double[] baseReady = [.. names.Select(_ => random.NextDouble() * 3)];
        double[] overhead = [.. names.Select((_, d) => d % 13 == 5 ? 300 + (random.NextDouble() * 600) : 2 + (random.NextDouble() * 20))];
        using HistoryStore store = HistoryStore.Open(path);
        AlertThresholds thresholds = AlertThresholds.Default with { HoldFor = TimeSpan.Zero, ClearMarginPercent = 0 };
        var transitions = new AlertTransitions(thresholds);
        const int sweeps = 360;
        for (int i = 0; i < sweeps; i++)
        {
            DateTimeOffset at = T0.AddSeconds(20 * i);
            double minute = i / 3.0;
            var figures = new List<DomainFigures>();
            for (int d = 0; d < domains; d++)
            {
                if (d % 9 == 4 && minute is >= 40 and < 70)
                {
                    continue;
                }

                double ready = baseReady[d] * (0.5 + random.NextDouble());
                ready += d % 7 == 3 && ((int)minute / 15) % 2 == 1 ? 5 + (random.NextDouble() * 4) : 0;
                ready += d % 11 == 2 && random.Next(40) == 0 ? 10 + (random.NextDouble() * 30) : 0;
                figures.Add(Domain(names[d], [ready / 2, ready], overhead[d] * (0.9 + (random.NextDouble() * 0.2)), random.NextDouble() * 4));
            }

            var host = new HostGauges(TcpRetransmitPercent: random.NextDouble() * 2, ReclaimEfficiencyPercent: 90 + (random.NextDouble() * 10),
                CpuPressure: new StallPercent(random.NextDouble() * 30, null), MemoryPressure: new StallPercent(random.NextDouble(), 0), IoPressure: new StallPercent(random.NextDouble() * 5, 0.5));
            store.Append(at, figures, host, transitions.Update(figures.SelectMany(f => AlertRules.Watch(f, thresholds)), i * 20_000_000_000L));
        }
    }

    private static DomainFigures Domain(string name, double[] ready, double overhead, double queue) =>
        new(name, 10_000_000_000, [.. ready.Select((r, v) => new VcpuFigures(v, 20, r))], 20 * ready.Length, ready.Average(), ready.Max(), overhead)
        {
            Disks = [new DiskFigures("vda", queue, 0.8, 64 * 1024, 512 * 1024)],
            Interfaces = [new InterfaceFigures("vnet0", 100 * 1024, 20 * 1024)],
        };
}
