using System.Globalization;
using System.Text;
using KvmConfig.Core.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace KvmConfig.Linux.Procfs;

// File access: paths under the procfs root, opening a file, and reading a handle from offset 0 into the one buffer.
public sealed partial class ProcessHandles
{
    private string PidPath(int pid, string file) =>
        Path.Combine(procfs.ProcRoot, pid.ToString(CultureInfo.InvariantCulture), file);

    private string TaskPath(int pid, int tid, string file) =>
        Path.Combine(procfs.ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "task", tid.ToString(CultureInfo.InvariantCulture), file);

    /// <summary>The file open for reading, or null when it (or its task or group) does not exist.</summary>
    private static SafeFileHandle? OpenIfPresent(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
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
    /// Reads the whole file from offset 0 into the buffer and gives its length, or -1 when the file's task or group is
    /// gone. procfs and cgroupfs give a file's whole text in one read when the buffer holds it (and so does a regular
    /// file in a test tree), so a read that fills the buffer is made again with one twice the size.
    /// </summary>
    private int ReadAt0(SafeFileHandle handle, string path)
    {
        while (true)
        {
            int length;
            try
            {
                length = RandomAccess.Read(handle, _buffer, 0);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is IOException { HResult: Esrch or Enodev })
            {
                return -1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw LinuxErrors.CannotRead(path, e);
            }

            if (length < _buffer.Length)
            {
                return length;
            }

            _buffer = new byte[_buffer.Length * 2];
        }
    }

    /// <summary>The file's text (cgroup files: parsed from strings), or null when it is gone.</summary>
    private string? ReadText(SafeFileHandle handle, string path) =>
        ReadAt0(handle, path) is int length and >= 0 ? Encoding.UTF8.GetString(_buffer, 0, length) : null;

    private delegate T SpanParser<T>(ReadOnlySpan<byte> utf8);

    /// <summary>
    /// <paramref name="parse"/> applied to the first <paramref name="length"/> bytes of the buffer; its complaint becomes
    /// <see cref="Rules.Unreadable"/> with the path before the parser's words, as <see cref="KernelFiles.Parse"/> does.
    /// </summary>
    private T ParseBytes<T>(string path, int length, SpanParser<T> parse)
    {
        try
        {
            return parse(_buffer.AsSpan(0, length));
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw LinuxErrors.Malformed(path, e);
        }
    }
}
