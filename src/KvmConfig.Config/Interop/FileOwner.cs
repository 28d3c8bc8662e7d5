using System.Runtime.InteropServices;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Config.Interop;

/// <summary>A file's owner, which .NET does not expose: statx(2) through <see cref="Libc"/>.</summary>
internal static class FileOwner
{
    /// <summary>
    /// The uid owning <paramref name="path"/>, following symlinks (the owner of what a symlink points at, as sshd's
    /// stat sees it). Throws <see cref="KvmConfigException"/> with <see cref="Rules.Unreadable"/> when it cannot be
    /// read.
    /// </summary>
    internal static uint Of(string path) => Stat(path).Uid;

    /// <summary>Owner and whether <paramref name="path"/> (symlinks followed) is a regular file, in one statx(2).</summary>
    internal static (uint Uid, bool Regular) Stat(string path)
    {
        int result = Libc.Statx(Libc.AtFdCwd, path, 0, Libc.StatxType | Libc.StatxUid | Libc.StatxMode, out Libc.StatxBuffer buf);
        int errno = Marshal.GetLastPInvokeError();
        if (result != 0)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}", path,
                $"check that {path} exists and is readable (ls -lL {path})");
        }

        // Local file systems always report the owner; a network file system may not, and then nothing is known.
        if ((buf.Mask & Libc.StatxUid) == 0)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot stat {path}: the file system does not report its owner", path,
                "keep the configuration on a local file system");
        }

        return (buf.Uid, (buf.Mode & Libc.FileTypeMask) == Libc.RegularFile);
    }

    /// <summary>The effective uid of this process.</summary>
    internal static uint EffectiveUid() => Libc.GetEuid();
}
