using System.Text.RegularExpressions;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <see cref="LocalSweeper"/> without a daemon: libvirt's part from <see cref="RecordedHost"/>, the kernel's from the
/// procfs capture taken at the same moment (<c>tests/data/procfs/debian12-tcg-qemu</c>: the recorded domain's QEMU
/// process 28704, libvirt's pid file, and the host's counters), copied so that a test can restart the process.
/// </summary>
public sealed class LocalSweeperTests : IDisposable
{
    private readonly TempTree _tree = TestData.CopyToTemp(TestData.Path("procfs", "debian12-tcg-qemu"));
    private readonly RecordedHost _host = RecordedHost.OfCapture();
    private readonly ProcfsReader _procfs;
    private readonly LocalSampler _sampler;
    private readonly LocalSweeper _sweeper;

    public LocalSweeperTests()
    {
        _procfs = new ProcfsReader(Proc);
        _sampler = new LocalSampler(new QemuProcesses(Run), _procfs);
        _sweeper = new LocalSweeper(_host, _sampler, _procfs);
    }

    private string Proc => _tree.Path("proc");

    private string Run => _tree.Path("run-libvirt-qemu");

    [Fact]
    public void A_running_domain_is_read_from_proc_with_its_memory_size_and_devices_from_libvirt()
    {
        long before = LocalSampler.NowNs();
        SweepSample sweep = _sweeper.Sweep();

        // The vCPU threads ("CPU 0/TCG", "CPU 1/TCG"), VmRSS and the tap's counters are the kernel's; the memory size
        // and which devices it has are libvirt's, and the disk's counters come from libvirt's block reader
        DomainSample sample = Assert.Single(sweep.Domains);
        Assert.Equal(RecordedCapture.Name, sample.Domain);
        Assert.Equal(RecordedCapture.Pid, sample.Pid);
        Assert.Equal([(0, 273_609_123UL, 121_160_257UL), (1, 7_773_829UL, 15_383_076UL)],
            sample.Vcpus.Select(v => (v.Vcpu, v.Schedstat.RunNs, v.Schedstat.WaitNs)));
        Assert.Equal(45672, sample.RssKiB);
        Assert.Equal(65536, sample.GuestMemoryKiB);
        Assert.Equal([new InterfaceCounters(RecordedCapture.Tap, 90, 1, 0, 0, 0, 0)], sample.Interfaces);
        Assert.Equal(RecordedCapture.Domain().Statistics.Disks, sample.Disks);
        Assert.InRange(sample.DisksAtNs!.Value, before, LocalSampler.NowNs());
        Assert.Null(sample.CgroupCpu);

        // and the host's counters are the capture's
        Assert.Equal(new TcpSegmentCounters(2_657_054, 111), sweep.Host.Tcp);
        Assert.Equal(1_550_717_211UL, sweep.Host.Pressure[PressureResource.Cpu].Some!.Value.TotalUs);
    }

    [Fact]
    public void A_domains_definition_is_read_once_per_qemu_process_and_again_after_a_restart()
    {
        // Given two sweeps of the same process
        _sweeper.Sweep();
        _sweeper.Sweep();
        Assert.Equal([RecordedCapture.Name], _host.DefinitionsRead);

        // When the domain restarts under a new pid (its process directory and pid file move along)
        Directory.Move(Path.Combine(Proc, "28704"), Path.Combine(Proc, "28705"));
        File.WriteAllText(Path.Combine(Run, RecordedCapture.Name + ".pid"), "28705");
        DomainSample restarted = Assert.Single(_sweeper.Sweep().Domains);

        // Then its definition is read again, once
        Assert.Equal(28705, restarted.Pid);
        Assert.Equal([RecordedCapture.Name, RecordedCapture.Name], _host.DefinitionsRead);
    }

    [Fact]
    public void A_domain_gone_between_the_listing_and_its_definition_is_left_out_and_the_sweep_goes_on()
    {
        // Given a domain listed, then undefined before its definition is read (its pid file and process still there)
        _host.VanishAfterListing(RecordedCapture.Name);

        SweepSample sweep = _sweeper.Sweep();

        // Then the sweep has no domain, the host's counters all the same, and no block counters were asked for
        Assert.Empty(sweep.Domains);
        Assert.Equal([RecordedCapture.Name], _host.DefinitionsRead);
        Assert.NotNull(sweep.Host.Tcp);
        Assert.Equal(0, _host.BlockReads);
    }

    [Fact]
    public void A_listed_domain_without_a_qemu_process_here_is_left_out_without_asking_libvirt()
    {
        // Given a domain libvirt lists whose pid file is not here (it stopped since the listing, or runs elsewhere)
        RecordedDomain elsewhere = RecordedCapture.Domain() with { Name = "kvmct-recorded-elsewhere" };
        _host.Add(elsewhere);

        SweepSample sweep = _sweeper.Sweep();

        Assert.Equal([RecordedCapture.Name], sweep.Domains.Select(d => d.Domain));
        Assert.DoesNotContain(elsewhere.Name, _host.DefinitionsRead);
    }

    [Fact]
    public void A_domain_without_disks_costs_no_block_counter_read()
    {
        // Given the recorded domain with its disk taken out of its live XML
        RecordedDomain recorded = RecordedCapture.Domain();
        string withoutDisk = Regex.Replace(recorded.Definition.Xml, "<disk .*?</disk>", "", RegexOptions.Singleline);
        _host.Add(recorded with { Definition = recorded.Definition with { Xml = withoutDisk } });

        DomainSample sample = Assert.Single(_sweeper.Sweep().Domains);

        Assert.Empty(sample.Disks);
        Assert.Null(sample.DisksAtNs);
        Assert.Equal(0, _host.BlockReads);
        Assert.Single(sample.Interfaces);
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        _sampler.Dispose();
        _host.Dispose();
        _tree.Dispose();
    }
}
