using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// When a sampler reads a QEMU process's <c>/proc/PID/smaps</c> again, and what it found the last time.
/// </summary>
/// <remarks>
/// <para>
/// smaps walks the page tables of every mapping, the guest's RAM included: about a millisecond for a small idle guest,
/// tens of milliseconds for a large one whose memory is all touched, where the rest of a domain's sample costs
/// microseconds. The memory overhead moves slowly (QEMU's own allocations), so its figure may be older than the CPU
/// figures. The rule: every process's smaps is read at its first sample; after that, again once its last reading is
/// older than the time the last readings of all processes took together, divided by <see cref="BudgetShare"/>. Reading
/// smaps then costs at most that share of one CPU (1 % by default) however many domains run: every sweep for a few
/// small guests, once every few seconds or minutes for a host of large ones.
/// </para>
/// <para>Times are nanoseconds of the sampler's monotonic clock. Not thread-safe: one sampler, one thread.</para>
/// </remarks>
/// <param name="budgetShare">The share of one CPU that reading smaps may take, above 0 and at most 1.</param>
public sealed class SmapsCadence(double budgetShare = SmapsCadence.DefaultBudgetShare)
{
    /// <summary>The default <see cref="BudgetShare"/>: 1 % of one CPU.</summary>
    public const double DefaultBudgetShare = 0.01;

    private readonly Dictionary<int, Reading> _last = [];
    private readonly HashSet<int> _unreadable = [];

    /// <summary>The share of one CPU that reading smaps may take.</summary>
    public double BudgetShare { get; } = budgetShare is > 0 and <= 1
        ? budgetShare
        : throw new ArgumentOutOfRangeException(nameof(budgetShare), budgetShare, "above 0 and at most 1");

    /// <summary>How long a reading stays current now: the last readings' cost together over <see cref="BudgetShare"/>.</summary>
    public long SpacingNs => (long)(_last.Values.Sum(r => r.TookNs) / BudgetShare);

    /// <summary>
    /// The latest split of process <paramref name="pid"/> for a guest of <paramref name="guestMemoryKiB"/> when it is
    /// current at <paramref name="nowNs"/>; false when smaps is due (never read, read for another guest size, or too
    /// old). A reading that could not identify the guest RAM is current too (as null): it is not tried again sooner. A
    /// process whose smaps could not be read is current (null) for as long as it runs.
    /// </summary>
    public bool TryCurrent(int pid, long guestMemoryKiB, long nowNs, out QemuMemory? memory)
    {
        if (_unreadable.Contains(pid))
        {
            memory = null;
            return true;
        }

        if (_last.TryGetValue(pid, out Reading? last) && last.GuestMemoryKiB == guestMemoryKiB && nowNs - last.AtNs < SpacingNs)
        {
            memory = last.Memory;
            return true;
        }

        memory = null;
        return false;
    }

    /// <summary>Records a reading of process <paramref name="pid"/> taken at <paramref name="atNs"/> that took <paramref name="tookNs"/>.</summary>
    public void Read(int pid, long guestMemoryKiB, long atNs, long tookNs, QemuMemory? memory) =>
        _last[pid] = new Reading(guestMemoryKiB, atNs, Math.Max(0, tookNs), memory);

    /// <summary>
    /// Records that process <paramref name="pid"/>'s smaps cannot be read (no ptrace access to it): it is not tried again
    /// while the process runs, since its owner, and so the access, does not change.
    /// </summary>
    public void Unreadable(int pid)
    {
        _last.Remove(pid);
        _unreadable.Add(pid);
    }

    /// <summary>Forgets the processes <paramref name="keep"/> says no longer run (their cost no longer counts).</summary>
    public void Forget(Func<int, bool> keep)
    {
        foreach (int pid in _last.Keys.Where(p => !keep(p)).ToList())
        {
            _last.Remove(pid);
        }

        _unreadable.RemoveWhere(p => !keep(p));
    }

    private sealed record Reading(long GuestMemoryKiB, long AtNs, long TookNs, QemuMemory? Memory);
}
