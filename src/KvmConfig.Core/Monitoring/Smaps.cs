using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One mapping of a process's address space from <c>/proc/PID/smaps</c>: what the memory figures need of it.
/// </summary>
/// <param name="StartAddress">Where the mapping begins in the process's address space.</param>
/// <param name="SizeKiB">Its length (<c>Size</c>), resident or not.</param>
/// <param name="RssKiB">How much of it is resident (<c>Rss</c>); hugetlbfs pages are not counted here but in <c>*_Hugetlb</c>.</param>
/// <param name="Path">The file or pseudo-file it maps (<c>/memfd:ram-node0 (deleted)</c>, <c>[heap]</c>), or empty for anonymous memory.</param>
/// <param name="Flags">The two-letter <c>VmFlags</c> (<c>rd wr mr mw me dc ...</c>); empty when the kernel wrote none (before 3.8).</param>
public sealed record SmapsMapping(ulong StartAddress, long SizeKiB, long RssKiB, string Path, IReadOnlySet<string> Flags)
{
    /// <summary>
    /// <c>dc</c>, "do not copy area on fork": set by <c>madvise(MADV_DONTFORK)</c>. QEMU sets it on the host memory of
    /// every RAM block it creates (guest RAM, video RAM, firmware ROMs), whatever backs it, and nothing else in QEMU does.
    /// </summary>
    public const string DontCopyOnFork = "dc";

    /// <summary>The address as smaps writes it, for messages.</summary>
    public override string ToString() => $"{StartAddress:x} ({SizeKiB} kB, {RssKiB} kB resident{(Path.Length > 0 ? $", {Path}" : "")})";
}

/// <summary>Parses <c>/proc/PID/smaps</c> (Documentation/filesystems/proc.rst, "smaps").</summary>
public static class Smaps
{
    /// <summary>
    /// Every mapping of the text of an smaps file, in file (address) order; empty for a process without memory.
    /// Throws <see cref="FormatException"/> naming the line when a header or a <c>Size</c>/<c>Rss</c> line is not
    /// the kernel's, or a mapping lacks either.
    /// </summary>
    public static IReadOnlyList<SmapsMapping> Parse(string text)
    {
        // fs/proc/task_mmu.c show_smap(): a header line as in /proc/PID/maps, then "Key: value kB" lines, then VmFlags.
        //
        //   7ff117e00000-7ff11be00000 rw-p 00000000 00:00 0        /memfd:pc.ram (deleted)
        //   1                         2    3        4     5        6
        //   Size:              65536 kB
        //   7                  8     9
        //   VmFlags: rd wr mr mw me dc ac dd hg mg
        //   10       11 ...
        //
        //   1 start-end address (hex)   2 permissions   3 file offset   4 device   5 inode
        //   6 path, absent for anonymous memory (may hold blanks, and " (deleted)")
        //   7 key (Size, Rss, Pss, ..., Private_Hugetlb, Swap, ...)   8 value   9 unit, always kB
        //   10 VmFlags   11 two-letter flags, one per field
        var mappings = new List<SmapsMapping>();
        Building? current = null;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            if (Header(number, line) is { } header)
            {
                if (current is not null)
                {
                    mappings.Add(current.Build());
                }

                current = header;
                continue;
            }

            if (current is null)
            {
                throw new FormatException($"line {number}: expected a mapping's header 'START-END perms offset dev inode [path]', found '{ProcText.Shorten(line)}'");
            }

            if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                current.Flags = [.. ProcText.Fields(line[8..])];
            }
            else if (line.StartsWith("Size:", StringComparison.Ordinal))
            {
                current.SizeKiB = KiB(number, line, "Size:");
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                current.RssKiB = KiB(number, line, "Rss:");
            }
        }

        if (current is not null)
        {
            mappings.Add(current.Build());
        }

        return mappings;
    }

    // A header is the only line whose first field is an address range "hex-hex"; every other line starts "Key:".
    private static Building? Header(int number, string line)
    {
        int dash = line.IndexOf('-', StringComparison.Ordinal);
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (dash <= 0 || space < dash || line.AsSpan(0, dash).ContainsAnyExcept("0123456789abcdef"))
        {
            return null;
        }

        string[] fields = ProcText.Fields(line);
        if (fields.Length < 5
            || !ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
            || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end)
            || end < start)
        {
            throw new FormatException($"line {number}: expected a mapping's header 'START-END perms offset dev inode [path]', found '{ProcText.Shorten(line)}'");
        }

        return new Building(number, start, PathOf(line));
    }

    // The path is everything after the fifth field (the inode), blanks inside it kept; maps pads before it.
    private static string PathOf(string line)
    {
        int at = 0;
        for (int field = 0; field < 5; field++)
        {
            while (at < line.Length && line[at] == ' ')
            {
                at++;
            }

            while (at < line.Length && line[at] != ' ')
            {
                at++;
            }
        }

        return line[at..].Trim();
    }

    private static long KiB(int number, string line, string key)
    {
        string[] fields = ProcText.Fields(line);
        if (fields.Length != 3 || fields[2] != "kB")
        {
            throw new FormatException($"line {number}: expected '{key} N kB', found '{ProcText.Shorten(line)}'");
        }

        ulong kib = ProcText.Counter(fields[1], $"line {number} ({key} size)");
        return kib <= long.MaxValue ? (long)kib : throw new FormatException($"line {number}: {key} {kib} kB is beyond any address space");
    }

    private sealed class Building(int line, ulong start, string path)
    {
        public long? SizeKiB { get; set; }

        public long? RssKiB { get; set; }

        public HashSet<string> Flags { get; set; } = [];

        public SmapsMapping Build() =>
            SizeKiB is { } size && RssKiB is { } rss
                ? new SmapsMapping(start, size, rss, path, Flags)
                : throw new FormatException($"line {line}: the mapping at {start:x} has no {(SizeKiB is null ? "Size" : "Rss")} line");
    }
}
