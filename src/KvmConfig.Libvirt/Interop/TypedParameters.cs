using System.Runtime.InteropServices;
using System.Text;
using Native = KvmConfig.Libvirt.Interop.Libvirt;

namespace KvmConfig.Libvirt.Interop;

/// <summary>
/// Copies <c>virTypedParameter</c> arrays to and from managed <see cref="TypedParameter"/> values. Reading never trusts
/// the array further than its count, a field name further than its 80 bytes, or a type it does not know (skipped).
/// </summary>
internal static unsafe class TypedParameters
{
    /// <summary>Copies <paramref name="count"/> parameters out of <paramref name="parameters"/>; frees nothing.</summary>
    public static List<TypedParameter> Read(Native.TypedParameter* parameters, int count)
    {
        var result = new List<TypedParameter>(Math.Max(0, count));
        for (int i = 0; i < count; i++)
        {
            Native.TypedParameter* p = parameters + i;
            // The field is NUL-terminated inside its 80 bytes; a name that fills them all is cut there, not overrun.
            var field = new ReadOnlySpan<byte>(p->Field, Native.FieldLength);
            int end = field.IndexOf((byte)0);
            string name = Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
            TypedParameter? value = p->Type switch
            {
                Native.TypedInt => new TypedParameter(name, TypedParameterKind.Int, p->Int),
                Native.TypedUInt => new TypedParameter(name, TypedParameterKind.UInt, p->UInt),
                Native.TypedLLong => new TypedParameter(name, TypedParameterKind.LLong, p->LLong),
                Native.TypedULLong => new TypedParameter(name, TypedParameterKind.ULLong, p->ULLong),
                Native.TypedDouble => new TypedParameter(name, TypedParameterKind.Double, p->Double),
                Native.TypedBoolean => new TypedParameter(name, TypedParameterKind.Boolean, p->Boolean != 0),
                Native.TypedString => new TypedParameter(name, TypedParameterKind.String, Marshal.PtrToStringUTF8(p->String) ?? ""),
                _ => null, // a type newer than this code: leave it out rather than misread the union
            };
            if (value is not null)
            {
                result.Add(value);
            }
        }

        return result;
    }

    /// <summary>
    /// Calls a libvirt "get parameters" function the documented way: first with no array to learn the count, then
    /// with an array of that size; copies the values and releases the strings libvirt put in it.
    /// </summary>
    /// <param name="get">The call: (array, ref count) -> result, negative on failure.</param>
    /// <param name="knownCount">The count when another call already said it (the scheduler's), else null.</param>
    /// <returns>The parameters, or null when a call failed (the caller reads libvirt's last error at once).</returns>
    public static List<TypedParameter>? Get(GetCall get, int? knownCount = null)
    {
        int count = knownCount ?? 0;
        if (knownCount is null && get(null, ref count) < 0)
        {
            return null;
        }

        if (count <= 0)
        {
            return [];
        }

        var array = new Native.TypedParameter[count];
        fixed (Native.TypedParameter* p = array)
        {
            int filled = count;
            if (get(p, ref filled) < 0)
            {
                return null;
            }

            try
            {
                return Read(p, Math.Min(filled, count));
            }
            finally
            {
                Native.TypedParamsClear(p, Math.Min(filled, count));
            }
        }
    }

    /// <summary>The shape of a "get parameters" call.</summary>
    public delegate int GetCall(Native.TypedParameter* parameters, ref int count);

    /// <summary>
    /// Builds a native array for a "set parameters" call, runs <paramref name="set"/> on it and frees what was
    /// allocated here (libvirt only reads the array).
    /// </summary>
    public static int Set(IReadOnlyList<TypedParameter> parameters, Func<IntPtr, int, int> set)
    {
        var array = new Native.TypedParameter[parameters.Count];
        var strings = new List<IntPtr>();
        try
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                array[i] = ToNative(parameters[i], strings);
            }

            fixed (Native.TypedParameter* p = array)
            {
                return set((IntPtr)p, array.Length);
            }
        }
        finally
        {
            strings.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private static Native.TypedParameter ToNative(TypedParameter parameter, List<IntPtr> strings)
    {
        byte[] name = Encoding.UTF8.GetBytes(parameter.Name);
        if (name.Length >= Native.FieldLength)
        {
            throw new ArgumentException($"typed parameter name longer than {Native.FieldLength - 1} bytes: {parameter.Name}");
        }

        var native = new Native.TypedParameter { Type = (int)parameter.Kind };
        name.CopyTo(new Span<byte>(native.Field, Native.FieldLength));
        switch (parameter.Value)
        {
            case int i:
                native.Int = i;
                break;
            case uint u:
                native.UInt = u;
                break;
            case long l:
                native.LLong = l;
                break;
            case ulong ul:
                native.ULLong = ul;
                break;
            case double d:
                native.Double = d;
                break;
            case bool b:
                native.Boolean = b ? (byte)1 : (byte)0;
                break;
            case string s:
                IntPtr text = Marshal.StringToCoTaskMemUTF8(s);
                strings.Add(text);
                native.String = text;
                break;
            default:
                throw new ArgumentException($"typed parameter {parameter.Name}: unsupported value {parameter.Value.GetType().Name}");
        }

        return native;
    }
}
