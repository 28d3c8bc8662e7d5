using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig topology</c> end to end through the real entry point: options given without their value are usage
/// errors (exit 2) that say what the option needs, never Spectre.Console.Cli's internal "__default_command".
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TopologyCommandTests
{
    [Theory]
    [InlineData(new[] { "topology", "--sysroot" }, "--sysroot needs a directory, e.g. --sysroot /captures/host1", "--sysroot last, without its directory")]
    [InlineData(new[] { "topology", "--sysroot", "--format", "json" }, "--sysroot needs a directory", "--sysroot followed by another option")]
    [InlineData(new[] { "topology", "--sysroot", "" }, "--sysroot needs a directory", "--sysroot with an empty directory")]
    [InlineData(new[] { "topology", "--format" }, "--format needs a value: one of text, json, parse", "--format last, without its value")]
    [InlineData(new[] { "check", "--sysroot" }, "--sysroot needs a directory", "the same option on check")]
    public void An_option_without_its_value_exits_2_and_says_what_it_needs(string[] args, string message, string description)
    {
        CliResult r = Run(args);

        Assert.True(r.Exit == 2, $"{description}: exit {r.Exit}\nstdout:\n{r.Out}\nstderr:\n{r.Err}");
        Assert.DoesNotContain("__default_command", r.Out + r.Err);
        Assert.True((r.Out + r.Err).Contains(message, StringComparison.Ordinal), $"{description}:\n{r.Out}{r.Err}");
        Assert.DoesNotContain("   at ", r.Out + r.Err);
    }

    [Fact]
    public void A_sysroot_holding_a_capture_is_shown()
    {
        CliResult r = Run("topology", "--sysroot", TestData.Path("sysfs", "desktop-1s-20cpu"), "--format", "json");

        Assert.True(r.Exit == 0, $"exit {r.Exit}\n{r.Err}");
        Assert.Equal("", r.Err);
        Assert.StartsWith("{", r.Out.TrimStart());
    }

    [Fact]
    public void Parse_keeps_stdout_lscpu_shaped_and_puts_the_notes_on_stderr()
    {
        CliResult r = Run("topology", "--sysroot", TestData.Path("sysfs", "no-topology-dir"), "--format", "parse");

        Assert.True(r.Exit == 0, $"exit {r.Exit}\n{r.Err}");
        Assert.All(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.Matches(@"^(#.*|\d+,\d+,\d+,\d+,)$", line));
        Assert.StartsWith("kvmconfig: warning: the kernel gives no topology/ directory", r.Err);
    }

    [Theory]
    [InlineData("acpi-cpufreq-shared-policy", "Scaling governor:      schedutil (offered: conservative, ondemand, performance, powersave, schedutil, userspace)", "related_cpus \"0 1 2 3 4 5 6 7\" was KVC093")]
    [InlineData("s390-books-drawers", "Socket(s):             4", "books are not sockets")]
    [InlineData("list-trailing-nul", "Thread(s) per core:    2", "a NUL after every list")]
    public void Shapes_that_used_to_stop_topology_are_shown(string tree, string line, string description)
    {
        CliResult r = Run("topology", "--sysroot", TestData.Path("sysfs", tree));

        Assert.True(r.Exit == 0, $"{description}: exit {r.Exit}\n{r.Err}");
        Assert.True(r.Out.Contains(line, StringComparison.Ordinal), $"{description}:\n{r.Out}");
    }

    private static CliResult Run(params string[] args) => CliRunner.Run(args);
}
