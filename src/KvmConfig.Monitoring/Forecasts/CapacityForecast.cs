using KvmConfig.Core.Forecasting;
using KvmConfig.Core.Specs;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Forecasts;

/// <summary>What one node gives VMs, against which its history's load is forecast.</summary>
/// <param name="Name">The node, as the answer names it.</param>
/// <param name="Cpus">CPUs for VMs: its cpuset less the reserved CPUs, online.</param>
/// <param name="MemoryMiB">
/// Memory for VMs: its memory less <c>memory_reserved</c> and its huge page pools (guest RAM in huge pages is not in
/// QEMU's resident memory, so the pools are left out of both sides).
/// </param>
public sealed record NodeCapacity(string Name, int Cpus, long MemoryMiB);

/// <summary>
/// <c>kvmconfig capacity --from-history</c> as a library call: when the VMs, growing as the history shows, will need
/// another node. The VMs' CPU use together (<c>vm_cpu</c>, in percent of one CPU) is forecast against the CPUs the
/// nodes give VMs (100 % each), and their resident memory together (<c>vm_memory</c>) against the memory the nodes
/// give VMs: where either is expected to reach them, the nodes are full and the next VM, or the next day's growth,
/// needs another node; the sooner of the two binds. Each history is one node's (<c>serve</c> writes one per host);
/// with several, each node's VMs are added up step by step over the time all the histories cover. The hosts' CPU
/// pressure against its <c>[alerts]</c> warning (the most urgent node's) says when contention is expected first.
/// </summary>
/// <param name="Histories">Every node's measures and their forecasts, as <c>report --forecast</c> gives them, in the order given.</param>
/// <param name="Nodes">What each node gives VMs, in the order of <paramref name="Histories"/>.</param>
/// <param name="VmCpu">The VMs' CPU use together, forecast against <see cref="CpusForVms"/>; null when no VM was measured or the histories share no time.</param>
/// <param name="VmMemory">
/// The VMs' resident memory together, in MiB, forecast against <see cref="MemoryForVmsMiB"/>; null when no history
/// keeps it (before schema 3) or they share no time.
/// </param>
/// <param name="CpuPressure">The most urgent node's CPU pressure against its warning; null when no history has it.</param>
public sealed record CapacityForecast(
    IReadOnlyList<HistoryForecast> Histories, IReadOnlyList<NodeCapacity> Nodes, SeriesForecast? VmCpu, SeriesForecast? VmMemory, MeasureForecast? CpuPressure)
{
    /// <summary>The first history's forecast (the only one for a single node).</summary>
    public HistoryForecast History => Histories[0];

    /// <summary>CPUs the nodes give VMs together.</summary>
    public int CpusForVms => Nodes.Sum(n => n.Cpus);

    /// <summary>Memory the nodes give VMs together, MiB.</summary>
    public long MemoryForVmsMiB => Nodes.Sum(n => n.MemoryMiB);

    /// <summary>
    /// Which dimension needs another node first: <c>cpu</c> or <c>memory</c>, by the crossings' urgency (already
    /// reached, then the expected time, then where the upper band reaches it); null when neither was forecast.
    /// </summary>
    public string? Binds =>
        (VmCpu?.Crossing, VmMemory?.Crossing) switch
        {
            (null, null) => null,
            ({ }, null) => "cpu",
            (null, { }) => "memory",
            ({ } cpu, { } memory) => memory.Urgency.CompareTo(cpu.Urgency) < 0 ? "memory" : "cpu",
        };

    /// <summary>The crossing of the dimension that binds (<see cref="Binds"/>), or null.</summary>
    public Crossing? AnotherNode => Binds switch
    {
        "cpu" => VmCpu?.Crossing,
        "memory" => VmMemory?.Crossing,
        _ => null,
    };

    /// <summary>
    /// Reads each node's history up to <paramref name="until"/> (null: all) and forecasts for
    /// <paramref name="horizon"/> against what the nodes give VMs; throws KVC084 when a history is too short
    /// (<see cref="HistoryForecast.Read"/>).
    /// </summary>
    public static CapacityForecast Read(
        IReadOnlyList<(HistoryStore History, NodeCapacity Node)> nodes, AlertThresholds thresholds, TimeSpan horizon, DateTimeOffset? until = null)
    {
        List<HistoryForecast> all = [.. nodes.Select(n => HistoryForecast.Read(n.History, thresholds, horizon, until))];
        List<NodeCapacity> capacities = [.. nodes.Select(n => n.Node)];
        MeasureForecast? pressure = all.Select(h => h.Find("host", "cpu_pressure")).OfType<MeasureForecast>().OrderBy(m => m.Urgency).FirstOrDefault();
        return new CapacityForecast(
            all,
            capacities,
            Total(all, "vm_cpu", 100.0 * capacities.Sum(n => n.Cpus), horizon),
            Total(all, "vm_memory", capacities.Sum(n => n.MemoryMiB), horizon),
            pressure);
    }

    // The nodes' measure added up over the time every history covers, forecast against the threshold. A node whose
    // history measured no VM adds nothing; one that measured VMs but not this (memory before schema 3) leaves the
    // total unknown rather than short.
    private static SeriesForecast? Total(List<HistoryForecast> all, string measure, double threshold, TimeSpan horizon)
    {
        List<HistoryForecast> withVms = [.. all.Where(h => h.Find("host", "vm_cpu")?.Measured is not null)];
        List<RegularSeries?> measured = [.. withVms.Select(h => h.Find("host", measure)?.Measured)];
        if (measured.Count == 0 || measured.Any(m => m is null) || RegularSeries.Sum([.. measured.OfType<RegularSeries>()]) is not { } total)
        {
            return null;
        }

        int season = withVms.All(h => h.SeasonLength > 0) && total.Step == TimeSpan.FromHours(1) ? Forecaster.DailySeason : 0;
        return Forecaster.Run(total, season, threshold, horizon, lowest: 0);
    }
}
