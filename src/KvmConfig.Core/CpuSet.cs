using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Text;

namespace KvmConfig.Core;

/// <summary>
/// An immutable set of logical CPU ids (or NUMA node ids: the kernel uses the same list syntax for both).
/// </summary>
/// <remarks>
/// Text forms understood:
/// <list type="bullet">
/// <item>the kernel cpulist, as in <c>/sys/devices/system/cpu/online</c>: <c>0-3,8,10-11</c>, with the
/// stride form of <c>bitmap_parselist</c> (<c>0-15:2/4</c> = the first 2 of every group of 4);</item>
/// <item>libvirt's exclusion, as in <c>&lt;vcpupin cpuset='0-7,^3'/&gt;</c>: items apply left to right and
/// <c>^N</c> removes what earlier items added, exactly as libvirt's <c>virBitmapParse</c> does;</item>
/// <item>the kernel hex mask, as in <c>node0/cpumap</c>: 32-bit groups, most significant first,
/// <c>00000000,0000ffff</c>.</item>
/// </list>
/// Printing is canonical: ascending, runs of two or more written <c>a-b</c>, the empty set is <c>""</c>.
/// </remarks>
public sealed partial class CpuSet : IEquatable<CpuSet>, IEnumerable<int>
{
    /// <summary>Largest CPU id accepted: the kernel's <c>NR_CPUS</c> ceiling (<c>kernel_max</c> is 8191).</summary>
    public const int MaxCpuId = 8191;

    private const int WordBits = 64;
    private readonly ulong[] _words;

    /// <summary>The set with no members.</summary>
    public static CpuSet Empty { get; } = new([]);

    private CpuSet(ulong[] words)
    {
        _words = Trim(words);
        Count = 0;
        foreach (ulong w in _words)
        {
            Count += BitOperations.PopCount(w);
        }
    }

    /// <summary>Number of members.</summary>
    public int Count { get; }

    /// <summary>True when the set has no members.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Smallest member, or -1 when empty.</summary>
    public int First => IsEmpty ? -1 : this.First();

    /// <summary>Largest member, or -1 when empty.</summary>
    public int Last
    {
        get
        {
            if (_words.Length == 0)
            {
                return -1;
            }

            int top = _words.Length - 1;
            return (top * WordBits) + (WordBits - 1 - BitOperations.LeadingZeroCount(_words[top]));
        }
    }

    /// <summary>Builds a set from members; each must lie in 0..<see cref="MaxCpuId"/>.</summary>
    public static CpuSet Of(params IEnumerable<int> cpus)
    {
        var builder = new Builder();
        foreach (int cpu in cpus)
        {
            builder.Add(cpu);
        }

        return builder.ToCpuSet();
    }

    /// <summary>The contiguous range <paramref name="first"/>..<paramref name="last"/> inclusive.</summary>
    public static CpuSet Range(int first, int last)
    {
        var builder = new Builder();
        builder.AddRange(first, last);
        return builder.ToCpuSet();
    }

    /// <summary>True when <paramref name="cpu"/> is a member.</summary>
    public bool Contains(int cpu)
    {
        if (cpu < 0)
        {
            return false;
        }

        int word = cpu / WordBits;
        return word < _words.Length && (_words[word] & (1UL << (cpu % WordBits))) != 0;
    }

    /// <summary>Members of either set.</summary>
    public CpuSet Union(CpuSet other) => Combine(other, static (a, b) => a | b);

    /// <summary>Members of both sets.</summary>
    public CpuSet Intersect(CpuSet other) => Combine(other, static (a, b) => a & b);

    /// <summary>Members of this set that are not in <paramref name="other"/>.</summary>
    public CpuSet Except(CpuSet other) => Combine(other, static (a, b) => a & ~b);

    /// <summary>How many CPUs this set shares with <paramref name="other"/>: <c>(a &amp; b).Count</c> without building the set.</summary>
    public int CountIn(CpuSet other)
    {
        int n = Math.Min(_words.Length, other._words.Length);
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            count += System.Numerics.BitOperations.PopCount(_words[i] & other._words[i]);
        }

        return count;
    }

    /// <summary>True when the sets share at least one member.</summary>
    public bool Overlaps(CpuSet other)
    {
        int n = Math.Min(_words.Length, other._words.Length);
        for (int i = 0; i < n; i++)
        {
            if ((_words[i] & other._words[i]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when every member of this set is in <paramref name="other"/>.</summary>
    public bool IsSubsetOf(CpuSet other)
    {
        // Word by word, without building the difference: the planner asks this thousands of times a plan.
        for (int i = 0; i < _words.Length; i++)
        {
            ulong theirs = i < other._words.Length ? other._words[i] : 0;
            if ((_words[i] & ~theirs) != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Union operator.</summary>
    public static CpuSet operator |(CpuSet a, CpuSet b) => a.Union(b);

    /// <summary>Intersection operator.</summary>
    public static CpuSet operator &(CpuSet a, CpuSet b) => a.Intersect(b);

    /// <summary>Difference operator.</summary>
    public static CpuSet operator -(CpuSet a, CpuSet b) => a.Except(b);

    /// <summary>Canonical kernel cpulist (<c>0-3,8,10-11</c>); the empty set prints as an empty string.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach ((int first, int last) in Runs())
        {
            if (sb.Length > 0)
            {
                sb.Append(',');
            }

            sb.Append(first);
            if (last > first)
            {
                sb.Append('-').Append(last);
            }
        }

        return sb.ToString();
    }

    /// <summary>Maximal runs of consecutive members, ascending.</summary>
    public IEnumerable<(int First, int Last)> Runs()
    {
        int start = -1, previous = -2;
        foreach (int cpu in this)
        {
            if (cpu != previous + 1)
            {
                if (start >= 0)
                {
                    yield return (start, previous);
                }

                start = cpu;
            }

            previous = cpu;
        }

        if (start >= 0)
        {
            yield return (start, previous);
        }
    }

    /// <inheritdoc />
    public IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < _words.Length; i++)
        {
            ulong w = _words[i];
            while (w != 0)
            {
                int bit = BitOperations.TrailingZeroCount(w);
                yield return (i * WordBits) + bit;
                w &= w - 1;
            }
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals([NotNullWhen(true)] CpuSet? other) =>
        other is not null && _words.AsSpan().SequenceEqual(other._words);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as CpuSet);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (ulong w in _words)
        {
            hash.Add(w);
        }

        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(CpuSet? a, CpuSet? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(CpuSet? a, CpuSet? b) => !(a == b);

    private CpuSet Combine(CpuSet other, Func<ulong, ulong, ulong> op)
    {
        int n = Math.Max(_words.Length, other._words.Length);
        var words = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            ulong a = i < _words.Length ? _words[i] : 0;
            ulong b = i < other._words.Length ? other._words[i] : 0;
            words[i] = op(a, b);
        }

        return new CpuSet(words);
    }

    private static ulong[] Trim(ulong[] words)
    {
        int n = words.Length;
        while (n > 0 && words[n - 1] == 0)
        {
            n--;
        }

        return n == words.Length ? words : words[..n];
    }

    /// <summary>Mutable accumulator used while parsing or building a set; <see cref="ToCpuSet"/> freezes it.</summary>
    public sealed class Builder
    {
        private ulong[] _words = new ulong[2];

        /// <summary>Adds one CPU.</summary>
        public void Add(int cpu)
        {
            CheckRange(cpu);
            Grow(cpu);
            _words[cpu / WordBits] |= 1UL << (cpu % WordBits);
        }

        /// <summary>Removes one CPU (libvirt's <c>^N</c>).</summary>
        public void Remove(int cpu)
        {
            CheckRange(cpu);
            if (cpu / WordBits < _words.Length)
            {
                _words[cpu / WordBits] &= ~(1UL << (cpu % WordBits));
            }
        }

        /// <summary>Adds <paramref name="first"/>..<paramref name="last"/> inclusive.</summary>
        public void AddRange(int first, int last)
        {
            for (int cpu = first; cpu <= last; cpu++)
            {
                Add(cpu);
            }
        }

        /// <summary>Adds every member of <paramref name="set"/>.</summary>
        public void AddAll(CpuSet set)
        {
            foreach (int cpu in set)
            {
                Add(cpu);
            }
        }

        /// <summary>The immutable set holding what was added.</summary>
        public CpuSet ToCpuSet() => new((ulong[])_words.Clone());

        private void Grow(int cpu)
        {
            int needed = (cpu / WordBits) + 1;
            if (needed > _words.Length)
            {
                Array.Resize(ref _words, Math.Max(needed, _words.Length * 2));
            }
        }

        private static void CheckRange(int cpu)
        {
            if (cpu is < 0 or > MaxCpuId)
            {
                throw new ArgumentOutOfRangeException(nameof(cpu), cpu, $"CPU ids lie in 0..{MaxCpuId}");
            }
        }
    }
}
