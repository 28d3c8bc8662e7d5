using System.Runtime.InteropServices;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Linux.Interop;

namespace KvmConfig.Linux;

/// <summary>What statx(2) says of a path: owner, permission bits, type, and where it lives.</summary>
/// <param name="Uid">Owner.</param>
/// <param name="Mode">Permission bits (and set-id, sticky).</param>
/// <param name="Kind">Regular file, directory, symbolic link, or other (FIFO, socket, device).</param>
/// <param name="Inode">Inode number; with the device, what <c>/proc/locks</c> names a file by.</param>
/// <param name="DevMajor">Major number of the device holding the file.</param>
/// <param name="DevMinor">Minor number of that device.</param>
public sealed record FileFacts(uint Uid, UnixFileMode Mode, FileKind Kind, ulong Inode, uint DevMajor, uint DevMinor);

/// <summary>The kinds of file <see cref="FileTrust"/> tells apart.</summary>
public enum FileKind
{
    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (seen only when links are not followed).</summary>
    Link,

    /// <summary>A FIFO, socket or device.</summary>
    Other,
}

/// <summary>
/// Whether a file that kvmconfig acts on as root could have been written by someone else, the way sshd's StrictModes
/// decides it: the file and every directory above it must be owned by root or the caller and writable by nobody else.
/// A world-writable directory with the sticky bit (<c>/tmp</c>) is allowed above: there nobody may rename or remove an
/// entry they do not own. Refusals are <see cref="Rules.UnsafePermissions"/> (KVC091) with the reason and the fix.
/// </summary>
public static class FileTrust
{
    private const UnixFileMode GroupOrOtherWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>The effective uid of this process.</summary>
    public static uint EffectiveUid => Libc.GetEuid();

    /// <summary>
    /// statx(2) of <paramref name="path"/>; a symbolic link is followed when <paramref name="followLinks"/>. Throws
    /// <see cref="Rules.Unreadable"/> when the path cannot be examined or the file system does not report an owner.
    /// </summary>
    public static FileFacts Stat(string path, bool followLinks = true)
    {
        int result = Libc.Statx(Libc.AtFdCwd, path, followLinks ? 0 : Libc.AtSymlinkNoFollow,
            Libc.StatxType | Libc.StatxUid | Libc.StatxMode | Libc.StatxIno, out Libc.StatxBuffer buf);
        int errno = Marshal.GetLastPInvokeError();
        if (result != 0)
        {
            throw LinuxErrors.CannotStat(path, errno);
        }

        // Local file systems always report the owner; a network file system may not, and then nothing is known.
        if ((buf.Mask & Libc.StatxUid) == 0)
        {
            throw LinuxErrors.OwnerUnknown(path);
        }

        FileKind kind = (buf.Mode & Libc.FileTypeMask) switch
        {
            Libc.RegularFile => FileKind.Regular,
            Libc.DirectoryFile => FileKind.Directory,
            Libc.SymbolicLink => FileKind.Link,
            _ => FileKind.Other,
        };
        return new FileFacts(buf.Uid, (UnixFileMode)(buf.Mode & 0xFFF), kind, buf.Ino, buf.DevMajor, buf.DevMinor);
    }

    /// <summary>
    /// Refuses <paramref name="path"/> (called <paramref name="what"/> in the message: "file", "journal directory")
    /// when group or others may write it or it is owned by neither root nor the caller. A symbolic link is followed
    /// when <paramref name="linkAllowed"/>, and refused otherwise. Returns what statx said of the file itself.
    /// </summary>
    public static FileFacts RefuseUnsafe(string path, string what, bool linkAllowed = true)
    {
        FileFacts facts = Stat(path, followLinks: false);
        if (facts.Kind == FileKind.Link)
        {
            if (!linkAllowed)
            {
                throw LinuxErrors.Link(what, path);
            }

            facts = Stat(path);
        }

        if ((facts.Mode & GroupOrOtherWrite) != 0)
        {
            string who = (facts.Mode & GroupOrOtherWrite) == GroupOrOtherWrite ? "group and others" : (facts.Mode & UnixFileMode.GroupWrite) != 0 ? "its group" : "others";
            throw LinuxErrors.WritableByOthers(what, path, who, Octal(facts.Mode));
        }

        // Whoever owns a file may chmod it back to writable, so a 0644 file owned by an ordinary user is theirs to rewrite.
        uint euid = EffectiveUid;
        if (facts.Uid != 0 && facts.Uid != euid)
        {
            throw LinuxErrors.OwnedByAnother(what, path, facts.Uid, euid);
        }

        return facts;
    }

    /// <summary>
    /// Refuses <paramref name="path"/> when a directory above it (or a link on the way) could be changed by someone
    /// other than root or the caller: then they could swap what the path leads to. Sticky world-writable directories
    /// (<c>/tmp</c>) pass.
    /// </summary>
    public static void RefuseUnsafeParents(string path, string what)
    {
        // The path as written, and the path it really leads to: a root-owned link on the way may point into a directory
        // that someone else can change, whose own parents the written path never names.
        string written = Path.GetFullPath(Path.TrimEndingDirectorySeparator(path));
        RefuseUnsafeAncestors(written, path, what);
        if (Resolved(written) is { } real && real != written)
        {
            RefuseUnsafeAncestors(real, path, what);
        }
    }

    // The canonical path of the deepest part of `full` that exists (realpath(3)), with the rest appended as written:
    // what the path leads to now, and where a directory made later along it would be.
    private static string? Resolved(string full)
    {
        for (string? existing = full; existing is not null; existing = Path.GetDirectoryName(existing))
        {
            IntPtr buffer = Libc.RealPath(existing, IntPtr.Zero);
            if (buffer == IntPtr.Zero)
            {
                continue;
            }

            try
            {
                string real = Marshal.PtrToStringUTF8(buffer) ?? existing;
                return existing == full ? real : Path.Join(real, Path.GetRelativePath(existing, full));
            }
            finally
            {
                Libc.Free(buffer);
            }
        }

        return null;
    }

    private static void RefuseUnsafeAncestors(string full, string path, string what)
    {
        uint euid = EffectiveUid;
        for (string? dir = Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            FileFacts entry = Stat(dir, followLinks: false);
            FileFacts target = entry.Kind == FileKind.Link ? Stat(dir) : entry;
            bool ownedWell = entry.Uid is 0 || entry.Uid == euid;
            bool othersWrite = (target.Mode & GroupOrOtherWrite) != 0 && (target.Mode & UnixFileMode.StickyBit) == 0;
            if (!ownedWell || !(target.Uid is 0 || target.Uid == euid) || othersWrite)
            {
                string why = othersWrite
                    ? $"{dir} is writable by {(((target.Mode & UnixFileMode.GroupWrite) != 0) ? "its group" : "others")} (mode {Octal(target.Mode)}) without the sticky bit"
                    : $"{dir} is owned by uid {(ownedWell ? target.Uid : entry.Uid)}, neither root nor you (uid {euid})";
                throw LinuxErrors.UnsafeParent(what, path, dir, why, othersWrite);
            }
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
