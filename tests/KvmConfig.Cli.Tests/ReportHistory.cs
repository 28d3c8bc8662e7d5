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

    private static DomainFigures Domain(string name, double[] ready, double overhead, double queue) =>
        new(name, 10_000_000_000, [.. ready.Select((r, v) => new VcpuFigures(v, 20, r))], 20 * ready.Length, ready.Average(), ready.Max(), overhead)
        {
            Disks = [new DiskFigures("vda", queue, 0.8, 64 * 1024, 512 * 1024)],
            Interfaces = [new InterfaceFigures("vnet0", 100 * 1024, 20 * 1024)],
        };
}
