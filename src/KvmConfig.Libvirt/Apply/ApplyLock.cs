using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// The host-wide lock that keeps two applies (or an apply and a rollback) from interleaving: an exclusive lock on
/// <c>/run/kvmconfig/apply.lock</c>. .NET takes <c>flock(LOCK_EX | LOCK_NB)</c> for <see cref="FileShare.None"/> on
/// Linux, and the kernel drops it when the process dies, so a crashed apply never leaves the host locked.
/// </summary>
/// <remarks>
/// flock(2) needs only read access, so anyone who can open the file can hold the lock and block every apply. The
/// file is therefore created 0600 in a directory created 0700, and both are refused (KVC091) when someone other than
/// root or the caller could have made or changed them; a lock file others could open is replaced by a new 0600 one.
/// </remarks>
public sealed class ApplyLock : IDisposable
{
    /// <summary>The default lock file.</summary>
    public const string DefaultPath = "/run/kvmconfig/apply.lock";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FileStream _stream;

    private ApplyLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// Takes the lock, waiting at most <paramref name="timeout"/> for another holder to finish; while it waits,
    /// <paramref name="waiting"/> hears once who holds it ("waiting for the lock ... held by PID 1234 (kvmconfig)").
    /// </summary>
    /// <exception cref="KvmConfigException">KVC096 when another process still holds it after the wait; KVC091 when the
    /// lock file or its directory could be reached by others; KVC093 when it cannot be created.</exception>
    public static ApplyLock Acquire(string path, TimeSpan timeout, Action<string>? waiting = null)
    {
        PrepareSafely(path);
        var clock = Stopwatch.StartNew();
        bool told = false;
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = OwnerOnly };
        while (true)
        {
            try
            {
                return new ApplyLock(new FileStream(path, options));
            }
            catch (IOException e)
            {
                string holder = Holder(path);
                if (clock.Elapsed >= timeout)
                {
                    throw LibvirtErrors.LockBusy(path, holder, timeout, e);
                }

                if (!told)
                {
                    waiting?.Invoke($"waiting for the lock {path}, {holder} (up to {timeout.TotalSeconds:0.#} s)");
                    told = true;
                }

                // flock(2) has no timed wait, and a blocking flock on a thread we then abandon would keep the lock
                // file open after we gave up: poll.
                Thread.Sleep(TimeSpan.FromMilliseconds(100));
            }
            catch (UnauthorizedAccessException e)
            {
                throw LibvirtErrors.LockFileUnopenable(path, e);
            }
        }
    }

    // The directory (created 0700 when missing) and an existing lock file must be root's or the caller's and writable
    // by nobody else, and neither may be a link; a lock file others could read (and so flock) is narrowed to 0600.
    private static void PrepareSafely(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        try
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LibvirtErrors.LockDirectoryUncreatable(directory, e);
        }

        FileTrust.RefuseUnsafeParents(directory, "lock directory");
        FileTrust.RefuseUnsafe(directory, "lock directory", linkAllowed: false);
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            FileFacts lockFile = FileTrust.RefuseUnsafe(path, "lock file", linkAllowed: false);
            if ((lockFile.Mode & ~OwnerOnly & (UnixFileMode)0b000_111_111) != 0)
            {
                // A chmod would not close what others already opened (and may hold a flock on): a new 0600 file
                // takes the name, and the old one, with whatever holds it, is left to nobody.
                string fresh = path + ".new";
                File.Delete(fresh);
                using (new FileStream(fresh, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
                {
                }

                File.Move(fresh, path, overwrite: true);
            }
        }
    }

    // "held by PID 1234 (kvmconfig)", from /proc/locks, which names locks by device and inode.
    private static string Holder(string path)
    {
        try
        {
            FileFacts file = FileTrust.Stat(path);
            var proc = new ProcfsReader();
            IReadOnlyList<int> pids = proc.LockHolders(file.DevMajor, file.DevMinor, file.Inode);
            return pids.Count == 0
                ? "held by a process /proc/locks does not name"
                : "held by " + string.Join(", ", pids.Select(pid => $"PID {pid}{(proc.CommandName(pid) is { } comm ? $" ({comm})" : "")}"));
        }
        catch (KvmConfigException)
        {
            return "held by a process that could not be named";
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
