using System.Text;

namespace KvmConfig.Core.Domains;

/// <summary>One owned field and its normalized value, e.g. <c>vcpupin 0</c> = <c>1</c>.</summary>
/// <param name="Field">What it is, in libvirt's words (<c>emulatorpin</c>, <c>numatune memory</c>, <c>disk vda read_bytes_sec</c>).</param>
/// <param name="Value">The value, normalized: cpulists canonical (<c>0-3,8</c>), sizes in KiB, <c>any</c> for an
/// unrestricted CPU set, <c>none</c> for an absent optional element.</param>
public sealed record OwnedField(string Field, string Value);

/// <summary>One field whose actual value differs from the desired one.</summary>
/// <param name="Field">The field (a device field names the device: <c>disk vdb read_bytes_sec</c>).</param>
/// <param name="Desired">What the declaration asks.</param>
/// <param name="Actual">What the domain says; <c>(absent)</c> when it says nothing.</param>
public sealed record Drift(string Field, string Desired, string Actual);

/// <summary>
/// The fields kvmconfig owns in one domain, normalized so that two spellings of one setting compare equal
/// (<c>cpuset='1-3,^2'</c> is <c>1,3</c>; <c>&lt;memory unit='MiB'&gt;4&lt;/memory&gt;</c> is <c>4096 KiB</c>; a vCPU
/// without <c>&lt;vcpupin&gt;</c> shows the <c>&lt;vcpu cpuset&gt;</c> it inherits). Sorted by field, numbers in
/// numeric order (<c>vcpupin 2</c> before <c>vcpupin 10</c>).
/// </summary>
/// <remarks>
/// Desired states (<see cref="DomainTuning.ToOwnedState"/>) hold only the managed fields, and say device fields
/// once for every device of the kind: <c>disk * read_bytes_sec</c>, <c>interface * inbound average</c>. Actual
/// states (<see cref="DomainXml.ReadOwned"/>) name each device: <c>disk vda read_bytes_sec</c> (by target dev),
/// <c>interface 52:54:00:12:34:56 inbound average</c> (by MAC, or <c>#N</c>, its position, when it has none).
/// </remarks>
public sealed class OwnedState
{
    /// <summary>What <see cref="Drift(OwnedState, OwnedState)"/> shows for a field the actual state lacks.</summary>
    public const string Absent = "(absent)";

    private readonly Dictionary<string, string> _byField;

    /// <summary>A state of <paramref name="fields"/>; a field given twice is an error.</summary>
    public OwnedState(IEnumerable<OwnedField> fields)
    {
        _byField = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (OwnedField field in fields)
        {
            if (!_byField.TryAdd(field.Field, field.Value))
            {
                throw new ArgumentException($"field '{field.Field}' given twice", nameof(fields));
            }
        }

        Fields = _byField.Select(p => new OwnedField(p.Key, p.Value)).OrderBy(f => f.Field, NaturalOrder.Instance).ToList();
    }

    /// <summary>Every field, sorted.</summary>
    public IReadOnlyList<OwnedField> Fields { get; }

    /// <summary>The value of <paramref name="field"/>, or null when the state does not hold it.</summary>
    public string? this[string field] => _byField.GetValueOrDefault(field);

    /// <summary>
    /// Every desired field whose actual value differs, in field order. Only the desired state's fields count, so
    /// what the declaration does not manage never drifts. A device field (<c>disk * ...</c>) is checked on every
    /// device of the kind the domain has, and holds trivially for a domain with none.
    /// </summary>
    public static IReadOnlyList<Drift> Drift(OwnedState desired, OwnedState actual)
    {
        var drifts = new List<Drift>();
        foreach (OwnedField want in desired.Fields)
        {
            int star = want.Field.IndexOf(" * ", StringComparison.Ordinal);
            if (star < 0)
            {
                string have = actual[want.Field] ?? Absent;
                if (have != want.Value)
                {
                    drifts.Add(new Drift(want.Field, want.Value, have));
                }

                continue;
            }

            string prefix = want.Field[..(star + 1)];
            string suffix = want.Field[(star + 2)..];
            foreach (OwnedField have in actual.Fields)
            {
                if (have.Field.Length > prefix.Length + suffix.Length
                    && have.Field.StartsWith(prefix, StringComparison.Ordinal)
                    && have.Field.EndsWith(suffix, StringComparison.Ordinal)
                    && !have.Field.AsSpan(prefix.Length, have.Field.Length - prefix.Length - suffix.Length).Contains(' ')
                    && have.Value != want.Value)
                {
                    drifts.Add(new Drift(have.Field, want.Value, have.Value));
                }
            }
        }

        return drifts;
    }

    /// <summary>One <c>field = value</c> line per field.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (OwnedField field in Fields)
        {
            text.Append(field.Field).Append(" = ").Append(field.Value).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>Orders strings with runs of digits compared as numbers: <c>vcpupin 2</c> before <c>vcpupin 10</c>.</summary>
internal sealed class NaturalOrder : IComparer<string>
{
    public static NaturalOrder Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int si = i, sj = j;
                while (i < x.Length && char.IsAsciiDigit(x[i]))
                {
                    i++;
                }

                while (j < y.Length && char.IsAsciiDigit(y[j]))
                {
                    j++;
                }

                // Compare digit runs by value: without leading zeros, the longer run is the larger number.
                ReadOnlySpan<char> a = x.AsSpan(si, i - si).TrimStart('0');
                ReadOnlySpan<char> b = y.AsSpan(sj, j - sj).TrimStart('0');
                int byValue = a.Length != b.Length ? a.Length.CompareTo(b.Length) : a.SequenceCompareTo(b);
                if (byValue != 0)
                {
                    return byValue;
                }

                continue;
            }

            int byChar = x[i].CompareTo(y[j]);
            if (byChar != 0)
            {
                return byChar;
            }

            i++;
            j++;
        }

        int byLength = (x.Length - i).CompareTo(y.Length - j);
        return byLength != 0 ? byLength : string.CompareOrdinal(x, y);
    }
}
