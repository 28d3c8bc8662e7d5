using System.Runtime.InteropServices;

namespace KvmConfig.Linux.Interop;

/// <summary>
/// The few glibc calls that .NET does not expose. Nothing here allocates native memory, so nothing needs freeing:
/// <see cref="Statx(int, string, int, uint, out StatxBuffer)"/> fills a managed struct the caller owns, and the path
/// is marshalled to a temporary UTF-8 buffer that the generated stub frees on return. The one exception is
/// <see cref="RealPath"/>, whose result glibc mallocs and <see cref="Free"/> releases.
/// </summary>
internal static partial class Libc
{
    /// <summary>Resolve a relative path against the current directory (<c>AT_FDCWD</c> in fcntl.h).</summary>
    internal const int AtFdCwd = -100;

    /// <summary>Ask for the file-type bits of <c>stx_mode</c> (<c>STATX_TYPE</c>).</summary>
    internal const uint StatxType = 0x1;

    /// <summary>Ask for <c>stx_mode</c> (<c>STATX_MODE</c>).</summary>
    internal const uint StatxMode = 0x2;

    /// <summary>S_IFMT: the file-type bits of a mode; S_IFREG marks a regular file.</summary>
    internal const ushort FileTypeMask = 0xF000;

    /// <summary>S_IFREG.</summary>
    internal const ushort RegularFile = 0x8000;

    /// <summary>Ask for <c>stx_uid</c> (<c>STATX_UID</c>).</summary>
    internal const uint StatxUid = 0x8;

    /// <summary>Ask for <c>stx_ino</c> (<c>STATX_INO</c>).</summary>
    internal const uint StatxIno = 0x100;

    /// <summary>S_IFDIR.</summary>
    internal const ushort DirectoryFile = 0x4000;

    /// <summary>S_IFLNK.</summary>
    internal const ushort SymbolicLink = 0xA000;

    /// <summary>Do not follow a symlink named by the last component (<c>AT_SYMLINK_NOFOLLOW</c>): stat the link itself.</summary>
    internal const int AtSymlinkNoFollow = 0x100;

    /// <summary>
    /// statx(2), glibc 2.28 and later. With <paramref name="flags"/> 0 a symlink is followed, as stat(2) does.
    /// Returns 0, or -1 with errno set (read it with <see cref="Marshal.GetLastPInvokeError"/> right after the call).
    /// </summary>
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statx(int dirfd, string pathname, int flags, uint mask, out StatxBuffer buf);

    /// <summary>
    /// realpath(3) with a null buffer: the canonical absolute path (every symbolic link and <c>..</c> resolved), in a
    /// buffer glibc allocates with malloc and the caller frees with <see cref="Free"/>; null (errno set) on failure.
    /// </summary>
    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr RealPath(string path, IntPtr resolved);

    /// <summary>free(3), for what <see cref="RealPath"/> returned.</summary>
    [LibraryImport("libc", EntryPoint = "free")]
    internal static partial void Free(IntPtr pointer);

    /// <summary>geteuid(2): the effective uid. It cannot fail and never sets errno, so no SetLastError.</summary>
    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEuid();

    /// <summary>
    /// <c>struct statx</c> from the kernel's include/uapi/linux/stat.h. Unlike <c>struct stat</c> it has one
    /// layout on every architecture: fixed-width fields, 256 bytes, the tail reserved for future fields.
    /// Only the fields read here are declared; the rest is padding the kernel may fill.
    /// <code>
    ///   offset  size  field
    ///  1  0x00   u32  stx_mask             which fields the kernel filled (STATX_* bits)
    ///  2  0x04   u32  stx_blksize
    ///  3  0x08   u64  stx_attributes
    ///  4  0x10   u32  stx_nlink
    ///  5  0x14   u32  stx_uid              owner
    ///  6  0x18   u32  stx_gid
    ///  7  0x1c   u16  stx_mode             file type and permission bits
    ///  8  0x1e   u16  __spare0
    ///  9  0x20   u64  stx_ino, stx_size, stx_blocks, stx_attributes_mask
    /// 10  0x40  4x16  stx_atime, stx_btime, stx_ctime, stx_mtime (s64 sec, u32 nsec, s32 reserved)
    /// 11  0x80  4xu32 stx_rdev_major/minor, stx_dev_major/minor
    /// 12  0x90   u64  stx_mnt_id, then u32 stx_dio_mem_align, u32 stx_dio_offset_align
    /// 13  0xa0 12xu64 __spare3, up to 0x100
    /// </code>
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    internal struct StatxBuffer
    {
        /// <summary>Field 1: the STATX_* bits of the fields the kernel actually filled.</summary>
        [FieldOffset(0x00)] public uint Mask;

        /// <summary>Field 5: the owner's uid.</summary>
        [FieldOffset(0x14)] public uint Uid;

        /// <summary>Field 6: the group's gid.</summary>
        [FieldOffset(0x18)] public uint Gid;

        /// <summary>Field 7: file type (S_IFMT bits) and permission bits.</summary>
        [FieldOffset(0x1c)] public ushort Mode;

        /// <summary>Field 9, first: the inode number.</summary>
        [FieldOffset(0x20)] public ulong Ino;

        /// <summary>Field 11: major number of the device holding the file (<c>stx_dev_major</c>).</summary>
        [FieldOffset(0x88)] public uint DevMajor;

        /// <summary>Field 11: minor number of that device (<c>stx_dev_minor</c>).</summary>
        [FieldOffset(0x8c)] public uint DevMinor;
    }
}
