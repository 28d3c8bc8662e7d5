using System.Text.Json;
using System.Text.RegularExpressions;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary><c>kvmconfig --version</c>, and the same version opening every JSON document, so that a script knows which kvmconfig wrote it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class VersionTests
{
    [Fact]
    public void Version_prints_the_number_and_the_commit_it_was_built_from()
    {
        CliResult r = Run("--version");

        Assert.True(r.Exit == 0, r.Err);
        Match m = VersionLine().Match(r.Out);
        Assert.True(m.Success, r.Out);
        // Built from a git checkout, the commit is the one checked out; a build without git says no commit.
        string head = Git("rev-parse", "HEAD");
        Assert.True(head.Length == 0 ? !m.Groups[2].Success : head.StartsWith(m.Groups[2].Value, StringComparison.Ordinal), $"{r.Out} against HEAD {head}");
    }

    [Theory]
    [InlineData("topology")]
    [InlineData("check")]
    [InlineData("plan")]
    public void Every_json_document_opens_with_the_version(string command)
    {
        string sysroot = TestData.Path("sysfs", "desktop-1s-20cpu");
        using var dir = new ConfigDir(("00-vm1.conf", "cpus = 1-4\n"));
        string[] args = command == "topology"
            ? [command, "--sysroot", sysroot, "--format", "json"]
            : [command, "--sysroot", sysroot, "--config-dir", dir.Dir, "--format", "json"];
        Match version = VersionLine().Match(Run("--version").Out);

        CliResult r = Run(args);

        Assert.True(r.Exit == 0, r.Err);
        using JsonDocument doc = JsonDocument.Parse(r.Out);
        JsonProperty first = doc.RootElement.EnumerateObject().First();
        Assert.Equal("version", first.Name);
        Assert.Equal(version.Groups[2].Success ? $"{version.Groups[1].Value}+{version.Groups[2].Value}" : version.Groups[1].Value, first.Value.GetString());
    }

    private static string Git(params string[] args)
    {
        using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", args)
        {
            WorkingDirectory = TestData.RepositoryRoot,
            RedirectStandardOutput = true,
        })!;
        string output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : "";
    }

    [GeneratedRegex(@"^kvmconfig (\d+\.\d+\.\d+)(?: \(commit ([0-9a-f]{12})\))?\n$")]
    private static partial Regex VersionLine();
}
