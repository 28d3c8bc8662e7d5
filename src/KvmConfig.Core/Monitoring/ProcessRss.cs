using System.Globalization;
using System.Text;

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
    /// <c>VmRSS</c> from the bytes of <c>/proc/PID/status</c> as read from it, in KiB, without decoding the file: the
    /// form for a sampler that re-reads one handle every sweep. A <c>VmRSS</c> line other than <c>VmRSS:</c>, blanks,
    /// digits, blanks, <c>kB</c> is handed with the whole file to <see cref="ParseStatusVmRssKiB(string)"/>, so that
    /// both accept and refuse the same files with the same words.
    /// </summary>
    public static long? ParseStatusVmRssKiB(ReadOnlySpan<byte> utf8)
    {
        ReadOnlySpan<byte> key = "VmRSS:"u8;
        int at = utf8.StartsWith(key) ? 0 : utf8.IndexOf("\nVmRSS:"u8) is int newline and >= 0 ? newline + 1 : -1;
        if (at < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> line = utf8[(at + key.Length)..];
        line = line[..(line.IndexOf((byte)'\n') is int end and >= 0 ? end : line.Length)];
        ReadOnlySpan<byte> size = line.TrimStart(" \t"u8);
        int digits = size.IndexOfAnyExcept("0123456789"u8);
        if (digits > 0 && size.Length > digits && size[digits] is (byte)' ' or (byte)'\t'
            && size[digits..].TrimStart(" \t"u8).SequenceEqual("kB"u8)
            && long.TryParse(size[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long kib))
        {
            return kib;
        }

        return ParseStatusVmRssKiB(Encoding.UTF8.GetString(utf8));
    }

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
