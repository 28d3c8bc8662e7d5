using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Libvirt.Apply;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>Options of the commands that change domains (<c>apply</c>, <c>rollback</c>): confirmation, journal, lock.</summary>
/// <remarks>
/// Spectre.Console.Cli takes options from a settings class and its bases only; <c>apply</c>'s settings descend from
/// the declaration options and <c>rollback</c>'s do not, so each declares these properties, with the texts of
/// <see cref="Change"/>.
/// </remarks>
internal interface IChangeOptions
{
    /// <summary>Show what would change and stop.</summary>
    bool DryRun { get; }

    /// <summary>Do not ask.</summary>
    bool Yes { get; }

    /// <summary>The journal root.</summary>
    string JournalRoot { get; }

    /// <summary>The lock file.</summary>
    string LockFile { get; }

    /// <summary>How long to wait for another apply.</summary>
    int LockTimeoutSeconds { get; }
}

/// <summary>The texts, validation and confirmation rule of the change options, shared by <c>apply</c> and <c>rollback</c>.</summary>
internal static class Change
{
    public const string DryRunHelp = "Show what would change (per-VM diff, live changes), then stop: nothing is changed, no journal is written.";
    public const string YesHelp = "Do not ask for confirmation. Without a terminal, nothing is changed unless --yes is given.";
    public const string JournalHelp = "Where the rollback journals are: one directory per apply holding every touched VM's XML and live state.";
    public const string LockHelp = "The lock file that keeps two applies or rollbacks from interleaving.";
    public const string LockTimeoutHelp = "How long to wait for another apply or rollback to finish before refusing.";

    /// <summary>Validation of the shared options.</summary>
    public static ValidationResult Validate(IChangeOptions options) =>
        OptionValue.IsMissing(options.JournalRoot) ? ValidationResult.Error("--journal needs a directory, e.g. --journal /var/lib/kvmconfig/journal")
        : OptionValue.IsMissing(options.LockFile) ? ValidationResult.Error("--lock needs a file, e.g. --lock /run/kvmconfig/apply.lock")
        : options.LockTimeoutSeconds < 0 ? ValidationResult.Error($"--lock-timeout {options.LockTimeoutSeconds}: give seconds, 0 or more")
        : ValidationResult.Success();

    /// <summary>The options as the library takes them; waiting for the lock is said on stderr.</summary>
    public static ChangeOptions Options(IChangeOptions options) => new()
    {
        JournalRoot = options.JournalRoot,
        LockFile = options.LockFile,
        LockTimeout = TimeSpan.FromSeconds(options.LockTimeoutSeconds),
        DryRun = options.DryRun,
        Waiting = message => Console.Error.WriteLine($"kvmconfig: {message}"),
    };

    /// <summary>
    /// True when the change may go ahead: <c>--yes</c>, or <c>y</c> typed on a terminal at <c>QUESTION [y/N]</c>. Without a terminal and without
    /// <c>--yes</c> it refuses (a script must say what it wants), printing why.
    /// </summary>
    public static bool Confirmed(IChangeOptions options, string question) => Confirmation.Ask(options.Yes, question);
}

/// <summary>The options as <c>apply</c> declares them, after the declaration options.</summary>
internal abstract class ChangeSettings : DeclarationSettings, IChangeOptions
{
    [CommandOption("--dry-run")]
    [Description(Change.DryRunHelp)]
    public bool DryRun { get; init; }

    [CommandOption("-y|--yes")]
    [Description(Change.YesHelp)]
    public bool Yes { get; init; }

    [CommandOption("--journal <DIR>")]
    [Description(Change.JournalHelp)]
    [DefaultValue(Journal.DefaultRoot)]
    public string JournalRoot { get; init; } = Journal.DefaultRoot;

    [CommandOption("--lock <FILE>")]
    [Description(Change.LockHelp)]
    [DefaultValue(ApplyLock.DefaultPath)]
    public string LockFile { get; init; } = ApplyLock.DefaultPath;

    [CommandOption("--lock-timeout <SECONDS>")]
    [Description(Change.LockTimeoutHelp)]
    [DefaultValue(30)]
    public int LockTimeoutSeconds { get; init; } = 30;

    public override ValidationResult Validate()
    {
        ValidationResult own = Change.Validate(this);
        return own.Successful ? base.Validate() : own;
    }
}
