namespace KvmConfig.Core.Monitoring;

/// <summary>The per-interface counters of <c>/proc/net/dev</c>, as the host sees each device.</summary>
public static class NetDev
{
    /// <summary>
    /// Parses the text of <c>/proc/net/dev</c> into each interface's counters from the host's point of view
    /// (<see cref="InterfaceCounters.ReceivedBytes"/> is what the host received on the device). Throws
    /// <see cref="FormatException"/> naming the line when an interface line has not 16 counters.
    /// </summary>
    public static IReadOnlyDictionary<string, InterfaceCounters> Parse(string text)
    {
        // net/core/net-procfs.c dev_seq_printf_stats(): two header lines, then per device
        //
        //   vnet3: 1523 12 0 0 0 0 0 0   9120 80 0 0 0 0 0 0
        //   name:  1    2  3 4 5 6 7 8   9    10 ...
        //
        //   receive:  1 bytes 2 packets 3 errs 4 drop 5 fifo 6 frame 7 compressed 8 multicast
        //   transmit: 9 bytes 10 packets 11 errs 12 drop 13 fifo 14 colls 15 carrier 16 compressed
        //
        // The name ends at the colon, and a large counter may follow it with no blank in between.
        var devices = new Dictionary<string, InterfaceCounters>(StringComparer.Ordinal);
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                if (number <= 2)
                {
                    continue;   // the two header lines
                }

                throw new FormatException($"line {number}: '{ProcText.Shorten(line)}' has no 'name:' before its counters");
            }

            string name = line[..colon].Trim();
            string[] f = ProcText.Fields(line[(colon + 1)..]);
            if (name.Length == 0 || f.Length != 16)
            {
                throw new FormatException($"line {number}: '{ProcText.Shorten(line)}': expected a name and 16 counters, found {f.Length}");
            }

            ulong Field(int n, string what) => ProcText.Counter(f[n - 1], $"line {number} ({name} {what})");
            devices[name] = new InterfaceCounters(
                name,
                Field(1, "receive bytes"),
                Field(2, "receive packets"),
                Field(4, "receive drop"),
                Field(9, "transmit bytes"),
                Field(10, "transmit packets"),
                Field(12, "transmit drop"));
        }

        return devices;
    }

    /// <summary>
    /// A guest's view of its tap or macvtap device: what the host transmits on the device the guest receives, and
    /// the other way round (libvirt swaps them the same way in its interface statistics).
    /// </summary>
    public static InterfaceCounters GuestView(InterfaceCounters hostView) =>
        new(hostView.Device, hostView.SentBytes, hostView.SentPackets, hostView.SendDrops,
            hostView.ReceivedBytes, hostView.ReceivedPackets, hostView.ReceiveDrops);
}
