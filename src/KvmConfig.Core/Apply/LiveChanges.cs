using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Apply;

/// <summary>
/// Which live operations take a running domain from what it does now to what the plan asks, and which changes can
/// only take effect at its next boot. Pure: the states come in as values.
/// </summary>
public static class LiveChanges
{
    /// <summary>
    /// The live operations from <paramref name="now"/> to <paramref name="desired"/>, in the order they are made:
    /// added vCPUs first (a hot add within the running maximum), then vCPU pins (the threads kvmconfig cares most
    /// about, the added ones included), the emulator, the scheduler, memory, block I/O, interfaces. Unmanaged members
    /// of <paramref name="desired"/> (null) produce nothing.
    /// </summary>
    /// <remarks>
    /// A count above the running maximum, or below the online count (a guest gives vCPUs back only when it cooperates),
    /// waits for the next boot: the persistent definition's <c>vcpus</c> change says so.
    /// </remarks>
    /// <param name="now">The domain's live state.</param>
    /// <param name="desired">The plan's tuning.</param>
    /// <param name="nextBoot">Receives one line per desired change that a running domain cannot take.</param>
    public static IReadOnlyList<LiveOperation> Toward(LiveState now, DomainTuning desired, ICollection<string> nextBoot)
    {
        var operations = new List<LiveOperation>();
        int online = now.VcpuPins.Count;
        if (desired.Vcpus > online && now.VcpusMax is { } max && desired.Vcpus <= max)
        {
            operations.Add(new SetVcpus(desired.Vcpus));
            online = desired.Vcpus;
        }

        // A vCPU just added runs wherever <vcpu cpuset> lets it: pin it unless the plan leaves it unrestricted.
        int vcpus = Math.Min(online, desired.VcpuPins.Count);
        for (int v = 0; v < vcpus; v++)
        {
            if (!desired.VcpuPins[v].IsEmpty && (v >= now.VcpuPins.Count || desired.VcpuPins[v] != now.VcpuPins[v]))
            {
                operations.Add(new PinVcpu(v, desired.VcpuPins[v]));
            }
        }

        if (!desired.EmulatorCpus.IsEmpty && desired.EmulatorCpus != now.EmulatorPin)
        {
            operations.Add(new PinEmulator(desired.EmulatorCpus));
        }

        long? shares = desired.CpuShares is { } s && s != now.CpuShares ? s : null;
        CpuBandwidth? cap = desired.CpuCap is { } c && !SameCap(c, now.CpuCap) ? c : null;
        if (shares is not null || cap is not null)
        {
            operations.Add(new SetScheduler(shares, cap));
        }

        // A domain started without <numatune> reports its mode (strict) with an empty nodeset: its memory is unbound,
        // and libvirt can bind it live like any other nodeset change.
        if (desired.NumaMemory is { Nodes: { } nodes } policy && now.NumaMode is not null && nodes != now.NumaNodes)
        {
            // libvirt moves a running domain's memory policy between nodes (cpuset.mems), but cannot change its mode.
            if (now.NumaMode is { } mode && mode == ModeNumber(policy.Mode))
            {
                operations.Add(new SetNumaNodes(nodes));
            }
            else
            {
                nextBoot.Add($"memory policy {policy.Mode.ToString().ToLowerInvariant()} on nodes {nodes}");
            }
        }

        if (desired.BlkioWeight is { } weight && now.BlkioWeight is { } liveWeight && weight != liveWeight)
        {
            operations.Add(new SetBlkioWeight(weight));
        }

        // Each disk QEMU throttles now, where a managed value differs: the desired throttle is set, in the group. libvirt
        // resets the unnamed values of a triple it is given one of (read/write/total bytes), so an unmanaged value
        // goes along as it is live.
        if (desired.DiskThrottle is { } throttle && now.Disks is { } disks)
        {
            foreach ((string device, DiskThrottle live) in disks.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                if (!SameThrottle(throttle, live))
                {
                    bool bytes = throttle.ReadBytesPerSec is not null || throttle.WriteBytesPerSec is not null;
                    operations.Add(new SetDiskThrottle(device, new DiskThrottle(
                        bytes ? throttle.ReadBytesPerSec ?? live.ReadBytesPerSec ?? 0 : null,
                        bytes ? throttle.WriteBytesPerSec ?? live.WriteBytesPerSec ?? 0 : null,
                        throttle.TotalIopsPerSec)));
                }
            }
        }

        if (desired.InterfaceBandwidth is { } bandwidth)
        {
            foreach ((string device, InterfaceBandwidth live) in now.Interfaces.OrderBy(i => i.Key, StringComparer.Ordinal))
            {
                if (live != bandwidth)
                {
                    operations.Add(new SetInterfaceBandwidth(device, bandwidth));
                }
            }
        }

        return operations;
    }

    /// <summary>The live operations that put a domain back from <paramref name="now"/> to <paramref name="before"/>
    /// (a rollback): every value <paramref name="before"/> reports, whether or not kvmconfig changed it.</summary>
    public static IReadOnlyList<LiveOperation> Back(LiveState now, LiveState before)
    {
        var operations = new List<LiveOperation>();
        for (int v = 0; v < Math.Min(now.VcpuPins.Count, before.VcpuPins.Count); v++)
        {
            if (now.VcpuPins[v] != before.VcpuPins[v])
            {
                operations.Add(new PinVcpu(v, before.VcpuPins[v]));
            }
        }

        if (now.EmulatorPin != before.EmulatorPin)
        {
            operations.Add(new PinEmulator(before.EmulatorPin));
        }

        long? shares = before.CpuShares is { } s && s != now.CpuShares ? s : null;
        CpuBandwidth? cap = before.CpuCap is { } c && !SameCap(c, now.CpuCap) ? c : null;
        if (shares is not null || cap is not null)
        {
            operations.Add(new SetScheduler(shares, cap));
        }

        if (before.NumaNodes is { } nodes && now.NumaNodes != nodes)
        {
            operations.Add(new SetNumaNodes(nodes));
        }

        if (before.BlkioWeight is { } weight && now.BlkioWeight != weight)
        {
            operations.Add(new SetBlkioWeight(weight));
        }

        // The throttles as they were, "no limit" written as 0; the group stays until the next boot (the restored
        // definition names the old one).
        foreach ((string device, DiskThrottle throttle) in (before.Disks ?? new Dictionary<string, DiskThrottle>()).OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (now.Disks?.GetValueOrDefault(device) != throttle)
            {
                operations.Add(new SetDiskThrottle(device, new DiskThrottle(throttle.ReadBytesPerSec ?? 0, throttle.WriteBytesPerSec ?? 0, throttle.TotalIopsPerSec ?? 0), Group: null));
            }
        }

        foreach ((string device, InterfaceBandwidth bandwidth) in before.Interfaces.OrderBy(i => i.Key, StringComparer.Ordinal))
        {
            if (!now.Interfaces.TryGetValue(device, out InterfaceBandwidth? live) || live != bandwidth)
            {
                operations.Add(new SetInterfaceBandwidth(device, bandwidth));
            }
        }

        return operations;
    }

    /// <summary>libvirt's number for a memory mode in <c>numa_mode</c> (virDomainNumatuneMemMode).</summary>
    public static int ModeNumber(MemoryMode mode) => mode switch
    {
        MemoryMode.Strict => 0,
        MemoryMode.Preferred => 1,
        MemoryMode.Interleave => 2,
        _ => 3,
    };

    /// <summary>True when every value <paramref name="desired"/> manages (non-null) is what the disk has live.</summary>
    public static bool SameThrottle(DiskThrottle desired, DiskThrottle live) =>
        (desired.ReadBytesPerSec is not { } r || r == (live.ReadBytesPerSec ?? 0))
        && (desired.WriteBytesPerSec is not { } w || w == (live.WriteBytesPerSec ?? 0))
        && (desired.TotalIopsPerSec is not { } i || i == (live.TotalIopsPerSec ?? 0));

    private static bool SameCap(CpuBandwidth desired, CpuBandwidth? live) =>
        live is not null && (desired.IsUnlimited ? live.IsUnlimited : !live.IsUnlimited && desired.QuotaUs == live.QuotaUs && (desired.PeriodUs ?? CpuBandwidth.DefaultPeriodUs) == (live.PeriodUs ?? CpuBandwidth.DefaultPeriodUs));
}
