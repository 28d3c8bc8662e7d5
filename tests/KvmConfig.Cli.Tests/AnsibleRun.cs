using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KvmConfig.Cli.Tests;

/// <summary>What an Ansible command printed (stdout and stderr together, in order) and how it ended.</summary>
internal sealed record AnsibleResult(int Exit, string Output);

/// <summary>
/// Runs Debian's Ansible tools (ansible-core and ansible-lint, which scripts/setup.sh installs) as the administrator
/// would, without colour, with a deadline; a tool that is missing fails the test with the package to install.
/// </summary>
internal static partial class AnsibleRun
{
    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/> in <paramref name="directory"/>.</summary>
    public static AnsibleResult Run(string tool, string directory, TimeSpan deadline, params string[] args)
    {
        if (!File.Exists(Path.Combine("/usr/bin", tool)))
        {
            Assert.Fail($"{tool} is not installed: scripts/setup.sh installs ansible-core and ansible-lint from Debian");
        }

        var start = new ProcessStartInfo(tool, args)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ANSIBLE_NOCOLOR"] = "1";
        start.Environment["ANSIBLE_FORCE_COLOR"] = "0";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["PY_COLORS"] = "0";
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var gate = new Lock();
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(deadline))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', args)} took more than {deadline.TotalSeconds:0} s:\n{output}");
        }

        process.WaitForExit();
        return new AnsibleResult(process.ExitCode, output.ToString());

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    output.Append(line).Append('\n');
                }
            }
        }
    }

    /// <summary>What Ansible reads from an inventory file: <c>ansible-inventory --list</c>'s JSON, with its keys sorted.</summary>
    public static string Inventory(string file)
    {
        AnsibleResult r = Run("ansible-inventory", Path.GetDirectoryName(file)!, TimeSpan.FromMinutes(2), "-i", file, "--list", "--export");
        Assert.True(r.Exit == 0, r.Output);
        Assert.DoesNotContain("[WARNING]", r.Output, StringComparison.Ordinal);
        return r.Output;
    }

    /// <summary>
    /// The counts of a playbook's <c>PLAY RECAP</c> line for <paramref name="host"/>:
    /// <c>localhost : ok=17 changed=0 unreachable=0 failed=0 skipped=5 rescued=0 ignored=0</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, int> Recap(string output, string host)
    {
        Match line = RecapLine().Matches(output).LastOrDefault(m => m.Groups[1].Value == host)
            ?? throw new Xunit.Sdk.XunitException($"no PLAY RECAP line for {host}:\n{output}");
        return Counts().Matches(line.Groups[2].Value).ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// How a task ended for <paramref name="host"/>: the word that opens its result line after <c>TASK [NAME]</c>
    /// (<c>ok</c>, <c>changed</c>, <c>skipping</c>, <c>fatal</c>), or null when the task did not run.
    /// </summary>
    public static string? TaskStatus(string output, string task, string host)
    {
        int header = output.IndexOf($"TASK [{task}]", StringComparison.Ordinal);
        if (header < 0)
        {
            return null;
        }

        Match result = TaskResult().Match(output, header);
        return result.Success && result.Groups[2].Value == host ? result.Groups[1].Value : null;
    }

    [GeneratedRegex(@"^(ok|changed|skipping|fatal|failed): \[([^\]]+)\]", RegexOptions.Multiline)]
    private static partial Regex TaskResult();

    [GeneratedRegex(@"^(\S+)\s+:\s+(ok=.*)$", RegexOptions.Multiline)]
    private static partial Regex RecapLine();

    [GeneratedRegex(@"(\w+)=(\d+)")]
    private static partial Regex Counts();
}
