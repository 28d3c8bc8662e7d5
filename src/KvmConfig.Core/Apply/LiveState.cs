using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Apply;

/// <summary>
/// What a running domain does now, as libvirt's live API reports it (not its XML): the affinity of every vCPU thread
/// and of the emulator threads, the CFS weight and cap of its cgroup, the nodes its memory may use, its block I/O
/// weight and its interfaces' shaping. The journal keeps it so that a rollback can put every value back.
/// </summary>
/// <param name="VcpuPins">Affinity of each vCPU, in vCPU order (all host CPUs when unpinned).</param>
/// <param name="EmulatorPin">Affinity of the emulator threads.</param>
/// <param name="CpuShares"><c>cpu_shares</c>; null when libvirt did not report it.</param>
/// <param name="CpuCap"><c>global_period</c> / <c>global_quota</c>; null when not reported.</param>
/// <param name="NumaMode"><c>numa_mode</c> (0 strict, 1 preferred, 2 interleave, 3 restrictive); null when not reported.</param>
/// <param name="NumaNodes"><c>numa_nodeset</c>; null when empty or not reported.</param>
/// <param name="BlkioWeight">Block I/O <c>weight</c>; null when not reported (no blkio controller).</param>
/// <param name="Interfaces">Per interface target device (vnet0): its average rates.</param>
/// <param name="VcpusMax">The most vCPUs the running domain may have online (its <c>&lt;vcpu&gt;</c> count when it
/// started); null when not read. The online count is <see cref="VcpuPins"/>' length.</param>
/// <param name="Disks">Per throttled disk target (vda): its throttles as QEMU applies them now, null where there is
/// no limit; null when not read.</param>
public sealed record LiveState(
    IReadOnlyList<CpuSet> VcpuPins,
    CpuSet EmulatorPin,
    long? CpuShares,
    CpuBandwidth? CpuCap,
    int? NumaMode,
    CpuSet? NumaNodes,
    int? BlkioWeight,
    IReadOnlyDictionary<string, InterfaceBandwidth> Interfaces,
    int? VcpusMax = null,
    IReadOnlyDictionary<string, DiskThrottle>? Disks = null);

/// <summary>One change to a running domain, made through libvirt's live API.</summary>
public abstract record LiveOperation
{
    /// <summary>What <c>virsh</c> command does the same, for the plan an administrator reads.</summary>
    public abstract string Describe(string domain);
}

/// <summary>
/// Bring more vCPUs online in a running guest, up to its maximum (<c>virDomainSetVcpusFlags</c>, CPU hot add). QEMU
/// plugs them in and the guest's kernel onlines them; kvmconfig never removes vCPUs live, which needs the guest to
/// release them (ACPI unplug) and would fail on guests that cannot.
/// </summary>
/// <param name="Count">The online vCPU count after the change.</param>
public sealed record SetVcpus(int Count) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) => $"virsh setvcpus {domain} {Count} --live";
}

/// <summary>Pin one vCPU thread (<c>virDomainPinVcpuFlags</c>).</summary>
public sealed record PinVcpu(int Vcpu, CpuSet Cpus) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) => $"virsh vcpupin {domain} {Vcpu} {Cpus} --live";
}

/// <summary>Pin the emulator threads (<c>virDomainPinEmulator</c>).</summary>
public sealed record PinEmulator(CpuSet Cpus) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) => $"virsh emulatorpin {domain} {Cpus} --live";
}

/// <summary>Set the domain's CPU weight and cap (<c>virDomainSetSchedulerParametersFlags</c>).</summary>
/// <param name="Shares">New <c>cpu_shares</c>, or null to leave it.</param>
/// <param name="Cap">New <c>global_period</c>/<c>global_quota</c>, or null to leave them.</param>
public sealed record SetScheduler(long? Shares, CpuBandwidth? Cap) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain)
    {
        var sets = new List<string>();
        if (Shares is { } s)
        {
            sets.Add($"cpu_shares={s}");
        }

        if (Cap is { } c)
        {
            sets.Add($"global_period={c.PeriodUs ?? CpuBandwidth.DefaultPeriodUs}");
            sets.Add($"global_quota={(c.IsUnlimited ? -1 : c.QuotaUs)}");
        }

        return $"virsh schedinfo {domain} --live --set {string.Join(' ', sets)}";
    }
}

/// <summary>Move the memory policy to other nodes (<c>virDomainSetNumaParameters</c>; the mode cannot change live).</summary>
public sealed record SetNumaNodes(CpuSet Nodes) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) => $"virsh numatune {domain} --nodeset {Nodes} --live";
}

/// <summary>Set the block I/O weight (<c>virDomainSetBlkioParameters</c>).</summary>
public sealed record SetBlkioWeight(int Weight) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) => $"virsh blkiotune {domain} --weight {Weight} --live";
}

/// <summary>
/// Throttle one disk (<c>virDomainSetBlockIoTune</c>), in kvmconfig's throttle group. Each non-null value is set (0
/// lifts the limit); the ones libvirt refuses beside them are lifted with them (<c>total_bytes_sec</c> beside
/// read/write bytes, read/write IOPS beside <c>total_iops_sec</c>), as the persistent merge does.
/// </summary>
/// <param name="Device">The disk's target (vda).</param>
/// <param name="Throttle">The values to set; null members are left as they are.</param>
/// <param name="Group">The throttle group to put the disk in, or null to leave its group.</param>
public sealed record SetDiskThrottle(string Device, DiskThrottle Throttle, string? Group = DiskThrottle.GroupName) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain)
    {
        var options = new List<string>();
        if (Throttle.ReadBytesPerSec is not null || Throttle.WriteBytesPerSec is not null)
        {
            options.Add("--total-bytes-sec 0");
        }

        if (Throttle.ReadBytesPerSec is { } read)
        {
            options.Add($"--read-bytes-sec {read}");
        }

        if (Throttle.WriteBytesPerSec is { } write)
        {
            options.Add($"--write-bytes-sec {write}");
        }

        if (Throttle.TotalIopsPerSec is { } iops)
        {
            options.Add($"--total-iops-sec {iops} --read-iops-sec 0 --write-iops-sec 0");
        }

        if (Group is { } group)
        {
            options.Add($"--group-name {group}");
        }

        return $"virsh blkdeviotune {domain} {Device} --live {string.Join(' ', options)}";
    }
}

/// <summary>Shape one interface (<c>virDomainSetInterfaceParameters</c>).</summary>
public sealed record SetInterfaceBandwidth(string Device, InterfaceBandwidth Bandwidth) : LiveOperation
{
    /// <inheritdoc />
    public override string Describe(string domain) =>
        $"virsh domiftune {domain} {Device} --live --inbound {Bandwidth.InboundAverageKBytesPerSec?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0"} --outbound {Bandwidth.OutboundAverageKBytesPerSec?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0"}";
}
