namespace KvmConfig.Core.Monitoring;

/// <summary>
/// A process's resident memory in KiB, from <c>/proc/PID/status</c> (<c>VmRSS</c>) or
/// <c>/proc/PID/smaps_rollup</c> (<c>Rss</c>). Both count the same pages (anonymous + file + shmem); status reads
/// per-mm counters and is cheap, smaps_rollup walks the page tables and is exact but costs more on a large guest.
/// </summary>
public static class ProcessRss
{
    /// <summary>
    /// <c>VmRSS</c> from the text of <c>/proc/PID/status</c>, in KiB; null when the line is absent, which is what the
    /// kernel writes for a process without memory (a kernel thread, a zombie). Throws <see cref="FormatException"/>
    /// when the line is there but is not <c>VmRSS: N kB</c>.
    /// </summary>
    public static long? ParseStatusVmRssKiB(string text) => FindKiB(text, "VmRSS:");

    /// <summary>
    /// <c>Rss</c> from the text of <c>/proc/PID/smaps_rollup</c>, in KiB; null when the file has no such line (it is
    /// empty for a process without memory). Throws <see cref="FormatException"/> when the line is malformed.
    /// </summary>
    public static long? ParseSmapsRollupRssKiB(string text) => FindKiB(text, "Rss:");

    private static long? FindKiB(string text, string key)
    {
        // fs/proc/task_mmu.c: "VmRSS:\t%8lu kB\n" in status, "Rss:  %8lu kB\n" in smaps_rollup
        //
        //   VmRSS:	    6716 kB
        //   1          2    3
        //
        //   1 key with colon   2 size   3 unit, always kB (KiB)
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal))
            {
                continue;
            }

            string[] fields = ProcText.Fields(line);
            if (fields.Length != 3 || fields[2] != "kB")
            {
                throw new FormatException($"line {number}: expected '{key} N kB', found '{ProcText.Shorten(line)}'");
            }

            ulong kib = ProcText.Counter(fields[1], $"line {number} ({key} size)");
            return kib <= long.MaxValue
                ? (long)kib
                : throw new FormatException($"line {number}: {key} {kib} kB is beyond any machine's memory");
        }

        return null;
    }
}
