namespace KvmConfig.Core.Monitoring;

/// <summary>
/// The CPU bandwidth counters of a domain's cgroup (<c>cpu.stat</c>): how many enforcement periods passed and in how
/// many of them the group hit its quota (libvirt's <c>&lt;cputune&gt;</c> period and quota, kvmconfig's
/// <c>cpu_limit</c>), and for how long it was held back. Without a quota, periods stay at zero.
/// </summary>
/// <param name="Periods">Enforcement periods that elapsed while the group had runnable tasks (<c>nr_periods</c>).</param>
/// <param name="ThrottledPeriods">Periods in which the group was throttled (<c>nr_throttled</c>).</param>
/// <param name="ThrottledNs">Time the group's tasks were held back by the quota, ns.</param>
/// <param name="UsageNs">CPU time the group used, ns (cgroup v2's <c>usage_usec</c>); null on cgroup v1, whose cpu.stat has none.</param>
public readonly record struct CgroupCpuStat(ulong Periods, ulong ThrottledPeriods, ulong ThrottledNs, ulong? UsageNs)
{
    /// <summary>
    /// Parses a <c>cpu.stat</c> file of either cgroup version. Throws <see cref="FormatException"/> when a line is
    /// not a key and a number, or <c>nr_periods</c>, <c>nr_throttled</c> or the throttled time is missing.
    /// </summary>
    public static CgroupCpuStat Parse(string text)
    {
        // cgroup v2 (kernel/sched/core.c cpu_extra_stat_show() after the usage lines):
        //   usage_usec 8243421  user_usec 5512093  system_usec 2731328
        //   nr_periods 1021  nr_throttled 17  throttled_usec 402117  [nr_bursts 0  burst_usec 0]
        // cgroup v1 (cpu controller, cpu_cfs_stat_show()):
        //   nr_periods 1021  nr_throttled 17  throttled_time 402117000  (ns)  [nr_bursts, burst_time]
        // One "key value" pair per line; keys are found by name, as both versions have added some.
        ulong? periods = null, throttled = null, throttledNs = null, usageNs = null;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] f = ProcText.Fields(line);
            if (f.Length != 2)
            {
                throw new FormatException($"line {number}: '{ProcText.Shorten(line)}' is not a key and a value");
            }

            ulong value = ProcText.Counter(f[1], $"line {number} ({f[0]})");
            switch (f[0])
            {
                case "nr_periods": periods = value; break;
                case "nr_throttled": throttled = value; break;
                case "throttled_usec": throttledNs = value * 1000; break;
                case "throttled_time": throttledNs = value; break;
                case "usage_usec": usageNs = value * 1000; break;
            }
        }

        return periods is { } p && throttled is { } t && throttledNs is { } ns
            ? new CgroupCpuStat(p, t, ns, usageNs)
            : throw new FormatException(
                "expected nr_periods, nr_throttled and throttled_usec (cgroup v2) or throttled_time (v1); "
                + $"missing {string.Join(", ", new[] { ("nr_periods", periods), ("nr_throttled", throttled), ("throttled time", throttledNs) }.Where(k => k.Item2 is null).Select(k => k.Item1))}");
    }
}
