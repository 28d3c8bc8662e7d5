using System.Globalization;

namespace KvmConfig.Core.Apply;

/// <summary>One lock of <c>/proc/locks</c>: who holds (or waits for) a lock on which file.</summary>
/// <param name="Pid">The process holding the lock, or waiting for it when <see cref="Waiting"/>.</param>
/// <param name="Kind"><c>FLOCK</c>, <c>POSIX</c>, <c>OFDLCK</c>, <c>LEASE</c>, ...</param>
/// <param name="DevMajor">Major number of the device holding the file (hex in the file).</param>
/// <param name="DevMinor">Minor number of that device (hex in the file).</param>
/// <param name="Inode">The file's inode number.</param>
/// <param name="Waiting">True for a process blocked waiting for the lock (the kernel's <c>-&gt;</c> lines).</param>
public sealed record FileLockEntry(int Pid, string Kind, uint DevMajor, uint DevMinor, ulong Inode, bool Waiting)
{
    /// <summary>
    /// Parses <c>/proc/locks</c>; lines it cannot read are skipped (the format has grown over the years, and a
    /// lock line is only ever consulted to name a holder).
    /// </summary>
    public static IReadOnlyList<FileLockEntry> Parse(string text)
    {
        // "1: FLOCK  ADVISORY  WRITE 29669 fe:00:868789 0 EOF"       a lock held
        //  (1) (2)    (3)       (4)   (5)   (6)          (7) (8)
        // "1: -> FLOCK  ADVISORY  WRITE 30001 fe:00:868789 0 EOF"    a process waiting for lock 1
        // 1 ordinal  2 kind  3 ADVISORY or MANDATORY  4 READ or WRITE  5 pid
        // 6 device major:minor (hex) and inode (decimal) of the file  7, 8 byte range (EOF: to the end)
        var entries = new List<FileLockEntry>();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            bool waiting = words.Length > 1 && words[1] == "->";
            int at = waiting ? 2 : 1;
            if (words.Length < at + 5)
            {
                continue;
            }

            string[] file = words[at + 4].Split(':');
            if (file.Length == 3
                && int.TryParse(words[at + 3], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && uint.TryParse(file[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint major)
                && uint.TryParse(file[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint minor)
                && ulong.TryParse(file[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            {
                entries.Add(new FileLockEntry(pid, words[at], major, minor, inode, waiting));
            }
        }

        return entries;
    }
}
