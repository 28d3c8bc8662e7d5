using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace KvmConfig.Core;

/// <summary>Why a CPU list or mask did not parse: the 0-based offset of the offending character and a message.</summary>
/// <param name="Offset">0-based offset into the text of the first wrong character.</param>
/// <param name="Length">How many characters are wrong (at least 1, for the carets).</param>
/// <param name="Message">What is wrong, naming the text.</param>
public sealed record CpuListError(int Offset, int Length, string Message);

public sealed partial class CpuSet
{
    /// <summary>Parses a kernel cpulist with libvirt exclusions; throws <see cref="FormatException"/> when malformed.</summary>
    public static CpuSet Parse(string text) =>
        TryParse(text, out CpuSet? set, out CpuListError? error)
            ? set
            : throw new FormatException($"{error.Message} (column {error.Offset + 1} of \"{text}\")");

    /// <summary>
    /// Parses a kernel cpulist (<c>0-3,8</c>, <c>0-15:2/4</c>) with libvirt exclusions (<c>0-7,^3</c>).
    /// Whitespace around the whole text and around commas is ignored (<c>1, 3</c>) (sysfs files end in a newline); an empty text is the
    /// empty set, as in an empty <c>/sys/devices/system/cpu/offline</c>.
    /// </summary>
    public static bool TryParse(
        string text,
        [NotNullWhen(true)] out CpuSet? set,
        [NotNullWhen(false)] out CpuListError? error)
    {
        var parser = new ListParser(text);
        return parser.Run(out set, out error);
    }

    /// <summary>
    /// Parses a kernel hex mask: comma-separated 32-bit groups, most significant first
    /// (<c>0000,019c6700,00019c67</c>). As in the kernel's <c>bitmap_parse</c>, a group may be written with
    /// fewer than 8 digits and still stands for 32 bits (<c>1,1</c> is CPUs 0 and 32); a group of more than
    /// 8 digits, or an empty one, is an error. Throws <see cref="FormatException"/> when malformed.
    /// </summary>
    public static CpuSet ParseHexMask(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return Empty;
        }

        for (int i = 0; i < trimmed.Length; i++)
        {
            if (trimmed[i] != ',' && !char.IsAsciiHexDigit(trimmed[i]))
            {
                throw new FormatException($"'{trimmed[i]}' at column {i + 1} of \"{trimmed}\" is not a hex digit");
            }
        }

        var builder = new Builder();
        string[] groups = trimmed.Split(',');
        int groupEnd = trimmed.Length;
        for (int g = groups.Length - 1, firstCpu = 0; g >= 0; g--, firstCpu += 32)
        {
            string digits = groups[g];
            int groupStart = groupEnd - digits.Length;
            if (digits.Length is 0 or > 8)
            {
                string found = digits.Length == 0 ? "an empty group" : $"group \"{digits}\" ({digits.Length} digits)";
                throw new FormatException(
                    $"{found} at column {groupStart + 1} of \"{trimmed}\": each comma-separated group is 32 bits, 1 to 8 hex digits");
            }

            uint word = uint.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            for (int b = 0; b < 32; b++)
            {
                if ((word & (1U << b)) == 0)
                {
                    continue;
                }

                if (firstCpu + b > MaxCpuId)
                {
                    throw new FormatException($"mask \"{trimmed}\" sets CPU {firstCpu + b}, above the largest CPU id {MaxCpuId}");
                }

                builder.Add(firstCpu + b);
            }

            groupEnd = groupStart - 1;
        }

        return builder.ToCpuSet();
    }

    /// <summary>
    /// The kernel hex mask for a machine of <paramref name="bitCount"/> CPUs (as <c>cpumap</c> prints it:
    /// 32-bit groups of 8 hex digits, most significant first, the top group only as wide as needed).
    /// </summary>
    public string ToHexMask(int bitCount)
    {
        int width = Math.Max(bitCount, Last + 1);
        int digits = Math.Max(1, (width + 3) / 4);
        var sb = new StringBuilder();
        for (int d = digits - 1; d >= 0; d--)
        {
            int nibble = 0;
            for (int b = 0; b < 4; b++)
            {
                if (Contains((d * 4) + b))
                {
                    nibble |= 1 << b;
                }
            }

            sb.Append("0123456789abcdef"[nibble]);
            if (d > 0 && d % 8 == 0)
            {
                sb.Append(',');
            }
        }

        return sb.ToString();
    }

    /// <summary>Recursive-descent parser over one cpulist; keeps the offset for error messages.</summary>
    private ref struct ListParser(string text)
    {
        private readonly string _text = text;
        private int _pos;

        public bool Run([NotNullWhen(true)] out CpuSet? set, [NotNullWhen(false)] out CpuListError? error)
        {
            set = null;
            var builder = new Builder();
            _pos = 0;
            SkipSpaces();
            if (_pos == _text.Length)
            {
                set = Empty;
                error = null;
                return true;
            }

            while (true)
            {
                if (!Item(builder, out CpuListError? itemError))
                {
                    error = itemError!;
                    return false;
                }

                SkipSpaces();
                if (_pos == _text.Length)
                {
                    break;
                }

                if (_text[_pos] != ',')
                {
                    error = Wrong(_pos, $"expected ',' between items, not '{_text[_pos]}'");
                    return false;
                }

                _pos++;
                SkipSpaces();
            }

            set = builder.ToCpuSet();
            error = null;
            return true;
        }

        // item := ['^'] number ['-' number [':' number '/' number]]
        private bool Item(Builder builder, out CpuListError? error)
        {
            bool exclude = false;
            if (_pos < _text.Length && _text[_pos] == '^')
            {
                exclude = true;
                _pos++;
            }

            int start = _pos;
            if (!Number(out int first, out error))
            {
                return false;
            }

            int last = first;
            int used = 1, group = 1;
            if (_pos < _text.Length && _text[_pos] == '-')
            {
                if (exclude)
                {
                    error = Wrong(_pos, $"'^{first}-': libvirt's '^' excludes a single CPU, not a range");
                    return false;
                }

                _pos++;
                if (!Number(out last, out error))
                {
                    return false;
                }

                if (last < first)
                {
                    error = new CpuListError(start, _pos - start, $"range {first}-{last} runs backwards; write {last}-{first}");
                    return false;
                }

                if (_pos < _text.Length && _text[_pos] == ':')
                {
                    _pos++;
                    if (!Number(out used, out error))
                    {
                        return false;
                    }

                    if (_pos >= _text.Length || _text[_pos] != '/')
                    {
                        error = Wrong(_pos, "expected '/' in a stride 'first-last:used/group'");
                        return false;
                    }

                    _pos++;
                    int groupStart = _pos;
                    if (!Number(out group, out error))
                    {
                        return false;
                    }

                    if (group == 0 || used > group)
                    {
                        error = new CpuListError(groupStart, _pos - groupStart, $"stride {used}/{group} needs a group of at least 1 CPU and used <= group");
                        return false;
                    }
                }
            }

            for (int cpu = first; cpu <= last; cpu++)
            {
                if ((cpu - first) % group >= used)
                {
                    continue;
                }

                if (exclude)
                {
                    builder.Remove(cpu);
                }
                else
                {
                    builder.Add(cpu);
                }
            }

            error = null;
            return true;
        }

        private bool Number(out int value, out CpuListError? error)
        {
            value = 0;
            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                _pos++;
            }

            if (_pos == start)
            {
                error = _pos == _text.Length
                    ? Wrong(_pos, "expected a CPU number at the end")
                    : Wrong(_pos, $"'{_text[_pos]}' is not a CPU number");
                return false;
            }

            ReadOnlySpan<char> digits = _text.AsSpan(start, _pos - start);
            if (digits.Length > 6 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value > MaxCpuId)
            {
                error = new CpuListError(start, _pos - start, $"CPU number {digits} is larger than the largest CPU id {MaxCpuId}");
                return false;
            }

            error = null;
            return true;
        }

        private void SkipSpaces()
        {
            while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
            {
                _pos++;
            }
        }

        private readonly CpuListError Wrong(int offset, string message) =>
            new(Math.Min(offset, _text.Length), 1, message);
    }
}
