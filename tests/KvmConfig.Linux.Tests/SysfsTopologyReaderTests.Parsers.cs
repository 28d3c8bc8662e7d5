namespace KvmConfig.Linux.Tests;

/// <summary>The parsers alone, on lines as the kernel prints them.</summary>
public sealed partial class SysfsTopologyReaderTests
{
    [Theory]
    [InlineData("0-2,5-6,10-12\n", "0-2,5-6,10-12", "node cpulist")]
    [InlineData("\n", "", "empty cpu/offline")]
    [InlineData("", "", "empty file")]
    [InlineData("                                                                          (null)\n", "", "nohz_full without nohz_full=")]
    public void Cpu_list_files(string text, string expected, string description)
    {
        Assert.True(expected == SysfsTopologyReader.ParseCpuList(text).ToString(), description);
    }

    [Fact]
    public void Node_meminfo_lines_drop_the_node_prefix()
    {
        var fields = SysfsTopologyReader.ParseMeminfo("""
            Node 0 MemTotal:       48005604 kB
            Node 0 MemFree:        24118324 kB
            Node 0 Active(anon):          0 kB
            Node 0 HugePages_Total:  2560
            Node 12 MemUsed:        9644100 kB

            """);

        Assert.Equal(48005604, fields["MemTotal"]);
        Assert.Equal(24118324, fields["MemFree"]);
        Assert.Equal(0, fields["Active(anon)"]);
        Assert.Equal(2560, fields["HugePages_Total"]);
        Assert.Equal(9644100, fields["MemUsed"]);
    }

    [Fact]
    public void Proc_meminfo_lines()
    {
        var fields = SysfsTopologyReader.ParseMeminfo("MemTotal:       24731708 kB\nHugePages_Free:        0\nHugepagesize:       2048 kB\n");

        Assert.Equal(24731708, fields["MemTotal"]);
        Assert.Equal(0, fields["HugePages_Free"]);
        Assert.Equal(2048, fields["Hugepagesize"]);
    }

    [Theory]
    [InlineData("Node 0 MemTotal\n", "no colon")]
    [InlineData("MemTotal: 12 MB\n", "a unit other than kB")]
    [InlineData("MemTotal:\n", "no value")]
    public void Malformed_meminfo_lines_throw_FormatException(string text, string description)
    {
        var e = Assert.Throws<FormatException>(() => SysfsTopologyReader.ParseMeminfo(text));
        Assert.True(e.Message.Contains(text.Trim(), StringComparison.Ordinal), description);
    }

    [Fact]
    public void Distances_in_online_node_order()
    {
        Assert.Equal([10, 21, 11, 21, 17, 28, 28, 28], SysfsTopologyReader.ParseDistances("10 21 11 21 17 28 28 28\n"));
        Assert.Throws<FormatException>(() => SysfsTopologyReader.ParseDistances("10 -1\n"));
    }

    [Theory]
    [InlineData("hugepages-2048kB", 2048L)]
    [InlineData("hugepages-1048576kB", 1048576L)]
    [InlineData("hugepages-64kB", 64L)]
    [InlineData("hugepages-kB", null)]
    [InlineData("demote_size", null)]
    public void Huge_page_directory_names(string name, long? sizeKiB)
    {
        Assert.Equal(sizeKiB, SysfsTopologyReader.ParseHugePageDirectoryName(name));
    }

    [Fact]
    public void Numbers_and_governors()
    {
        Assert.Equal(-1, SysfsTopologyReader.ParseNumber("-1\n"));
        Assert.Equal(4800000, SysfsTopologyReader.ParseNumber("4800000\n"));
        Assert.Throws<FormatException>(() => SysfsTopologyReader.ParseNumber("0x10"));
        Assert.Equal(["performance", "powersave"], SysfsTopologyReader.ParseGovernors("performance powersave \n"));
    }

    [Fact]
    public void Roots_are_parameters_and_the_factories_name_them_like_lscpu()
    {
        Assert.Equal(("/captures/x/sys", (string?)null), Roots(new SysfsTopologyReader("/captures/x/sys")));
        Assert.Equal(("/sys", (string?)"/proc"), Roots(SysfsTopologyReader.ForHost()));
        Assert.Equal(("/captures/epyc/sys", (string?)null), Roots(SysfsTopologyReader.ForSysroot("/captures/epyc")));
    }

    private static (string Sys, string? Proc) Roots(SysfsTopologyReader reader) => (reader.SysRoot, reader.ProcRoot);
}
