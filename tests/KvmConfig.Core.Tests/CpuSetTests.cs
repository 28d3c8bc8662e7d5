namespace KvmConfig.Core.Tests;

/// <summary>
/// The cpulist text form: what <c>/sys/devices/system/cpu/*</c> prints, what the kernel's
/// <c>bitmap_parselist</c> accepts, and libvirt's <c>^N</c> exclusions. Expectations are canonical cpulists.
/// </summary>
public sealed partial class CpuSetTests
{
    /// <summary>Rows: description, input text, canonical print of the parsed set.</summary>
    public static TheoryData<string, string, string> ValidCpulists => new()
    {
        { "ranges and singles, as in cpu/online", "0-3,8,10-11", "0-3,8,10-11" },
        { "a single CPU", "0", "0" },
        { "empty text is the empty set (cpu/offline with every CPU online)", "", "" },
        { "an empty sysfs file still ends in a newline", "\n", "" },
        { "a pair of CPUs stays a range", "0-1", "0-1" },
        { "unordered singles merge into one run", "3,1,2", "1-3" },
        { "sysfs files end with a newline", "0-23,48-71\n", "0-23,48-71" },
        { "whitespace around the whole list", " \t4-5 \n", "4-5" },
        { "overlapping and touching items merge", "0-4,2-6,7", "0-7" },
        { "a range of one CPU prints as that CPU", "5-5", "5" },
        { "a run crossing the 64-bit word boundary", "60-70", "60-70" },
        { "the largest CPU id the kernel allows", "8191", "8191" },
        { "bitmap_parselist stride: the first 2 of every group of 4", "0-15:2/4", "0-1,4-5,8-9,12-13" },
        { "stride 1/2 picks every other CPU", "0-7:1/2", "0,2,4,6" },
        { "stride using its whole group is the plain range", "0-7:4/4", "0-7" },
        { "stride whose range ends inside a group", "0-9:3/4", "0-2,4-6,8-9" },
        { "stride that uses nothing (the kernel accepts 0/N)", "0-7:0/4", "" },
        { "libvirt exclusion removes what an earlier item added", "0-7,^3", "0-2,4-7" },
        { "spaces after a comma, as administrators type lists", "1, 3, 5-6", "1,3,5-6" },
        { "libvirt applies items left to right: a later range adds the CPU back", "^3,0-7", "0-7" },
        { "exclusion then the same CPU again", "0-7,^3,3", "0-7" },
        { "exclusions at both ends of a range", "0-7,^0,^7", "1-6" },
        { "excluding a CPU that is not there", "0-3,^9", "0-3" },
        { "exclusions can empty the set", "2,^2", "" },
        { "leading zeros are plain decimal", "007,010", "7,10" },
    };

    /// <summary>
    /// Rows: description, input text, 0-based offset of the wrong character, and a piece of text the
    /// message must contain so a user can find the mistake without counting columns.
    /// </summary>
    public static TheoryData<string, string, int, string> MalformedCpulists => new()
    {
        { "a range must run upwards", "3-1", 0, "3-1" },
        { "a letter is not a CPU number", "a", 0, "'a'" },
        { "an empty item between two commas", "1,,2", 2, "','" },
        { "a number far beyond NR_CPUS", "99999999999", 0, "99999999999" },
        { "one above the largest CPU id", "8192", 0, "8192" },
        { "a range with no end", "1-", 2, "end" },
        { "a trailing comma", "0-3,", 4, "end" },
        { "libvirt's '^' excludes one CPU, never a range", "^1-3", 2, "^1-" },
        { "a lone '^'", "0-3,^", 5, "end" },
        { "items are separated by commas, not semicolons", "1;2", 1, "';'" },
        { "two numbers with only a space between", "1 2", 2, "'2'" },
        { "negative CPU numbers do not exist", "-1", 0, "'-'" },
        { "a stride without its group size", "0-15:2", 6, "'/'" },
        { "a stride using more CPUs than its group has", "0-15:5/4", 7, "5/4" },
        { "a stride group of zero CPUs", "0-15:0/0", 7, "0/0" },
        { "a stride needs a range", "3:1/2", 1, "':'" },
    };

    [Theory]
    [MemberData(nameof(ValidCpulists))]
    public void ParsesAndPrintsCanonically(string description, string text, string expected)
    {
        bool parsed = CpuSet.TryParse(text, out CpuSet? set, out CpuListError? error);

        Assert.True(parsed, $"{description}: \"{text}\" was rejected: {error?.Message}");
        Assert.Null(error);
        Assert.Equal(expected, set!.ToString());
        Assert.Equal(set, CpuSet.Parse(text));
    }

    [Theory]
    [MemberData(nameof(ValidCpulists))]
    public void CanonicalTextParsesToTheSameSet(string description, string text, string expected)
    {
        CpuSet set = CpuSet.Parse(text);

        CpuSet reparsed = CpuSet.Parse(expected);

        Assert.True(set == reparsed, $"{description}: \"{expected}\" parsed as \"{reparsed}\", not \"{set}\"");
    }

    [Theory]
    [MemberData(nameof(MalformedCpulists))]
    public void RejectsMalformedListsNamingTheWrongText(string description, string text, int offset, string named)
    {
        bool parsed = CpuSet.TryParse(text, out CpuSet? set, out CpuListError? error);

        Assert.False(parsed, $"{description}: \"{text}\" parsed as \"{set}\"");
        Assert.Null(set);
        Assert.Equal(offset, error!.Offset);
        Assert.InRange(error.Length, 1, text.Length - error.Offset + 1);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MalformedCpulists))]
    public void ParseThrowsFormatExceptionWithTheColumn(string description, string text, int offset, string named)
    {
        FormatException thrown = Assert.Throws<FormatException>(() => CpuSet.Parse(text));

        // Columns are 1-based, as in an editor; offsets are 0-based.
        Assert.Contains($"column {offset + 1} ", thrown.Message, StringComparison.Ordinal);
        Assert.True(
            thrown.Message.Contains(named, StringComparison.Ordinal) && thrown.Message.Contains(text, StringComparison.Ordinal),
            $"{description}: the message should name \"{named}\" and quote \"{text}\": {thrown.Message}");
    }

    [Fact]
    public void ErrorLengthCoversTheWholeBadNumber()
    {
        // Given a list whose second item is too large
        CpuSet.TryParse("0-3,123456789", out _, out CpuListError? error);

        // Then the carets go under all nine digits
        Assert.Equal(new CpuListError(4, 9, error!.Message), error);
    }

    [Fact]
    public void BackwardsRangeErrorCoversTheRange()
    {
        CpuSet.TryParse("0,12-4", out _, out CpuListError? error);

        Assert.Equal(2, error!.Offset);
        Assert.Equal("12-4".Length, error.Length);
        Assert.Contains("4-12", error.Message, StringComparison.Ordinal);
    }
}
