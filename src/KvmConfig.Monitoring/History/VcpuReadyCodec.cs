namespace KvmConfig.Monitoring.History;

/// <summary>
/// The compact encoding of a domain's per-vCPU ready % in one history row (column <c>vcpu_ready</c>): for each vCPU in
/// ascending order, two unsigned LEB128 varints.
/// <code>
///   vCPUs 0, 1, 3 at 2.50 %, 0.00 %, 12.00 %
///   00 fa 01   00 00   01 b0 09
///   1  2       1  2    1  2
///   1 gap: vCPU number - (previous + 1), so 0 for consecutive vCPUs   2 ready in basis points (0.01 %)
/// </code>
/// A vCPU at under 1.28 % ready costs 2 bytes and one under 163.84 % 3 bytes, where a row per vCPU in a table would
/// cost some 15 bytes with its keys.
/// </summary>
internal static class VcpuReadyCodec
{
    private const string Column = "vcpu_ready";

    /// <summary>Encodes (vCPU, ready in basis points) pairs; vCPUs strictly ascending, both non-negative.</summary>
    public static byte[] Encode(IReadOnlyList<(int Vcpu, long ReadyBp)> vcpus)
    {
        var bytes = new List<byte>(vcpus.Count * 3);
        int next = 0;
        foreach ((int vcpu, long readyBp) in vcpus)
        {
            if (vcpu < next || readyBp < 0)
            {
                throw new ArgumentException($"vCPU {vcpu} at {readyBp} bp: vCPUs must be ascending and ready non-negative", nameof(vcpus));
            }

            Varint.Write(bytes, (ulong)(vcpu - next));
            Varint.Write(bytes, (ulong)readyBp);
            next = vcpu + 1;
        }

        return [.. bytes];
    }

    /// <summary>Decodes what <see cref="Encode"/> wrote; a truncated or oversized varint is a <see cref="FormatException"/>.</summary>
    public static List<(int Vcpu, long ReadyBp)> Decode(ReadOnlySpan<byte> bytes)
    {
        var vcpus = new List<(int, long)>();
        int at = 0;
        long next = 0;
        while (at < bytes.Length)
        {
            long vcpu = next + (long)Varint.Read(bytes, ref at, Column);
            ulong readyBp = Varint.Read(bytes, ref at, Column);
            if (vcpu > int.MaxValue || readyBp > long.MaxValue)
            {
                throw new FormatException($"vcpu_ready: vCPU {vcpu} at {readyBp} bp is out of range");
            }

            vcpus.Add(((int)vcpu, (long)readyBp));
            next = vcpu + 1;
        }

        return vcpus;
    }
}
