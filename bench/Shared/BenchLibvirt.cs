using System.Diagnostics;
using KvmConfig.Libvirt;

namespace KvmConfig.Bench.Shared;

/// <summary>The harness could not measure what it claims to (a domain vanished, a check failed): exit code 2.</summary>
internal sealed class BenchFailure(string message) : Exception(message);

/// <summary>What the benches that run real domains share: the repository, the daemon, their domains, the file system.</summary>
internal static class BenchLibvirt
{
    /// <summary>The directory holding <c>KvmConfig.slnx</c>, above the harness's binaries or the current directory.</summary>
    public static string RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "KvmConfig.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new BenchFailure("KvmConfig.slnx not found above the bench's directory or the current one");
    }

    /// <summary>
    /// Runs <c>scripts/libvirt-up.sh</c>: it installs nothing present and starts nothing running, so it is cheap when the
    /// daemon is up, and it gives <c>/dev/kvm</c> to group kvm, without which every define probes QEMU again (about 50 s).
    /// </summary>
    public static void StartDaemon()
    {
        string script = Path.Combine(RepositoryRoot(), "scripts", "libvirt-up.sh");
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true };
        using Process process = Process.Start(start) ?? throw new BenchFailure($"cannot run {script}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new BenchFailure($"{script} exited {process.ExitCode}: {stderr}{stdout.Result}");
        }
    }

    /// <summary>libvirt's version number (major * 1,000,000 + minor * 1,000 + release) as text.</summary>
    public static string Version(ulong v) => $"{v / 1_000_000}.{v / 1000 % 1000}.{v % 1000}";

    /// <summary>Destroys and undefines every domain whose name starts with <paramref name="prefix"/>.</summary>
    /// <returns>How many there were, and one line per domain that could not be removed.</returns>
    public static (int Found, IReadOnlyList<string> Errors) RemoveAll(LibvirtConnection connection, string prefix)
    {
        var errors = new List<string>();
        int found = 0;
        foreach (LibvirtDomain domain in connection.ListAllDomains())
        {
            using (domain)
            {
                if (!domain.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                found++;
                try
                {
                    if (domain.IsActive)
                    {
                        domain.Destroy();
                    }

                    if (domain.IsPersistent)
                    {
                        domain.Undefine();
                    }
                }
                catch (LibvirtException e)
                {
                    errors.Add($"{domain.Name}: {e.Message}");
                }
            }
        }

        return (found, errors);
    }

    /// <summary>The file system type holding <paramref name="path"/> (longest mount point containing it, /proc/self/mounts).</summary>
    public static string FileSystem(string path)
    {
        (string Mount, string Type) best = ("", "unknown");
        foreach (string line in File.ReadLines("/proc/self/mounts"))
        {
            string[] f = line.Split(' ');
            if (f.Length > 2 && (path == f[1] || path.StartsWith(f[1].TrimEnd('/') + "/", StringComparison.Ordinal)) && f[1].Length >= best.Mount.Length)
            {
                best = (f[1], f[2]);
            }
        }

        return $"{best.Type} on {best.Mount}";
    }
}
