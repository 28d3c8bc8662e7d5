namespace KvmConfig.Core.Tests;

/// <summary>
/// The kernel hex mask, as in <c>/sys/devices/system/node/node0/cpumap</c> and <c>/proc/irq/N/smp_affinity</c>:
/// comma-separated 32-bit groups, most significant first.
/// </summary>
public sealed partial class CpuSetTests
{
    /// <summary>The CPUs of node 0 on an 80-thread Xeon host: 10 cores whose CPU numbers interleave with another node's, and their SMT siblings.</summary>
    private const string Xeon80Node0 = "0-2,5-6,10-12,15-16,40-42,45-46,50-52,55-56";

    /// <summary>Rows: description, mask text, the CPUs it sets as a cpulist.</summary>
    public static TheoryData<string, string, string> HexMasks => new()
    {
        { "node0 cpumap of a 64-bit-wide 16-CPU host", "00000000,0000ffff", "0-15" },
        // Group 0 = 0x00019c67: 0x67 -> 0-2,5-6; 0x9c << 8 -> 10-12,15; 0x01 << 16 -> 16.
        // Group 1 = 0x019c6700: the same pattern shifted by 8 bits, plus 32 -> 40-42,45-46,50-52,55-56.
        { "node0 cpumap of an 80-CPU Xeon: top group 4 digits wide", "0000,019c6700,00019c67", Xeon80Node0 },
        { "48 CPUs: a short top group", "ffff,ffffffff", "0-47" },
        { "sysfs files end with a newline", "000000ff\n", "0-7" },
        { "upper-case digits, as some tools write them", "FF,00000000", "32-39" },
        { "no CPU set", "00000000,00000000", "" },
        { "a single digit", "8", "3" },
        { "groups are 32 bits even when written short (kernel bitmap_parse)", "1,1", "0,32" },
        { "a short middle group", "1,f,00000001", "0,32-35,64" },
        { "the largest CPU id: 256 groups, top bit set", "80000000" + string.Concat(Enumerable.Repeat(",00000000", 255)), "8191" },
    };

    /// <summary>Rows: description, cpulist, machine width in bits, mask as <c>cpumap</c> prints it.</summary>
    public static TheoryData<string, string, int, string> HexMasksPrinted => new()
    {
        { "80-CPU Xeon node 0", Xeon80Node0, 80, "0000,019c6700,00019c67" },
        { "16 CPUs on a 64-bit-wide mask", "0-15", 64, "00000000,0000ffff" },
        { "48 CPUs", "0-47", 48, "ffff,ffffffff" },
        { "exactly one group has no comma", "0-31", 32, "ffffffff" },
        { "one bit past a group adds a one-digit group", "32", 33, "1,00000000" },
        { "a width that is not a multiple of 4 rounds up to a digit", "0", 5, "01" },
        { "empty set on an 8-CPU host", "", 8, "00" },
        { "members above the width widen the mask", "0-39", 8, "ff,ffffffff" },
    };

    [Theory]
    [MemberData(nameof(HexMasks))]
    public void ParsesHexMasks(string description, string mask, string expected)
    {
        CpuSet set = CpuSet.ParseHexMask(mask);

        Assert.True(set.ToString() == expected, $"{description}: \"{mask.Trim()}\" parsed as \"{set}\", expected \"{expected}\"");
    }

    [Theory]
    [MemberData(nameof(HexMasksPrinted))]
    public void PrintsHexMasksAsCpumapDoes(string description, string cpulist, int bitCount, string expected)
    {
        string mask = CpuSet.Parse(cpulist).ToHexMask(bitCount);

        Assert.True(mask == expected, $"{description}: \"{cpulist}\" over {bitCount} bits printed \"{mask}\", expected \"{expected}\"");
        Assert.Equal(CpuSet.Parse(cpulist), CpuSet.ParseHexMask(mask));
    }

    [Fact]
    public void Xeon80Node0IsTenCoresAndTheirSiblings()
    {
        CpuSet node0 = CpuSet.ParseHexMask("0000,019c6700,00019c67");

        // The kernel numbers the second thread of each core 40 above the first on this machine.
        CpuSet firstThreads = node0.Intersect(CpuSet.Range(0, 39));
        Assert.Equal(20, node0.Count);
        Assert.Equal(node0 - firstThreads, CpuSet.Of(firstThreads.Select(cpu => cpu + 40)));
    }

    /// <summary>Rows: description, mask text, a piece of text the message must contain.</summary>
    public static TheoryData<string, string, string> MalformedHexMasks => new()
    {
        { "'g' is not a hex digit", "00g0", "'g' at column 3" },
        { "a cpulist is not a mask", "0-3", "'-' at column 2" },
        { "a 0x prefix is not part of the sysfs format", "0xff", "'x' at column 2" },
        { "a group of more than 32 bits", "1ffffffff", "1ffffffff" },
        { "an empty group between commas", "ff,,ff", "column 4" },
        { "a trailing comma leaves an empty group", "ff,", "column 4" },
        { "a CPU above the kernel's NR_CPUS ceiling", "1" + string.Concat(Enumerable.Repeat(",00000000", 256)), "8192" },
    };

    [Theory]
    [MemberData(nameof(MalformedHexMasks))]
    public void RejectsMalformedHexMasks(string description, string mask, string named)
    {
        FormatException thrown = Assert.Throws<FormatException>(() => CpuSet.ParseHexMask(mask));

        Assert.True(
            thrown.Message.Contains(named, StringComparison.Ordinal),
            $"{description}: the message should contain \"{named}\": {thrown.Message}");
    }
}
