using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// The host-wide lock that keeps two applies (or an apply and a rollback) from interleaving: an exclusive lock on
/// <c>/run/kvmconfig.lock</c>. .NET takes <c>flock(LOCK_EX | LOCK_NB)</c> for <see cref="FileShare.None"/> on Linux,
/// and the kernel drops it when the process dies, so a crashed apply never leaves the host locked.
/// </summary>
public sealed class ApplyLock : IDisposable
{
    /// <summary>The default lock file.</summary>
    public const string DefaultPath = "/run/kvmconfig.lock";

    private readonly FileStream _stream;

    private ApplyLock(FileStream stream) => _stream = stream;

    /// <summary>
    /// Takes the lock, waiting at most <paramref name="timeout"/> for another holder to finish.
    /// </summary>
    /// <exception cref="KvmConfigException">KVC096 when another apply still holds it after the wait.</exception>
    public static ApplyLock Acquire(string path, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // No pid is written inside: while the lock is held nobody else can open the file to read it (the
                // shared lock .NET takes for reading conflicts), so the refusal points at fuser instead.
                return new ApplyLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (clock.Elapsed < timeout)
            {
                // Held by another process: poll. flock(2) has no timed wait, and a blocking flock on a thread we then
                // abandon would keep the lock file open after we gave up.
                Thread.Sleep(TimeSpan.FromMilliseconds(100));
            }
            catch (IOException e)
            {
                throw new KvmConfigException(Rules.ApplyBusy, $"another kvmconfig apply or rollback holds {path}; waited {timeout.TotalSeconds:0.#} s", path,
                    $"wait for it to finish, then run the command again (or raise --lock-timeout); fuser -v {path} shows the process", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new KvmConfigException(Rules.Unreadable, $"cannot open the lock file {path}: {e.Message}", path,
                    "run as root, or pass --lock FILE in a directory you can write", e);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
