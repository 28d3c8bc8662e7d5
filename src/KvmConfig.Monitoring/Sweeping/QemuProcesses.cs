using System.Globalization;
using KvmConfig.Core;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// Finds the QEMU process of a running domain on the local host: libvirt's QEMU driver writes its pid to
/// <c>/run/libvirt/qemu/NAME.pid</c> (the system instance's state directory) when it starts the domain and removes it
/// when the domain stops. With the pid, everything else comes from <c>/proc/PID</c>, at microseconds per file,
/// instead of libvirt's bulk statistics at about 15 ms per domain.
/// </summary>
/// <param name="runRoot">libvirt's QEMU state directory; <c>/run/libvirt/qemu</c> for <c>qemu:///system</c>.</param>
public sealed class QemuProcesses(string runRoot = QemuProcesses.SystemRunRoot)
{
    /// <summary>The state directory of <c>qemu:///system</c>.</summary>
    public const string SystemRunRoot = "/run/libvirt/qemu";

    /// <summary>The pid of <paramref name="domain"/>'s QEMU process, or null when it is not running here.</summary>
    /// <exception cref="KvmConfigException">KVC093 when the pid file exists but does not hold a pid.</exception>
    public int? PidOf(string domain)
    {
        string path = Path.Combine(runRoot, domain + ".pid");
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        // The file holds the decimal pid, with or without a newline.
        return int.TryParse(text.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0
            ? pid
            : throw MonitoringErrors.NotAPid(path, text);
    }
}
