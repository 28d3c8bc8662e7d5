using System.Globalization;

namespace KvmConfig.Libvirt;

/// <summary>The C type of a <see cref="TypedParameter"/> (<c>virTypedParameterType</c>).</summary>
public enum TypedParameterKind
{
    /// <summary><c>int</c>.</summary>
    Int = 1,

    /// <summary><c>unsigned int</c>.</summary>
    UInt = 2,

    /// <summary><c>long long</c>.</summary>
    LLong = 3,

    /// <summary><c>unsigned long long</c>.</summary>
    ULLong = 4,

    /// <summary><c>double</c>.</summary>
    Double = 5,

    /// <summary><c>char</c> used as a boolean.</summary>
    Boolean = 6,

    /// <summary><c>char *</c>.</summary>
    String = 7,
}

/// <summary>
/// One libvirt typed parameter, copied out of native memory: a field name such as <c>cpu_shares</c>,
/// <c>numa_nodeset</c> or <c>vcpu.0.delay</c>, its C type and its value.
/// </summary>
/// <param name="Name">The field name (at most 79 bytes in libvirt).</param>
/// <param name="Kind">The C type libvirt declared.</param>
/// <param name="Value">An <see cref="int"/>, <see cref="uint"/>, <see cref="long"/>, <see cref="ulong"/>,
/// <see cref="double"/>, <see cref="bool"/> or <see cref="string"/>, as <paramref name="Kind"/> says.</param>
public sealed record TypedParameter(string Name, TypedParameterKind Kind, object Value)
{
    /// <summary>An <c>int</c> parameter.</summary>
    public static TypedParameter Int(string name, int value) => new(name, TypedParameterKind.Int, value);

    /// <summary>An <c>unsigned int</c> parameter.</summary>
    public static TypedParameter UInt(string name, uint value) => new(name, TypedParameterKind.UInt, value);

    /// <summary>A <c>long long</c> parameter.</summary>
    public static TypedParameter LLong(string name, long value) => new(name, TypedParameterKind.LLong, value);

    /// <summary>An <c>unsigned long long</c> parameter.</summary>
    public static TypedParameter ULLong(string name, ulong value) => new(name, TypedParameterKind.ULLong, value);

    /// <summary>A string parameter.</summary>
    public static TypedParameter String(string name, string value) => new(name, TypedParameterKind.String, value);

    /// <summary>The value as a signed 64-bit integer, for any integer kind (an unsigned value above
    /// <see cref="long.MaxValue"/> saturates: libvirt uses that range only for "unlimited").</summary>
    public long AsInt64() => Value switch
    {
        int i => i,
        uint u => u,
        long l => l,
        ulong ul => ul > long.MaxValue ? long.MaxValue : (long)ul,
        bool b => b ? 1 : 0,
        double d => (long)d,
        string s => long.Parse(s, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"{Name}: not a number"),
    };

    /// <summary>The value as an unsigned 64-bit integer (counters such as <c>vcpu.N.time</c>).</summary>
    public ulong AsUInt64() => Value switch
    {
        ulong ul => ul,
        _ => (ulong)Math.Max(0, AsInt64()),
    };

    /// <summary>The value as text, the way <c>virsh</c> prints it.</summary>
    public override string ToString() => $"{Name}={Convert.ToString(Value, CultureInfo.InvariantCulture)}";
}
