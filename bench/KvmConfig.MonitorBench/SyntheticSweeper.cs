using KvmConfig.Core.Monitoring;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.MonitorBench;

/// <summary>
/// The sweep of <see cref="LocalSweeper.Sweep"/> with libvirt's part replaced by a fixed list of names and memory sizes,
/// over a rooted <c>/proc</c>, cgroup mount and libvirt state directory (a <see cref="SyntheticProcfs"/> tree).
/// </summary>
/// <remarks>
/// <see cref="LocalSweeper"/> asks its <see cref="IMonitoredHost"/> (libvirt) which domains run and, once per QEMU
/// process, a domain's memory size and live XML; it cannot sweep 200 domains that do not exist. This class is its body without that call: the
/// same <see cref="LocalSampler"/> per domain (pid file, vCPU threads' comm and schedstat, <c>VmRSS</c>,
/// <c>/proc/PID/cgroup</c>, the domain group's <c>cpu.stat</c> and its blkio counters), the memory size given to the sampler as LocalSweeper
/// gives it (for the smaps overhead), and the host read by <see cref="LocalSweeper.ReadHost"/> itself. Left out: the libvirt call and turning its
/// device counters into the sample's disks and interfaces; part 1 measures those on the real daemon. Keep this in step
/// with <c>src/KvmConfig.Monitoring/Sweeping/LocalSweeper.cs</c>.
/// </remarks>
internal sealed class SyntheticSweeper : IHostSweeper
{
    private readonly IReadOnlyList<(string Name, long MemoryKiB)> _domains;
    private readonly LocalSampler _sampler;
    private readonly ProcfsReader _procfs;
    private readonly bool _devices;

    /// <param name="domains">The domains and their memory sizes, as libvirt would give them.</param>
    /// <param name="procRoot">The synthetic <c>/proc</c>.</param>
    /// <param name="runRoot">The synthetic libvirt state directory.</param>
    /// <param name="cgroupRoot">The synthetic cgroup mount.</param>
    /// <param name="devices">
    /// Also give each domain the block and interface counters libvirt's bulk call would bring (<see cref="LibvirtDisk"/>, <see cref="LibvirtInterface"/>),
    /// so that the exporter's exposition and history hold what they would for guests with a disk and a NIC.
    /// </param>
    public SyntheticSweeper(IReadOnlyList<(string Name, long MemoryKiB)> domains, string procRoot, string runRoot, string cgroupRoot, bool devices = false)
    {
        _domains = domains;
        _procfs = new ProcfsReader(procRoot);
        _sampler = new LocalSampler(new QemuProcesses(runRoot), _procfs, new CgroupReader(cgroupRoot));
        _devices = devices;
    }

    /// <summary>A sweeper of every domain of <paramref name="tree"/>, without libvirt's device counters.</summary>
    public static SyntheticSweeper Of(SyntheticProcfs tree) =>
        new(SyntheticProcfs.ReadManifest(tree.Manifest), tree.ProcRoot, tree.RunRoot, tree.CgroupRoot);

    /// <inheritdoc />
    public SweepSample Sweep()
    {
        var domains = new List<DomainSample>(_domains.Count);
        for (int i = 0; i < _domains.Count; i++)
        {
            (string name, long memoryKiB) = _domains[i];
            // As LocalSweeper: the memory size given to the sampler, which reads smaps for the overhead when it is due (the
            // synthetic tree has no smaps: each process is found unreadable once, then not tried again).
            if (_sampler.Sample(name, memoryKiB) is { } sample)
            {
                domains.Add(_devices ? sample with { Disks = [LibvirtDisk(i, sample.AtNs)], Interfaces = [LibvirtInterface(i, sample.AtNs)] } : sample);
            }
        }

        return new SweepSample(domains, LocalSweeper.ReadHost(_procfs));
    }

    /// <summary>
    /// Stand-ins for what <c>LibvirtStatistics</c> makes of the bulk call's block and interface groups: one disk
    /// <c>vda</c> and one interface <c>vnetN</c> per domain, counters growing with the sample's clock at rates fixed by
    /// the domain's index (domain <c>i</c> reads <c>(1 + i % 50) x 100 KB/s</c> in 16 KiB requests of 0.5 ms, writes
    /// half that, and moves <c>(1 + i % 20) x 50 KB/s</c> each way on the NIC).
    /// </summary>
    private static BlockDeviceCounters LibvirtDisk(int index, long atNs)
    {
        double seconds = atNs / 1e9;
        ulong readBytes = (ulong)(seconds * (1 + (index % 50)) * 100_000);
        ulong reads = readBytes / 16_384;
        return new BlockDeviceCounters("vda", reads, readBytes, reads * 500_000, reads / 2, readBytes / 2, reads * 250_000, reads / 10, reads * 100_000);
    }

    private static InterfaceCounters LibvirtInterface(int index, long atNs)
    {
        ulong bytes = (ulong)(atNs / 1e9 * (1 + (index % 20)) * 50_000);
        return new InterfaceCounters($"vnet{index}", bytes, bytes / 1_000, 0, bytes, bytes / 1_000, 0);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
