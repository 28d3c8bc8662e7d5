using KvmConfig.Core.Monitoring;
using KvmConfig.TestSupport;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="Smaps.Parse"/> and <see cref="QemuMemory.Of"/>: the QEMU processes' smaps captured on this machine
/// (<c>tests/data/procfs/qemu72-tcg-smaps</c>) and written after the kernel's documented format
/// (<c>smaps-documented</c>); see the README there for how each was made.
/// </summary>
public sealed class QemuMemoryTests
{
    private const long MiB = 1024;
    private const long GiB = 1024 * 1024;

    private static IReadOnlyList<SmapsMapping> Capture(string machine, int pid) =>
        Smaps.Parse(File.ReadAllText(TestData.Path(["procfs", machine, "proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "smaps"])));

    [Fact]
    public void The_captured_smaps_of_a_64_MiB_tcg_guest_parses_to_every_mapping_with_its_size_rss_path_and_flags()
    {
        IReadOnlyList<SmapsMapping> mappings = Capture("qemu72-tcg-smaps", 4541);

        // 344 VmFlags lines in the file, one per mapping; their Rss adds up to the smaps_rollup Rss read with it (44068 kB)
        Assert.Equal(344, mappings.Count);
        Assert.Equal(44068, mappings.Sum(m => m.RssKiB));
        SmapsMapping first = mappings[0];
        Assert.Equal((0x5620c2211000UL, 4124L, 4124L, "/usr/bin/qemu-system-x86_64"), (first.StartAddress, first.SizeKiB, first.RssKiB, first.Path));
        Assert.Equal(["me", "mr", "mw", "rd"], first.Flags.Order(StringComparer.Ordinal));
        SmapsMapping ram = Assert.Single(mappings, m => m.StartAddress == 0x7ff117e00000);
        Assert.Equal((65536L, 6144L, ""), (ram.SizeKiB, ram.RssKiB, ram.Path));
        Assert.Contains(SmapsMapping.DontCopyOnFork, ram.Flags);
        Assert.Equal("[vvar]", mappings.Single(m => m.StartAddress == 0x7ff166118000).Path);
    }

    /// <summary>Rows: description, capture, pid, guest memory KiB, expected RSS, guest RAM RSS, guest RAM mappings (or null: not identified).</summary>
    public static TheoryData<string, string, int, long, (long Rss, long GuestRam, int Mappings)?> Splits => new()
    {
        {
            "a 64 MiB guest (libvirt's pc.ram): one mapping, although 17 TCG code regions and glibc arenas are 64 MiB too",
            "qemu72-tcg-smaps", 4541, 64 * MiB, (44068, 6144, 1)
        },
        {
            "a 96 MiB guest in two NUMA cells of 64 and 32 MiB (ram-node0, ram-node1): one mapping each",
            "qemu72-tcg-smaps", 6081, 96 * MiB, (43964, 2048 + 4096, 2)
        },
        {
            "a 2 GiB guest in two memfd cells, with 16 MiB of video RAM and the BIOS left to the overhead",
            "smaps-documented", 100, 2 * GiB, (892 + 30000 + 524288 + 262144 + 4096 + 256 + 40, 524288 + 262144, 2)
        },
        {
            "a 4 GiB guest on hugepages: its pages are not in Rss, so all of QEMU's Rss is overhead",
            "smaps-documented", 200, 4 * GiB, (892 + 61000, 0, 1)
        },
        {
            "a guest size no RAM block adds up to (a layout the rule does not know): unknown, not guessed",
            "qemu72-tcg-smaps", 4541, 80 * MiB, null
        },
        {
            "a 64 MiB arena without the dc flag is not taken for a 64 MiB guest's RAM",
            "smaps-documented", 200, 64 * MiB, null
        },
    };

    [Theory]
    [MemberData(nameof(Splits))]
    public void Guest_ram_is_the_largest_ram_block_mappings_that_add_up_to_the_guest_size(
        string description, string capture, int pid, long guestKiB, (long Rss, long GuestRam, int Mappings)? expected)
    {
        QemuMemory? memory = QemuMemory.Of(Capture(capture, pid), guestKiB);

        (long, long, int)? actual = memory is null ? null : (memory.RssKiB, memory.GuestRamRssKiB, memory.GuestRamMappings);
        Assert.True(expected == actual, $"{description}: expected {expected}, got {memory}");
    }

    [Fact]
    public void An_idle_guest_costs_its_qemu_overhead_where_rss_minus_guest_size_was_negative()
    {
        // Given the 64 MiB guest that SeaBIOS has barely touched (6 MiB of its RAM resident)
        QemuMemory memory = QemuMemory.Of(Capture("qemu72-tcg-smaps", 4541), 64 * MiB)!;

        // Then its overhead is QEMU's 37 MiB outside guest RAM, 57.9 % of 64 MiB, where VmRSS - guest size said -32.8 %
        Assert.Equal(44068 - 6144, memory.OverheadKiB);
        Assert.Equal(57.87, Math.Round(Metrics.MemoryOverheadPercent(memory, 64 * MiB)!.Value, 2));
        Assert.True(memory.RssKiB - (64 * MiB) < 0);
    }

    [Fact]
    public void Equal_ram_blocks_go_to_the_lower_address()
    {
        // Given two 64 MiB RAM blocks (a 64 MiB guest and a 64 MiB video RAM), the guest's resident 1 MiB, the other 9 MiB
        HashSet<string> dc = [SmapsMapping.DontCopyOnFork];
        SmapsMapping low = new(0x7f0000000000, 64 * MiB, 1 * MiB, "", dc), high = new(0x7f1000000000, 64 * MiB, 9 * MiB, "", dc);

        // Then whichever order smaps lists them in, the lower is the guest's
        Assert.Equal(1 * MiB, QemuMemory.Of([high, low], 64 * MiB)!.GuestRamRssKiB);
        Assert.Equal(1 * MiB, QemuMemory.Of([low, high], 64 * MiB)!.GuestRamRssKiB);
    }

    /// <summary>Rows: description, smaps text, what the error says.</summary>
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "a key line before any header", "Size:  4 kB\n", "line 1: expected a mapping's header" },
        { "a mapping without Rss", "00400000-00401000 r-xp 00000000 03:02 1 /bin/x\nSize:  4 kB\nVmFlags: rd\n", "line 1: the mapping at 400000 has no Rss line" },
        { "a size in pages", "00400000-00401000 r-xp 00000000 03:02 1 /bin/x\nSize:  4 pages\nRss: 4 kB\n", "line 2: expected 'Size: N kB'" },
        { "an address range that ends before it starts", "00401000-00400000 r-xp 00000000 03:02 1\nSize: 4 kB\nRss: 4 kB\n", "line 1: expected a mapping's header" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_smaps_is_refused_naming_the_line(string description, string text, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => Smaps.Parse(text));

        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{description}: {e.Message}");
    }

    [Fact]
    public void A_process_without_memory_has_no_mapping()
    {
        Assert.Empty(Smaps.Parse(""));
    }
}
