using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Tests;

/// <summary>
/// CPU hot add: a domain defined with room for more vCPUs than it boots with keeps that room, <c>vcpus_max</c> sets
/// it, and a running domain takes added vCPUs live and pinned. The domain of the first rows is libvirt's own test
/// data for hotplug (<c>tests/data/libvirt/cputune-numatune.xml</c>: <c>&lt;vcpu placement='auto' current='2'&gt;6&lt;/vcpu&gt;</c>).
/// </summary>
public sealed class HotAddTests
{
    private static readonly string Hotplug = DomainXmlTests.Domain("cputune-numatune.xml");

    // A 2-vCPU plan pinned to CPUs 2 and 3; vcpus_max when given.
    private static DomainTuning Plan(int vcpus, int? max = null) => new()
    {
        Vcpus = vcpus,
        VcpusMax = max,
        VcpuCpus = CpuSet.Range(2, 2 + vcpus - 1),
        VcpuPins = Enumerable.Range(2, vcpus).Select(c => CpuSet.Of(c)).ToList(),
        EmulatorCpus = CpuSet.Of(0),
        Topology = new CpuTopology(1, 1, 1, vcpus, 1),
        VcpuSchedulers = [],
    };

    /// <summary>A row: the domain's <c>&lt;vcpu&gt;</c>, the plan, and the element the merge must write.</summary>
    public sealed record MaximumCase(string Description, string Vcpu, int Vcpus, int? Max, string Written, string Topology);

    private static readonly MaximumCase[] MaximumCases =
    [
        new("a domain defined for hot add keeps its maximum of 6", "<vcpu placement='auto' current='2'>6</vcpu>", 2, null,
            "<vcpu placement='static' cpuset='2-3' current='2'>6</vcpu>", "sockets=1 dies=1 cores=6 threads=1"),
        new("more vCPUs online within the maximum: current follows", "<vcpu placement='auto' current='2'>6</vcpu>", 4, null,
            "<vcpu placement='static' cpuset='2-5' current='4'>6</vcpu>", "sockets=1 dies=1 cores=6 threads=1"),
        new("as many online as the maximum: no current", "<vcpu placement='auto' current='2'>6</vcpu>", 6, null,
            "<vcpu placement='static' cpuset='2-7'>6</vcpu>", "sockets=1 dies=1 cores=6 threads=1"),
        new("more than the maximum: the maximum rises to the count", "<vcpu placement='auto' current='2'>6</vcpu>", 8, null,
            "<vcpu placement='static' cpuset='2-9'>8</vcpu>", "sockets=1 dies=1 cores=8 threads=1"),
        new("vcpus_max declared: it wins over the domain's", "<vcpu placement='auto' current='2'>6</vcpu>", 2, 12,
            "<vcpu placement='static' cpuset='2-3' current='2'>12</vcpu>", "sockets=1 dies=1 cores=12 threads=1"),
        new("a domain not defined for hot add takes the plan's count", "<vcpu placement='static'>4</vcpu>", 2, null,
            "<vcpu placement='static' cpuset='2-3'>2</vcpu>", "sockets=1 dies=1 cores=2 threads=1"),
        new("vcpus_max gives a plain domain room to grow", "<vcpu placement='static'>4</vcpu>", 2, 8,
            "<vcpu placement='static' cpuset='2-3' current='2'>8</vcpu>", "sockets=1 dies=1 cores=8 threads=1"),
    ];

    public static TheoryData<string> MaximumNames => new(MaximumCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(MaximumNames))]
    public void The_merge_keeps_or_sets_the_vcpu_maximum(string description)
    {
        MaximumCase row = MaximumCases.Single(c => c.Description == description);
        string domain = Hotplug.Replace("<vcpu placement='auto' current='2'>6</vcpu>", row.Vcpu, StringComparison.Ordinal);

        string merged = DomainXml.Merge(domain, Plan(row.Vcpus, row.Max));

        Assert.Contains(row.Written, merged, StringComparison.Ordinal);
        DomainTuning read = DomainXml.ReadTuning(merged);
        Assert.Equal(row.Vcpus, read.Vcpus);
        Assert.Equal(row.Topology, read.Topology!.ToString());

        // <vcpus> (one entry per vCPU with its enabled flag) would contradict a changed count: it goes with the change.
        Assert.DoesNotContain("<vcpus>", merged, StringComparison.Ordinal);
        Assert.Equal(merged, DomainXml.Merge(merged, Plan(row.Vcpus, row.Max)));
    }

    [Fact]
    public void Status_of_a_domain_that_keeps_its_maximum_is_in_sync()
    {
        // Given the hotplug domain merged with a plan that declares no maximum
        string merged = DomainXml.Merge(Hotplug, Plan(2));

        // Then status, which compares the plan as the merge made it whole for this domain, sees nothing to fix
        VmStatus status = StatusReport.Compare("dummy2", Plan(2), new ObservedDomain(new DomainView("dummy2", false, merged, null), "shut off"));
        Assert.Empty(status.Drift);

        // and a plan that lowers the maximum below what the domain has is drift on "vcpus max"
        VmStatus lower = StatusReport.Compare("dummy2", Plan(2, max: 4), new ObservedDomain(new DomainView("dummy2", false, merged, null), "shut off"));
        Assert.Contains(lower.Drift, d => d.Field == "vcpus max" && d.Desired == "4" && d.Actual == "6");
    }

    [Fact]
    public void Guest_cells_grow_by_one_block_of_the_added_vcpus_each()
    {
        // Given a plan of two guest cells of 2 vCPUs each and room for 7
        DomainTuning twoCells = Plan(4, max: 7) with
        {
            Topology = new CpuTopology(2, 1, 1, 2, 1),
            Cells = [new NumaCell(0, CpuSet.Parse("0-1"), 1024), new NumaCell(1, CpuSet.Parse("2-3"), 1024)],
        };

        DomainTuning whole = twoCells.ForMaximum(7, 7);

        // Then every vCPU up to the maximum is in one cell, the first cell taking the odd one
        Assert.Equal(["0-1,4-5", "2-3,6"], whole.Cells!.Select(c => c.Vcpus.ToString()));
        Assert.Equal(7, whole.Topology!.Vcpus);
    }

    /// <summary>A row: the running domain's vCPUs (online, maximum), the plan's count, the live operations.</summary>
    public sealed record LiveCase(string Description, int Online, int Max, int Planned, string[] Operations);

    private static readonly LiveCase[] LiveCases =
    [
        new("2 online of 6, the plan asks 4: hot add 2, then pin the added ones", 2, 6, 4,
            ["virsh setvcpus vm 4 --live", "virsh vcpupin vm 2 4 --live", "virsh vcpupin vm 3 5 --live"]),
        new("2 online of 2, the plan asks 4: above the running maximum, nothing live", 2, 2, 4, []),
        new("4 online of 6, the plan asks 2: removing vCPUs needs the guest, nothing live", 4, 6, 2, []),
        new("2 online of 6, the plan asks 2: nothing to do", 2, 6, 2, []),
    ];

    public static TheoryData<string> LiveNames => new(LiveCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(LiveNames))]
    public void A_running_domain_takes_added_vcpus_live_within_its_maximum(string description)
    {
        LiveCase row = LiveCases.Single(c => c.Description == description);
        var live = new LiveState(
            VcpuPins: Enumerable.Range(2, row.Online).Select(c => CpuSet.Of(c)).ToList(),
            EmulatorPin: CpuSet.Of(0),
            CpuShares: null,
            CpuCap: null,
            NumaMode: null,
            NumaNodes: null,
            BlkioWeight: null,
            Interfaces: new Dictionary<string, InterfaceBandwidth>(),
            VcpusMax: row.Max);

        IReadOnlyList<LiveOperation> operations = LiveChanges.Toward(live, Plan(row.Planned), new List<string>());

        Assert.Equal(row.Operations, operations.Select(o => o.Describe("vm")));
    }

    [Fact]
    public void A_hot_add_is_not_listed_as_waiting_for_the_next_boot()
    {
        // Given the hotplug domain running with 2 of 6 vCPUs, and a plan for 4
        string defined = DomainXml.Merge(Hotplug, Plan(2));
        var live = new LiveState([CpuSet.Of(2), CpuSet.Of(3)], CpuSet.Of(0), null, null, null, null, null, new Dictionary<string, InterfaceBandwidth>(), VcpusMax: 6);

        DomainChange change = DomainChange.Plan(new DomainView("dummy2", true, defined, live), Plan(4));

        // Then the count changes live and in the definition, and only what QEMU fixes at boot waits
        Assert.Contains(change.Live, o => o is SetVcpus { Count: 4 });
        Assert.Contains("current='4'>6</vcpu>", change.After, StringComparison.Ordinal);
        Assert.DoesNotContain(change.NextBoot, line => line.StartsWith("vcpus:", StringComparison.Ordinal));
    }
}
