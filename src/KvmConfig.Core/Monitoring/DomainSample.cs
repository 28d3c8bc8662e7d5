namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One reading of one running domain: its vCPU threads' scheduler counters and its QEMU process's resident memory,
/// taken at <see cref="AtNs"/> on a monotonic clock the caller owns (Core reads no clock).
/// </summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Pid">Its QEMU process: a different pid in the next sample means the domain restarted.</param>
/// <param name="AtNs">When the reading was taken, in nanoseconds of the caller's monotonic clock.</param>
/// <param name="Vcpus">Each vCPU thread with its schedstat, by vCPU number.</param>
/// <param name="RssKiB">QEMU's resident memory, or null when unknown.</param>
/// <param name="GuestMemoryKiB">The guest's memory size, or null when unknown.</param>
public sealed record DomainSample(string Domain, int Pid, long AtNs, IReadOnlyList<VcpuThread> Vcpus, long? RssKiB, long? GuestMemoryKiB);

/// <summary>One vCPU's share of an interval: running and waiting in the run queue (ready, steal to the guest).</summary>
/// <param name="Vcpu">vCPU number.</param>
/// <param name="UsedPercent">Time on a CPU, percent of the interval.</param>
/// <param name="ReadyPercent">Time runnable but waiting, percent of the interval (CPU ready).</param>
public sealed record VcpuFigures(int Vcpu, double UsedPercent, double ReadyPercent);

/// <summary>A domain's figures over the interval between two samples (DESIGN.md section 5).</summary>
/// <param name="Domain">Domain name.</param>
/// <param name="IntervalNs">Length of the interval.</param>
/// <param name="Vcpus">Per vCPU; a vCPU missing from either sample, or whose counters went backwards, is left out.</param>
/// <param name="CpuPercent">The vCPUs' run time together, percent of one CPU (200 = two CPUs busy).</param>
/// <param name="ReadyPercent">Mean ready % over the vCPUs.</param>
/// <param name="ReadyPercentMax">The highest vCPU's ready %.</param>
/// <param name="MemoryOverheadPercent">(RSS - guest memory) / guest memory at the later sample, or null.</param>
public sealed record DomainFigures(
    string Domain,
    long IntervalNs,
    IReadOnlyList<VcpuFigures> Vcpus,
    double CpuPercent,
    double ReadyPercent,
    double ReadyPercentMax,
    double? MemoryOverheadPercent)
{
    /// <summary>
    /// The figures between <paramref name="before"/> and <paramref name="after"/>, or null when they cannot be compared:
    /// another domain, a restarted domain (another QEMU process: its counters started again), or no time between them.
    /// </summary>
    public static DomainFigures? Between(DomainSample before, DomainSample after)
    {
        long elapsed = after.AtNs - before.AtNs;
        if (before.Domain != after.Domain || before.Pid != after.Pid || elapsed <= 0)
        {
            return null;
        }

        var vcpus = new List<VcpuFigures>();
        foreach (VcpuThread now in after.Vcpus)
        {
            if (before.Vcpus.FirstOrDefault(v => v.Vcpu == now.Vcpu && v.Tid == now.Tid) is not { } was)
            {
                continue;
            }

            if (Metrics.CpuUsedPercent(was.Schedstat, now.Schedstat, elapsed) is { } used
                && Metrics.CpuReadyPercent(was.Schedstat, now.Schedstat, elapsed) is { } ready)
            {
                vcpus.Add(new VcpuFigures(now.Vcpu, used, ready));
            }
        }

        double? overhead = after.RssKiB is { } rss && after.GuestMemoryKiB is { } guest ? Metrics.MemoryOverheadPercent(rss, guest) : null;
        return new DomainFigures(
            after.Domain,
            elapsed,
            vcpus,
            vcpus.Sum(v => v.UsedPercent),
            vcpus.Count == 0 ? 0 : vcpus.Average(v => v.ReadyPercent),
            vcpus.Count == 0 ? 0 : vcpus.Max(v => v.ReadyPercent),
            overhead);
    }
}
