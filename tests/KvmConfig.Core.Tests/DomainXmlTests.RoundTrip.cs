using KvmConfig.Core.Domains;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The round-trip rule: a domain merged with the tuning it already carries comes back unchanged. libvirt's
/// own fixtures come back byte for byte (the printer writes XML as libvirt does); virt-manager's hand-written one,
/// with double quotes and elements out of libvirt's order, comes back as the same XML.
/// </summary>
public sealed partial class DomainXmlTests
{
    /// <summary>Fixtures printed by libvirt itself: single quotes, two-space indentation, libvirt's element order.</summary>
    private static readonly HashSet<string> LibvirtPrinted =
    [
        "cputune.xml", "cputune-numatune.xml", "numatune-memnode.xml",
        "libvirt-9.0-dumpxml-fifo.xml", "libvirt-9.0-dumpxml-split.xml", "libvirt-9.0-dumpxml-throttled.xml",
    ];

    /// <summary>libvirt 9.0's <c>dumpxml</c> of three renderings (tests/data/libvirt/README.md), with the row that rendered each.</summary>
    private static readonly (string Capture, string Row)[] LibvirtCaptures =
    [
        ("libvirt-9.0-dumpxml-fifo.xml", "cpuscheduling fifo:10 puts every vCPU thread in SCHED_FIFO at priority 10"),
        ("libvirt-9.0-dumpxml-split.xml", "an existing host-passthrough CPU keeps its mode, cache and features; the cells go after them, the topology before"),
        ("libvirt-9.0-dumpxml-throttled.xml", "disk throttles go in every data disk's <iotune> with one throttle group; the bandwidth on every NIC libvirt can shape"),
    ];

    public static TheoryData<string> LibvirtCaptureNames => new(LibvirtCaptures.Select(c => c.Capture));

    [Theory]
    [MemberData(nameof(LibvirtCaptureNames))]
    public void What_libvirt_made_of_a_rendering_reads_as_the_plan_and_merges_back_byte_for_byte(string capture)
    {
        // Given the plan of a row, and what libvirt stored when its rendering was defined (per-vCPU vcpusched,
        // dies='1', a default CPU model and controllers added)
        (_, DomainTuning tuning) = Render(RenderCases.Single(c => c.Description == LibvirtCaptures.Single(l => l.Capture == capture).Row));
        string stored = Fixture(capture);

        // Then status sees no drift, and a second apply defines exactly what libvirt already has
        Assert.Empty(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(stored)));
        Assert.Equal(stored, DomainXml.Merge(stored, tuning));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_fixture_merged_with_the_tuning_it_carries_comes_back_unchanged(string fixture)
    {
        // Given a domain libvirt (or virt-manager) wrote, and the tuning read back from it
        string xml = Fixture(fixture);
        DomainTuning carried = DomainXml.ReadTuning(xml);

        // When it is merged back
        string merged = DomainXml.Merge(xml, carried);

        // Then nothing changed
        AssertSameXml(xml, merged, $"{fixture} changed when merged with the tuning it carries");
        if (LibvirtPrinted.Contains(fixture))
        {
            Assert.Equal(xml, merged);
        }

        Assert.Empty(OwnedState.Drift(carried.ToOwnedState(), DomainXml.ReadOwned(merged)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_fixture_read_twice_through_a_merge_reads_the_same(string fixture)
    {
        string xml = Fixture(fixture);

        OwnedState before = DomainXml.ReadOwned(xml);
        OwnedState after = DomainXml.ReadOwned(DomainXml.Merge(xml, DomainXml.ReadTuning(xml)));

        Assert.Equal(before.ToString(), after.ToString());
    }

    [Fact]
    public void Reading_a_fixture_normalizes_libvirt_spellings()
    {
        // numatune-memnode.xml: memnode 2 is written '1-2,5-7,^6'; cells in KiB; 32 vCPUs with no pin at all
        OwnedState state = DomainXml.ReadOwned(Fixture("numatune-memnode.xml"));

        Assert.Equal("strict 1-2,5,7", state["numatune memnode 2"]);
        Assert.Equal("preferred 3", state["numatune memnode 0"]);
        Assert.Equal("strict 0-7", state["numatune memory"]);
        Assert.Equal("3", state["numa cells"]);
        Assert.Equal("1-27,29", state["numa cell 1 cpus"]);
        Assert.Equal("24002400 KiB", state["numa cell 2 memory"]);
        Assert.Equal("any", state["vcpupin 31"]);
        Assert.Equal("unlimited", state["cputune global_quota"]);
    }

    [Fact]
    public void Reading_a_fixture_gives_each_vcpu_the_scheduler_and_pin_it_runs_with()
    {
        // cputune.xml: vcpusched 2-3 rr:1, 0 batch, 1 fifo:0; pins for vCPUs 0 and 1 only, and no <vcpu cpuset>
        OwnedState state = DomainXml.ReadOwned(Fixture("cputune.xml"));

        Assert.Equal(["batch", "fifo 0", "rr 1", "rr 1"], Enumerable.Range(0, 4).Select(i => state[$"vcpusched {i}"]));
        Assert.Equal(["0", "1", "any", "any"], Enumerable.Range(0, 4).Select(i => state[$"vcpupin {i}"]));
        Assert.Equal("2048", state["cputune shares"]);
        Assert.Equal("unlimited", state["cputune global_quota"]);
        Assert.Equal("219136 KiB", state["memory"]);
        Assert.Equal("none", state["disk hda read_bytes_sec"]);
    }

    [Fact]
    public void A_vcpu_without_a_pin_of_its_own_reads_as_the_vcpu_cpuset_it_inherits()
    {
        // virt-manager's fixture: <vcpu cpuset="1-3">5</vcpu>, no <cputune>
        OwnedState state = DomainXml.ReadOwned(Fixture("virt-manager-change-guest-in.xml"));

        Assert.All(Enumerable.Range(0, 5), i => Assert.Equal("1-3", state[$"vcpupin {i}"]));
        Assert.Equal("1-3", state["emulatorpin"]);
        Assert.Equal("interleave 1-2,4-5,7", state["numatune memory"]);
        Assert.Equal("409600 KiB", state["memory"]);
        Assert.Equal("sockets=4 dies=1 cores=5 threads=2", state["cpu topology"]);
    }

    [Fact]
    public void Numatune_placed_auto_makes_an_unplaced_vcpu_auto_too()
    {
        // cputune-numatune.xml: <vcpu placement='auto' current='2'>6</vcpu>, <memory mode='strict' placement='auto'/>
        OwnedState state = DomainXml.ReadOwned(Fixture("cputune-numatune.xml"));

        Assert.Equal("auto", state["vcpu placement"]);
        Assert.Equal("strict auto", state["numatune memory"]);
        Assert.Equal("1-3", state["emulatorpin"]);
        Assert.Equal("any", state["vcpupin 0"]);
    }
}
