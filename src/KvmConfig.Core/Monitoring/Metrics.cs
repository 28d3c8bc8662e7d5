namespace KvmConfig.Core.Monitoring;

/// <summary>
/// The monitoring figures of DESIGN.md section 5, each from two readings (before, after) and, for shares of wall
/// time, the interval measured by the caller's monotonic clock. Every figure is null when there is no meaningful
/// value for the interval: a counter restarted (see <see cref="Counter"/>), nothing was counted, or the interval is
/// not positive.
/// </summary>
public static class Metrics
{
    /// <summary>
    /// CPU ready % of a vCPU: delta(run-queue wait, ns) / delta(wall, ns) x 100, the share of the interval the vCPU
    /// thread was runnable but not running, which the guest sees as steal. Warning at 5 %, critical at 10 %.
    /// </summary>
    public static double? CpuReadyPercent(TaskSchedstat before, TaskSchedstat after, long elapsedNs) =>
        Counter.PercentOfWallNs(before.WaitNs, after.WaitNs, elapsedNs);

    /// <summary>CPU used % of a thread: delta(run time, ns) / delta(wall, ns) x 100.</summary>
    public static double? CpuUsedPercent(TaskSchedstat before, TaskSchedstat after, long elapsedNs) =>
        Counter.PercentOfWallNs(before.RunNs, after.RunNs, elapsedNs);

    /// <summary>
    /// TCP retransmit %: delta(RetransSegs) / delta(OutSegs) x 100; null when no segment was sent. The seed warns
    /// above 5 %.
    /// </summary>
    public static double? TcpRetransmitPercent(TcpSegmentCounters before, TcpSegmentCounters after) =>
        Counter.PercentOf(before.RetransSegs, after.RetransSegs, before.OutSegs, after.OutSegs);

    /// <summary>
    /// Page-reclaim efficiency %: delta(pgsteal) / delta(pgscan) x 100; null when nothing was scanned (no reclaim,
    /// which is good, not 0 % efficient). The seed warns below 85 %.
    /// </summary>
    public static double? ReclaimEfficiencyPercent(PageReclaimCounters before, PageReclaimCounters after) =>
        Counter.PercentOf(before.StolenPages, after.StolenPages, before.ScannedPages, after.ScannedPages);

    /// <summary>
    /// Memory overhead % of a VM: QEMU's resident memory outside the guest RAM mappings / guest memory x 100, i.e.
    /// (QEMU RSS - guest memory in use) / guest memory, where "in use" is what the guest has touched of its RAM (see
    /// <see cref="QemuMemory.Of"/>). Never negative. Null when the guest memory is not positive.
    /// </summary>
    public static double? MemoryOverheadPercent(QemuMemory memory, long guestMemoryKiB) =>
        guestMemoryKiB > 0 ? memory.OverheadKiB * 100.0 / guestMemoryKiB : null;

    /// <summary>
    /// Stall % of a pressure line over the interval: delta(total, us) / delta(wall) x 100, the share of the interval
    /// some (or all) tasks were stalled on the resource; finer than the kernel's 10 s average for short intervals.
    /// </summary>
    public static double? PressurePercent(PressureLine before, PressureLine after, long elapsedNs) =>
        Counter.PerSecond(before.TotalUs, after.TotalUs, elapsedNs) is double usPerSecond ? usPerSecond / 1e6 * 100 : null;

    /// <summary>
    /// Average queue depth of a block device over the interval: delta(weighted ms doing I/O) / delta(wall, ms), what
    /// iostat calls aqu-sz. Null when the device was re-created (a counter went backwards) or the names differ.
    /// </summary>
    public static double? AverageQueueDepth(DiskStats before, DiskStats after, long elapsedNs) =>
        before.Name == after.Name && Counter.PerSecond(before.WeightedIoTimeMs, after.WeightedIoTimeMs, elapsedNs) is double msPerSecond
            ? msPerSecond / 1000
            : null;

    /// <summary>
    /// Average latency of the reads and writes completed in the interval, ms: delta(ms reading + ms writing) /
    /// delta(reads + writes), what iostat calls r_await/w_await combined. Null when no I/O completed or on a restart.
    /// </summary>
    public static double? AverageIoLatencyMs(DiskStats before, DiskStats after)
    {
        if (before.Name != after.Name
            || Counter.Delta(before.ReadTimeMs, after.ReadTimeMs) is not ulong readMs
            || Counter.Delta(before.WriteTimeMs, after.WriteTimeMs) is not ulong writeMs
            || Counter.Delta(before.ReadsCompleted, after.ReadsCompleted) is not ulong reads
            || Counter.Delta(before.WritesCompleted, after.WritesCompleted) is not ulong writes
            || reads + writes == 0)
        {
            return null;
        }

        return (double)(readMs + writeMs) / (reads + writes);
    }

    /// <summary>
    /// A guest block device over the interval: average requests in flight by Little's law (the time the completed
    /// reads, writes and flushes took, summed, over the interval; what iostat's aqu-sz is for a host device), average
    /// read/write latency, and throughput. Null when a counter went backwards (domain restarted, disk re-attached).
    /// </summary>
    public static DiskFigures? Disk(BlockDeviceCounters before, BlockDeviceCounters after, long elapsedNs)
    {
        if (elapsedNs <= 0
            || Counter.Delta(before.ReadTimeNs, after.ReadTimeNs) is not ulong readNs
            || Counter.Delta(before.WriteTimeNs, after.WriteTimeNs) is not ulong writeNs
            || Counter.Delta(before.FlushTimeNs, after.FlushTimeNs) is not ulong flushNs
            || Counter.Delta(before.ReadRequests, after.ReadRequests) is not ulong reads
            || Counter.Delta(before.WriteRequests, after.WriteRequests) is not ulong writes
            || Counter.PerSecond(before.ReadBytes, after.ReadBytes, elapsedNs) is not double readRate
            || Counter.PerSecond(before.WriteBytes, after.WriteBytes, elapsedNs) is not double writeRate)
        {
            return null;
        }

        double queue = (double)(readNs + writeNs + flushNs) / elapsedNs;
        double? latency = reads + writes > 0 ? (readNs + writeNs) / 1e6 / (reads + writes) : null;
        return new DiskFigures(after.Device, queue, latency, readRate, writeRate);
    }

    /// <summary>A network interface's throughput over the interval; null when a counter went backwards.</summary>
    public static InterfaceFigures? Interface(InterfaceCounters before, InterfaceCounters after, long elapsedNs) =>
        Counter.PerSecond(before.ReceivedBytes, after.ReceivedBytes, elapsedNs) is double received
        && Counter.PerSecond(before.SentBytes, after.SentBytes, elapsedNs) is double sent
            ? new InterfaceFigures(after.Device, received, sent)
            : null;

    /// <summary>A domain's I/O to one host device over the interval (cgroup counters); null when one went backwards.</summary>
    public static HostIoFigures? HostIo(CgroupIoDevice before, CgroupIoDevice after, long elapsedNs) =>
        Counter.PerSecond(before.ReadBytes, after.ReadBytes, elapsedNs) is double readBytes
        && Counter.PerSecond(before.WriteBytes, after.WriteBytes, elapsedNs) is double writeBytes
        && Counter.PerSecond(before.ReadOps, after.ReadOps, elapsedNs) is double reads
        && Counter.PerSecond(before.WriteOps, after.WriteOps, elapsedNs) is double writes
            ? new HostIoFigures(after.Device, readBytes, writeBytes, reads, writes)
            : null;
}
