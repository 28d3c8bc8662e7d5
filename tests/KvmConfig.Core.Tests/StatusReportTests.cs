using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="StatusReport"/>: what <c>kvmconfig status</c> calls drift. The live comparison is a table of running
/// domains that someone changed by hand (each row says how), written as <c>field: desired / actual</c>; the facts
/// cover the persistent definition, undefined VMs and unmanaged domains.
/// </summary>
public sealed class StatusReportTests
{
    // A 2-vCPU database VM on a 4-CPU host: vCPUs strictly on 2 and 3, emulator on the reserved CPU 0, weight 300,
    // capped at 1.5 CPUs, memory strictly on node 0, disk weight 500, NICs shaped to 1Gbit (125000 KB/s).
    private static readonly DomainTuning Db = new()
    {
        Vcpus = 2,
        VcpuCpus = CpuSet.Parse("2-3"),
        VcpuPins = [CpuSet.Of(2), CpuSet.Of(3)],
        EmulatorCpus = CpuSet.Of(0),
        CpuShares = 300,
        CpuCap = CpuBandwidth.ForCpus(1.5),
        VcpuSchedulers = [],
        NumaMemory = new NumaMemoryPolicy(MemoryMode.Strict, CpuSet.Of(0)),
        BlkioWeight = 500,
        InterfaceBandwidth = new InterfaceBandwidth(125_000, 125_000),
    };

    // What libvirt's live API reports for a running Db that nobody touched.
    private static readonly LiveState DbLive = new(
        VcpuPins: [CpuSet.Of(2), CpuSet.Of(3)],
        EmulatorPin: CpuSet.Of(0),
        CpuShares: 300,
        CpuCap: new CpuBandwidth(100_000, 150_000),
        NumaMode: 0,
        NumaNodes: CpuSet.Of(0),
        BlkioWeight: 500,
        Interfaces: new Dictionary<string, InterfaceBandwidth> { ["vnet0"] = new(125_000, 125_000) });

    /// <summary>A row: what was done to the running domain, its live state now, the drift status reports.</summary>
    public sealed record LiveCase(string Description, LiveState Live, string[] Drift);

    private static readonly LiveCase[] LiveCases =
    [
        new("untouched: in sync", DbLive, []),
        new("virsh vcpupin db 1 0-3 --live: vCPU 1 roams",
            DbLive with { VcpuPins = [CpuSet.Of(2), CpuSet.Parse("0-3")] },
            ["live vcpupin 1: 3 / 0-3"]),
        new("virsh emulatorpin db 0-3 --live: the emulator leaves the reserved CPU",
            DbLive with { EmulatorPin = CpuSet.Parse("0-3") },
            ["live emulatorpin: 0 / 0-3"]),
        new("virsh schedinfo --set cpu_shares=1024 --live: cgroup v1's default weight",
            DbLive with { CpuShares = 1024 },
            ["live cpu_shares: 300 / 1024"]),
        new("virsh schedinfo --set global_quota=-1 --live: the cap is lifted",
            DbLive with { CpuCap = new CpuBandwidth(100_000, null) },
            ["live global_quota: 1.5 CPUs (150000/100000 us) / unlimited"]),
        new("the same cap over twice the period is a different cap",
            DbLive with { CpuCap = new CpuBandwidth(200_000, 150_000) },
            ["live global_quota: 1.5 CPUs (150000/100000 us) / 0.75 CPUs (150000/200000 us)"]),
        new("no global_period reported is the kernel's 100 ms: the same cap",
            DbLive with { CpuCap = new CpuBandwidth(null, 150_000) },
            []),
        new("no cap reported at all is no cap",
            DbLive with { CpuCap = null },
            ["live global_quota: 1.5 CPUs (150000/100000 us) / unlimited"]),
        new("virsh numatune --nodeset 1 --live: memory moved to node 1",
            DbLive with { NumaNodes = CpuSet.Of(1) },
            ["live numa nodeset: 0 / 1"]),
        new("started without <numatune>: strict on no nodeset, i.e. any node",
            DbLive with { NumaNodes = null },
            ["live numa nodeset: 0 / any"]),
        new("started with interleave: the mode differs (it cannot change live)",
            DbLive with { NumaMode = 2 },
            ["live numa mode: strict / interleave"]),
        new("a mode libvirt added after kvmconfig shows as its number",
            DbLive with { NumaMode = 7 },
            ["live numa mode: strict / 7"]),
        new("virsh blkiotune --weight 100 --live",
            DbLive with { BlkioWeight = 100 },
            ["live blkiotune weight: 500 / 100"]),
        new("a NIC shaped by hand to 100Mbit on the way in and unshaped on the way out",
            DbLive with { Interfaces = new Dictionary<string, InterfaceBandwidth> { ["vnet0"] = new(12_500, null) } },
            ["live interface vnet0 inbound average: 125000 KB/s / 12500 KB/s", "live interface vnet0 outbound average: 125000 KB/s / none"]),
        new("of two NICs only the unshaped one drifts, named by its target device",
            DbLive with { Interfaces = new Dictionary<string, InterfaceBandwidth> { ["vnet3"] = new(125_000, 125_000), ["vnet2"] = new(null, 125_000) } },
            ["live interface vnet2 inbound average: 125000 KB/s / none"]),
        new("one vCPU unplugged: the count drifts and the remaining pin is still compared",
            DbLive with { VcpuPins = [CpuSet.Of(1)] },
            ["live vcpus: 2 / 1", "live vcpupin 0: 2 / 1"]),
        new("libvirt reports no weight, NUMA or block I/O (no such cgroup controller): nothing to compare",
            DbLive with { CpuShares = null, NumaMode = null, NumaNodes = null, BlkioWeight = null },
            []),
        new("everything at once: vCPUs, emulator, scheduler, memory, block I/O, interfaces, in that order",
            new LiveState([CpuSet.Of(0), CpuSet.Of(1)], CpuSet.Parse("0-3"), 1024, CpuBandwidth.Unlimited, 1, CpuSet.Of(1), 100,
                new Dictionary<string, InterfaceBandwidth> { ["vnet0"] = new(null, null) }),
            [
                "live vcpupin 0: 2 / 0",
                "live vcpupin 1: 3 / 1",
                "live emulatorpin: 0 / 0-3",
                "live cpu_shares: 300 / 1024",
                "live global_quota: 1.5 CPUs (150000/100000 us) / unlimited",
                "live numa mode: strict / preferred",
                "live numa nodeset: 0 / 1",
                "live blkiotune weight: 500 / 100",
                "live interface vnet0 inbound average: 125000 KB/s / none",
                "live interface vnet0 outbound average: 125000 KB/s / none",
            ]),
    ];

    public static TheoryData<string> LiveNames => new(LiveCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(LiveNames))]
    public void Live_drift_names_each_field_that_differs(string description)
    {
        LiveCase row = LiveCases.Single(c => c.Description == description);

        IReadOnlyList<Drift> drift = StatusReport.LiveDrift(Db, row.Live);

        Assert.Equal(row.Drift, drift.Select(Show));
    }

    /// <summary>A row: a tuning that leaves something to libvirt, and a live state that differs exactly there.</summary>
    public sealed record UnmanagedCase(string Description, DomainTuning Desired, LiveState Live);

    private static readonly UnmanagedCase[] UnmanagedCases =
    [
        new("a vCPU the plan leaves unrestricted may run anywhere",
            Db with { VcpuPins = [CpuSet.Of(2), CpuSet.Empty] }, DbLive with { VcpuPins = [CpuSet.Of(2), CpuSet.Parse("0-3")] }),
        new("an emulator the plan leaves unrestricted may run anywhere",
            Db with { EmulatorCpus = CpuSet.Empty }, DbLive with { EmulatorPin = CpuSet.Parse("1-3") }),
        new("no weight managed", Db with { CpuShares = null }, DbLive with { CpuShares = 1024 }),
        new("no cap managed", Db with { CpuCap = null }, DbLive with { CpuCap = CpuBandwidth.Unlimited }),
        new("cpu_limit = none and libvirt reports no cap", Db with { CpuCap = CpuBandwidth.Unlimited }, DbLive with { CpuCap = null }),
        new("cpu_limit = none and libvirt's quota -1", Db with { CpuCap = CpuBandwidth.Unlimited }, DbLive with { CpuCap = new CpuBandwidth(100_000, -1) }),
        new("no memory policy (a host without NUMA)", Db with { NumaMemory = null }, DbLive with { NumaMode = 2, NumaNodes = CpuSet.Of(1) }),
        new("numad places the memory (placement auto): only the mode is the plan's",
            Db with { NumaMemory = new NumaMemoryPolicy(MemoryMode.Strict, null) }, DbLive with { NumaNodes = CpuSet.Of(1) }),
        new("disk_weight not declared", Db with { BlkioWeight = null }, DbLive with { BlkioWeight = 100 }),
        new("net_bandwidth not declared", Db with { InterfaceBandwidth = null }, DbLive with { Interfaces = new Dictionary<string, InterfaceBandwidth> { ["vnet0"] = new(null, null) } }),
        new("only the inbound rate managed", Db with { InterfaceBandwidth = new InterfaceBandwidth(125_000, null) },
            DbLive with { Interfaces = new Dictionary<string, InterfaceBandwidth> { ["vnet0"] = new(125_000, 1) } }),
    ];

    public static TheoryData<string> UnmanagedNames => new(UnmanagedCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(UnmanagedNames))]
    public void What_the_plan_does_not_manage_never_drifts_live(string description)
    {
        UnmanagedCase row = UnmanagedCases.Single(c => c.Description == description);

        Assert.Empty(StatusReport.LiveDrift(row.Desired, row.Live));
    }

    [Fact]
    public void A_running_domain_that_matches_both_ways_is_in_sync()
    {
        ObservedDomain running = Observed(DomainXml.Merge(DomainXmlTests.MinimalDomain, Db), DbLive, "running");

        VmStatus status = StatusReport.Compare("vm1", Db, running);

        Assert.Equal(("vm1", "running"), (status.Name, status.State));
        Assert.Empty(status.Drift);
        Assert.True(status.InSync);
    }

    [Fact]
    public void Persistent_drift_comes_first_then_live_drift()
    {
        // Given a definition with vCPU 1 repinned (virsh vcpupin --config) and a running domain with vCPU 0 repinned
        string merged = DomainXml.Merge(DomainXmlTests.MinimalDomain, Db);
        string edited = merged.Replace("<vcpupin vcpu='1' cpuset='3'/>", "<vcpupin vcpu='1' cpuset='1'/>", StringComparison.Ordinal);
        Assert.NotEqual(merged, edited);
        ObservedDomain running = Observed(edited, DbLive with { VcpuPins = [CpuSet.Of(1), CpuSet.Of(3)] }, "running");

        // When status compares them
        VmStatus status = StatusReport.Compare("vm1", Db, running);

        // Then both show, the definition's under its own name and the running domain's as live
        Assert.Equal(["vcpupin 1: 3 / 1", "live vcpupin 0: 2 / 1"], status.Drift.Select(Show));
        Assert.False(status.InSync);
    }

    [Fact]
    public void A_shut_off_domain_is_compared_on_its_definition_only()
    {
        var view = new DomainView("vm1", Active: false, DomainXmlTests.MinimalDomain, Live: null);

        VmStatus status = StatusReport.Compare("vm1", Db, new ObservedDomain(view, "shut off"));

        Assert.Equal("shut off", status.State);
        Assert.DoesNotContain(status.Drift, d => d.Field.StartsWith(StatusReport.LivePrefix, StringComparison.Ordinal));
        Assert.Equal(OwnedState.Drift(Db.ToOwnedState(), DomainXml.ReadOwned(DomainXmlTests.MinimalDomain)), status.Drift);
        Assert.Contains(new Drift("vcpupin 0", "2", "any"), status.Drift);
        Assert.Contains(new Drift("cputune shares", "300", OwnedState.Absent), status.Drift);
    }

    [Fact]
    public void A_running_domain_whose_live_state_was_not_read_is_compared_on_its_definition()
    {
        var view = new DomainView("vm1", Active: true, DomainXml.Merge(DomainXmlTests.MinimalDomain, Db), Live: null);

        VmStatus status = StatusReport.Compare("vm1", Db, new ObservedDomain(view, "paused"));

        Assert.True(status.InSync);
        Assert.Equal("paused", status.State);
    }

    [Fact]
    public void A_declared_vm_libvirt_does_not_know_is_undefined_with_one_drift()
    {
        VmStatus status = StatusReport.Compare("vm1", Db, null);

        Assert.Equal(VmStatus.Undefined, status.State);
        Assert.Equal([new Drift(StatusReport.DomainField, "defined", OwnedState.Absent)], status.Drift);
        Assert.False(status.InSync);
    }

    [Fact]
    public void The_report_sorts_vms_lists_unmanaged_domains_and_is_in_sync_only_when_every_vm_is()
    {
        // Given three declared VMs (one matching, one drifted, one without a domain) and three other domains, one of
        // which a declaration names
        string merged = DomainXml.Merge(DomainXmlTests.MinimalDomain, Db);
        var desired = new Dictionary<string, DomainTuning> { ["web"] = Db, ["db"] = Db, ["cache"] = Db };
        var observed = new Dictionary<string, ObservedDomain?>
        {
            ["db"] = Observed(merged, DbLive, "running"),
            ["web"] = Observed(merged, DbLive with { CpuShares = 1024 }, "running"),
            ["stray"] = Observed(DomainXmlTests.MinimalDomain, null, "shut off"),
        };
        UnmanagedDomain[] others = [new("win11", "shut off"), new("build", "running"), new("db", "running")];

        // When status builds its report
        StatusReport report = StatusReport.Build(desired, observed, others);

        // Then every declared VM has its line, sorted, and only undeclared domains are unmanaged
        Assert.Equal(
            ["cache undefined drift=1", "db running drift=0", "web running drift=1"],
            report.Vms.Select(v => $"{v.Name} {v.State} drift={v.Drift.Count}"));
        Assert.Equal([new UnmanagedDomain("build", "running"), new UnmanagedDomain("win11", "shut off")], report.Unmanaged);
        Assert.False(report.InSync);
        Assert.Equal(["live cpu_shares: 300 / 1024"], report.Vms[2].Drift.Select(Show));

        // And with the drifted VM put back and the missing one defined, everything is in sync
        observed["web"] = Observed(merged, DbLive, "running");
        observed["cache"] = Observed(merged, null, "shut off");
        Assert.True(StatusReport.Build(desired, observed, others).InSync);
    }

    [Fact]
    public void A_report_without_declared_vms_is_in_sync()
    {
        StatusReport report = StatusReport.Build(new Dictionary<string, DomainTuning>(), new Dictionary<string, ObservedDomain?>(), [new("a", "running")]);

        Assert.True(report.InSync);
        Assert.Empty(report.Vms);
        Assert.Single(report.Unmanaged);
    }

    private static ObservedDomain Observed(string persistentXml, LiveState? live, string state) =>
        new(new DomainView("vm1", live is not null, persistentXml, live), state);

    private static string Show(Drift d) => $"{d.Field}: {d.Desired} / {d.Actual}";
}
