using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt.Apply;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// CPU hot add on the real daemon: a running domain defined with one vCPU online of three takes a second one live
/// when the plan asks for two, pinned as the plan says, and keeps its maximum of three in the definition.
/// </summary>
[Collection("apply")]
public sealed class HotAddTests : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly string _journalRoot = Directory.CreateTempSubdirectory("kvmconfig-journal-").FullName;

    public HotAddTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
    }

    // Two vCPUs: vCPU 0 on CPU 1, vCPU 1 (the one added live) on CPU 0; the emulator on CPU 0.
    private static DomainTuning TwoVcpus() => new()
    {
        Vcpus = 2,
        VcpuPins = [CpuSet.Of(1), CpuSet.Of(0)],
        EmulatorCpus = CpuSet.Of(0),
    };

    [Fact]
    public void A_running_domain_takes_the_added_vcpu_live_pinned_and_keeps_its_maximum()
    {
        // Given a running domain with 1 of 3 vCPUs online (<vcpu current='1'>3</vcpu>)
        using TestDomain vm = TestDomain.Create(_connection, "hotadd", vcpus: 3, start: true, online: 1);
        using var port = new LibvirtApplyPort(_connection);
        DomainView view = port.Find(vm.Name)!;
        Assert.Single(view.Live!.VcpuPins);
        Assert.Equal(3, view.Live.VcpusMax);

        // When kvmconfig applies a plan of two vCPUs
        DomainChange change = DomainChange.Plan(view, TwoVcpus());
        Journal journal = Journal.Create(_journalRoot, LibvirtDaemon.Uri, DateTimeOffset.UtcNow, [view]);
        ApplyOutcome outcome = Applier.Apply(port, [change], journal);

        // Then the running guest has two vCPUs online, the added one pinned as planned, and its maximum is still 3
        Assert.True(outcome.Succeeded, outcome.Error?.Message);
        using LibvirtDomain domain = _connection.Lookup(vm.Name);
        Assert.Equal(2, domain.VcpuCount(DomainImpact.Live));
        Assert.Equal(3, domain.MaxVcpuCount(DomainImpact.Live));
        Assert.Equal([CpuSet.Of(1), CpuSet.Of(0)], domain.VcpuPins(DomainImpact.Live));
        string vcpucount = LibvirtDaemon.Virsh("vcpucount", vm.Name).Stdout;
        Assert.Matches(@"current\s+live\s+2", vcpucount);
        Assert.Matches(@"maximum\s+config\s+3", vcpucount);

        // And the definition boots with two of three, nothing about the count waits for a reboot, and status agrees
        Assert.Contains("current='2'>3</vcpu>", LibvirtDaemon.Virsh("dumpxml", "--inactive", vm.Name).Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(change.NextBoot, line => line.StartsWith("vcpus", StringComparison.Ordinal));
        VmStatus status = StatusReport.Compare(vm.Name, TwoVcpus(), new ObservedDomain(port.Find(vm.Name)!, "running"));
        Assert.True(status.InSync, string.Join("; ", status.Drift));

        // And a rollback restores the definition (one vCPU at boot); the added vCPU stays online until then, since
        // taking it away needs the guest's cooperation
        Assert.Empty(Applier.Restore(port, journal.Domains));
        Assert.Contains("current='1'>3</vcpu>", LibvirtDaemon.Virsh("dumpxml", "--inactive", vm.Name).Stdout, StringComparison.Ordinal);
        Assert.Equal(2, domain.VcpuCount(DomainImpact.Live));
    }

    [Fact]
    public void A_count_above_the_running_maximum_waits_for_the_next_boot()
    {
        // Given a running domain with 1 of 1 vCPUs online
        using TestDomain vm = TestDomain.Create(_connection, "nohotadd", vcpus: 1, start: true);
        using var port = new LibvirtApplyPort(_connection);

        // When the plan asks for two
        DomainChange change = DomainChange.Plan(port.Find(vm.Name)!, TwoVcpus());

        // Then nothing is hot added, and the new count and maximum are listed for the next boot
        Assert.DoesNotContain(change.Live, o => o is SetVcpus);
        Assert.Contains("vcpus: 1 -> 2", change.NextBoot);
        Assert.Contains("vcpus max: 1 -> 2", change.NextBoot);
    }

    public void Dispose()
    {
        _connection.Dispose();
        Directory.Delete(_journalRoot, recursive: true);
    }
}
