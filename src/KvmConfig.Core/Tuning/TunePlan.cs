namespace KvmConfig.Core.Tuning;

/// <summary>What kind of setting a <see cref="TuneSetting"/> is: it decides the order of writing and how it is verified.</summary>
public enum TuneKind
{
    /// <summary>The sysctl drop-in file: written whole, removed or restored whole by a revert.</summary>
    SysctlDropIn,

    /// <summary>One <c>/proc/sys</c> value, as <c>sysctl --system</c> writes it after reading the drop-in.</summary>
    Sysctl,

    /// <summary><c>intel_pstate/no_turbo</c> or <c>cpufreq/boost</c>.</summary>
    Turbo,

    /// <summary>A policy's <c>scaling_governor</c>.</summary>
    Governor,

    /// <summary>A policy's <c>scaling_max_freq</c>.</summary>
    MaxFrequency,

    /// <summary>A node's <c>nr_hugepages</c>: the kernel may grant fewer than asked, so it is read back.</summary>
    HugePages,
}

/// <summary>One value <c>tune</c> owns: where it lives, what it holds, what kvmconfig wants there and why.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Path">The file as a path on the host (<c>/sys/...</c>, <c>/proc/sys/...</c>, <c>/etc/sysctl.d/...</c>).</param>
/// <param name="Current">What it holds now, without the trailing newline; null for a file that does not exist.</param>
/// <param name="Wanted">What kvmconfig writes.</param>
/// <param name="Why">The reason, naming the declaration's key or the recommendation.</param>
public sealed record TuneSetting(TuneKind Kind, string Path, string? Current, string Wanted, string Why)
{
    /// <summary>True when the file already holds the wanted value.</summary>
    public bool Unchanged => Current == Wanted;
}

/// <summary>
/// Everything <c>tune</c> looked at, in the order it writes: the sysctl drop-in and values, the turbo switch, the
/// governors, the frequency caps, the huge page pools. Computed from read facts; writing is someone else's job.
/// </summary>
/// <param name="Settings">Every setting considered, unchanged ones included.</param>
/// <param name="Notes">What the declaration asks that this host cannot give, and was therefore left alone.</param>
public sealed record TunePlan(IReadOnlyList<TuneSetting> Settings, IReadOnlyList<string> Notes)
{
    /// <summary>The settings to write: those whose value differs.</summary>
    public IReadOnlyList<TuneSetting> Changes => [.. Settings.Where(s => !s.Unchanged)];
}
