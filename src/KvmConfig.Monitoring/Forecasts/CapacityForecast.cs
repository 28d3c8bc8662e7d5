using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Forecasts;

/// <summary>
/// <c>kvmconfig capacity --from-history</c> as a library call: when the host's VMs, growing as the history shows,
/// will need another node. The VMs' CPU use together (<c>vm_cpu</c>, in percent of one CPU) is forecast against the
/// CPUs the node gives VMs (100 % each): where it is expected to reach them, the node is full and the next VM, or
/// the next day's growth, needs another node. The host's CPU pressure against its <c>[alerts]</c> warning says when
/// contention is expected first. Memory is not forecast here: the history keeps each VM's overhead share, not the
/// memory it uses.
/// </summary>
/// <param name="History">Every measure's forecast, as <c>report --forecast</c> gives it.</param>
/// <param name="CpusForVms">CPUs of the node VMs may use (its cpuset less the reserved CPUs, online).</param>
/// <param name="VmCpu">The VMs' CPU use together, forecast against <paramref name="CpusForVms"/>; null when no VM was measured.</param>
/// <param name="CpuPressure">The host's CPU pressure against its warning; null when the history has none.</param>
public sealed record CapacityForecast(HistoryForecast History, int CpusForVms, SeriesForecast? VmCpu, MeasureForecast? CpuPressure)
{
    /// <summary>
    /// Reads <paramref name="history"/> up to <paramref name="until"/> (null: all) and forecasts for
    /// <paramref name="horizon"/>; throws KVC084 when the history is too short (<see cref="HistoryForecast.Read"/>).
    /// </summary>
    public static CapacityForecast Read(HistoryStore history, AlertThresholds thresholds, int cpusForVms, TimeSpan horizon, DateTimeOffset? until = null)
    {
        HistoryForecast all = HistoryForecast.Read(history, thresholds, horizon, until);
        SeriesForecast? vmCpu = all.Find("host", "vm_cpu") is { Measured: { } measured, Forecast: not null }
            ? Forecaster.Run(measured, all.SeasonLength, 100.0 * cpusForVms, horizon, lowest: 0)
            : null;
        return new CapacityForecast(all, cpusForVms, vmCpu, all.Find("host", "cpu_pressure"));
    }
}
