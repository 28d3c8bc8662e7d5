using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Disk throttles of a running domain: which live operation takes each disk to the plan, and what status calls
/// drift. Rows say what the disk has live (null: no limit) and what the plan manages (null: unmanaged).
/// </summary>
public sealed class LiveThrottleTests
{
    private static LiveState Running(params (string Device, DiskThrottle Throttle)[] disks) => new(
        [CpuSet.Of(0)], CpuSet.Of(0), null, null, null, null, null, new Dictionary<string, InterfaceBandwidth>(),
        VcpusMax: 1, Disks: disks.ToDictionary(d => d.Device, d => d.Throttle));

    private static DomainTuning Plan(DiskThrottle? throttle) => new()
    {
        Vcpus = 1,
        VcpuPins = [CpuSet.Of(0)],
        EmulatorCpus = CpuSet.Of(0),
        DiskThrottle = throttle,
    };

    /// <summary>A row: the live throttle of disk vda, the plan's, and the virsh command apply runs (none when in sync).</summary>
    public sealed record ThrottleCase(string Description, DiskThrottle Live, DiskThrottle? Planned, string? Command, string[] Drift);

    private static readonly ThrottleCase[] Cases =
    [
        new("no limit live, the plan limits all three: one call sets them in kvmconfig's group",
            new(null, null, null), new(1000, 2000, 300),
            "virsh blkdeviotune vm vda --live --total-bytes-sec 0 --read-bytes-sec 1000 --write-bytes-sec 2000 --total-iops-sec 300 --read-iops-sec 0 --write-iops-sec 0 --group-name kvmconfig",
            ["live disk vda read_bytes_sec: 1000 / none", "live disk vda write_bytes_sec: 2000 / none", "live disk vda total_iops_sec: 300 / none"]),
        new("the plan manages reads only: the live write limit goes along unchanged (libvirt resets the triple's others)",
            new(null, 5000, null), new(1000, null, null),
            "virsh blkdeviotune vm vda --live --total-bytes-sec 0 --read-bytes-sec 1000 --write-bytes-sec 5000 --group-name kvmconfig",
            ["live disk vda read_bytes_sec: 1000 / none"]),
        new("the plan manages IOPS only: the byte limits are not touched",
            new(7000, null, 10), new(null, null, 300),
            "virsh blkdeviotune vm vda --live --total-iops-sec 300 --read-iops-sec 0 --write-iops-sec 0 --group-name kvmconfig",
            ["live disk vda total_iops_sec: 300 / 10"]),
        new("live already says what the plan asks: nothing to do",
            new(1000, 2000, 300), new(1000, 2000, 300), null, []),
        new("throttles unmanaged: nothing to do whatever the disk has",
            new(1, 2, 3), null, null, []),
    ];

    public static TheoryData<string> Names => new(Cases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(Names))]
    public void A_running_disk_is_throttled_live_and_a_live_difference_is_drift(string description)
    {
        ThrottleCase row = Cases.Single(c => c.Description == description);
        LiveState live = Running(("vda", row.Live));

        IReadOnlyList<LiveOperation> operations = LiveChanges.Toward(live, Plan(row.Planned), new List<string>());
        IReadOnlyList<Drift> drift = StatusReport.LiveDrift(Plan(row.Planned), live);

        Assert.Equal(row.Command is null ? [] : [row.Command], operations.Select(o => o.Describe("vm")));
        Assert.Equal(row.Drift, drift.Select(d => $"{d.Field}: {d.Desired} / {d.Actual}"));
    }

    [Fact]
    public void A_rollback_puts_back_the_limits_a_disk_had_no_limit_written_as_zero()
    {
        LiveState before = Running(("vda", new DiskThrottle(null, 2000, null)));
        LiveState now = Running(("vda", new DiskThrottle(1000, 2000, 300)));

        LiveOperation back = Assert.Single(LiveChanges.Back(now, before));

        Assert.Equal("virsh blkdeviotune vm vda --live --total-bytes-sec 0 --read-bytes-sec 0 --write-bytes-sec 2000 --total-iops-sec 0 --read-iops-sec 0 --write-iops-sec 0", back.Describe("vm"));
    }
}
