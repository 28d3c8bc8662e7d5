using System.Runtime.InteropServices;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Linux;

/// <summary>
/// Every failure this project reports: a kernel file that cannot be read or does not hold what the kernel writes, a
/// sysroot that is not one, a path kvmconfig must not trust. What went wrong, where, and what to do, in one place.
/// </summary>
internal static class LinuxErrors
{
    /// <summary>Said of a kernel file whose text no kernel writes.</summary>
    public const string MalformedHint = "the file does not hold what the kernel writes there; compare it with the same file on a running host";

    private const string ExitedHint = "the process or thread has exited; take its pid again from libvirt";

    public static KvmConfigException CannotList(string directory, Exception inner) =>
        new(Rules.Unreadable, $"cannot list {directory}: {inner.Message}", directory, inner: inner);

    public static KvmConfigException CannotRead(string path, Exception inner) =>
        new(Rules.Unreadable, $"cannot read {path}: {inner.Message}", path, inner: inner);

    public static KvmConfigException Malformed(string path, Exception inner, string hint = MalformedHint) =>
        new(Rules.Unreadable, $"{path}: {inner.Message}", path, hint, inner);

    public static KvmConfigException Missing(string path) =>
        new(Rules.Unreadable, $"{path} does not exist", path,
            "a per-process file disappears when its process or thread exits; a host file is missing only from an incomplete capture");

    public static KvmConfigException NoProcess(string directory, int pid, Exception inner) =>
        new(Rules.Unreadable, $"{directory} does not exist: no process {pid}", directory, ExitedHint, inner);

    public static KvmConfigException TooLarge(string path, long mostBytes) =>
        new(Rules.Unreadable, $"{path} holds more than {mostBytes / (1024 * 1024)} MiB; no kernel file kvmconfig reads is that large", path,
            $"if this is a capture, replace the file with a copy of the real one (ls -l {path}: a link to /dev/zero?)");

    public static KvmConfigException NotSysfs(string message, string sysRoot, string hint) =>
        new(Rules.NotSysfs, message, sysRoot, hint);

    public static KvmConfigException CannotStat(string path, int errno) =>
        new(Rules.Unreadable, $"cannot stat {path}: {Marshal.GetPInvokeErrorMessage(errno)}", path, $"check that {path} exists and is readable (ls -lL {path})");

    public static KvmConfigException OwnerUnknown(string path) =>
        new(Rules.Unreadable, $"cannot stat {path}: the file system does not report its owner", path, "keep kvmconfig's files on a local file system");

    public static KvmConfigException Link(string what, string path) =>
        new(Rules.UnsafePermissions, $"{what} {path} is a symbolic link; kvmconfig refuses it, since whoever can change the link chooses what is read", path,
            $"replace the link with the directory or file itself (readlink -f {path})");

    public static KvmConfigException WritableByOthers(string what, string path, string who, string mode) =>
        new(Rules.UnsafePermissions, $"{what} {path} is writable by {who} (mode {mode}); kvmconfig refuses it, as sshd's StrictModes does", path,
            $"chmod go-w {path}");

    public static KvmConfigException OwnedByAnother(string what, string path, uint uid, uint euid) =>
        new(Rules.UnsafePermissions, $"{what} {path} is owned by uid {uid}, neither root nor you (uid {euid}); kvmconfig refuses it, as sshd's StrictModes does", path,
            $"chown root {path}");

    public static KvmConfigException UnsafeParent(string what, string path, string dir, string why, bool othersWrite) =>
        new(Rules.UnsafePermissions, $"{what} {path} is reached through a directory others can change: {why}; they could swap what it holds", dir,
            othersWrite ? $"chmod go-w {dir}, or keep {path} under a directory only root writes" : $"chown root {dir}, or keep {path} under a directory only root writes");

    // ---- tune ----------------------------------------------------------------------------------------

    public static KvmConfigException TuneNeedsRoot(uint euid) =>
        new(Rules.TuneNeedsRoot, $"tune writes the kernel's files under /sys, /proc/sys and /etc/sysctl.d, which only root may change; this runs as uid {euid}", null,
            "run it as root (sudo kvmconfig tune), or see the changes without writing them: kvmconfig tune --dry-run");

    public static KvmConfigException NoTuneJournal(string root, string why) =>
        new(Rules.NoTuneJournal, $"nothing to revert: no tune journal in {root} ({why})", root,
            "tune --revert undoes the last kvmconfig tune that changed something; pass --journal DIR if it wrote its journal elsewhere");

    public static KvmConfigException TuneJournalUnwritable(string path, Exception inner) =>
        new(Rules.Unreadable, $"cannot write the tune journal {path}: {inner.Message}; nothing was changed", path,
            "tune journals every value before changing it; make the directory writable by root or pass --journal DIR", inner);

    public static KvmConfigException TuneJournalDamaged(string path, Exception inner) =>
        new(Rules.Unreadable, $"{path} is not a tune journal: {inner.Message}", path,
            "a journal is written by tune and never edited; move the file away to revert with the one before it", inner);

    public static KvmConfigException WriteRefused(string hostPath, string value, Exception inner) =>
        new(Rules.TuneRefused, $"the kernel refused {value.Split('\n')[0]} for {hostPath}: {inner.Message}{(inner is IOException { HResult: 30 } ? " (read-only file system)" : "")}", hostPath,
            inner is IOException { HResult: 30 } or UnauthorizedAccessException
                ? "the file system is read-only or not yours here (a container mounts /sys and /proc/sys read-only); run tune on the host itself as root"
                : "the driver does not take this value; compare with the file's neighbours (scaling_available_governors, cpuinfo_min_freq..cpuinfo_max_freq)",
            inner);
}
