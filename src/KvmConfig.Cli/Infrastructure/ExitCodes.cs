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

    /// <summary><c>status</c>: at least one declared VM differs from the plan (drift), or libvirt does not know it.</summary>
    public const int Drift = 3;

    /// <summary><c>tune</c>: every value was written, but the kernel granted fewer huge pages than asked.</summary>
    public const int Shortfall = 3;

    /// <summary><c>apply</c>: a libvirt step failed; every VM already changed was restored from the journal.</summary>
    public const int ApplyFailed = 4;

    /// <summary><c>apply</c> or <c>rollback</c>: restoring from the journal failed too; the host needs a hand.</summary>
    public const int RollbackFailed = 5;

    /// <summary>Text for the help screens.</summary>
    public const string Help = "Exit codes: 0 clean (warnings allowed), 1 errors found, 2 could not run (missing directory, unreadable sysroot, unsafe permissions, bad usage).";
}
