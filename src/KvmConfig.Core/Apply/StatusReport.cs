using System.Globalization;
using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Apply;

/// <summary>A declared VM's domain as <c>status</c> found it: what libvirt gave and the state it is in.</summary>
/// <param name="View">Its persistent XML and, when it runs, its live state.</param>
/// <param name="State">Its state in <c>virsh list</c>'s words: <c>running</c>, <c>idle</c>, <c>paused</c>,
/// <c>in shutdown</c>, <c>shut off</c>, <c>crashed</c>, <c>pmsuspended</c>.</param>
public sealed record ObservedDomain(DomainView View, string State);

/// <summary>A domain libvirt knows and no declaration names: kvmconfig leaves it alone and only lists it.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="State">Its state in <c>virsh list</c>'s words.</param>
public sealed record UnmanagedDomain(string Name, string State);

/// <summary>One declared VM: its state and every field where its domain differs from the plan.</summary>
/// <param name="Name">The VM's name, which is its domain's name.</param>
/// <param name="State">The domain's state in <c>virsh list</c>'s words, or <see cref="Undefined"/>.</param>
/// <param name="Drift">The fields that differ: first the persistent definition's (named as <see cref="OwnedState"/>
/// names them: <c>vcpupin 0</c>, <c>cputune shares</c>), then the running domain's (prefixed <c>live </c>); empty
/// when the domain matches.</param>
public sealed record VmStatus(string Name, string State, IReadOnlyList<Drift> Drift)
{
    /// <summary>The state of a declared VM libvirt knows no domain for.</summary>
    public const string Undefined = "undefined";

    /// <summary>True when its domain, persistent and live, says what the plan asks.</summary>
    public bool InSync => Drift.Count == 0;
}

/// <summary>
/// What <c>kvmconfig status</c> shows: for every declared VM, desired against actual, and the domains nobody
/// declared. Pure: libvirt's answers come in as values (<see cref="ObservedDomain"/>), so the comparison is tested
/// without a daemon.
/// </summary>
/// <remarks>
/// <para><b>Two sources of truth.</b> The persistent definition (<c>virsh dumpxml --inactive</c>) is what the domain
/// gets at its next boot; the live state (<c>virsh vcpupin --live</c>, <c>emulatorpin</c>, <c>schedinfo</c>,
/// <c>numatune</c>, read through the API, not the live XML) is what it does now. <c>virsh vcpupin --live</c> or a
/// failed live step of an apply changes one and not the other, so both are compared: a VM is in sync only when both
/// match.</para>
/// <para><b>Live fields</b>, compared only where the plan manages the value and libvirt reports one:
/// <c>live vcpus</c>, <c>live vcpupin N</c>, <c>live emulatorpin</c>, <c>live cpu_shares</c>,
/// <c>live global_quota</c>, <c>live numa mode</c>, <c>live numa nodeset</c>, <c>live blkiotune weight</c>,
/// <c>live interface DEV inbound average</c> / <c>outbound average</c>. Values print as the persistent ones do
/// (canonical cpulists, <c>1.5 CPUs (150000/100000 us)</c>, <c>strict</c>), so a drift reads the same in both.</para>
/// </remarks>
/// <param name="Vms">Every declared VM, sorted by name (ordinal, as <c>virsh list --all --name</c> sorts).</param>
/// <param name="Unmanaged">Every domain no declaration names, sorted by name.</param>
public sealed record StatusReport(IReadOnlyList<VmStatus> Vms, IReadOnlyList<UnmanagedDomain> Unmanaged)
{
    /// <summary>The prefix of every field read from the running domain rather than its persistent definition.</summary>
    public const string LivePrefix = "live ";

    /// <summary>The field of the single drift a declared VM without a domain has.</summary>
    public const string DomainField = "domain";

    /// <summary>True when every declared VM is in sync (unmanaged domains never count).</summary>
    public bool InSync => Vms.All(v => v.InSync);

    /// <summary>
    /// Compares every declared VM with what libvirt has.
    /// </summary>
    /// <param name="desired">The plan's tuning of each declared VM, by name (<see cref="DomainTuning.From"/>).</param>
    /// <param name="observed">The domain of each declared VM; a name that is missing or maps to null is a VM libvirt
    /// knows no domain for (<see cref="VmStatus.Undefined"/>). Entries for undeclared names are ignored.</param>
    /// <param name="unmanaged">The domains no declaration names; one that a declaration does name is dropped (it is
    /// compared above, not listed twice).</param>
    public static StatusReport Build(
        IReadOnlyDictionary<string, DomainTuning> desired,
        IReadOnlyDictionary<string, ObservedDomain?> observed,
        IEnumerable<UnmanagedDomain> unmanaged)
    {
        List<VmStatus> vms = desired
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => Compare(d.Key, d.Value, observed.GetValueOrDefault(d.Key)))
            .ToList();
        List<UnmanagedDomain> others = unmanaged
            .Where(u => !desired.ContainsKey(u.Name))
            .DistinctBy(u => u.Name)
            .OrderBy(u => u.Name, StringComparer.Ordinal)
            .ToList();
        return new StatusReport(vms, others);
    }

    /// <summary>
    /// One VM: the persistent definition against <paramref name="desired"/>, then, when the domain runs and its live
    /// state was read, the live state. A VM without a domain has exactly one drift, <see cref="DomainField"/>
    /// (desired <c>defined</c>, actual <c>(absent)</c>): nothing else can be compared, and listing every field as
    /// absent would bury the one thing to fix.
    /// </summary>
    public static VmStatus Compare(string name, DomainTuning desired, ObservedDomain? observed)
    {
        if (observed is null)
        {
            return new VmStatus(name, VmStatus.Undefined, [new Drift(DomainField, "defined", OwnedState.Absent)]);
        }

        DomainTuning actual = DomainXml.ReadTuning(observed.View.PersistentXml);
        DomainTuning resolved = desired.ForMaximum(actual.VcpusMax ?? actual.Vcpus, actual.Vcpus);
        var drift = new List<Drift>(OwnedState.Drift(resolved.ToOwnedState(), DomainXml.ReadOwned(observed.View.PersistentXml)));
        if (observed.View is { Active: true, Live: { } live })
        {
            drift.AddRange(LiveDrift(desired, live));
        }

        return new VmStatus(name, observed.State, drift);
    }

    /// <summary>
    /// The live fields of a running domain that differ from <paramref name="desired"/>, in the order of
    /// <see cref="LiveChanges.Toward"/>: vCPUs, emulator, scheduler, memory, block I/O, interfaces.
    /// </summary>
    /// <remarks>
    /// What the plan leaves unrestricted (an empty pin) or unmanaged (a null member) is not compared, nor is a value
    /// libvirt does not report (no cgroup controller for it): the persistent definition still is. One exception: a
    /// reported NUMA mode with no nodeset means the memory may come from any node, which is drift from a plan that
    /// binds it, shown as <c>any</c>.
    /// </remarks>
    public static IReadOnlyList<Drift> LiveDrift(DomainTuning desired, LiveState live)
    {
        var drift = new List<Drift>();
        void Differs(string field, string want, string have)
        {
            if (want != have)
            {
                drift.Add(new Drift(LivePrefix + field, want, have));
            }
        }

        // The vCPU count cannot change under a running guest without hotplug; the pins of the vCPUs both sides
        // have are still compared.
        Differs("vcpus", Number(desired.Vcpus), Number(live.VcpuPins.Count));
        for (int v = 0; v < Math.Min(desired.VcpuPins.Count, live.VcpuPins.Count); v++)
        {
            if (!desired.VcpuPins[v].IsEmpty)
            {
                Differs($"vcpupin {v}", desired.VcpuPins[v].ToString(), Cpus(live.VcpuPins[v]));
            }
        }

        if (!desired.EmulatorCpus.IsEmpty)
        {
            Differs("emulatorpin", desired.EmulatorCpus.ToString(), Cpus(live.EmulatorPin));
        }

        if (desired.CpuShares is { } shares && live.CpuShares is { } liveShares)
        {
            Differs("cpu_shares", Number(shares), Number(liveShares));
        }

        // No cap reported is no cap: the cgroup lets the domain use every CPU it is pinned to.
        if (desired.CpuCap is { } cap)
        {
            CpuBandwidth liveCap = live.CpuCap ?? CpuBandwidth.Unlimited;
            if (!SameCap(cap, liveCap))
            {
                drift.Add(new Drift(LivePrefix + "global_quota", cap.ToString(), liveCap.ToString()));
            }
        }

        // libvirt reports numa_mode for every running QEMU domain (strict when <numatune> says nothing); an empty
        // numa_nodeset then means cpuset.mems is every node.
        if (desired.NumaMemory is { } policy && live.NumaMode is { } liveMode)
        {
            Differs("numa mode", ModeName(LiveChanges.ModeNumber(policy.Mode)), ModeName(liveMode));
            if (policy.Nodes is { } nodes)
            {
                Differs("numa nodeset", Cpus(nodes), Cpus(live.NumaNodes));
            }
        }

        if (desired.BlkioWeight is { } weight && live.BlkioWeight is { } liveWeight)
        {
            Differs("blkiotune weight", Number(weight), Number(liveWeight));
        }

        if (desired.DiskThrottle is { } throttle && live.Disks is { } disks)
        {
            foreach ((string device, DiskThrottle now) in disks.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                (string Name, long? Want, long? Have)[] values =
                [
                    ("read_bytes_sec", throttle.ReadBytesPerSec, now.ReadBytesPerSec),
                    ("write_bytes_sec", throttle.WriteBytesPerSec, now.WriteBytesPerSec),
                    ("total_iops_sec", throttle.TotalIopsPerSec, now.TotalIopsPerSec),
                ];
                foreach ((string name, long? want, long? have) in values.Where(v => v.Want is not null))
                {
                    Differs($"disk {device} {name}", Limit(want), Limit(have));
                }
            }
        }

        if (desired.InterfaceBandwidth is { } bandwidth)
        {
            foreach ((string device, InterfaceBandwidth shaping) in live.Interfaces.OrderBy(i => i.Key, StringComparer.Ordinal))
            {
                if (bandwidth.InboundAverageKBytesPerSec is { } inbound)
                {
                    Differs($"interface {device} inbound average", KBytesPerSec(inbound), KBytesPerSec(shaping.InboundAverageKBytesPerSec));
                }

                if (bandwidth.OutboundAverageKBytesPerSec is { } outbound)
                {
                    Differs($"interface {device} outbound average", KBytesPerSec(outbound), KBytesPerSec(shaping.OutboundAverageKBytesPerSec));
                }
            }
        }

        return drift;
    }

    /// <summary>libvirt's name of <c>numa_mode</c> N (virDomainNumatuneMemMode), or the number for one it added later.</summary>
    private static string ModeName(int mode) => mode switch
    {
        0 => "strict",
        1 => "preferred",
        2 => "interleave",
        3 => "restrictive",
        _ => Number(mode),
    };

    // Two caps are the same when both are off, or both allow the same quota per period (an unwritten period is the
    // kernel's 100 ms).
    private static bool SameCap(CpuBandwidth a, CpuBandwidth b) =>
        a.IsUnlimited
            ? b.IsUnlimited
            : !b.IsUnlimited && a.QuotaUs == b.QuotaUs && (a.PeriodUs ?? CpuBandwidth.DefaultPeriodUs) == (b.PeriodUs ?? CpuBandwidth.DefaultPeriodUs);

    private static string Cpus(CpuSet? cpus) => cpus is null || cpus.IsEmpty ? "any" : cpus.ToString();

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Limit(long? value) => value is { } v and > 0 ? Number(v) : "none";

    private static string KBytesPerSec(long? value) => value is { } v ? $"{Number(v)} KB/s" : "none";
}
