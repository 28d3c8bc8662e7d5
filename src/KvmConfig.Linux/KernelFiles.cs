using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Linux;

/// <summary>
/// Reading the kernel's text files (sysfs, procfs, cgroupfs) the one way every reader here does: a missing file is
/// null, any other failure and any content a parser rejects is <see cref="Rules.Unreadable"/> naming the path.
/// </summary>
internal static class KernelFiles
{
    /// <summary>The usual hint when a parser rejects a kernel file.</summary>
    public const string MalformedHint = LinuxErrors.MalformedHint;

    /// <summary>
    /// errno ESRCH: a <c>/proc/PID/...</c> file opened while its task is exiting (the path still resolves, the task is
    /// gone). .NET reports an errno it has no exception type for as an <see cref="IOException"/> whose HResult is
    /// the errno.
    /// </summary>
    private const int Esrch = 3;

    /// <summary>
    /// The content of a one-value kernel file without what surrounds it: blanks, newlines and NUL bytes, which the
    /// kernel's own parsers skip (<c>"0-3\n"</c>, <c>"0-3 \n"</c> and <c>"0-3\0"</c> are the same list).
    /// </summary>
    public static string Clean(string text) => text.Trim(' ', '\t', '\n', '\r', '\v', '\f', '\0');

    /// <summary>
    /// The most a kernel file is read to: 4 MiB. sysfs attributes are at most a page; the largest procfs file read
    /// (<c>diskstats</c>, <c>locks</c>) stays far below on any host. A file that goes on (a link to <c>/dev/zero</c> in a
    /// capture) is refused rather than read until memory runs out.
    /// </summary>
    public const int MostBytes = 4 * 1024 * 1024;

    /// <summary>The file's text, or null when it (or the process or cgroup it belongs to) does not exist.</summary>
    public static string? ReadIfPresent(string path)
    {
        try
        {
            // procfs and sysfs report a size of 0 or 4096 whatever they hold: read until the end, up to the cap.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            var buffer = new byte[Math.Min(MostBytes + 1, 16 * 1024)];
            int length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > MostBytes)
                    {
                        throw LinuxErrors.TooLarge(path, MostBytes);
                    }

                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MostBytes + 1));
                }

                int read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
                }

                length += read;
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is IOException { HResult: Esrch })
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.CannotRead(path, e);
        }
    }

    /// <summary>
    /// <paramref name="parse"/> applied to the text of <paramref name="path"/>; its <see cref="FormatException"/>
    /// (or an overflow or range error) becomes <see cref="Rules.Unreadable"/> with the path before the parser's words.
    /// </summary>
    public static T Parse<T>(string path, string text, Func<string, T> parse, string hint = MalformedHint)
    {
        try
        {
            return parse(text);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw LinuxErrors.Malformed(path, e, hint);
        }
    }
}
