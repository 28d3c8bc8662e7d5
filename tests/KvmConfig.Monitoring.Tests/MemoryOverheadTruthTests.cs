using System.Globalization;
using System.Text.RegularExpressions;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Memory overhead against ground truth (issue 13 item 10): a real domain whose guest RAM is two NUMA cells, whose RAM
/// blocks QEMU itself lists (<c>info ramblock</c> on its monitor), and whose <c>/proc/PID/smaps</c> the test reads on
/// its own around kvmconfig's sample.
/// </summary>
[Trait("Category", "Truth")]
[Collection(TruthCollection.Name)]
public sealed partial class MemoryOverheadTruthTests
{
    private const long GuestKiB = 64 * 1024;

    [Fact]
    public void The_overhead_is_qemus_resident_memory_outside_the_ram_blocks_qemu_lists_for_the_guest()
    {
        // Given a running 64 MiB domain in two guest NUMA cells of 48 and 16 MiB (QEMU backends ram-node0, ram-node1)
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "overhead", vcpus: 2, start: true,
            extra: "<cpu><numa><cell id='0' cpus='0' memory='48' unit='MiB'/><cell id='1' cpus='1' memory='16' unit='MiB'/></numa></cpu>");
        int pid = new QemuProcesses().PidOf(vm.Name) ?? throw new InvalidOperationException($"{vm.Name} has no QEMU process");

        // and the sizes of the guest's RAM blocks as QEMU states them
        IReadOnlyDictionary<string, long> blocks = RamBlocksKiB(vm.Name);
        Assert.Equal([16 * 1024L, 48 * 1024L], blocks.Where(b => b.Key.StartsWith("ram-node", StringComparison.Ordinal)).Select(b => b.Value).Order());

        // When kvmconfig samples it between two readings of smaps by the test
        (long Rss, long GuestRam) before = Independent(pid, blocks);
        using var sampler = new LocalSampler();
        DomainSample sample = sampler.Sample(vm.Name, GuestKiB) ?? throw new InvalidOperationException($"{vm.Name} stopped");
        (long Rss, long GuestRam) after = Independent(pid, blocks);

        // Then its split lies between the two (give or take 1 MiB: QEMU allocates as it runs), from two mappings
        QemuMemory memory = sample.Memory ?? throw new Xunit.Sdk.XunitException("no memory split for a domain whose smaps is readable");
        Assert.Equal(2, memory.GuestRamMappings);
        Assert.InRange(memory.GuestRamRssKiB, Math.Min(before.GuestRam, after.GuestRam) - 1024, Math.Max(before.GuestRam, after.GuestRam) + 1024);
        long overheadBefore = before.Rss - before.GuestRam, overheadAfter = after.Rss - after.GuestRam;
        Assert.InRange(memory.OverheadKiB, Math.Min(overheadBefore, overheadAfter) - 1024, Math.Max(overheadBefore, overheadAfter) + 1024);

        // and the figure is positive for this idle guest, where QEMU's RSS minus the guest size is negative
        double percent = Metrics.MemoryOverheadPercent(memory, GuestKiB)!.Value;
        Assert.True(percent > 0, $"overhead {percent:F1} %");
        Assert.True(sample.RssKiB < GuestKiB, $"VmRSS {sample.RssKiB} kB of a {GuestKiB} kB guest that SeaBIOS barely touched");
    }

    // The test's own reading of smaps: every mapping's Rss, and the Rss of the RAM-block mappings (flag dc) whose
    // sizes are those QEMU gives its ram-node blocks; each such size must match exactly one mapping.
    private static (long Rss, long GuestRam) Independent(int pid, IReadOnlyDictionary<string, long> blocks)
    {
        var mappings = new List<(long Size, long Rss, bool RamBlock)>();
        long size = 0, rss = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith("Size:", StringComparison.Ordinal))
            {
                size = Kb(line);
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                rss = Kb(line);
            }
            else if (line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                mappings.Add((size, rss, line.Split(' ').Contains("dc")));
            }
        }

        long guest = 0;
        foreach (long blockKiB in blocks.Where(b => b.Key.StartsWith("ram-node", StringComparison.Ordinal)).Select(b => b.Value))
        {
            guest += Assert.Single(mappings, m => m.RamBlock && m.Size == blockKiB).Rss;
        }

        return (mappings.Sum(m => m.Rss), guest);
    }

    private static long Kb(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    // QEMU's "info ramblock": a header, then "NAME  PSIZE  OFFSET  USED  TOTAL" with the sizes in hex bytes.
    private static Dictionary<string, long> RamBlocksKiB(string domain)
    {
        (int exit, string stdout, string stderr) = LibvirtDaemon.Virsh("qemu-monitor-command", "--hmp", domain, "info ramblock");
        Assert.True(exit == 0, stderr);
        var blocks = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Match m in RamBlockLine().Matches(stdout))
        {
            blocks[m.Groups["name"].Value] = long.Parse(m.Groups["total"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 1024;
        }

        return blocks;
    }

    [GeneratedRegex(@"^\s*(?<name>\S+)\s+\d+ \wiB\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x(?<total>[0-9a-f]+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RamBlockLine();
}
