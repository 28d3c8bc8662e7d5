using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Linux;

/// <summary>
/// Reads a domain's cgroup statistics under the cgroup mount (<c>/sys/fs/cgroup</c>, or a captured tree), on either
/// cgroup version: libvirt puts a domain's QEMU process in the <c>emulator</c> child of the domain's group, whose
/// <c>cpu.stat</c> sums the domain's vCPU, emulator and I/O threads.
/// </summary>
/// <remarks>
/// Where the <c>cpu</c> controller is on a v1 hierarchy (a host booted with the legacy or hybrid layout, as Debian
/// without systemd is), the path of <c>/proc/PID/cgroup</c>'s <c>cpu</c> line is under <c>ROOT/cpu</c> (usually a
/// link to <c>cpu,cpuacct</c>); on a unified v2 host it is the <c>0::</c> line's under <c>ROOT</c>.
/// </remarks>
/// <param name="root">Where the cgroup file systems are mounted.</param>
public sealed class CgroupReader(string root = "/sys/fs/cgroup")
{
    /// <summary>Where the cgroup file systems are mounted.</summary>
    public string Root { get; } = root;

    /// <summary>
    /// The CPU bandwidth counters of the domain <paramref name="process"/> belongs to, or null when the cpu
    /// controller is not enabled for it (a v2 group without <c>cpu</c> in its parent's subtree_control has no
    /// <c>nr_periods</c>) or the group is gone (the domain stopped). Throws <see cref="KvmConfigException"/>
    /// (<see cref="Rules.Unreadable"/>) naming the file when it exists but cannot be read or parsed.
    /// </summary>
    public CgroupCpuStat? ReadCpuStat(ProcessCgroup process)
    {
        string? path = null;
        if (process.V1.TryGetValue("cpu", out string? v1))
        {
            path = Under(ProcessCgroup.DomainGroup(v1), "cpu");
            if (!File.Exists(path))
            {
                path = Under(ProcessCgroup.DomainGroup(v1), "cpu,cpuacct");
            }
        }
        else if (process.Unified is { } unified)
        {
            path = Under(ProcessCgroup.DomainGroup(unified), null);
        }

        string text;
        try
        {
            if (path is null)
            {
                return null;
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot read {path}: {e.Message}", path, inner: e);
        }

        // A v2 group whose cpu controller is off has a cpu.stat with only the usage lines.
        if (!text.Contains("nr_periods", StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return CgroupCpuStat.Parse(text);
        }
        catch (FormatException e)
        {
            throw new KvmConfigException(Rules.Unreadable, $"{path}: {e.Message}", path,
                "the file does not hold what the kernel writes in cpu.stat; compare it with the same file on a running host", e);
        }
    }

    private string Under(string group, string? hierarchy) =>
        Path.Combine(hierarchy is null ? Root : Path.Combine(Root, hierarchy), group.TrimStart('/'), "cpu.stat");
}
