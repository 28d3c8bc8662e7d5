namespace KvmConfig.Monitoring.History;

/// <summary>
/// The compact encoding of a domain's block devices (column <c>disks</c>) and network interfaces (column
/// <c>interfaces</c>) in one history row, schema 2: for each device in the sampler's order, unsigned LEB128 varints
/// (<see cref="Varint"/>). Device names are stored once in the <c>device</c> table and referred to by id.
/// <code>
///   disks: vda (id 1), queue 0.37 requests, latency 1.25 ms, reading 4 KiB/s, writing 300 KiB/s
///   01   25   e3 09   04   ac 02
///   1    2    3       4    5
///   1 device id   2 queue depth in hundredths of a request   3 latency in microseconds plus one (0: no request
///   completed)   4 KiB read per second   5 KiB written per second
///
///   interfaces: vnet3 (id 2), receiving 10 KiB/s, sending 2 KiB/s
///   02   0a   02
///   1    2    3
///   1 device id   2 KiB the guest received per second   3 KiB it sent per second
///
///   host disks (host_figures, schema 3): sda (id 4), queue 2.5 requests, latency 0.8 ms, 3 requests in flight
///   04   fa 01   a1 06   03
///   1    2       3       4
///   1 device id   2 average queue depth in hundredths of a request   3 latency in microseconds plus one (0: none
///   completed)   4 requests in flight at the sweep
/// </code>
/// An idle disk costs 5 to 7 bytes and an idle interface 3 to 5, where a row per device in a table would cost some
/// 20 bytes with its keys; throughput is kept to the KiB/s, which a chart of a report cannot tell from the byte.
/// </summary>
internal static class DeviceFiguresCodec
{
    private const string DisksColumn = "disks";
    private const string InterfacesColumn = "interfaces";
    private const string HostDisksColumn = "host disks";

    /// <summary>One block device as stored.</summary>
    /// <param name="DeviceId">Id in the <c>device</c> table.</param>
    /// <param name="QueueDepthCenti">Average requests in flight, in hundredths.</param>
    /// <param name="LatencyUs">Average time a request took, microseconds; null when none completed.</param>
    /// <param name="ReadKiBPerSecond">KiB read per second.</param>
    /// <param name="WriteKiBPerSecond">KiB written per second.</param>
    public readonly record struct Disk(long DeviceId, long QueueDepthCenti, long? LatencyUs, long ReadKiBPerSecond, long WriteKiBPerSecond);

    /// <summary>One network interface as stored.</summary>
    /// <param name="DeviceId">Id in the <c>device</c> table.</param>
    /// <param name="ReceivedKiBPerSecond">KiB the guest received per second.</param>
    /// <param name="SentKiBPerSecond">KiB the guest sent per second.</param>
    public readonly record struct Interface(long DeviceId, long ReceivedKiBPerSecond, long SentKiBPerSecond);

    /// <summary>One host block device as stored.</summary>
    /// <param name="DeviceId">Id in the <c>device</c> table.</param>
    /// <param name="QueueDepthCenti">Average requests in flight over the interval, in hundredths.</param>
    /// <param name="LatencyUs">Average time a request took, microseconds; null when none completed.</param>
    /// <param name="InFlight">Requests in flight at the sweep.</param>
    public readonly record struct HostDisk(long DeviceId, long QueueDepthCenti, long? LatencyUs, long InFlight);

    /// <summary>Encodes the host's block devices; every field non-negative.</summary>
    public static byte[] Encode(IReadOnlyList<HostDisk> disks)
    {
        var bytes = new List<byte>(disks.Count * 5);
        foreach (HostDisk disk in disks)
        {
            Write(bytes, disk.DeviceId, disk.QueueDepthCenti, disk.LatencyUs is { } us ? us + 1 : 0, disk.InFlight);
        }

        return [.. bytes];
    }

    /// <summary>Decodes what <see cref="Encode(IReadOnlyList{HostDisk})"/> wrote.</summary>
    public static List<HostDisk> DecodeHostDisks(ReadOnlySpan<byte> bytes)
    {
        var disks = new List<HostDisk>();
        int at = 0;
        while (at < bytes.Length)
        {
            long id = Varint.ReadInt64(bytes, ref at, HostDisksColumn);
            long queue = Varint.ReadInt64(bytes, ref at, HostDisksColumn);
            long latency = Varint.ReadInt64(bytes, ref at, HostDisksColumn);
            long inFlight = Varint.ReadInt64(bytes, ref at, HostDisksColumn);
            disks.Add(new HostDisk(id, queue, latency == 0 ? null : latency - 1, inFlight));
        }

        return disks;
    }

    /// <summary>Encodes block devices; every field non-negative.</summary>
    public static byte[] Encode(IReadOnlyList<Disk> disks)
    {
        var bytes = new List<byte>(disks.Count * 7);
        foreach (Disk disk in disks)
        {
            Write(bytes, disk.DeviceId, disk.QueueDepthCenti, disk.LatencyUs is { } us ? us + 1 : 0, disk.ReadKiBPerSecond, disk.WriteKiBPerSecond);
        }

        return [.. bytes];
    }

    /// <summary>Encodes network interfaces; every field non-negative.</summary>
    public static byte[] Encode(IReadOnlyList<Interface> interfaces)
    {
        var bytes = new List<byte>(interfaces.Count * 5);
        foreach (Interface nic in interfaces)
        {
            Write(bytes, nic.DeviceId, nic.ReceivedKiBPerSecond, nic.SentKiBPerSecond);
        }

        return [.. bytes];
    }

    /// <summary>Decodes what <see cref="Encode(IReadOnlyList{Disk})"/> wrote; a truncated varint is a <see cref="FormatException"/>.</summary>
    public static List<Disk> DecodeDisks(ReadOnlySpan<byte> bytes)
    {
        var disks = new List<Disk>();
        int at = 0;
        while (at < bytes.Length)
        {
            long id = Varint.ReadInt64(bytes, ref at, DisksColumn);
            long queue = Varint.ReadInt64(bytes, ref at, DisksColumn);
            long latency = Varint.ReadInt64(bytes, ref at, DisksColumn);
            long read = Varint.ReadInt64(bytes, ref at, DisksColumn);
            long write = Varint.ReadInt64(bytes, ref at, DisksColumn);
            disks.Add(new Disk(id, queue, latency == 0 ? null : latency - 1, read, write));
        }

        return disks;
    }

    /// <summary>Decodes what <see cref="Encode(IReadOnlyList{Interface})"/> wrote.</summary>
    public static List<Interface> DecodeInterfaces(ReadOnlySpan<byte> bytes)
    {
        var interfaces = new List<Interface>();
        int at = 0;
        while (at < bytes.Length)
        {
            long id = Varint.ReadInt64(bytes, ref at, InterfacesColumn);
            long received = Varint.ReadInt64(bytes, ref at, InterfacesColumn);
            long sent = Varint.ReadInt64(bytes, ref at, InterfacesColumn);
            interfaces.Add(new Interface(id, received, sent));
        }

        return interfaces;
    }

    private static void Write(List<byte> bytes, params ReadOnlySpan<long> values)
    {
        foreach (long value in values)
        {
            Varint.Write(bytes, value >= 0 ? (ulong)value : throw new ArgumentOutOfRangeException(nameof(values), value, "device figures are stored non-negative"));
        }
    }
}
