using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>--help</c> written to a pipe, as <c>kvmconfig apply --help | less</c> or a file does: the real binary in its own
/// process (Spectre writes help to the console it captured at start-up, which <see cref="CliRunner"/> cannot see), with
/// stdin, stdout and stderr all redirected so that no terminal of the test runner lends its width.
/// </summary>
public sealed partial class HelpLayoutTests
{
    /// <summary>Every command of the root help's COMMANDS section, and the root itself ("").</summary>
    public static TheoryData<string> Commands()
    {
        List<string> root = Lines(Help("", null));
        int start = root.IndexOf("COMMANDS:");
        Assert.True(start >= 0, string.Join('\n', root));
        var commands = new TheoryData<string> { "" };
        foreach (string line in root.Skip(start + 1).TakeWhile(l => l.Length > 0))
        {
            if (CommandLine().Match(line) is { Success: true } m)
            {
                commands.Add(m.Groups[1].Value);
            }
        }

        Assert.True(commands.Count > 5, string.Join('\n', root));
        return commands;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Redirected_help_wraps_at_COLUMNS_never_below_100(string command)
    {
        // COLUMNS unset and 80 both give the floor of 100; 140 is taken as it is.
        foreach ((string? columns, int width) in ((string?, int)[])[(null, 100), ("80", 100), ("140", 140)])
        {
            List<string> lines = Lines(Help(command, columns));
            string shown = $"COLUMNS={columns ?? "unset"}, kvmconfig {command} --help:\n{string.Join('\n', lines)}";

            List<string> prose = lines.Where(l => !IsExample(l)).ToList();
            Assert.True(prose.All(l => l.Length <= width), shown);
            Assert.True(prose.Max(l => l.Length) > width - 15, $"the longest line should reach near {width} columns\n{shown}");
            Assert.True(lines.All(l => l == l.TrimEnd()), $"lines end in blanks\n{shown}");
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_example_is_one_whole_line(string command)
    {
        List<string> lines = Lines(Help(command, null));
        int start = lines.IndexOf("EXAMPLES:");
        Assert.True(start >= 0, string.Join('\n', lines));

        // The section runs to the blank line: every line in it is a command line of its own, none a continuation.
        List<string> examples = lines.Skip(start + 1).TakeWhile(l => l.Length > 0).ToList();
        Assert.NotEmpty(examples);
        foreach (string example in examples)
        {
            Assert.True(IsExample(example), $"'{example}' is not a whole example\n{string.Join('\n', lines)}");
            if (command.Length > 0)
            {
                Assert.StartsWith($"    kvmconfig {command}", example);
            }
        }
    }

    [Fact]
    public void An_example_wider_than_the_page_runs_on_rather_than_wraps()
    {
        // serve's full example (listen, interval, history, retention) is wider than 100 columns.
        List<string> lines = Lines(Help("serve", "80"));

        string longest = lines.Where(IsExample).MaxBy(l => l.Length)!;
        Assert.True(longest.Length > 100, string.Join('\n', lines));
        Assert.EndsWith("--retention 7d", longest);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Descriptions_of_options_and_commands_get_half_the_page(string command)
    {
        // At the 100 columns of a pipe, each description gets 50 or more: never the 20 that apply's defaults column left.
        List<string> lines = Lines(Help(command, null));

        foreach (string header in (string[])["OPTIONS:", "COMMANDS:"])
        {
            int start = lines.IndexOf(header);
            if (start < 0)
            {
                continue;
            }

            foreach (string line in lines.Skip(start + 1).TakeWhile(l => l.Length > 0))
            {
                // A row opens with its names, then at least two blanks, then the description; a wrapped line is all
                // blanks up to the description column.
                Match row = Row().Match(line);
                int column = row.Success ? row.Groups[2].Index : line.Length - line.TrimStart().Length;
                Assert.True(100 - column >= 50, $"description from column {column} in '{line}'\n{string.Join('\n', lines)}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Help_names_no_file_outside_the_product(string command)
    {
        string help = Help(command, null);

        Assert.DoesNotContain("DESIGN", help, StringComparison.Ordinal);
        Assert.DoesNotContain("STYLE.md", help, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_shows_each_default_in_its_description_not_broken_in_a_column()
    {
        string help = Help("apply", null);

        // The default journal path, whole, closing the --journal description.
        Assert.Matches(@"--journal <DIR>\s+Where[^-]*Default:\s+/var/lib/kvmconfig/journal\n", help);
        Assert.DoesNotContain("DEFAULT", help, StringComparison.Ordinal);
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static bool IsExample(string line) => line.StartsWith("    kvmconfig", StringComparison.Ordinal);

    private static List<string> Lines(string text) => text.Split('\n').ToList();

    /// <summary><c>dotnet kvmconfig.dll COMMAND --help</c> with no terminal at all and COLUMNS as given (null: unset).</summary>
    private static string Help(string command, string? columns)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll"));
        if (command.Length > 0)
        {
            start.ArgumentList.Add(command);
        }

        start.ArgumentList.Add("--help");
        start.Environment.Remove("COLUMNS");
        if (columns is not null)
        {
            start.Environment["COLUMNS"] = columns;
        }

        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}{stderr.Result}");
        return stdout.TrimEnd('\n');
    }

    // "    topology    Show the host...": a command row of the root help.
    [GeneratedRegex(@"^    ([a-z]+)\s{2,}\S")]
    private static partial Regex CommandLine();

    // "    -y, --yes          Do not ask...", "        --lock <FILE>    The lock...", "    plan        Check...".
    [GeneratedRegex(@"^(    \S.*?|        --\S.*?)\s{2,}(\S)")]
    private static partial Regex Row();
}
