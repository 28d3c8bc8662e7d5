using KvmConfig.Core.Tuning;

namespace KvmConfig.Linux.Tuning;

/// <summary>
/// The files <c>tune</c> reads back and writes, named by their path on the host (<c>/sys/...</c>). The port is narrow
/// so that a test can stand in for one thing the kernel does that a copied tree cannot (granting fewer huge pages
/// than asked).
/// </summary>
public interface IKernelSettingFiles
{
    /// <summary>The file's content without surrounding blanks, or null when it does not exist.</summary>
    string? Read(string hostPath);

    /// <summary>Writes <paramref name="value"/> as <c>echo VALUE &gt; FILE</c> does (a kernel file must exist; the drop-in is created).</summary>
    void Write(TuneKind kind, string hostPath, string value);

    /// <summary>Removes a file kvmconfig created (the drop-in); nothing when it is gone already.</summary>
    void Remove(string hostPath);
}

/// <summary>The kernel's files under a sysroot: <c>/</c> for this host, a copied tree in tests.</summary>
/// <param name="sysRoot">The directory the host paths are under.</param>
public sealed class KernelSettingFiles(string sysRoot) : IKernelSettingFiles
{
    /// <summary>The directory the host paths are under.</summary>
    public string SysRoot { get; } = sysRoot;

    /// <summary><paramref name="hostPath"/> under <see cref="SysRoot"/>.</summary>
    public string Local(string hostPath) => HostPaths.Under(SysRoot, hostPath);

    /// <inheritdoc />
    public string? Read(string hostPath) =>
        KernelFiles.ReadIfPresent(Local(hostPath)) is string text ? KernelFiles.Clean(text) : null;

    /// <inheritdoc />
    public void Write(TuneKind kind, string hostPath, string value)
    {
        string path = Local(hostPath);
        try
        {
            if (kind == TuneKind.SysctlDropIn)
            {
                // Written beside, then renamed: a reader (systemd-sysctl at boot) sees the old file or the new one.
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                string temporary = path + ".kvmconfig-new";
                File.WriteAllText(temporary, value);
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                File.Move(temporary, path, overwrite: true);
                return;
            }

            // A kernel file is opened as the shell's '>' opens it (O_WRONLY|O_TRUNC, never created) and written in one
            // write(2): sysfs and procfs take the value whole from the first write.
            using var stream = new FileStream(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            byte[] bytes = System.Text.Encoding.ASCII.GetBytes(value + "\n");
            stream.Write(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.WriteRefused(hostPath, value, e);
        }
    }

    /// <inheritdoc />
    public void Remove(string hostPath)
    {
        try
        {
            File.Delete(Local(hostPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.WriteRefused(hostPath, "(removal)", e);
        }
    }
}

/// <summary>Host paths under a sysroot, and the paths <c>tune</c> may ever touch.</summary>
public static class HostPaths
{
    /// <summary><paramref name="hostPath"/> (absolute) under <paramref name="sysRoot"/>.</summary>
    public static string Under(string sysRoot, string hostPath) =>
        IsHostRoot(sysRoot) ? hostPath : Path.Join(sysRoot, hostPath);

    /// <summary>Throws KVC085 when <paramref name="sysRoot"/> is this host's own root and <paramref name="euid"/> is not root's.</summary>
    public static void RequireRoot(string sysRoot, uint euid)
    {
        if (IsHostRoot(sysRoot) && euid != 0)
        {
            throw LinuxErrors.TuneNeedsRoot(euid);
        }
    }

    /// <summary>True when <paramref name="sysRoot"/> is this host's own root.</summary>
    public static bool IsHostRoot(string sysRoot) => Path.GetFullPath(sysRoot).TrimEnd('/').Length == 0;

    /// <summary>
    /// True for a path <c>tune</c> owns: a cpufreq or turbo file, a node's <c>nr_hugepages</c>, a <c>/proc/sys</c>
    /// value, or the drop-in. A journal naming anything else was not written by <c>tune</c> and is refused.
    /// </summary>
    public static bool Owned(string hostPath) =>
        !hostPath.Contains("/../", StringComparison.Ordinal) && !hostPath.EndsWith("/..", StringComparison.Ordinal)
        && (hostPath == SysctlRecommendations.DropInPath
            || hostPath.StartsWith("/proc/sys/", StringComparison.Ordinal)
            || (hostPath.StartsWith("/sys/devices/system/cpu/", StringComparison.Ordinal)
                && (hostPath.EndsWith("/scaling_governor", StringComparison.Ordinal) || hostPath.EndsWith("/scaling_max_freq", StringComparison.Ordinal)
                    || hostPath == "/sys/devices/system/cpu/intel_pstate/no_turbo" || hostPath == "/sys/devices/system/cpu/cpufreq/boost"))
            || (hostPath.StartsWith("/sys/devices/system/node/node", StringComparison.Ordinal) && hostPath.EndsWith("/nr_hugepages", StringComparison.Ordinal)));
}
