namespace KvmConfig.Cli.Infrastructure;

/// <summary>Exit codes, documented in <c>--help</c> and README.md.</summary>
internal static class ExitCodes
{
    /// <summary>Clean: no error (warnings allowed).</summary>
    public const int Ok = 0;

    /// <summary>The declaration has errors.</summary>
    public const int Errors = 1;

    /// <summary>Could not run: missing directory, unreadable sysroot, unsafe permissions, bad command line.</summary>
    public const int CouldNotRun = 2;

    /// <summary>Text for the help screens.</summary>
    public const string Help = "Exit codes: 0 clean (warnings allowed), 1 errors found, 2 could not run (missing directory, unreadable sysroot, unsafe permissions, bad usage).";
}
