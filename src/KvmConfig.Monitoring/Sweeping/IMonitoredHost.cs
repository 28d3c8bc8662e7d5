using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring.Sweeping;

/// <summary>
/// What the sweepers read of a host through libvirt, and nothing more: which domains run, a running domain's memory
/// size and live XML, the bulk statistics of every running domain, the block counters of some, and whether the
/// connection is still there. <c>KvmConfig.Libvirt</c> implements it on a read-only connection
/// (<c>LibvirtMonitoredHost</c>); tests give recorded values.
/// </summary>
/// <remarks>
/// A failed call throws a <see cref="KvmConfigException"/> carrying libvirt's message (a sweep that throws is a failed
/// sweep: the owner connects again). What a sweeper decides on is not an exception: a domain gone since it was listed
/// is a null or a missing entry. One thread at a time per host; <see cref="OpenAnother"/> gives a second thread its own.
/// </remarks>
public interface IMonitoredHost : IDisposable
{
    /// <summary>The libvirt URI, for messages.</summary>
    string Uri { get; }

    /// <summary>
    /// Why libvirt closed the connection (the daemon stopped or restarted, a keepalive timeout, a lost SSH session), or
    /// null while it is open. Only a host that watches its connection sets it; every call fails once it is set.
    /// </summary>
    string? ClosedReason { get; }

    /// <summary>The names of the running (and paused) domains, in ordinal order.</summary>
    IReadOnlyList<string> RunningDomains();

    /// <summary>
    /// The memory size and live XML of <paramref name="domain"/>, or null when libvirt no longer knows a domain of that
    /// name (it was undefined, or it was transient and stopped, since it was listed).
    /// </summary>
    LiveDefinition? Definition(string domain);

    /// <summary>
    /// The <c>vcpu</c>, <c>balloon</c>, <c>block</c> and <c>interface</c> statistics of every running domain in one
    /// call, in the order libvirt read them. Throws <see cref="KvmConfigException"/> (<see cref="Rules.LibvirtError"/>)
    /// naming the groups the driver does not give (libvirt's test driver gives the state group only).
    /// </summary>
    IReadOnlyList<DomainStatistics> RunningDomainStatistics();

    /// <summary>
    /// The guest block device counters of those of <paramref name="domains"/> that run, by domain name; a domain that is
    /// not running (or unknown) has no entry.
    /// </summary>
    IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> BlockCounters(IReadOnlyList<string> domains);

    /// <summary>
    /// A second connection to the same host, for a reader on a thread of its own (<see cref="GuestBlockCounters"/>). It
    /// is not watched (its <see cref="ClosedReason"/> stays null): a call on a lost one throws. The caller disposes it.
    /// </summary>
    IMonitoredHost OpenAnother();
}

/// <summary>What a running domain's definition tells a sampler.</summary>
/// <param name="MemoryKiB">The guest's memory size (<c>&lt;memory&gt;</c>, <c>virDomainGetMaxMemory</c>).</param>
/// <param name="Xml">The live XML (<c>virDomainGetXMLDesc</c>): the devices with their host-side names.</param>
public sealed record LiveDefinition(long MemoryKiB, string Xml);

/// <summary>
/// One domain's record of a bulk statistics call (<c>virConnectGetAllDomainStats</c>), decoded: the figures of the
/// <c>vcpu</c>, <c>balloon</c>, <c>block</c> and <c>interface</c> groups, in the units of a <see cref="DomainSample"/>.
/// </summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Id">
/// The domain id while it runs, null when it does not (it stopped during the call). The QEMU driver gives every start a
/// new id, so a different id means the domain restarted and its counters began again.
/// </param>
public sealed record DomainStatistics(string Domain, int? Id)
{
    /// <summary>
    /// The vCPUs that have both run time and run-queue wait, by vCPU number (<see cref="VcpuThread.Tid"/> is the vCPU
    /// number, <see cref="TaskSchedstat.Timeslices"/> 0); null when the record has no <c>vcpu</c> group (the domain
    /// stopped during the call).
    /// </summary>
    public IReadOnlyList<VcpuThread>? Vcpus { get; init; }

    /// <summary>How many vCPUs have a run time but no run-queue wait (a daemon too old to report it): left out of <see cref="Vcpus"/>.</summary>
    public int VcpusWithoutDelay { get; init; }

    /// <summary>QEMU's resident memory in KiB (<c>balloon.rss</c>), or null.</summary>
    public long? RssKiB { get; init; }

    /// <summary>The guest's memory size in KiB (<c>balloon.maximum</c>), or null.</summary>
    public long? GuestMemoryKiB { get; init; }

    /// <summary>The guest block devices that have counters.</summary>
    public IReadOnlyList<BlockDeviceCounters> Disks { get; init; } = [];

    /// <summary>The network interfaces that have counters, from the guest's point of view.</summary>
    public IReadOnlyList<InterfaceCounters> Interfaces { get; init; } = [];
}
