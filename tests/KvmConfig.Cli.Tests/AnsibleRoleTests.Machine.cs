using System.Diagnostics;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// A test that needs kvmconfig's Debian package: it is built by scripts/package.sh, so without that script in the
/// checkout there is nothing to install and the test is skipped, saying so. <c>KVMCONFIG_DEB=FILE</c> names a package
/// built already (by scripts/package.sh) instead of building one.
/// </summary>
internal sealed class PackageFactAttribute : FactAttribute
{
    private const string DebVariable = "KVMCONFIG_DEB";

    public PackageFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(DebVariable) is null && !File.Exists(Script))
        {
            Skip = "scripts/package.sh not present";
        }
    }

    private static string Script => Path.Combine(TestData.RepositoryRoot, "scripts", "package.sh");

    /// <summary>The package: <c>$KVMCONFIG_DEB</c>, else the one the install test uses (<see cref="DebianPackage.FindOrBuild"/>).</summary>
    public static string Build(ITestOutputHelper output)
    {
        string deb = DebianPackage.FindOrBuild();
        output.WriteLine($"package: {deb}");
        return deb;
    }
}

/// <summary>
/// What the role touches on this machine, put back on dispose: the package is purged, and /etc/kvmconfig.d (moved
/// aside when it existed, so the role's exclusive shipping cannot delete a file of it) comes back as it was; the
/// directories kvmconfig may create (/var/lib/kvmconfig, /run/kvmconfig, the role's default package cache) are
/// removed when they did not exist before.
/// </summary>
internal sealed class MachineState : IDisposable
{
    private const string ConfigDir = "/etc/kvmconfig.d";
    private static readonly string[] Created = ["/var/lib/kvmconfig", "/run/kvmconfig", "/var/cache/kvmconfig"];

    private readonly string? _aside;
    private readonly string[] _absent;

    private MachineState(string? aside, string[] absent)
    {
        _aside = aside;
        _absent = absent;
    }

    /// <summary>True when dpkg says kvmconfig is installed (or half-installed, or its configuration files remain).</summary>
    public static bool PackageInstalled() =>
        Command("dpkg-query", TimeSpan.FromSeconds(30), "-W", "-f=${db:Status-Abbrev}", "kvmconfig") is (0, var status) && status.Trim() is not ("" or "un");

    /// <summary>Records the state and moves /etc/kvmconfig.d aside.</summary>
    public static MachineState Save()
    {
        string? aside = null;
        if (Directory.Exists(ConfigDir))
        {
            aside = $"{ConfigDir}.kvmct-{Environment.ProcessId}";
            Directory.Move(ConfigDir, aside);
        }

        return new MachineState(aside, [.. Created.Where(p => !Directory.Exists(p))]);
    }

    /// <summary>Runs <paramref name="file"/>; the exit code and stdout and stderr together.</summary>
    public static (int Exit, string Output) Command(string file, TimeSpan deadline, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestData.RepositoryRoot };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} took more than {deadline.TotalSeconds:0} s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        (int purged, string text) = Command("dpkg", TimeSpan.FromMinutes(5), "--purge", "kvmconfig");
        if (Directory.Exists(ConfigDir))
        {
            Directory.Delete(ConfigDir, recursive: true);
        }

        if (_aside is not null)
        {
            Directory.Move(_aside, ConfigDir);
        }

        foreach (string path in _absent.Where(Directory.Exists))
        {
            Directory.Delete(path, recursive: true);
        }

        Assert.True(purged == 0, $"dpkg --purge kvmconfig failed: {text}");
    }
}
