using System.Text;
using Xunit.Sdk;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Properties checked over random sets. The seeds are fixed so a failure is reproducible; each case draws
/// its own seed from the master seed, and a failure prints it with the sets (see <see cref="ForAll"/>).
/// </summary>
public sealed partial class CpuSetTests
{
    private const int MasterSeed = 20_250_601;
    private const int CasesPerProperty = 2000;

    /// <summary>Every member id the kernel allows: the universe for complements.</summary>
    private static readonly CpuSet AllCpuIds = CpuSet.Range(0, CpuSet.MaxCpuId);

    [Fact]
    public void PrintThenParseIsIdentity() => ForAll(MasterSeed, sample =>
    {
        Assert.Equal(sample.A, CpuSet.Parse(sample.A.ToString()));
        Assert.Equal(sample.A, CpuSet.Parse(sample.A + "\n"));
    });

    [Fact]
    public void HexMaskThenParseIsIdentity() => ForAll(MasterSeed + 1, sample =>
    {
        string mask = sample.A.ToHexMask(sample.BitCount);

        Assert.Equal(sample.A, CpuSet.ParseHexMask(mask));

        // cpumap's shape: one digit per 4 bits of the machine (or of the largest member), 8 per group
        // below the top one, and the top group 1 to 8 digits.
        string[] groups = mask.Split(',');
        int digits = Math.Max(1, (Math.Max(sample.BitCount, sample.A.Last + 1) + 3) / 4);
        Assert.Equal(digits, groups.Sum(g => g.Length));
        Assert.All(groups.Skip(1), g => Assert.Equal(8, g.Length));
        Assert.InRange(groups[0].Length, 1, 8);
    });

    [Fact]
    public void PrintingIsCanonical() => ForAll(MasterSeed + 2, sample =>
    {
        string text = sample.A.ToString();

        Assert.Equal(NaivePrint(sample.MembersA), text);

        // No two runs touch, and only runs of two or more CPUs use a dash.
        var runs = sample.A.Runs().ToList();
        Assert.All(runs.Zip(runs.Skip(1)), pair => Assert.True(pair.Second.First > pair.First.Last + 1, $"runs {pair.First} and {pair.Second} touch"));
        Assert.All(runs, run => Assert.True(run.First <= run.Last, $"run {run} is backwards"));
        Assert.Equal(runs.Count, text.Length == 0 ? 0 : text.Split(',').Length);
    });

    [Fact]
    public void MembershipMatchesAPlainSet() => ForAll(MasterSeed + 3, sample =>
    {
        Assert.Equal(sample.MembersA, sample.A);
        Assert.Equal(sample.MembersA.Count, sample.A.Count);
        Assert.Equal(sample.MembersA.Count == 0 ? -1 : sample.MembersA.Min, sample.A.First);
        Assert.Equal(sample.MembersA.Count == 0 ? -1 : sample.MembersA.Max, sample.A.Last);
        Assert.All(sample.MembersB, cpu => Assert.Equal(sample.MembersA.Contains(cpu), sample.A.Contains(cpu)));
    });

    [Fact]
    public void AlgebraMatchesAPlainSet() => ForAll(MasterSeed + 4, sample =>
    {
        CpuSet a = sample.A, b = sample.B;

        Assert.Equal(Apply(sample, (x, y) => x.UnionWith(y)), a | b);
        Assert.Equal(Apply(sample, (x, y) => x.IntersectWith(y)), a & b);
        Assert.Equal(Apply(sample, (x, y) => x.ExceptWith(y)), a - b);
        Assert.Equal(sample.MembersA.Overlaps(sample.MembersB), a.Overlaps(b));
        Assert.Equal(sample.MembersA.IsSubsetOf(sample.MembersB), a.IsSubsetOf(b));
    });

    [Fact]
    public void AlgebraLaws() => ForAll(MasterSeed + 5, sample =>
    {
        CpuSet a = sample.A, b = sample.B;

        Assert.True(a.IsSubsetOf(a | b), "A | B contains A");
        Assert.True(b.IsSubsetOf(a | b), "A | B contains B");
        Assert.True((a & b).IsSubsetOf(a), "A & B lies in A");
        Assert.True(((a - b) & b).IsEmpty, "(A - B) & B is empty");
        Assert.False((a - b).Overlaps(b), "A - B does not overlap B");
        Assert.Equal(a.Count + b.Count - (a & b).Count, (a | b).Count);
        Assert.Equal(a | b, b | a);
        Assert.Equal((a | b).GetHashCode(), (b | a).GetHashCode());
        Assert.Equal(a & b, b & a);
        Assert.Equal(a, (a - b) | (a & b));

        // De Morgan, complements taken within every CPU id the kernel allows.
        Assert.Equal(AllCpuIds - (a | b), (AllCpuIds - a) & (AllCpuIds - b));
        Assert.Equal(AllCpuIds - (a & b), (AllCpuIds - a) | (AllCpuIds - b));
        Assert.Equal(a, AllCpuIds - (AllCpuIds - a));
    });

    [Fact]
    public void LibvirtExclusionsSubtract() => ForAll(MasterSeed + 6, sample =>
    {
        // "A,^b1,^b2,..." removes each b from what A added; "^b1,...,A" removes nothing.
        string[] added = sample.A.IsEmpty ? [] : [sample.A.ToString()];
        string[] excluded = [.. sample.B.Select(cpu => $"^{cpu}")];

        Assert.Equal(sample.A - sample.B, CpuSet.Parse(string.Join(',', added.Concat(excluded))));
        Assert.Equal(sample.A, CpuSet.Parse(string.Join(',', excluded.Concat(added))));
    });

    /// <summary>Two random sets drawn over the same ceiling (so they often overlap), plain copies, and a mask width.</summary>
    private sealed record Sample(int Seed, CpuSet A, CpuSet B, SortedSet<int> MembersA, SortedSet<int> MembersB, int BitCount)
    {
        public override string ToString() => $"case seed {Seed}: A = \"{A}\", B = \"{B}\", bit count {BitCount}";
    }

    /// <summary>
    /// Runs <paramref name="property"/> on <see cref="CasesPerProperty"/> samples. On failure it reports the
    /// master seed, the case seed (<c>NewSample(caseSeed)</c> rebuilds the sample) and both sets.
    /// </summary>
    private static void ForAll(int masterSeed, Action<Sample> property)
    {
        var seeds = new Random(masterSeed);
        for (int i = 0; i < CasesPerProperty; i++)
        {
            Sample sample = NewSample(seeds.Next());
            try
            {
                property(sample);
            }
            catch (Exception e)
            {
                // xunit prints the inner exception's message (the failed assertion) under this one.
                throw new XunitException($"property failed on case {i} of master seed {masterSeed}, {sample}", e);
            }
        }
    }

    /// <summary>
    /// Sets shaped like real CPU lists: up to 300 CPUs in runs (cores, sockets) and singles, under a
    /// ceiling that is sometimes one 64-bit word, sometimes a big host, sometimes the kernel's 8191.
    /// </summary>
    private static Sample NewSample(int seed)
    {
        var random = new Random(seed);
        int ceiling = random.Next(4) switch
        {
            0 => 64,
            1 => 300,
            2 => 1024,
            _ => CpuSet.MaxCpuId + 1,
        };
        SortedSet<int> membersA = RandomMembers(random, ceiling), membersB = RandomMembers(random, ceiling);
        return new Sample(seed, CpuSet.Of(membersA), CpuSet.Of(membersB), membersA, membersB, random.Next(CpuSet.MaxCpuId + 2));
    }

    private static SortedSet<int> RandomMembers(Random random, int ceiling)
    {
        int budget = random.Next(301);
        var members = new SortedSet<int>();
        while (budget > 0)
        {
            int start = random.Next(ceiling);
            int length = random.Next(2) == 0 ? 1 : random.Next(2, 33);
            for (int cpu = start; cpu < Math.Min(ceiling, start + length) && budget > 0; cpu++, budget--)
            {
                members.Add(cpu);
            }
        }

        return members;
    }

    private static CpuSet Apply(Sample sample, Action<SortedSet<int>, SortedSet<int>> operation)
    {
        var result = new SortedSet<int>(sample.MembersA);
        operation(result, sample.MembersB);
        return CpuSet.Of(result);
    }

    /// <summary>A cpulist printer written the obvious way, to compare the real one against.</summary>
    private static string NaivePrint(SortedSet<int> members)
    {
        var text = new StringBuilder();
        int[] cpus = [.. members];
        for (int i = 0; i < cpus.Length;)
        {
            int j = i;
            while (j + 1 < cpus.Length && cpus[j + 1] == cpus[j] + 1)
            {
                j++;
            }

            text.Append(text.Length > 0 ? "," : "").Append(cpus[i]);
            if (j > i)
            {
                text.Append('-').Append(cpus[j]);
            }

            i = j + 1;
        }

        return text.ToString();
    }
}
