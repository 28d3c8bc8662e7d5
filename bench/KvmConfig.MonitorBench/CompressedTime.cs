using System.Diagnostics;

namespace KvmConfig.MonitorBench;

/// <summary>
/// A wall clock that runs <paramref name="factor"/> times faster than real time from <paramref name="start"/>, for an
/// exporter that sweeps every 100 ms standing for every 10 s (factor 100). The exporter takes history timestamps, the
/// retention cut-off and the prune schedule from <see cref="GetUtcNow"/>, so on this clock each sweep is 10 s later than
/// the one before, and the default one-hour prune deletes an hour of the oldest sweeps (360 x 200 rows) every 36 s, as
/// a week-old history at the 10 s cadence does every hour. Timers and intervals (<see cref="TimeProvider.GetTimestamp"/>,
/// <see cref="TimeProvider.CreateTimer"/>) stay real: the sweeps really come every 100 ms.
/// </summary>
internal sealed class CompressedTime(DateTimeOffset start, double factor) : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => start + (Stopwatch.GetElapsedTime(_origin) * factor);
}
