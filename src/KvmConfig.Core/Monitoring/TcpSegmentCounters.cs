namespace KvmConfig.Core.Monitoring;

/// <summary>
/// The two TCP counters of a network namespace that give the retransmit rate, from <c>/proc/net/snmp</c> (the
/// reader's namespace) or <c>/proc/PID/net/snmp</c> (that process's namespace). Both grow from boot.
/// </summary>
/// <param name="OutSegs">Segments sent, retransmissions excluded (RFC 1213 <c>tcpOutSegs</c>).</param>
/// <param name="RetransSegs">Segments retransmitted (RFC 1213 <c>tcpRetransSegs</c>).</param>
public readonly record struct TcpSegmentCounters(ulong OutSegs, ulong RetransSegs)
{
    /// <summary>
    /// Finds the <c>Tcp:</c> header and value lines in the text of <c>/proc/net/snmp</c> and reads
    /// <c>OutSegs</c> and <c>RetransSegs</c> by column name. Throws <see cref="FormatException"/> when there is no
    /// such pair, the two lines have different lengths, a column is missing or a value is not a number.
    /// </summary>
    public static TcpSegmentCounters Parse(string text)
    {
        // net/ipv4/proc.c snmp_seq_show_tcp_udp(): each protocol is a header line of names then a line of values,
        // both prefixed with the protocol. Columns are added over kernel versions (InCsumErrors in 3.10), so they
        // are found by name, never by position.
        //
        //   Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens ... InSegs OutSegs RetransSegs InErrs OutRsts ...
        //   Tcp: 1            200    120000 -1      1103        ... 653161 594855  348         98     1038    ...
        //   1    2            3      4      5       6               11     12      13          14     15
        //
        // MaxConn is signed (-1: dynamic), so only the two columns needed are parsed as counters.
        string[]? header = null;
        int headerLine = 0;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] fields = ProcText.Fields(line);
            if (fields.Length == 0 || fields[0] != "Tcp:")
            {
                continue;
            }

            if (header is null)
            {
                header = fields;
                headerLine = number;
                continue;
            }

            if (fields.Length != header.Length)
            {
                throw new FormatException(
                    $"line {number}: the Tcp: values have {fields.Length - 1} columns but the header on line {headerLine} names {header.Length - 1}");
            }

            return new TcpSegmentCounters(
                ProcText.Counter(fields[Column(header, "OutSegs", headerLine)], $"line {number} (Tcp OutSegs)"),
                ProcText.Counter(fields[Column(header, "RetransSegs", headerLine)], $"line {number} (Tcp RetransSegs)"));
        }

        throw new FormatException(header is null
            ? "no 'Tcp:' lines: expected a header line of Tcp column names followed by a line of values"
            : $"line {headerLine}: the 'Tcp:' header line is not followed by a line of values");
    }

    private static int Column(string[] header, string name, int headerLine)
    {
        int index = Array.IndexOf(header, name, 1);
        return index > 0 ? index : throw new FormatException($"line {headerLine}: the Tcp: header has no {name} column");
    }
}
