using System.Diagnostics;
using KvmConfig.Linux;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The Debian package of this checkout (<c>scripts/package.sh</c>), built once per test class and installed on this
/// machine for real with dpkg. Disposing purges it, so a failed test never leaves kvmconfig installed.
/// </summary>
/// <remarks>
/// <para>
/// Building is a Release publish of every project, minutes on two cores: a <c>dist/kvmconfig_*.deb</c> newer than
/// every source it is made from (<see cref="Sources"/>) is used as it is, and so is <c>$KVMCONFIG_DEB</c>. Otherwise the script builds the package
/// alone, without the standalone single file and without lintian (minutes more; <c>scripts/package.sh</c> runs it
/// whenever the package is built for release).
/// </para>
/// <para>
/// Installing needs root, and must not touch a kvmconfig the machine has of its own: with a kvmconfig package already
/// known to dpkg, a <c>/usr/bin/kvmconfig</c> or an <c>/etc/kvmconfig.d</c>, purging at the end would delete an
/// administrator's declarations. Then <see cref="Unavailable"/> says why, and the tests assert nothing.
/// </para>
/// </remarks>
public sealed class DebianPackage : IDisposable
{
    /// <summary>The package's name, as dpkg knows it.</summary>
    public const string Name = "kvmconfig";

    // Where the package build reads from: a .deb older than any file here is stale.
    private static readonly string[] Sources = ["src", "deploy", "scripts", "docs", "README.md", "Directory.Build.props", "Directory.Packages.props"];

    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(20);
    private static readonly TimeSpan CommandDeadline = TimeSpan.FromMinutes(2);

    private readonly Lazy<string> _deb;
    private bool _installedByUs;

    public DebianPackage()
    {
        Unavailable = WhyNotHere();
        _deb = new Lazy<string>(FindOrBuild);
    }

    /// <summary>Why the package cannot be installed on this machine, or null when it can.</summary>
    public string? Unavailable { get; }

    /// <summary>The .deb file, built first when <c>dist/</c> has none as new as the sources.</summary>
    public string Deb => _deb.Value;

    /// <summary>Installs the package with <c>dpkg -i</c> unless it is installed already.</summary>
    public void EnsureInstalled()
    {
        if (Status() == "install ok installed")
        {
            return;
        }

        _installedByUs = true;
        Result r = Run("dpkg", "-i", Deb);
        Assert.True(r.Exit == 0, $"dpkg -i {Deb} exited {r.Exit}\n{r.Out}\n{r.Err}");
    }

    /// <summary>dpkg's status of the package ("install ok installed", "deinstall ok config-files"), "" when unknown.</summary>
    public static string Status()
    {
        Result r = Run("dpkg-query", "-W", "-f=${Status}", Name);
        return r.Exit == 0 ? r.Out.Trim() : "";
    }

    /// <summary>Runs a program to its end (at most <see cref="CommandDeadline"/>) with stdin closed.</summary>
    public static Result Run(string file, params string[] args) => Run(file, args, null);

    /// <summary>Runs a program with extra environment variables.</summary>
    public static Result Run(string file, string[] args, IReadOnlyDictionary<string, string>? environment, TimeSpan? deadline = null)
    {
        var start = new ProcessStartInfo(file, args)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestData.RepositoryRoot,
        };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(deadline ?? CommandDeadline))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {deadline ?? CommandDeadline}");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Purges the package if this fixture installed it, whatever the tests did.</summary>
    public void Dispose()
    {
        if (_installedByUs && Status() != "")
        {
            Run("dpkg", "--purge", Name);
        }
    }

    private static string? WhyNotHere()
    {
        if (FileTrust.EffectiveUid != 0)
        {
            return $"installing a package needs root, and this test runs as uid {FileTrust.EffectiveUid}";
        }

        if (!File.Exists("/usr/bin/dpkg"))
        {
            return "this machine has no dpkg: the package is for Debian and its derivatives";
        }

        if (Status() is { Length: > 0 } status)
        {
            return $"dpkg already knows a {Name} package here ({status}): the test would replace it and purge its configuration " +
                $"(if a killed test run left it, `dpkg --purge {Name}` clears the way)";
        }

        foreach (string path in (string[])["/usr/bin/kvmconfig", "/etc/kvmconfig.d"])
        {
            if (Path.Exists(path))
            {
                return $"{path} exists on this machine, not from the package: purging at the end would delete it";
            }
        }

        return null;
    }

    /// <summary>
    /// The package to install: <c>$KVMCONFIG_DEB</c>, else a <c>dist/</c> package newer than every source, else one
    /// scripts/package.sh builds now (without lintian and the single file, which are not installed). The Ansible role's
    /// test takes the same one, so one run of the suite builds it once.
    /// </summary>
    internal static string FindOrBuild()
    {
        // As the Ansible role's test does: KVMCONFIG_DEB names a package built already, by scripts/package.sh.
        if (Environment.GetEnvironmentVariable("KVMCONFIG_DEB") is { Length: > 0 } given)
        {
            Assert.True(File.Exists(given), $"KVMCONFIG_DEB={given}: no such file");
            return given;
        }

        string dist = Path.Combine(TestData.RepositoryRoot, "dist");
        DateTime sources = Sources.Select(s => Path.Combine(TestData.RepositoryRoot, s)).Max(NewestWrite);
        string? built = Directory.Exists(dist)
            ? Directory.EnumerateFiles(dist, $"{Name}_*.deb").Where(f => File.GetLastWriteTimeUtc(f) > sources).MaxBy(File.GetLastWriteTimeUtc)
            : null;
        if (built is not null)
        {
            return built;
        }

        Result r = Run(Path.Combine(TestData.RepositoryRoot, "scripts", "package.sh"), ["--no-lintian", "--no-single-file"], null, BuildDeadline);
        Assert.True(r.Exit == 0, $"scripts/package.sh exited {r.Exit}\n{r.Out}\n{r.Err}");
        string deb = r.Out.Trim().Split('\n')[^1];
        Assert.True(File.Exists(deb), $"scripts/package.sh printed '{deb}', which is not a file");
        return deb;
    }

    // The newest modification time of a file, or of any file under a directory (build outputs left out).
    private static DateTime NewestWrite(string path) =>
        File.Exists(path)
            ? File.GetLastWriteTimeUtc(path)
            : new DirectoryInfo(path).EnumerateFiles("*", SearchOption.AllDirectories)
                .Where(f => !f.FullName.Contains("/bin/", StringComparison.Ordinal) && !f.FullName.Contains("/obj/", StringComparison.Ordinal))
                .Select(f => f.LastWriteTimeUtc)
                .DefaultIfEmpty(DateTime.MinValue)
                .Max();

    /// <summary>How a program ended and what it printed.</summary>
    public sealed record Result(int Exit, string Out, string Err);
}
