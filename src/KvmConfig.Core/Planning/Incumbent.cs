namespace KvmConfig.Core.Planning;

/// <summary>
/// Where a declared VM runs now: its domain's vCPU pins as libvirt has them (the live ones while it runs, else the
/// persistent definition's), or as an earlier plan gave them. The planner keeps a VM there while that is still valid
/// for its declaration and the rules, so that adding one VM never reshuffles the others.
/// </summary>
/// <param name="Name">The VM's name (its domain's).</param>
/// <param name="VcpuPins">Each vCPU's host CPUs, in vCPU order.</param>
/// <param name="Source">Where this came from, for explanations: <c>libvirt (live)</c>, <c>libvirt (definition)</c>,
/// <c>plan.json</c>.</param>
public sealed record Incumbent(string Name, IReadOnlyList<CpuSet> VcpuPins, string Source)
{
    /// <summary>Every CPU a vCPU of the VM may run on.</summary>
    public CpuSet Cpus => VcpuPins.Aggregate(CpuSet.Empty, (all, pin) => all | pin);
}

/// <summary>A VM that had a place and gets another: from where, to where, and why.</summary>
/// <param name="Vm">The VM.</param>
/// <param name="From">The CPUs it runs on now.</param>
/// <param name="To">The CPUs the plan gives it.</param>
/// <param name="Why">The reason, in a sentence: its place is no longer valid (and why), it made room for another VM,
/// or a repack asked for it.</param>
public sealed record PlanMove(string Vm, CpuSet From, CpuSet To, string Why)
{
    /// <inheritdoc />
    public override string ToString() => $"{Vm}: {From} -> {To}: {Why}";
}

/// <summary>Where the declared VMs run now, as far as it could be told, and what could not be used and why.</summary>
/// <param name="ByName">Each VM's place, by name.</param>
/// <param name="Notes">One sentence per thing left out (a file for another host, a VM without pins), for the output.</param>
public sealed record Incumbents(IReadOnlyDictionary<string, Incumbent> ByName, IReadOnlyList<string> Notes)
{
    /// <summary>No incumbents: a plan from scratch.</summary>
    public static Incumbents None { get; } = new(new Dictionary<string, Incumbent>(StringComparer.Ordinal), []);

    /// <summary>Nothing known, and why.</summary>
    public static Incumbents Unknown(string why) => new(None.ByName, [why]);
}
