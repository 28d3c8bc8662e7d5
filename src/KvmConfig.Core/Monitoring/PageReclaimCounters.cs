namespace KvmConfig.Core.Monitoring;

/// <summary>
/// Pages the kernel's reclaim scanned and reclaimed ("stole") since boot, summed over every reclaimer, from
/// <c>/proc/vmstat</c>. Their ratio over an interval is the page-reclaim efficiency: low means reclaim scans many
/// pages to free few, i.e. memory pressure the host is struggling with.
/// </summary>
/// <param name="ScannedPages">Sum of the <c>pgscan_*</c> reclaimer counters.</param>
/// <param name="StolenPages">Sum of the <c>pgsteal_*</c> reclaimer counters.</param>
public readonly record struct PageReclaimCounters(ulong ScannedPages, ulong StolenPages)
{
    /// <summary>
    /// The reclaimers the kernel counts separately. <c>kswapd</c> (background) and <c>direct</c> (an allocating task)
    /// exist in every kernel; newer kernels split <c>khugepaged</c> and then <c>proactive</c> (<c>memory.reclaim</c>)
    /// out of <c>direct</c>, so all four are summed to mean the same on every kernel.
    /// </summary>
    private static readonly string[] Reclaimers = ["kswapd", "direct", "khugepaged", "proactive"];

    /// <summary>Zone suffixes of kernels before 4.8, which counted per zone (<c>pgscan_kswapd_normal</c>).</summary>
    private static readonly string[] Zones = ["dma", "dma32", "normal", "highmem", "movable", "device"];

    /// <summary>
    /// Sums <c>pgscan_R</c> / <c>pgsteal_R</c> (and per-zone <c>pgscan_R_ZONE</c> of kernels before 4.8) over the
    /// reclaimers R in the text of <c>/proc/vmstat</c>. Deliberately left out: <c>pgscan_anon</c>/<c>_file</c> and
    /// <c>pgsteal_anon</c>/<c>_file</c> (5.8+), the same pages split by type, which would count them twice; and
    /// <c>pgscan_direct_throttle</c>, a count of throttling events, not of pages. Throws
    /// <see cref="FormatException"/> for a line that is not <c>name value</c> or a file with no reclaim counter.
    /// </summary>
    public static PageReclaimCounters Parse(string text)
    {
        // mm/vmstat.c vmstat_show(): "%s %lu\n", one counter per line
        //
        //   pgscan_kswapd 107656        (4.8+)       pgscan_kswapd_dma32 107656    (before 4.8, one per zone)
        //   1             2                          1                   2
        //
        //   1 counter name   2 value (pages, or events for pgscan_direct_throttle)
        ulong scanned = 0, stolen = 0;
        bool seenScan = false, seenSteal = false;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] fields = ProcText.Fields(line);
            if (fields.Length != 2)
            {
                throw new FormatException($"line {number}: expected 'name value', found '{ProcText.Shorten(line)}'");
            }

            string name = fields[0];
            if (IsReclaimCounter(name, "pgscan_"))
            {
                scanned += ProcText.Counter(fields[1], $"line {number} ({name})");
                seenScan = true;
            }
            else if (IsReclaimCounter(name, "pgsteal_"))
            {
                stolen += ProcText.Counter(fields[1], $"line {number} ({name})");
                seenSteal = true;
            }
        }

        if (!seenScan || !seenSteal)
        {
            throw new FormatException(
                $"no {(seenScan ? "pgsteal" : "pgscan")}_kswapd or _direct counter: every Linux vmstat has them");
        }

        return new PageReclaimCounters(scanned, stolen);
    }

    private static bool IsReclaimCounter(string name, string prefix)
    {
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string rest = name[prefix.Length..];
        foreach (string reclaimer in Reclaimers)
        {
            if (rest == reclaimer)
            {
                return true;
            }

            if (rest.StartsWith(reclaimer + "_", StringComparison.Ordinal) && Zones.Contains(rest[(reclaimer.Length + 1)..]))
            {
                return true;
            }
        }

        return false;
    }
}
