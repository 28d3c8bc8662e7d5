using System.ComponentModel;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Libvirt.Apply;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Apply;

/// <summary>Options of the commands that change domains (<c>apply</c>, <c>rollback</c>): confirmation, journal, lock.</summary>
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

/// <summary>The confirmation rule and the lock, shared by <c>apply</c> and <c>rollback</c>.</summary>
internal static class Change
{
    /// <summary>The URI used when <c>--connect</c> is not given.</summary>
    public const string DefaultUri = "qemu:///system";

    /// <summary>Validation of the shared options.</summary>
    public static ValidationResult Validate(IChangeOptions options) =>
        OptionValue.IsMissing(options.JournalRoot) ? ValidationResult.Error("--journal needs a directory, e.g. --journal /var/lib/kvmconfig/journal")
        : OptionValue.IsMissing(options.LockFile) ? ValidationResult.Error("--lock needs a file, e.g. --lock /run/kvmconfig/apply.lock")
        : options.LockTimeoutSeconds < 0 ? ValidationResult.Error($"--lock-timeout {options.LockTimeoutSeconds}: give seconds, 0 or more")
        : ValidationResult.Success();

    /// <summary>Takes the host's apply lock.</summary>
    public static ApplyLock Lock(IChangeOptions options) =>
        ApplyLock.Acquire(options.LockFile, TimeSpan.FromSeconds(options.LockTimeoutSeconds), message => Console.Error.WriteLine($"kvmconfig: {message}"));

    /// <summary>
    /// True when the change may go ahead: <c>--yes</c>, or a yes typed on a terminal. Without a terminal and without
    /// <c>--yes</c> it refuses (a script must say what it wants), printing why.
    /// </summary>
    public static bool Confirmed(IChangeOptions options, string question)
    {
        if (options.Yes)
        {
            return true;
        }

        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            Console.Error.WriteLine($"error: {question.TrimEnd('?')}: refused without confirmation, because there is no terminal to ask on");
            Console.Error.WriteLine("  = hint: pass --yes to confirm from a script, or --dry-run to only see the changes");
            return false;
        }

        return AnsiConsole.Confirm(question, defaultValue: false);
    }
}

/// <summary>The options themselves, as Spectre declares them (inherited by each command's settings).</summary>
internal abstract class ChangeSettings : DeclarationSettings, IChangeOptions
{
    [CommandOption("--dry-run")]
    [Description("Show the per-VM diff and the live changes, then stop: nothing is changed, no journal is written.")]
    public bool DryRun { get; init; }

    [CommandOption("-y|--yes")]
    [Description("Do not ask for confirmation. Without a terminal, apply refuses to change anything unless --yes is given.")]
    public bool Yes { get; init; }

    [CommandOption("--journal <DIR>")]
    [Description("Where the rollback journal goes: one directory per apply holding every touched VM's XML and live state.")]
    [DefaultValue(Journal.DefaultRoot)]
    public string JournalRoot { get; init; } = Journal.DefaultRoot;

    [CommandOption("--lock <FILE>")]
    [Description("The lock file that keeps two applies from interleaving.")]
    [DefaultValue(ApplyLock.DefaultPath)]
    public string LockFile { get; init; } = ApplyLock.DefaultPath;

    [CommandOption("--lock-timeout <SECONDS>")]
    [Description("How long to wait for another apply or rollback to finish before refusing.")]
    [DefaultValue(30)]
    public int LockTimeoutSeconds { get; init; } = 30;

    public override ValidationResult Validate()
    {
        ValidationResult own = Change.Validate(this);
        return own.Successful ? base.Validate() : own;
    }
}
