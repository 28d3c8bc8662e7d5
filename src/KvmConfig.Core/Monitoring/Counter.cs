namespace KvmConfig.Core.Monitoring;

/// <summary>
/// Rates from two readings of a monotonic counter (a kernel counter that only grows while its object lives).
/// </summary>
/// <remarks>
/// Restarts. A counter that reads lower than before did not run backwards: its object was replaced (the VM
/// restarted and its vCPU threads are new, a disk was detached and re-attached, the host rebooted) or a 32-bit
/// counter wrapped. Either way the true delta is unknown, so every function here returns null ("no value for this
/// interval") rather than a negative or huge number. The caller always keeps the newer reading as the next
/// baseline, so the rate restarts from the new counter one interval later. Elapsed times come from the caller's
/// monotonic clock (Core reads no clock); an interval that is not positive also gives null.
/// </remarks>
public static class Counter
{
    /// <summary>How much the counter grew, or null when it went backwards (a restart).</summary>
    public static ulong? Delta(ulong before, ulong after) => after >= before ? after - before : null;

    /// <summary>
    /// The counter's growth per second over <paramref name="elapsedNs"/> nanoseconds; null on a restart or a
    /// non-positive interval.
    /// </summary>
    public static double? PerSecond(ulong before, ulong after, long elapsedNs) =>
        Delta(before, after) is ulong delta && elapsedNs > 0 ? delta * 1e9 / elapsedNs : null;

    /// <summary>
    /// A counter of nanoseconds as a share of wall time: delta / <paramref name="elapsedNs"/> x 100. Can exceed 100
    /// for a counter summed over several CPUs, and slightly for one thread, as the counter and the clock are not read
    /// at the same instant. Null on a restart or a non-positive interval.
    /// </summary>
    public static double? PercentOfWallNs(ulong beforeNs, ulong afterNs, long elapsedNs) =>
        PerSecond(beforeNs, afterNs, elapsedNs) is double nsPerSecond ? nsPerSecond / 1e9 * 100 : null;

    /// <summary>
    /// The growth of one counter as a percentage of another's over the same interval: delta(part) / delta(whole) x
    /// 100 (retransmitted of sent segments, stolen of scanned pages). Null when either counter restarted, or when
    /// <c>whole</c> did not move (nothing happened, so there is no ratio, not 0 % nor 100 %).
    /// </summary>
    public static double? PercentOf(ulong partBefore, ulong partAfter, ulong wholeBefore, ulong wholeAfter) =>
        Delta(partBefore, partAfter) is ulong part && Delta(wholeBefore, wholeAfter) is ulong whole && whole > 0
            ? part * 100.0 / whole
            : null;
}
