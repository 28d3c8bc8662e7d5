using System.Text.RegularExpressions;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The Debian package installed on this machine for real (<c>dpkg -i</c>), used as an administrator would, then
/// purged. Installing puts files in /usr, /etc and /lib/systemd, and the build is two Release publishes: the class
/// carries the "Serial" trait (scripts/test.sh runs it after every other test, alone) and its own collection.
/// The package is built once for the class (<see cref="DebianPackage"/>), which purges it at the end.
/// </summary>
[Trait("Category", "Serial")]
[Collection(Name)]
public sealed partial class PackageInstallTests(DebianPackage package, ITestOutputHelper output) : IClassFixture<DebianPackage>, IDisposable
{
    /// <summary>The collection: nothing else of this assembly runs while the package is on the machine.</summary>
    public const string Name = "debian package";

    private const string Binary = "/usr/bin/kvmconfig";

    // Every run of the installed binary gets an empty home: the package's kvmconfig must not unpack anything there.
    private readonly string _home = Directory.CreateTempSubdirectory("kvmconfig-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public void The_installed_kvmconfig_checks_the_shipped_policy_on_this_host()
    {
        // Given the package installed
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();

        // When the administrator runs check on the shipped /etc/kvmconfig.d
        DebianPackage.Result check = Kvmconfig("check");

        // Then the commented 00-cpu.conf passes on this host, and the binary is the packaged version
        Assert.True(check.Exit == 0, $"exit {check.Exit}\n{check.Out}\n{check.Err}");
        Assert.StartsWith("check ok: 0 errors, 0 warnings", check.Out, StringComparison.Ordinal);
        Assert.Contains("0 VMs in 1 file of /etc/kvmconfig.d, against this host", check.Out, StringComparison.Ordinal);
        Assert.Equal("", check.Err);
        string version = DebianPackage.Run("dpkg-query", "-W", "-f=${Version}", DebianPackage.Name).Out;
        Assert.StartsWith($"kvmconfig {version}", Kvmconfig("--version").Out, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_home));
    }

    [Fact]
    public void The_native_libraries_load_from_the_package_for_OR_Tools_SQLite_and_libvirt()
    {
        // Given the package installed, a two-node cluster, a history and libvirt's test driver
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        string capabilities = TestData.Path("capabilities", "xeon-2s-4numa-snc-80cpu.xml");
        using var cluster = new ConfigDir(("00-cluster.conf",
            $"[node a]\ncapabilities = {capabilities}\n[node b]\ncapabilities = {capabilities}\n[vm db1]\nprofile = database\n"));
        string history = Path.Combine(_home, "..", $"kvmconfig-history-{Guid.NewGuid():N}.db");
        ReportHistory.Write(history);
        try
        {
            // When each library is used through /usr/bin/kvmconfig
            DebianPackage.Result exact = Kvmconfig("cluster", "plan", "--config-dir", cluster.Dir, "--exact", "--time-limit", "20s");
            DebianPackage.Result report = Kvmconfig("report", "--history", history, "--since", "2025-03-01T00:00Z", "--until", "2025-03-01T03:00Z");
            DebianPackage.Result status = Kvmconfig("status", "--connect", "test:///default");

            // Then OR-Tools solves, SQLite reads the history, libvirt answers; nothing was unpacked under $HOME
            Assert.True(exact.Exit == 0, $"cluster plan exit {exact.Exit}\n{exact.Out}\n{exact.Err}");
            Assert.Contains("solver: CP-SAT", exact.Out, StringComparison.Ordinal);
            Assert.True(report.Exit == 0, $"report exit {report.Exit}\n{report.Err}");
            Assert.Contains("720 sweeps from 2025-03-01T00:00:00Z to 2025-03-01T01:59:50Z, 3 domains", report.Out, StringComparison.Ordinal);
            Assert.True(status.Exit == 0, $"status exit {status.Exit}\n{status.Out}\n{status.Err}");
            Assert.Contains("against libvirt test:///default", status.Out, StringComparison.Ordinal);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_home));
        }
        finally
        {
            File.Delete(history);
        }
    }

    [Fact]
    public void The_man_page_documents_every_command_and_each_of_its_options()
    {
        // Given the package installed and what the binary's help lists
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        List<string> paths = CommandPaths([]);
        Assert.Contains("cluster plan", paths);

        // When the page is rendered as man shows it
        DebianPackage.Result man = DebianPackage.Run("man", ["-P", "cat", "-l", "/usr/share/man/man1/kvmconfig.1.gz"],
            new Dictionary<string, string> { ["MANWIDTH"] = "200", ["LC_ALL"] = "C.UTF-8" });

        // Then each command has its section, naming every option its --help gives
        Assert.True(man.Exit == 0, man.Err);
        Assert.Equal("", man.Err);
        string page = Overstrike().Replace(man.Out, "");
        Dictionary<string, string> sections = ManSections(page);
        foreach (string path in paths)
        {
            Assert.True(sections.TryGetValue(path, out string? section), $"no section 'kvmconfig {path}' in the man page; it has: {string.Join(", ", sections.Keys)}");
            foreach (string option in Options(path.Split(' ')))
            {
                Assert.True(section.Contains(option, StringComparison.Ordinal), $"'kvmconfig {path}' in the man page lacks {option}");
            }
        }
    }

    [Theory]
    [InlineData("kvmconfig che", "check")]
    [InlineData("kvmconfig cluster p", "plan")]
    [InlineData("kvmconfig cluster plan --skip-u", "--skip-unreachable")]
    [InlineData("kvmconfig check --conf", "--config-dir")]
    [InlineData("kvmconfig topology --format p", "parse")]
    [InlineData("kvmconfig check --config-dir /etc --verb", "--verbose")]
    public void Bash_completes_commands_subcommands_options_and_values(string line, string expected)
    {
        // Given the package's completion loaded into bash, as bash-completion loads it
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        string script = $$"""
            source /usr/share/bash-completion/completions/kvmconfig
            COMP_WORDS=({{line}}); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
            _kvmconfig
            printf '%s\n' "${COMPREPLY[@]}"
            """;

        // When the last word is completed
        DebianPackage.Result r = DebianPackage.Run("bash", "-c", script);

        // Then the one candidate is the expected word
        Assert.True(r.Exit == 0, r.Err);
        Assert.Equal(expected, r.Out.Trim());
    }

    private bool Skipped()
    {
        if (package.Unavailable is { } reason)
        {
            output.WriteLine($"skipped: {reason}");
            return true;
        }

        return false;
    }

    private DebianPackage.Result Kvmconfig(params string[] args) =>
        DebianPackage.Run(Binary, args, new Dictionary<string, string> { ["HOME"] = _home, ["NO_COLOR"] = "1" });

    // Every command path of the installed binary ("check", "cluster plan", ...), from the COMMANDS section of each help.
    private List<string> CommandPaths(string[] parent)
    {
        var paths = new List<string>();
        foreach (string name in Section(Help(parent), "COMMANDS").Select(line => line.Trim().Split(' ')[0]))
        {
            string[] path = [.. parent, name];
            paths.Add(string.Join(' ', path));
            paths.AddRange(CommandPaths(path));
        }

        return paths;
    }

    // The long option names ("--config-dir") of a command, from its help.
    private List<string> Options(string[] path) =>
        Section(Help(path), "OPTIONS").Select(line => LongOption().Match(line)).Where(m => m.Success).Select(m => m.Value).ToList();

    private string Help(string[] path)
    {
        DebianPackage.Result r = DebianPackage.Run(Binary, [.. path, "--help"], new Dictionary<string, string> { ["HOME"] = _home, ["COLUMNS"] = "100000" });
        Assert.True(r.Exit == 0, $"{string.Join(' ', path)} --help: {r.Err}");
        return r.Out;
    }

    // The lines of a "NAME:" section of --help, up to the blank line that ends it.
    private static IEnumerable<string> Section(string help, string name) =>
        help.Split('\n').SkipWhile(l => l != $"{name}:").Skip(1).TakeWhile(l => l.Trim().Length > 0);

    // The rendered page cut at its command headings, which man indents by 3 ("   kvmconfig check [OPTIONS]").
    private static Dictionary<string, string> ManSections(string page)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string? current = null;
        foreach (string line in page.Split('\n'))
        {
            if (Heading().Match(line) is { Success: true } heading)
            {
                current = heading.Groups[1].Value;
                sections[current] = "";
            }
            else if (current is not null)
            {
                sections[current] += line + "\n";
            }
        }

        return sections;
    }

    [GeneratedRegex(@"^   kvmconfig ([a-z][a-z-]*(?: [a-z][a-z-]*)*)(?: \[| <|$)")]
    private static partial Regex Heading();

    [GeneratedRegex(@"--[a-z][a-z0-9-]*")]
    private static partial Regex LongOption();

    // man's bold and underline when it writes to a pipe: "c\bc" and "_\bc".
    [GeneratedRegex(".\b")]
    private static partial Regex Overstrike();
}

[CollectionDefinition(PackageInstallTests.Name, DisableParallelization = true)]
public sealed class PackageInstallCollection;
