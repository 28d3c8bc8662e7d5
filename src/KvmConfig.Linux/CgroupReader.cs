using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux;

/// <summary>
/// Reads a domain's cgroup statistics under the cgroup mount (<c>/sys/fs/cgroup</c>, or a captured tree), on either
/// cgroup version: libvirt puts a domain's QEMU process in the <c>emulator</c> child of the domain's group, whose
/// files sum the domain's vCPU, emulator and I/O threads.
/// </summary>
/// <remarks>
/// Where a controller is on a v1 hierarchy (a host booted with the legacy or hybrid layout, as Debian without systemd
/// is), the path of <c>/proc/PID/cgroup</c>'s line for it is under <c>ROOT/CONTROLLER</c> (<c>cpu</c> is usually a
/// link to <c>cpu,cpuacct</c>); on a unified v2 host it is the <c>0::</c> line's under <c>ROOT</c>. Every method
/// returns null when the controller is not enabled for the group or the group is gone (the domain stopped), and throws
/// <see cref="KvmConfigException"/> (<see cref="Rules.Unreadable"/>) naming the file when it exists but cannot be
/// read or parsed.
/// </remarks>
/// <param name="root">Where the cgroup file systems are mounted.</param>
public sealed class CgroupReader(string root = "/sys/fs/cgroup")
{
    /// <summary>Where the cgroup file systems are mounted.</summary>
    public string Root { get; } = root;

    /// <summary>The CPU bandwidth counters (<c>cpu.stat</c>) of the domain <paramref name="process"/> belongs to.</summary>
    public CgroupCpuStat? ReadCpuStat(ProcessCgroup process)
    {
        string? path = process.V1.TryGetValue("cpu", out string? v1)
            ? FirstExisting(Under("cpu", v1, "cpu.stat"), Under("cpu,cpuacct", v1, "cpu.stat"))
            : process.Unified is { } unified ? Under(null, unified, "cpu.stat") : null;

        // A v2 group whose cpu controller is off has a cpu.stat with only the usage lines.
        return path is not null && ReadIfPresent(path) is { } text && text.Contains("nr_periods", StringComparison.Ordinal)
            ? Parse(path, text, CgroupCpuStat.Parse)
            : null;
    }

    /// <summary>
    /// The I/O per host device of the domain <paramref name="process"/> belongs to: v2 <c>io.stat</c>, or v1
    /// <c>blkio.throttle.io_service_bytes_recursive</c> and <c>io_serviced_recursive</c> (which count whatever the
    /// I/O scheduler).
    /// </summary>
    public IReadOnlyList<CgroupIoDevice>? ReadIo(ProcessCgroup process)
    {
        if (process.V1.TryGetValue("blkio", out string? v1))
        {
            string bytesPath = Under("blkio", v1, "blkio.throttle.io_service_bytes_recursive");
            string opsPath = Under("blkio", v1, "blkio.throttle.io_serviced_recursive");
            return ReadIfPresent(bytesPath) is { } bytes && ReadIfPresent(opsPath) is { } ops ? Parse(bytesPath, bytes, b => CgroupIoDevice.ParseV1(b, ops)) : null;
        }

        if (process.Unified is { } unified)
        {
            string path = Under(null, unified, "io.stat");
            return ReadIfPresent(path) is { } text ? Parse(path, text, CgroupIoDevice.ParseV2) : null;
        }

        return null;
    }

    private string Under(string? hierarchy, string processGroup, string file) =>
        Path.Combine(hierarchy is null ? Root : Path.Combine(Root, hierarchy), ProcessCgroup.DomainGroup(processGroup).TrimStart('/'), file);

    private static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists) ?? paths[0];

}
