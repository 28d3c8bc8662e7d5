namespace KvmConfig.Core.Monitoring;

/// <summary>
/// One guest block device's counters as QEMU accounts them (libvirt's <c>block.N.*</c> statistics): requests
/// completed, bytes, and the summed time those requests took, per kind. Every counter grows while the domain runs and
/// starts again from zero when it restarts or the disk is re-attached.
/// </summary>
/// <param name="Device">The guest-side target, e.g. <c>vda</c>, <c>sdb</c>.</param>
/// <param name="ReadRequests">Reads completed (<c>rd.reqs</c>).</param>
/// <param name="ReadBytes">Bytes read (<c>rd.bytes</c>).</param>
/// <param name="ReadTimeNs">Time the completed reads took, summed, ns (<c>rd.times</c>).</param>
/// <param name="WriteRequests">Writes completed (<c>wr.reqs</c>).</param>
/// <param name="WriteBytes">Bytes written (<c>wr.bytes</c>).</param>
/// <param name="WriteTimeNs">Time the completed writes took, summed, ns (<c>wr.times</c>).</param>
/// <param name="FlushRequests">Flushes completed (<c>fl.reqs</c>).</param>
/// <param name="FlushTimeNs">Time the flushes took, summed, ns (<c>fl.times</c>).</param>
public sealed record BlockDeviceCounters(
    string Device,
    ulong ReadRequests,
    ulong ReadBytes,
    ulong ReadTimeNs,
    ulong WriteRequests,
    ulong WriteBytes,
    ulong WriteTimeNs,
    ulong FlushRequests,
    ulong FlushTimeNs);

/// <summary>
/// One guest network interface's counters, from the guest's point of view: what it received and sent. Grow while the
/// interface exists.
/// </summary>
/// <param name="Device">The host-side device (<c>vnet3</c>, a macvtap), or libvirt's alias when it has none.</param>
/// <param name="ReceivedBytes">Bytes the guest received.</param>
/// <param name="ReceivedPackets">Packets the guest received.</param>
/// <param name="ReceiveDrops">Packets for the guest that were dropped.</param>
/// <param name="SentBytes">Bytes the guest sent.</param>
/// <param name="SentPackets">Packets the guest sent.</param>
/// <param name="SendDrops">Packets from the guest that were dropped.</param>
public sealed record InterfaceCounters(
    string Device,
    ulong ReceivedBytes,
    ulong ReceivedPackets,
    ulong ReceiveDrops,
    ulong SentBytes,
    ulong SentPackets,
    ulong SendDrops);
