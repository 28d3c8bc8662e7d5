using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// The reader on the machine running the tests (any Linux host or container): no fixed facts, only what must hold
/// on every host, checked against the kernel's own files.
/// </summary>
public sealed partial class SysfsTopologyReaderTests
{
    private const string HostCpuDir = "/sys/devices/system/cpu";

    [Fact]
    public void This_host_reads_consistently()
    {
        if (!Directory.Exists(HostCpuDir))
        {
            return; // not Linux: nothing to compare with
        }

        HostTopology t = SysfsTopologyReader.ForHost().Read();

        Assert.Equal(SysfsTopologyReader.ParseCpuList(File.ReadAllText(Path.Combine(HostCpuDir, "online"))), t.Online);
        Assert.Equal(t.Online.Count, t.Cpus.Count);
        Assert.Equal(t.Online, CpuSet.Of(t.Cpus.Select(c => c.Id)));
        Assert.True(t.Online.IsSubsetOf(t.Present), $"online {t.Online} within present {t.Present}");
        Assert.True(t.Present.IsSubsetOf(t.Possible), $"present {t.Present} within possible {t.Possible}");
        foreach (LogicalCpu cpu in t.Cpus)
        {
            NumaNode node = Assert.Single(t.Nodes, n => n.Cpus.Contains(cpu.Id));
            Assert.Equal(node.Id, cpu.Node);
            Assert.Contains(cpu.Id, cpu.ThreadSiblings);
        }

        Assert.Equal(t.Online, t.Nodes.Aggregate(CpuSet.Empty, (all, n) => all | n.Cpus));
        Assert.InRange(t.ThreadsPerCore, 1, 8);
        string nodeDir = "/sys/devices/system/node";
        if (Directory.Exists(nodeDir))
        {
            int nodeDirs = Directory.EnumerateDirectories(nodeDir, "node*").Count(d => Path.GetFileName(d)[4..].All(char.IsAsciiDigit));
            Assert.Equal(nodeDirs, t.Nodes.Count);
            Assert.All(t.Nodes, n => Assert.NotNull(n.MemTotalKiB));
        }
    }

    [Fact]
    public void Reading_the_112_cpu_capture_takes_milliseconds()
    {
        var reader = new SysfsTopologyReader(TestData.SysfsRoot(SysfsMachines.EightNodes.Name));
        reader.Read(); // warm the page cache and the JIT

        var clock = Stopwatch.StartNew();
        HostTopology t = reader.Read();
        clock.Stop();

        Assert.Equal(112, t.Cpus.Count);
        Assert.True(clock.ElapsedMilliseconds < 500, $"read took {clock.ElapsedMilliseconds} ms");
    }
}
