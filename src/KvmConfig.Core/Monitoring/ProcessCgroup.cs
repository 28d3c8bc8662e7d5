namespace KvmConfig.Core.Monitoring;

/// <summary>
/// Which cgroups a process belongs to, from <c>/proc/PID/cgroup</c>: per cgroup v1 hierarchy (by controller) and in
/// the unified v2 hierarchy.
/// </summary>
/// <param name="V1">Path per v1 controller (<c>cpu</c>, <c>memory</c>, <c>blkio</c>, ...), relative to that hierarchy's mount.</param>
/// <param name="Unified">The path in the v2 hierarchy (the <c>0::</c> line), or null.</param>
public sealed record ProcessCgroup(IReadOnlyDictionary<string, string> V1, string? Unified)
{
    /// <summary>
    /// Parses <c>/proc/PID/cgroup</c>: lines <c>ID:CONTROLLERS:PATH</c>, where v1 lines name their controllers
    /// (comma-separated) and the v2 line is <c>0::PATH</c>. Throws <see cref="FormatException"/> on a line that has
    /// not three colon-separated parts or a path that is not absolute.
    /// </summary>
    public static ProcessCgroup Parse(string text)
    {
        //   12:cpu,cpuacct:/machine/qemu-1-web1.libvirt-qemu/emulator        (v1, no systemd)
        //   0::/machine.slice/machine-qemu\x2d1\x2dweb1.scope/libvirt/emulator (v2, systemd)
        // The path may itself hold colons, so only the first two separate.
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? unified = null;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3 || !parts[2].StartsWith('/'))
            {
                throw new FormatException($"line {number}: '{ProcText.Shorten(line)}' is not ID:CONTROLLERS:/PATH");
            }

            if (parts[0] == "0" && parts[1].Length == 0)
            {
                unified = parts[2];
                continue;
            }

            foreach (string controller in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                v1[controller] = parts[2];
            }
        }

        return new ProcessCgroup(v1, unified);
    }

    /// <summary>
    /// The domain's cgroup from a QEMU process's: libvirt moves the process into an <c>emulator</c> child of the
    /// domain's group (next to <c>vcpu0</c>, <c>vcpu1</c>, ... with their own pinning), so the domain's is the parent.
    /// A path not ending in <c>/emulator</c> is the domain's already.
    /// </summary>
    public static string DomainGroup(string processPath) =>
        processPath.EndsWith("/emulator", StringComparison.Ordinal) ? processPath[..^"/emulator".Length] : processPath;
}
