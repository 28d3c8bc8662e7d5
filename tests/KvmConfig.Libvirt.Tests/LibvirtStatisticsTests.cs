using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// Decoding one domain's bulk statistics (<see cref="LibvirtStatistics.Decode"/>) into what the sweepers take: a
/// record of this machine's daemon, then records built parameter by parameter for what it did not show (no daemon).
/// </summary>
public sealed class LibvirtStatisticsTests
{
    [Fact]
    public void The_recorded_record_of_a_domain_with_a_disk_and_a_nic_is_decoded_whole()
    {
        // Given the record virsh domstats printed for a running domain (tests/data/libvirt/README.md)
        DomainStats stats = Capture("libvirt-9.0-domstats-disk-nic.txt", id: 1);

        DomainStatistics decoded = LibvirtStatistics.Decode(stats);

        // Then every figure the sweepers use, in their units: vCPU time and delay in ns, the vCPU number as Tid,
        // balloon KiB, each device's counters (the interface's already the guest's view: libvirt swaps a tap's)
        Assert.Equal(("kvmct-recorded-disk", 1), (decoded.Domain, decoded.Id));
        Assert.Equal([Vcpu(0, 260_000_000, 121_160_257), Vcpu(1, 0, 15_383_076)], decoded.Vcpus);
        Assert.Equal(0, decoded.VcpusWithoutDelay);
        Assert.Equal((45636L, 65536L), (decoded.RssKiB!.Value, decoded.GuestMemoryKiB!.Value));
        Assert.Equal([new BlockDeviceCounters("vda", 1, 512, 68322, 0, 0, 0, 0, 0)], decoded.Disks);
        Assert.Equal([new InterfaceCounters("kvctrec0", 90, 1, 0, 0, 0, 0)], decoded.Interfaces);
    }

    /// <summary>Records built parameter by parameter, and what their decoding must hold.</summary>
    public static TheoryData<string, DomainStats, Action<DomainStatistics>> Records => new()
    {
        {
            "a sparse array after hot-unplug (vCPUs 0 and 2 of 4): each keeps its number",
            Stats(U("vcpu.current", 2), U("vcpu.maximum", 4), UL("vcpu.0.time", 10), UL("vcpu.0.delay", 1), UL("vcpu.2.time", 30), UL("vcpu.2.delay", 3)),
            d => Assert.Equal([Vcpu(0, 10, 1), Vcpu(2, 30, 3)], d.Vcpus)
        },
        {
            "a vCPU without vcpu.N.delay (an old daemon) is left out, not shown ready 0 %, and counted",
            Stats(U("vcpu.current", 3), U("vcpu.maximum", 3), UL("vcpu.0.time", 10), UL("vcpu.0.delay", 1), UL("vcpu.1.time", 10), UL("vcpu.2.time", 10)),
            d =>
            {
                Assert.Equal([0], d.Vcpus!.Select(v => v.Vcpu));
                Assert.Equal(2, d.VcpusWithoutDelay);
            }
        },
        {
            "no balloon group: RSS and memory size unknown",
            Stats(U("vcpu.current", 1), U("vcpu.maximum", 1), UL("vcpu.0.time", 10), UL("vcpu.0.delay", 1)),
            d => Assert.True(d.RssKiB is null && d.GuestMemoryKiB is null)
        },
        {
            "no vcpu group (the domain stopped during the call): no vCPUs at all, rather than none running",
            Stats(UL("balloon.rss", 1000)),
            d =>
            {
                Assert.Null(d.Vcpus);
                Assert.Equal(1000, d.RssKiB);
            }
        },
        {
            "a device without counters (an empty CD-ROM drive, an interface libvirt cannot read) is left out",
            Stats(U("block.count", 2), S("block.0.name", "hdc"), S("block.1.name", "vda"), UL("block.1.rd.reqs", 3), UL("block.1.wr.reqs", 4),
                U("net.count", 1), S("net.0.name", "vnet0")),
            d =>
            {
                Assert.Equal(["vda"], d.Disks.Select(x => x.Device));
                Assert.Empty(d.Interfaces);
            }
        },
    };

    [Theory]
    [MemberData(nameof(Records))]
    public void A_record_is_decoded(string description, DomainStats stats, Action<DomainStatistics> expect)
    {
        _ = description;
        expect(LibvirtStatistics.Decode(stats));
    }

    /// <summary>virConnectCloseReason as <see cref="LibvirtMonitoredHost.ClosedReason"/> says it.</summary>
    [Theory]
    [InlineData(0, "connection error")]
    [InlineData(1, "the daemon closed it (stopped or restarted)")]
    [InlineData(2, "keepalive timeout (the daemon stopped answering)")]
    [InlineData(3, "closed by the client")]
    [InlineData(7, "reason 7")]
    public void A_close_reason_is_said_in_words(int reason, string words) =>
        Assert.Equal(words, LibvirtMonitoredHost.CloseReason(reason));

    // `virsh domstats` prints "  name=value" per parameter: numbers as unsigned long long, the rest as strings.
    private static DomainStats Capture(string file, int id)
    {
        string[] lines = File.ReadAllLines(TestData.Path("libvirt", file));
        string domain = lines[0].Split('\'')[1];
        List<TypedParameter> parameters = [.. lines.Skip(1)
            .Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Trim().Split('=', 2))
            .Select(p => ulong.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ? UL(p[0], n) : S(p[0], p[1]))];
        return new DomainStats(domain, parameters) { Id = id };
    }

    private static DomainStats Stats(params TypedParameter[] parameters) => new("vm1", parameters) { Id = 3 };

    private static VcpuThread Vcpu(int vcpu, ulong runNs, ulong waitNs) => new(vcpu, vcpu, new TaskSchedstat(runNs, waitNs, 0));

    private static TypedParameter U(string name, uint value) => TypedParameter.UInt(name, value);

    private static TypedParameter UL(string name, ulong value) => TypedParameter.ULLong(name, value);

    private static TypedParameter S(string name, string value) => TypedParameter.String(name, value);
}
