namespace KvmConfig.Cli.Tests;

/// <summary>What one run of the real entry point printed, and how it ended.</summary>
internal sealed record CliResult(int Exit, string Out, string Err)
{
    /// <summary>Exit 2, the code on stderr, nothing on stdout, no stack trace.</summary>
    public void CouldNotRun(string code)
    {
        Assert.True(Exit == 2, $"exit {Exit}, expected 2\nstdout:\n{Out}\nstderr:\n{Err}");
        Assert.StartsWith($"error[{code}]: ", Err);
        Assert.Equal("", Out);
        NoStackTrace();
    }

    /// <summary>Nothing the user sees looks like a .NET stack trace.</summary>
    public void NoStackTrace()
    {
        Assert.DoesNotContain("   at ", Out);
        Assert.DoesNotContain("   at ", Err);
    }
}

/// <summary>
/// Runs <c>KvmConfigApp.Run</c>, the real entry point, with stdout and stderr captured. The console is process-wide,
/// so every test class that uses this belongs to the <see cref="ConsoleCollection"/> and runs alone.
/// </summary>
internal static class CliRunner
{
    private static readonly object ConsoleLock = new();

    /// <summary>Runs <paramref name="args"/>; NO_COLOR keeps escapes out whatever the terminal.</summary>
    public static CliResult Run(params string[] args)
    {
        lock (ConsoleLock)
        {
            TextWriter stdout = Console.Out;
            TextWriter stderr = Console.Error;
            string? noColor = Environment.GetEnvironmentVariable("NO_COLOR");
            var o = new StringWriter();
            var e = new StringWriter();
            try
            {
                Environment.SetEnvironmentVariable("NO_COLOR", "1");
                Console.SetOut(o);
                Console.SetError(e);
                int exit = KvmConfigApp.Run(args);
                return new CliResult(exit, o.ToString(), e.ToString());
            }
            finally
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
                Environment.SetEnvironmentVariable("NO_COLOR", noColor);
            }
        }
    }
}
