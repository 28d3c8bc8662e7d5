namespace KvmConfig.Core.Host;

/// <summary>How a doctor check came out.</summary>
public enum CheckStatus
{
    /// <summary>As these VMs need it.</summary>
    Pass,

    /// <summary>Works, but costs the VMs something, or is risky; the check says what and how to mend it.</summary>
    Warn,

    /// <summary>Breaks these VMs, or what kvmconfig measures of them.</summary>
    Fail,

    /// <summary>Could not be judged: what it needs could not be read (the check says which file and why).</summary>
    Unknown,
}

/// <summary>One readiness check of the host.</summary>
/// <param name="Id">Short stable name (<c>hw-virt</c>, <c>swappiness</c>), for scripts.</param>
/// <param name="Title">What is checked, for people.</param>
/// <param name="Status">The outcome.</param>
/// <param name="Seen">What was read, with where from.</param>
/// <param name="Why">Why it matters for these VMs.</param>
/// <param name="Fix">What to do; null when nothing is to be done.</param>
public sealed record DoctorCheck(string Id, string Title, CheckStatus Status, string Seen, string Why, string? Fix);

/// <summary>Every check, in the order <see cref="Doctor"/> makes them.</summary>
/// <param name="Checks">The checks.</param>
public sealed record DoctorReport(IReadOnlyList<DoctorCheck> Checks)
{
    /// <summary>How many checks came out with <paramref name="status"/>.</summary>
    public int Count(CheckStatus status) => Checks.Count(c => c.Status == status);

    /// <summary>The check <paramref name="id"/>, or null.</summary>
    public DoctorCheck? Find(string id) => Checks.FirstOrDefault(c => c.Id == id);
}
