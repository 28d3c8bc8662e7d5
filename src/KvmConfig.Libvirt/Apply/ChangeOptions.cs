namespace KvmConfig.Libvirt.Apply;

/// <summary>What <c>apply</c> and <c>rollback</c> take besides what they change: the journal, the lock, a dry run.</summary>
public sealed record ChangeOptions
{
    /// <summary>Where journals go (<see cref="Journal.DefaultRoot"/>).</summary>
    public string JournalRoot { get; init; } = Journal.DefaultRoot;

    /// <summary>The lock that keeps two applies from interleaving (<see cref="ApplyLock.DefaultPath"/>).</summary>
    public string LockFile { get; init; } = ApplyLock.DefaultPath;

    /// <summary>How long to wait for another apply or rollback before refusing.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Read and compare only: no lock, no journal, nothing changed.</summary>
    public bool DryRun { get; init; }

    /// <summary>Told, once, that the lock is held by someone else and how long it will be waited for.</summary>
    public Action<string>? Waiting { get; init; }

    /// <summary>The lock, unless this is a dry run.</summary>
    internal ApplyLock? Lock() => DryRun ? null : ApplyLock.Acquire(LockFile, LockTimeout, Waiting);
}
