using System.Diagnostics;

namespace KvmConfig.MonitorBench;

/// <summary>The libvirt daemon and the repository the harness runs in.</summary>
internal static class Daemon
{
    /// <summary>The system instance of the QEMU driver, whose domains <c>kvmconfig serve</c> samples.</summary>
    public const string Uri = "qemu:///system";

    /// <summary>
    /// Runs <c>scripts/libvirt-up.sh</c>: it installs nothing present and starts nothing running, so it is cheap when the
    /// daemon is up, and it gives <c>/dev/kvm</c> to group kvm, without which every define probes QEMU again (about 50 s).
    /// </summary>
    public static void Start()
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

    /// <summary>libvirt's version number (major * 1,000,000 + minor * 1,000 + release) as text.</summary>
    public static string Version(ulong v) => $"{v / 1_000_000}.{v / 1000 % 1000}.{v % 1000}";
}
