using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Tests;

/// <summary>Desired against actual, as <c>kvmconfig status</c> will show it.</summary>
public sealed partial class DomainXmlTests
{
    [Theory]
    [MemberData(nameof(RenderNames))]
    public void A_merged_domain_has_no_drift_from_its_tuning(string description)
    {
        RenderCase row = RenderCases.Single(c => c.Description == description);

        (string xml, DomainTuning tuning) = Render(row);

        IReadOnlyList<Drift> drift = OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(xml));
        Assert.True(drift.Count == 0, $"drift after the merge: {string.Join("; ", drift)}\n--- document\n{xml}");
    }

    [Fact]
    public void One_changed_pin_is_exactly_one_drift_entry()
    {
        // Given a strict VM merged into a domain
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Explicit("db", "2-3,10-11", memoryMiB: 4096)], "db"));
        string merged = DomainXml.Merge(MinimalDomain, tuning);

        // When someone pins vCPU 1 elsewhere with virsh vcpupin --config
        string edited = merged.Replace("<vcpupin vcpu='1' cpuset='10'/>", "<vcpupin vcpu='1' cpuset='5'/>", StringComparison.Ordinal);

        // Then status sees exactly that
        Drift drift = Assert.Single(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(edited)));
        Assert.Equal(new Drift("vcpupin 1", "10", "5"), drift);
    }

    [Fact]
    public void Another_spelling_of_the_same_setting_is_no_drift()
    {
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Explicit("db", "2-3,10-11", memoryMiB: 4096)], "db"));
        string merged = DomainXml.Merge(MinimalDomain, tuning);

        // The same CPUs and memory written another way: an exclusion, MiB, an explicit default mode
        string respelled = merged
            .Replace("cpuset='2-3,10-11'", "cpuset='2-11,^4,^5,^6,^7,^8,^9'", StringComparison.Ordinal)
            .Replace("<memory unit='KiB'>4194304</memory>", "<memory unit='MiB'>4096</memory>", StringComparison.Ordinal);

        Assert.Empty(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(respelled)));
        Assert.Equal(respelled, DomainXml.Merge(respelled, tuning));
    }

    [Fact]
    public void What_the_declaration_leaves_unmanaged_never_drifts()
    {
        // Given a domain with a balloon, 1G pages, a block I/O weight, disk limits and NIC shaping of its own,
        string xml = ServerDomain
            .Replace("<currentMemory unit='KiB'>4194304</currentMemory>", "<currentMemory unit='KiB'>1048576</currentMemory>\n  <blkiotune>\n    <weight>300</weight>\n  </blkiotune>", StringComparison.Ordinal)
            .Replace("<source type='memfd'/>", "<hugepages>\n      <page size='1048576' unit='KiB'/>\n    </hugepages>\n    <source type='memfd'/>", StringComparison.Ordinal)
            .Replace("<target dev='vda' bus='virtio'/>", "<target dev='vda' bus='virtio'/>\n      <iotune>\n        <read_bytes_sec>1</read_bytes_sec>\n      </iotune>", StringComparison.Ordinal)
            .Replace("<source bridge='br0'/>", "<source bridge='br0'/>\n      <bandwidth>\n        <inbound average='1'/>\n      </bandwidth>", StringComparison.Ordinal);

        // and a declaration that names none of memory, disk_* or net_bandwidth
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2)], "db1"));
        string merged = DomainXml.Merge(xml, tuning);

        // Then none of those is drift, and the merge left them alone
        Assert.Empty(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(merged)));
        Assert.Contains("<page size='1048576' unit='KiB'/>", merged, StringComparison.Ordinal);
        Assert.Contains("<read_bytes_sec>1</read_bytes_sec>", merged, StringComparison.Ordinal);
        Assert.Contains("<inbound average='1'/>", merged, StringComparison.Ordinal);
        Assert.Contains("<weight>300</weight>", merged, StringComparison.Ordinal);
        Assert.Null(tuning.ToOwnedState()["memory"]);
    }

    [Fact]
    public void A_device_limit_is_checked_on_every_device_and_named_after_the_one_that_drifted()
    {
        // Given a domain with two data disks, throttled by kvmconfig
        string twoDisks = ServerDomain.Replace(
            "<disk type='file' device='cdrom'>",
            "<disk type='block' device='disk'>\n      <source dev='/dev/vg0/db1-data'/>\n      <target dev='vdb' bus='virtio'/>\n    </disk>\n    <disk type='file' device='cdrom'>",
            StringComparison.Ordinal);
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null, [PlannerTests.Auto("db1", 2) with { DiskReadBytesPerSec = 500_000_000 }], "db1"));
        string merged = DomainXml.Merge(twoDisks, tuning);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(merged, "<group_name>kvmconfig</group_name>"));

        // When one disk's limit is lifted by hand
        int vdb = merged.IndexOf("<target dev='vdb'", StringComparison.Ordinal);
        string edited = merged[..vdb] + merged[vdb..].Replace("<read_bytes_sec>500000000</read_bytes_sec>\n        ", "", StringComparison.Ordinal);

        // Then the drift names that disk, and only it
        Drift drift = Assert.Single(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(edited)));
        Assert.Equal(new Drift("disk vdb read_bytes_sec", "500000000", "none"), drift);
    }

    [Fact]
    public void A_device_limit_holds_on_a_domain_without_such_devices()
    {
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null,
            [PlannerTests.Auto("vm1", 2) with { DiskIops = 100, NetBandwidthBitsPerSec = 1_000_000 }], "vm1"));

        string merged = DomainXml.Merge(MinimalDomain, tuning);

        Assert.Empty(OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(merged)));
        Assert.DoesNotContain("iotune", merged, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_nobody_tuned_drifts_on_every_managed_field_it_lacks()
    {
        DomainTuning tuning = DomainTuning.From(Place("single-socket-smt", null,
            [PlannerTests.Explicit("vm1", "2-3", memoryMiB: 1024) with { CpuLimit = 1, Scheduling = new SchedulingPolicy(SchedulerClass.RoundRobin, 5) }], "vm1"));

        IReadOnlyList<Drift> drift = OwnedState.Drift(tuning.ToOwnedState(), DomainXml.ReadOwned(MinimalDomain));

        Assert.Equal(
            [
                "cpu topology: sockets=1 dies=1 cores=2 threads=1 / (absent)",
                "cputune global_quota: 1 CPU (100000/100000 us) / unlimited",
                "cputune shares: 100 / (absent)",
                "emulatorpin: 0,8 / any",
                "numatune memory: strict 0 / (absent)",
                "vcpu cpuset: 2-3 / any",
                "vcpupin 0: 2 / any",
                "vcpupin 1: 3 / any",
                "vcpusched 0: rr 5 / other",
                "vcpusched 1: rr 5 / other",
            ],
            drift.Select(d => $"{d.Field}: {d.Desired} / {d.Actual}"));
    }
}
