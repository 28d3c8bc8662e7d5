using KvmConfig.Core.Monitoring;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Host figures when the host's counters were not read (a host sampled through libvirt alone has no /proc for us): no
/// retransmit or reclaim figure, never a zero that would read as "no retransmits".
/// </summary>
public sealed class HostFiguresRemoteTests
{
    private const long OneSecondNs = 1_000_000_000;

    private static readonly Dictionary<PressureResource, PressureStall> NoPressure = [];

    /// <summary>Rows: description, before, after, expected retransmit %, expected reclaim efficiency %.</summary>
    public static TheoryData<string, HostSample, HostSample, double?, double?> Rows => new()
    {
        {
            "both read (the local host): 10 of 1000 segments retransmitted, 90 of 100 scanned pages reclaimed",
            new HostSample(0, new TcpSegmentCounters(1000, 10), new PageReclaimCounters(100, 90), NoPressure),
            new HostSample(OneSecondNs, new TcpSegmentCounters(2000, 20), new PageReclaimCounters(200, 180), NoPressure),
            1.0, 90.0
        },
        {
            "neither read (a remote host): no figures",
            new HostSample(0, null, null, NoPressure),
            new HostSample(OneSecondNs, null, null, NoPressure),
            null, null
        },
        {
            "read only at the later sweep (the source changed): nothing to compare with",
            new HostSample(0, null, null, NoPressure),
            new HostSample(OneSecondNs, new TcpSegmentCounters(2000, 20), new PageReclaimCounters(200, 180), NoPressure),
            null, null
        },
        {
            "read only at the earlier sweep",
            new HostSample(0, new TcpSegmentCounters(1000, 10), new PageReclaimCounters(100, 90), NoPressure),
            new HostSample(OneSecondNs, null, null, NoPressure),
            null, null
        },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Counters_not_read_give_no_figure(string description, HostSample before, HostSample after, double? retransmit, double? reclaim)
    {
        HostFigures figures = HostFigures.Between(before, after) ?? throw new InvalidOperationException(description);

        Assert.Equal(retransmit, figures.TcpRetransmitPercent);
        Assert.Equal(reclaim, figures.ReclaimEfficiencyPercent);
        Assert.Empty(figures.PressureSomePercent);
        Assert.Empty(figures.Disks);
    }
}
