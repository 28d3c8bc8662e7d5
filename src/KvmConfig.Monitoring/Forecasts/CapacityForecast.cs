using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Forecasts;

/// <summary>
/// <c>kvmconfig capacity --from-history</c> as a library call: when the VMs, growing as the history shows, will need
/// another node. The VMs' CPU use together (<c>vm_cpu</c>, in percent of one CPU) is forecast against the CPUs the
/// nodes give VMs (100 % each): where it is expected to reach them, the nodes are full and the next VM, or the next
/// day's growth, needs another node. Each history is one node's (<c>serve</c> writes one per host); with several,
/// the VMs' CPU use of every node is added up step by step over the time all of them cover. The hosts' CPU pressure
/// against its <c>[alerts]</c> warning (the most urgent node's) says when contention is expected first. Memory is
/// not forecast here: the history keeps each VM's overhead share, not the memory it uses.
/// </summary>
/// <param name="Histories">Every node's measures and their forecasts, as <c>report --forecast</c> gives them, in the order given.</param>
/// <param name="CpusForVms">CPUs the nodes give VMs together (each node's cpuset less the reserved CPUs, online).</param>
/// <param name="VmCpu">The VMs' CPU use together, forecast against <paramref name="CpusForVms"/>; null when no VM was measured or the histories share no time.</param>
/// <param name="CpuPressure">The most urgent node's CPU pressure against its warning; null when no history has it.</param>
public sealed record CapacityForecast(IReadOnlyList<HistoryForecast> Histories, int CpusForVms, SeriesForecast? VmCpu, MeasureForecast? CpuPressure)
{
    /// <summary>The first history's forecast (the only one for a single node).</summary>
    public HistoryForecast History => Histories[0];

    /// <summary>One node's history: <see cref="Read(IReadOnlyList{HistoryStore}, AlertThresholds, int, TimeSpan, DateTimeOffset?)"/> of one.</summary>
    public static CapacityForecast Read(HistoryStore history, AlertThresholds thresholds, int cpusForVms, TimeSpan horizon, DateTimeOffset? until = null) =>
        Read([history], thresholds, cpusForVms, horizon, until);

    /// <summary>
    /// Reads every node's history up to <paramref name="until"/> (null: all) and forecasts for
    /// <paramref name="horizon"/>; throws KVC084 when a history is too short (<see cref="HistoryForecast.Read"/>).
    /// </summary>
    public static CapacityForecast Read(IReadOnlyList<HistoryStore> histories, AlertThresholds thresholds, int cpusForVms, TimeSpan horizon, DateTimeOffset? until = null)
    {
        List<HistoryForecast> all = [.. histories.Select(h => HistoryForecast.Read(h, thresholds, horizon, until))];
        List<RegularSeries> measured = [.. all.Select(h => h.Find("host", "vm_cpu")?.Measured).OfType<RegularSeries>()];
        RegularSeries? total = measured.Count == 0 ? null : RegularSeries.Sum(measured);
        int season = all.All(h => h.SeasonLength > 0) && total?.Step == TimeSpan.FromHours(1) ? Forecaster.DailySeason : 0;
        SeriesForecast? vmCpu = total is null ? null : Forecaster.Run(total, season, 100.0 * cpusForVms, horizon, lowest: 0);
        MeasureForecast? pressure = all.Select(h => h.Find("host", "cpu_pressure")).OfType<MeasureForecast>().OrderBy(m => m.Urgency).FirstOrDefault();
        return new CapacityForecast(all, cpusForVms, vmCpu, pressure);
    }
}
