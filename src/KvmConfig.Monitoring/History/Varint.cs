namespace KvmConfig.Monitoring.History;

/// <summary>
/// Unsigned LEB128 varints, the integers of the history's compact columns (<see cref="VcpuReadyCodec"/>,
/// <see cref="DeviceFiguresCodec"/>): seven bits a byte, low bits first, the high bit set on every byte but the last.
/// 0-127 take one byte, up to 16383 two, up to 2097151 three.
/// </summary>
internal static class Varint
{
    /// <summary>Appends <paramref name="value"/>.</summary>
    public static void Write(List<byte> bytes, ulong value)
    {
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
    }

    /// <summary>
    /// Reads the varint at <paramref name="at"/> and moves past it; a truncated or oversized one is a
    /// <see cref="FormatException"/> naming <paramref name="column"/>.
    /// </summary>
    public static ulong Read(ReadOnlySpan<byte> bytes, ref int at, string column)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= bytes.Length)
            {
                throw new FormatException($"{column}: truncated varint");
            }

            byte b = bytes[at++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException($"{column}: varint longer than 64 bits");
    }

    /// <summary>Reads a varint that must fit a non-negative <see cref="long"/>.</summary>
    public static long ReadInt64(ReadOnlySpan<byte> bytes, ref int at, string column)
    {
        ulong value = Read(bytes, ref at, column);
        return value <= long.MaxValue ? (long)value : throw new FormatException($"{column}: {value} is out of range");
    }
}
