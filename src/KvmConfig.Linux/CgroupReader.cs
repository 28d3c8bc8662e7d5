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
    public CgroupCpuStat? ReadCpuStat(ProcessCgroup process) =>
        StatFilesOf(process).CpuStat is { } path && ReadIfPresent(path) is { } text ? ParseCpuStat(path, text) : null;

    /// <summary>
    /// The I/O per host device of the domain <paramref name="process"/> belongs to: v2 <c>io.stat</c>, or v1
    /// <c>blkio.throttle.io_service_bytes_recursive</c> and <c>io_serviced_recursive</c> (which count whatever the
    /// I/O scheduler).
    /// </summary>
    public IReadOnlyList<CgroupIoDevice>? ReadIo(ProcessCgroup process)
    {
        CgroupStatFiles files = StatFilesOf(process);
        if (files.Io is not { } path || ReadIfPresent(path) is not { } text)
        {
            return null;
        }

        if (files.IoOps is not { } opsPath)
        {
            return ParseIo(files, text, null);
        }

        return ReadIfPresent(opsPath) is { } ops ? ParseIo(files, text, ops) : null;
    }

    /// <summary>
    /// The files <see cref="ReadCpuStat"/> and <see cref="ReadIo"/> read for the domain <paramref name="process"/>
    /// belongs to, for a sampler that keeps them open across sweeps (their text is made again at each read from offset
    /// 0) and hands what it reads to <see cref="ParseCpuStat"/> and <see cref="ParseIo"/>.
    /// </summary>
    public CgroupStatFiles StatFilesOf(ProcessCgroup process)
    {
        string? cpuStat = process.V1.TryGetValue("cpu", out string? cpuV1)
            ? FirstExisting(Under("cpu", cpuV1, "cpu.stat"), Under("cpu,cpuacct", cpuV1, "cpu.stat"))
            : process.Unified is { } unifiedCpu ? Under(null, unifiedCpu, "cpu.stat") : null;
        if (process.V1.TryGetValue("blkio", out string? blkioV1))
        {
            return new CgroupStatFiles(
                cpuStat,
                Under("blkio", blkioV1, "blkio.throttle.io_service_bytes_recursive"),
                Under("blkio", blkioV1, "blkio.throttle.io_serviced_recursive"));
        }

        return new CgroupStatFiles(cpuStat, process.Unified is { } unified ? Under(null, unified, "io.stat") : null, null);
    }

    /// <summary>
    /// The CPU bandwidth counters in the text of the <c>cpu.stat</c> at <paramref name="path"/>; null when the group's
    /// cpu controller is off (a v2 group's <c>cpu.stat</c> then has only the usage lines, no <c>nr_periods</c>).
    /// </summary>
    public static CgroupCpuStat? ParseCpuStat(string path, string text) =>
        text.Contains("nr_periods", StringComparison.Ordinal) ? Parse(path, text, CgroupCpuStat.Parse) : null;

    /// <summary>
    /// The I/O per host device in the text of <paramref name="files"/>' I/O file (<paramref name="io"/>) and, on v1,
    /// its operations file (<paramref name="ops"/>; ignored on v2).
    /// </summary>
    public static IReadOnlyList<CgroupIoDevice> ParseIo(CgroupStatFiles files, string io, string? ops)
    {
        string path = files.Io ?? throw new ArgumentException("the group has no I/O file", nameof(files));
        return files.IoOps is null
            ? Parse(path, io, CgroupIoDevice.ParseV2)
            : Parse(path, io, b => CgroupIoDevice.ParseV1(b, ops ?? throw new ArgumentNullException(nameof(ops), "v1 needs both blkio files")));
    }

    private string Under(string? hierarchy, string processGroup, string file) =>
        Path.Combine(hierarchy is null ? Root : Path.Combine(Root, hierarchy), ProcessCgroup.DomainGroup(processGroup).TrimStart('/'), file);

    private static string? FirstExisting(params string[] paths) => paths.FirstOrDefault(File.Exists) ?? paths[0];

}

/// <summary>
/// The cgroup files behind a domain's CPU bandwidth and I/O counters (<see cref="CgroupReader.StatFilesOf"/>); each is
/// null when the process's <c>/proc/PID/cgroup</c> has no line for its controller.
/// </summary>
/// <param name="CpuStat">The domain group's <c>cpu.stat</c> (v1 cpu hierarchy or v2).</param>
/// <param name="Io">v2 <c>io.stat</c>, or v1 <c>blkio.throttle.io_service_bytes_recursive</c>.</param>
/// <param name="IoOps">v1 <c>blkio.throttle.io_serviced_recursive</c>; null on v2.</param>
public sealed record CgroupStatFiles(string? CpuStat, string? Io, string? IoOps);
