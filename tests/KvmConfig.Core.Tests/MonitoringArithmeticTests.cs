using KvmConfig.Core.Monitoring;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Rates and the figures of DESIGN.md section 5 from two readings: exact values, counters that go backwards
/// (restarts: no value, never negative or huge), zero deltas and empty intervals.
/// </summary>
public sealed class MonitoringArithmeticTests
{
    private const long OneSecondNs = 1_000_000_000;

    /// <summary>The reading of the prometheus/procfs capture 26231/schedstat, used as a baseline.</summary>
    private static readonly TaskSchedstat Captured = new(RunNs: 411605849, WaitNs: 93680043, Timeslices: 79);

    private static void Near(double? expected, double? actual, string description)
    {
        if (expected is null)
        {
            Assert.True(actual is null, $"{description}: expected no value, got {actual}");
            return;
        }

        Assert.True(actual is double value && Math.Abs(value - expected.Value) < 1e-9, $"{description}: expected {expected}, got {actual?.ToString() ?? "no value"}");
    }

    // ---- Counter ------------------------------------------------------------------------------------------

    /// <summary>Rows: description, before, after, delta or null.</summary>
    public static TheoryData<string, ulong, ulong, ulong?> Deltas => new()
    {
        { "growth", 5, 8, 3 },
        { "no growth is a zero delta, not a restart", 8, 8, 0 },
        { "backwards: the object was replaced, no value", 8, 5, null },
        { "backwards to zero (a new thread)", 411605849, 0, null },
        { "the whole 64-bit range", 0, ulong.MaxValue, ulong.MaxValue },
        { "a 32-bit counter that wrapped reads as a restart", 4294967290, 3, null },
    };

    [Theory]
    [MemberData(nameof(Deltas))]
    public void Delta(string description, ulong before, ulong after, ulong? delta)
    {
        Assert.True(Counter.Delta(before, after) == delta, description);
    }

    /// <summary>Rows: description, before, after, elapsed ns, per-second rate or null.</summary>
    public static TheoryData<string, ulong, ulong, long, double?> PerSecondRates => new()
    {
        { "200 in 2 s", 100, 300, 2 * OneSecondNs, 100 },
        { "nothing happened", 300, 300, OneSecondNs, 0 },
        { "half a second", 0, 10, OneSecondNs / 2, 20 },
        { "restart", 300, 100, OneSecondNs, null },
        { "an empty interval (two readings at the same instant)", 100, 300, 0, null },
        { "a negative interval (readings swapped)", 100, 300, -OneSecondNs, null },
    };

    [Theory]
    [MemberData(nameof(PerSecondRates))]
    public void PerSecond(string description, ulong before, ulong after, long elapsedNs, double? rate)
    {
        Near(rate, Counter.PerSecond(before, after, elapsedNs), description);
    }

    /// <summary>Rows: description, part before/after, whole before/after, percent or null.</summary>
    public static TheoryData<string, ulong, ulong, ulong, ulong, double?> Ratios => new()
    {
        { "6 of 100", 10, 16, 1000, 1100, 6 },
        { "all of it", 0, 50, 0, 50, 100 },
        { "none of it", 7, 7, 0, 50, 0 },
        { "the whole did not move: no ratio, neither 0 nor 100", 7, 9, 50, 50, null },
        { "nothing moved at all", 7, 7, 50, 50, null },
        { "the part restarted", 10, 2, 1000, 1100, null },
        { "the whole restarted", 10, 16, 1000, 20, null },
    };

    [Theory]
    [MemberData(nameof(Ratios))]
    public void PercentOf(string description, ulong partBefore, ulong partAfter, ulong wholeBefore, ulong wholeAfter, double? percent)
    {
        Near(percent, Counter.PercentOf(partBefore, partAfter, wholeBefore, wholeAfter), description);
    }

    // ---- CPU ready and used -------------------------------------------------------------------------------

    /// <summary>Rows: description, after (relative to the captured reading), elapsed ns, ready %, used %.</summary>
    public static TheoryData<string, TaskSchedstat, long, double?, double?> VcpuIntervals => new()
    {
        {
            "waited 50 ms and ran 900 ms in a second: ready at the 5 % warning",
            Captured with { RunNs = Captured.RunNs + 900_000_000, WaitNs = Captured.WaitNs + 50_000_000 }, OneSecondNs, 5, 90
        },
        {
            "the seed's 'average wait over 200 ms per second' is 20 %",
            Captured with { WaitNs = Captured.WaitNs + 400_000_000 }, 2 * OneSecondNs, 20, 0
        },
        {
            "an idle vCPU (halted in the guest): 0 % ready, 0 % used",
            Captured, OneSecondNs, 0, 0
        },
        {
            "the VM restarted: the vCPU thread is new, its counters start again from zero",
            new TaskSchedstat(RunNs: 2_000_000, WaitNs: 10_000, Timeslices: 3), OneSecondNs, null, null
        },
        {
            "two readings with no time between them",
            Captured with { WaitNs = Captured.WaitNs + 1 }, 0, null, null
        },
    };

    [Theory]
    [MemberData(nameof(VcpuIntervals))]
    public void Cpu_ready_and_used_of_a_vcpu(string description, TaskSchedstat after, long elapsedNs, double? readyPercent, double? usedPercent)
    {
        Near(readyPercent, Metrics.CpuReadyPercent(Captured, after, elapsedNs), description + " (ready)");
        Near(usedPercent, Metrics.CpuUsedPercent(Captured, after, elapsedNs), description + " (used)");
    }

    [Fact]
    public void Ready_restarts_after_a_counter_reset()
    {
        // Given readings of vCPU 0 at t = 0, 1, 2 s where the VM restarted between the first two
        TaskSchedstat t0 = Captured;
        TaskSchedstat t1 = new(RunNs: 5_000_000, WaitNs: 1_000_000, Timeslices: 10);
        TaskSchedstat t2 = t1 with { WaitNs = t1.WaitNs + 100_000_000 };

        // Then the interval across the restart has no value, and the next one measures from the new thread
        Assert.Null(Metrics.CpuReadyPercent(t0, t1, OneSecondNs));
        Near(10, Metrics.CpuReadyPercent(t1, t2, OneSecondNs), "the interval after the restart");
    }

    // ---- Host figures -------------------------------------------------------------------------------------

    /// <summary>The node_exporter capture's Tcp counters, as a baseline.</summary>
    private static readonly TcpSegmentCounters CapturedTcp = new(OutSegs: 54915039, RetransSegs: 227);

    /// <summary>Rows: description, OutSegs and RetransSegs added (negative: a reboot), retransmit % or null.</summary>
    public static TheoryData<string, long, long, double?> TcpIntervals => new()
    {
        { "60 retransmitted of 1000 sent: above the seed's 5 %", 1000, 60, 6 },
        { "a clean link", 5000, 0, 0 },
        { "nothing sent: no value", 0, 0, null },
        { "retransmits counted but nothing new sent: still no value", 0, 3, null },
        { "the host rebooted (or the namespace was re-created)", -54000000, -200, null },
    };

    [Theory]
    [MemberData(nameof(TcpIntervals))]
    public void Tcp_retransmit_percent(string description, long moreOut, long moreRetrans, double? percent)
    {
        var after = new TcpSegmentCounters((ulong)((long)CapturedTcp.OutSegs + moreOut), (ulong)((long)CapturedTcp.RetransSegs + moreRetrans));

        Near(percent, Metrics.TcpRetransmitPercent(CapturedTcp, after), description);
    }

    /// <summary>Rows: description, before, after, efficiency % or null.</summary>
    public static TheoryData<string, PageReclaimCounters, PageReclaimCounters, double?> ReclaimIntervals => new()
    {
        { "900 freed of 1000 scanned", new(473303, 339439), new(474303, 340339), 90 },
        { "half the scanned pages freed: well below the seed's 85 %", new(1000, 800), new(3000, 1800), 50 },
        { "no reclaim at all: no value, not 0 % efficient", new(473303, 339439), new(473303, 339439), null },
        { "reboot", new(473303, 339439), new(10, 5), null },
    };

    [Theory]
    [MemberData(nameof(ReclaimIntervals))]
    public void Reclaim_efficiency_percent(string description, PageReclaimCounters before, PageReclaimCounters after, double? percent)
    {
        Near(percent, Metrics.ReclaimEfficiencyPercent(before, after), description);
    }

    /// <summary>Rows: description, QEMU RSS KiB, of which in guest RAM KiB, guest memory KiB, overhead % or null.</summary>
    public static TheoryData<string, long, long, long, double?> MemoryOverheads => new()
    {
        { "4 GiB guest, all touched, QEMU resident 4.5 GiB", 4718592, 4194304, 4194304, 12.5 },
        { "an idle guest that touched a quarter of its memory: QEMU's 40 MiB are its overhead, not -74 %", 1089536, 1048576, 4194304, 40.0 * 1024 / 4194304 * 100 },
        { "nothing outside the guest RAM", 1048576, 1048576, 4194304, 0 },
        { "guest memory unknown (0)", 4718592, 4194304, 0, null },
    };

    [Theory]
    [MemberData(nameof(MemoryOverheads))]
    public void Memory_overhead_percent_is_the_resident_memory_outside_guest_ram_over_the_guest_size(string description, long rssKiB, long guestRamRssKiB, long guestKiB, double? percent)
    {
        Near(percent, Metrics.MemoryOverheadPercent(new QemuMemory(rssKiB, guestRamRssKiB, 1), guestKiB), description);
    }

    [Fact]
    public void Pressure_percent_is_stalled_us_over_wall_time()
    {
        var before = new PressureLine(0.10, 2.00, 3.85, TotalUs: 15);

        Near(10, Metrics.PressurePercent(before, before with { TotalUs = 15 + 200_000 }, 2 * OneSecondNs), "200 ms stalled in 2 s");
        Near(0, Metrics.PressurePercent(before, before, OneSecondNs), "no stall");
        Near(null, Metrics.PressurePercent(before, before with { TotalUs = 0 }, OneSecondNs), "reboot");
    }

    // ---- Disks --------------------------------------------------------------------------------------------

    private static DiskStats Disk(string name, ulong reads, ulong readMs, ulong writes, ulong writeMs, ulong weightedMs) => new()
    {
        Major = 252,
        Minor = 0,
        Name = name,
        ReadsCompleted = reads,
        ReadsMerged = 0,
        SectorsRead = reads * 8,
        ReadTimeMs = readMs,
        WritesCompleted = writes,
        WritesMerged = 0,
        SectorsWritten = writes * 8,
        WriteTimeMs = writeMs,
        InFlight = 0,
        IoTimeMs = 0,
        WeightedIoTimeMs = weightedMs,
    };

    /// <summary>Rows: description, before, after, elapsed ns, average queue depth, average latency ms.</summary>
    public static TheoryData<string, DiskStats, DiskStats, long, double?, double?> DiskIntervals => new()
    {
        {
            "60 reads of 2 ms and 40 writes of 4 ms in 2 s, 4 s of weighted queue time",
            Disk("vda", 1000, 5000, 500, 3000, 90000), Disk("vda", 1060, 5120, 540, 3160, 94000), 2 * OneSecondNs, 2, 2.8
        },
        {
            "an idle disk: queue 0, no latency (no I/O completed)",
            Disk("vda", 1000, 5000, 500, 3000, 90000), Disk("vda", 1000, 5000, 500, 3000, 90000), OneSecondNs, 0, null
        },
        {
            "the disk was detached and attached again: counters from zero",
            Disk("vda", 1000, 5000, 500, 3000, 90000), Disk("vda", 10, 20, 0, 0, 25), OneSecondNs, null, null
        },
        {
            "two different devices are never compared",
            Disk("vda", 1000, 5000, 500, 3000, 90000), Disk("vdb", 1060, 5120, 540, 3160, 94000), OneSecondNs, null, null
        },
    };

    [Theory]
    [MemberData(nameof(DiskIntervals))]
    public void Disk_queue_depth_and_latency(string description, DiskStats before, DiskStats after, long elapsedNs, double? queueDepth, double? latencyMs)
    {
        Near(queueDepth, Metrics.AverageQueueDepth(before, after, elapsedNs), description + " (queue depth)");
        Near(latencyMs, Metrics.AverageIoLatencyMs(before, after), description + " (latency)");
    }
}
