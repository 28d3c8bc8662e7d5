using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One block device's line of <c>/proc/diskstats</c> (Documentation/admin-guide/iostats.rst). Counters grow from
/// boot, or from when the device was created (a VM's disk re-attached starts again from zero); on 32-bit kernels
/// they wrap at 2^32. Times are milliseconds; sectors are always 512 bytes, whatever the device's sector size.
/// </summary>
public sealed record DiskStats
{
    /// <summary>Device major number (field 1).</summary>
    public required int Major { get; init; }

    /// <summary>Device minor number (field 2).</summary>
    public required int Minor { get; init; }

    /// <summary>Device name, e.g. <c>sda</c>, <c>nvme0n1p2</c>, <c>dm-0</c> (field 3).</summary>
    public required string Name { get; init; }

    /// <summary>Reads completed (field 4).</summary>
    public required ulong ReadsCompleted { get; init; }

    /// <summary>Adjacent reads merged before being issued (field 5).</summary>
    public required ulong ReadsMerged { get; init; }

    /// <summary>512-byte sectors read (field 6).</summary>
    public required ulong SectorsRead { get; init; }

    /// <summary>Time all reads took from issue to completion, summed, ms (field 7).</summary>
    public required ulong ReadTimeMs { get; init; }

    /// <summary>Writes completed (field 8).</summary>
    public required ulong WritesCompleted { get; init; }

    /// <summary>Adjacent writes merged (field 9).</summary>
    public required ulong WritesMerged { get; init; }

    /// <summary>512-byte sectors written (field 10).</summary>
    public required ulong SectorsWritten { get; init; }

    /// <summary>Time all writes took, summed, ms (field 11).</summary>
    public required ulong WriteTimeMs { get; init; }

    /// <summary>I/Os in flight now (field 12): the instantaneous queue depth, a gauge and not a counter.</summary>
    public required ulong InFlight { get; init; }

    /// <summary>Wall time during which at least one I/O was in flight, ms (field 13, <c>io_ticks</c>): utilisation.</summary>
    public required ulong IoTimeMs { get; init; }

    /// <summary>
    /// Time in queue weighted by the number of I/Os in flight, ms (field 14): its delta over an interval divided by
    /// the interval is the average queue depth.
    /// </summary>
    public required ulong WeightedIoTimeMs { get; init; }

    /// <summary>Discards completed (field 15); null before Linux 4.18.</summary>
    public ulong? DiscardsCompleted { get; init; }

    /// <summary>Discards merged (field 16); null before Linux 4.18.</summary>
    public ulong? DiscardsMerged { get; init; }

    /// <summary>512-byte sectors discarded (field 17); null before Linux 4.18.</summary>
    public ulong? SectorsDiscarded { get; init; }

    /// <summary>Time all discards took, ms (field 18); null before Linux 4.18.</summary>
    public ulong? DiscardTimeMs { get; init; }

    /// <summary>Flush requests completed (field 19); null before Linux 5.5.</summary>
    public ulong? FlushesCompleted { get; init; }

    /// <summary>Time all flushes took, ms (field 20); null before Linux 5.5.</summary>
    public ulong? FlushTimeMs { get; init; }

    /// <summary>
    /// Parses the text of <c>/proc/diskstats</c>, one entry per line in file order. Every line must have 14, 18 or 20
    /// fields (the three layouts the kernel has had since 2.6.25); anything else, or a field that is not a number, is
    /// a <see cref="FormatException"/> naming the line and the field.
    /// </summary>
    public static IReadOnlyList<DiskStats> ParseAll(string text)
    {
        // block/genhd.c diskstats_show():
        //
        //    8       0 sdc 14202 71 579164 21861 2995 1589 180500 40875 0 11628 55200 0 0 0 0 127 182
        //    1       2 3   4     5  6      7     8    9    10     11    12 13  14   15 16 17 18 19 20
        //
        //    1 major   2 minor   3 name
        //    4 reads completed   5 reads merged   6 sectors read      7 ms reading
        //    8 writes completed  9 writes merged  10 sectors written  11 ms writing
        //   12 I/Os in flight   13 ms doing I/O (io_ticks)   14 weighted ms doing I/O (time in queue)
        //   15-18 (4.18+) discards completed, merged, sectors, ms     19-20 (5.5+) flushes completed, ms
        var devices = new List<DiskStats>();
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] f = ProcText.Fields(line);
            if (f.Length is not (14 or 18 or 20))
            {
                throw new FormatException(
                    $"line {number}: {f.Length} fields in '{ProcText.Shorten(line)}': expected 14, 18 or 20 (major minor name and 11, 15 or 17 counters)");
            }

            ulong Field(int n, string what) => ProcText.Counter(f[n - 1], $"line {number} field {n} ({what})");
            ulong? Optional(int n, string what) => f.Length >= n ? Field(n, what) : null;

            devices.Add(new DiskStats
            {
                Major = DeviceNumber(f[0], number, 1, "major"),
                Minor = DeviceNumber(f[1], number, 2, "minor"),
                Name = f[2],
                ReadsCompleted = Field(4, "reads completed"),
                ReadsMerged = Field(5, "reads merged"),
                SectorsRead = Field(6, "sectors read"),
                ReadTimeMs = Field(7, "ms reading"),
                WritesCompleted = Field(8, "writes completed"),
                WritesMerged = Field(9, "writes merged"),
                SectorsWritten = Field(10, "sectors written"),
                WriteTimeMs = Field(11, "ms writing"),
                InFlight = Field(12, "I/Os in flight"),
                IoTimeMs = Field(13, "ms doing I/O"),
                WeightedIoTimeMs = Field(14, "weighted ms doing I/O"),
                DiscardsCompleted = Optional(15, "discards completed"),
                DiscardsMerged = Optional(16, "discards merged"),
                SectorsDiscarded = Optional(17, "sectors discarded"),
                DiscardTimeMs = Optional(18, "ms discarding"),
                FlushesCompleted = Optional(19, "flushes completed"),
                FlushTimeMs = Optional(20, "ms flushing"),
            });
        }

        return devices;
    }

    private static int DeviceNumber(string field, int line, int n, string what) =>
        int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"line {line} field {n} ({what}): expected a device number, found '{ProcText.Shorten(field)}'");
}
