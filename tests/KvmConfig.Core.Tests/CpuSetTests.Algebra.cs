namespace KvmConfig.Core.Tests;

/// <summary>Set algebra, equality and the derived properties (Count, First, Last, Runs) on named cases.</summary>
public sealed partial class CpuSetTests
{
    /// <summary>Rows: description, A, B, A∪B, A∩B, A−B, whether they overlap, whether A ⊆ B.</summary>
    public static TheoryData<string, string, string, string, string, string, bool, bool> SetPairs => new()
    {
        { "the two sockets of a 48-CPU host", "0-23", "24-47", "0-47", "", "0-23", false, false },
        { "first threads of four cores against the whole host", "0-3", "0-7", "0-7", "0-3", "", true, true },
        { "housekeeping CPUs carved out of a node", "0-15", "0,8", "0-15", "0,8", "1-7,9-15", true, false },
        { "the empty set is a subset of anything", "", "0-3", "0-3", "", "", false, true },
        { "anything minus the empty set is itself", "4-5", "", "4-5", "", "4-5", false, false },
        { "a set is a subset of itself", "1,3,5", "1,3,5", "1,3,5", "1,3,5", "", true, true },
        { "runs crossing the 64-bit word boundary", "60-70", "64-127", "60-127", "64-70", "60-63", true, false },
        { "CPUs in words far apart", "8191", "0", "0,8191", "", "8191", false, false },
        { "every even CPU (a stride) against a list of two blocks", "0-23,48-71", "0-71:1/2", "0-24,26,28,30,32,34,36,38,40,42,44,46,48-71", "0,2,4,6,8,10,12,14,16,18,20,22,48,50,52,54,56,58,60,62,64,66,68,70", "1,3,5,7,9,11,13,15,17,19,21,23,49,51,53,55,57,59,61,63,65,67,69,71", true, false },
    };

    [Theory]
    [MemberData(nameof(SetPairs))]
    public void SetAlgebra(
        string description, string a, string b, string union, string intersection, string difference, bool overlaps, bool subset)
    {
        CpuSet setA = CpuSet.Parse(a), setB = CpuSet.Parse(b);

        Assert.True(
            (setA.Union(setB).ToString(), setA.Intersect(setB).ToString(), setA.Except(setB).ToString(), setA.Overlaps(setB), setA.IsSubsetOf(setB))
                == (union, intersection, difference, overlaps, subset),
            $"{description}: A = \"{a}\", B = \"{b}\" gave A|B = \"{setA | setB}\", A&B = \"{setA & setB}\", A-B = \"{setA - setB}\", "
                + $"overlaps = {setA.Overlaps(setB)}, A subset of B = {setA.IsSubsetOf(setB)}");
        Assert.Equal(setA.Union(setB), setA | setB);
        Assert.Equal(setA.Intersect(setB), setA & setB);
        Assert.Equal(setA.Except(setB), setA - setB);
        Assert.Equal(overlaps, setB.Overlaps(setA));
    }

    /// <summary>Rows: cpulist, Count, First, Last, runs written "first-last" and separated by spaces.</summary>
    public static TheoryData<string, int, int, int, string> Shapes => new()
    {
        { "", 0, -1, -1, "" },
        { "5", 1, 5, 5, "5-5" },
        { "0-3,8,10-11", 7, 0, 11, "0-3 8-8 10-11" },
        { "63-64", 2, 63, 64, "63-64" },
        { "0-127", 128, 0, 127, "0-127" },
        { "1,3,5", 3, 1, 5, "1-1 3-3 5-5" },
        { "8191", 1, 8191, 8191, "8191-8191" },
        { "0,8191", 2, 0, 8191, "0-0 8191-8191" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CountFirstLastAndRuns(string cpulist, int count, int first, int last, string runs)
    {
        CpuSet set = CpuSet.Parse(cpulist);

        Assert.Equal(count, set.Count);
        Assert.Equal(count == 0, set.IsEmpty);
        Assert.Equal(first, set.First);
        Assert.Equal(last, set.Last);
        Assert.Equal(runs, string.Join(' ', set.Runs().Select(r => $"{r.First}-{r.Last}")));
    }

    [Fact]
    public void EqualityIsByMembers()
    {
        CpuSet written = CpuSet.Parse("1-3");

        Assert.Equal(written, CpuSet.Parse("3,1,2"));
        Assert.Equal(written, CpuSet.Of(2, 3, 1));
        Assert.Equal(written, CpuSet.Range(1, 3));
        Assert.Equal(written.GetHashCode(), CpuSet.Parse("3,1,2").GetHashCode());
        Assert.True(written == CpuSet.Parse("1,2,3"));
        Assert.True(written != CpuSet.Parse("1-4"));
        Assert.False(written.Equals(null));
        Assert.False(written.Equals((object)"1-3"));
        Assert.True(written.Equals((object)CpuSet.Parse("1-3")));
        Assert.True((CpuSet?)null == null);
        Assert.False(written == null);
    }

    [Fact]
    public void SetsThatShrankEqualSetsBuiltSmall()
    {
        // Given sets whose high words emptied out during algebra
        CpuSet shrunk = CpuSet.Parse("0-63,200-300").Except(CpuSet.Parse("200-300"));
        CpuSet emptied = CpuSet.Parse("8191").Except(CpuSet.Parse("8191"));

        // Then they equal, and hash like, sets that never had those words
        Assert.Equal(CpuSet.Parse("0-63"), shrunk);
        Assert.Equal(CpuSet.Parse("0-63").GetHashCode(), shrunk.GetHashCode());
        Assert.Equal(CpuSet.Empty, emptied);
        Assert.Equal(CpuSet.Empty.GetHashCode(), emptied.GetHashCode());
        Assert.Equal(-1, emptied.Last);
        Assert.Equal(63, shrunk.Last);
    }

    [Fact]
    public void SetsWorkAsDictionaryKeys()
    {
        var cores = new HashSet<CpuSet> { CpuSet.Parse("0,48"), CpuSet.Parse("48,0"), CpuSet.Parse("1,49") };

        Assert.Equal(2, cores.Count);
    }

    [Fact]
    public void ContainsOnlyMembers()
    {
        CpuSet set = CpuSet.Parse("0,63-64,8191");

        Assert.All(new[] { 0, 63, 64, 8191 }, cpu => Assert.True(set.Contains(cpu), $"{cpu} should be a member"));
        Assert.All(new[] { -1, 1, 62, 65, 8190, 8192, int.MaxValue, int.MinValue }, cpu => Assert.False(set.Contains(cpu), $"{cpu} should not be a member"));
    }

    [Fact]
    public void BuildingChecksTheCpuRange()
    {
        Assert.Equal("1-3,7", CpuSet.Of(7, 3, 1, 2, 3).ToString());
        Assert.Equal("4-7", CpuSet.Range(4, 7).ToString());
        Assert.Equal("", CpuSet.Of().ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuSet.Of(CpuSet.MaxCpuId + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuSet.Of(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuSet.Range(-1, 3));
    }

    [Fact]
    public void BuilderAddsAndRemovesInOrder()
    {
        // Given a builder used the way the libvirt parser uses it
        var builder = new CpuSet.Builder();
        builder.AddRange(0, 7);
        builder.Remove(3);
        builder.Remove(500);
        builder.AddAll(CpuSet.Parse("100-101"));

        CpuSet first = builder.ToCpuSet();
        builder.Add(3);

        // Then a frozen set does not see later changes to its builder
        Assert.Equal("0-2,4-7,100-101", first.ToString());
        Assert.Equal("0-7,100-101", builder.ToCpuSet().ToString());
    }
}
