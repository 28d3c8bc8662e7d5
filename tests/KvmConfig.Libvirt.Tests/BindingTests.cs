using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// The binding against the real daemon of this machine (libvirt 9 + QEMU under TCG): every call kvmconfig makes, read
/// back through libvirt and, where virsh can say the same thing, through virsh too.
/// </summary>
public sealed class BindingTests
{
    public BindingTests() => LibvirtDaemon.Ensure();

    [Fact]
    public void Opens_the_system_daemon_and_reads_the_host()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();

        NodeSummary node = connection.NodeInfo();
        string capabilities = connection.Capabilities();

        Assert.Equal((uint)Environment.ProcessorCount, node.Cpus);
        Assert.True(node.MemoryKiB > 0);
        Assert.Contains("<topology>", capabilities, StringComparison.Ordinal);
        Assert.Equal(Environment.ProcessorCount, connection.HostCpuCount());
        Assert.True(connection.LibraryVersion() >= 9_000_000, $"libvirt {connection.LibraryVersion()}");
    }

    [Fact]
    public void The_host_read_through_libvirt_is_the_host_read_from_sys()
    {
        using LibvirtConnection connection = LibvirtConnection.Open(LibvirtDaemon.Uri, readOnly: true);

        HostTopology viaLibvirt = Capabilities.LibvirtHost.Read(connection);
        HostTopology viaSysfs = Linux.SysfsTopologyReader.ForHost().Read();

        Assert.Equal(viaSysfs.Online, viaLibvirt.Online);
        Assert.Equal(viaSysfs.Cores, viaLibvirt.Cores);
        Assert.Equal(viaSysfs.Nodes.Select(n => (n.Id, n.Cpus)), viaLibvirt.Nodes.Select(n => (n.Id, n.Cpus)));
        Assert.Equal(viaSysfs.Nodes.Select(n => n.MemTotalKiB), viaLibvirt.Nodes.Select(n => n.MemTotalKiB));
        Assert.All(viaLibvirt.Nodes, n => Assert.True(n.MemFreeKiB > 0, $"node{n.Id}: free memory comes from virNodeGetCellsFreeMemory"));
    }

    [Fact]
    public void A_read_only_connection_reads_but_libvirt_refuses_a_change()
    {
        using LibvirtConnection writer = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(writer, "ro");
        using LibvirtConnection reader = LibvirtConnection.Open(LibvirtDaemon.Uri, readOnly: true);

        using LibvirtDomain domain = reader.Lookup(vm.Name);
        Assert.Contains($"<name>{vm.Name}</name>", domain.Xml(inactive: true), StringComparison.Ordinal);
        LibvirtException refused = Assert.Throws<LibvirtException>(() => domain.PinVcpu(0, CpuSet.Of(0), DomainImpact.Config));

        Assert.Equal(LibvirtException.OperationDenied, refused.Code);
        Assert.Equal("virDomainPinVcpuFlags", refused.Operation);
        Assert.Equal(Rules.LibvirtError, refused.Descriptor);
    }

    [Fact]
    public void Free_pages_and_free_memory_per_cell()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();

        IReadOnlyDictionary<(int Cell, long SizeKiB), long> pages = connection.FreePages([0], [4, 2048]);
        IReadOnlyDictionary<int, long> memory = connection.CellsFreeMemoryBytes([0]);

        Assert.True(pages[(0, 4)] > 0, "ordinary 4 KiB pages are free on cell 0");
        Assert.True(pages[(0, 2048)] >= 0);
        Assert.True(memory[0] > 0);
    }

    [Fact]
    public void Lists_looks_up_and_defines_domains()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "list", vcpus: 1);

        IReadOnlyList<LibvirtDomain> all = connection.ListAllDomains();
        try
        {
            Assert.Contains(all, d => d.Name == vm.Name);
        }
        finally
        {
            foreach (LibvirtDomain d in all)
            {
                d.Dispose();
            }
        }

        using LibvirtDomain domain = connection.Lookup(vm.Name);
        Assert.Equal(DomainState.Shutoff, domain.State);
        Assert.False(domain.IsActive);
        Assert.True(domain.IsPersistent);
        Assert.Equal(1, domain.VcpuCount(DomainImpact.Config));
        Assert.Null(connection.TryLookup(LibvirtDaemon.NewName("absent")));
    }

    [Fact]
    public void An_unknown_domain_is_libvirts_no_domain_error_with_a_hint()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        string name = LibvirtDaemon.NewName("absent");

        LibvirtException error = Assert.Throws<LibvirtException>(() => connection.Lookup(name));

        Assert.Equal(LibvirtException.NoDomain, error.Code);
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains("virsh list --all", error.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not xml at all", LibvirtException.XmlDetail)]
    [InlineData("<domain type='qemu'><name>kvmct-bad</name><memory>64</memory><vcpu>0</vcpu><os><type>hvm</type></os></domain>", LibvirtException.XmlInvalidSchema)]
    public void Xml_that_libvirt_rejects_is_an_error_and_defines_nothing(string xml, int code)
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();

        LibvirtException error = Assert.Throws<LibvirtException>(() => connection.Define(xml));

        Assert.Equal(code, error.Code);
        Assert.Equal("virDomainDefineXMLFlags", error.Operation);
        Assert.Null(connection.TryLookup("kvmct-bad"));
    }

    [Fact]
    public void Connecting_to_a_socket_that_does_not_exist_is_unavailable_with_a_hint()
    {
        LibvirtException error = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("qemu:///system?socket=/nonexistent/libvirt-sock"));

        Assert.Equal(Rules.LibvirtUnavailable, error.Descriptor);
        Assert.Equal(LibvirtException.SystemError, error.Code);
        Assert.Contains("libvirtd running", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_host_that_does_not_answer_is_unavailable_with_a_hint_about_that_host()
    {
        // The .invalid top-level domain never resolves (RFC 2606); the ssh client runs and fails, without a prompt.
        LibvirtException error = Assert.Throws<LibvirtException>(() =>
            LibvirtConnection.Open("qemu+ssh://root@kvm1.invalid/system?no_tty=1&no_verify=1", readOnly: true));

        Assert.Equal(Rules.LibvirtUnavailable, error.Descriptor);
        Assert.StartsWith("kvm1.invalid did not answer", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_uri_that_does_not_parse_is_unavailable()
    {
        LibvirtException error = Assert.Throws<LibvirtException>(() => LibvirtConnection.Open("::not a uri::"));

        Assert.Equal(Rules.LibvirtUnavailable, error.Descriptor);
        Assert.NotEqual(0, error.Code);
    }

    [Fact]
    public void Persistent_pinning_is_written_and_read_back_and_virsh_agrees()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "pin-config");
        using LibvirtDomain domain = connection.Lookup(vm.Name);

        domain.PinVcpu(0, CpuSet.Of(1), DomainImpact.Config);
        domain.PinVcpu(1, CpuSet.Of(0), DomainImpact.Config);
        domain.PinEmulator(CpuSet.Of(0), DomainImpact.Config);

        Assert.Equal([CpuSet.Of(1), CpuSet.Of(0)], domain.VcpuPins(DomainImpact.Config));
        Assert.Equal(CpuSet.Of(0), domain.EmulatorPin(DomainImpact.Config));
        Assert.Contains("<vcpupin vcpu='0' cpuset='1'/>", domain.Xml(inactive: true), StringComparison.Ordinal);
        Assert.Equal(["0:1", "1:0"], VirshPins(vm.Name, "--config"));
    }

    [Fact]
    public void Live_pinning_scheduler_numa_and_stats_on_a_running_domain()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "live", start: true);
        using LibvirtDomain domain = connection.Lookup(vm.Name);
        Assert.True(domain.IsActive);

        domain.PinVcpu(0, CpuSet.Of(1), DomainImpact.Live);
        domain.PinEmulator(CpuSet.Of(1), DomainImpact.Live);
        domain.SetSchedulerParameters([TypedParameter.ULLong("cpu_shares", 512)], DomainImpact.Live);

        Assert.Equal(CpuSet.Of(1), domain.VcpuPins(DomainImpact.Live)[0]);
        Assert.Equal(CpuSet.Of(1), domain.EmulatorPin(DomainImpact.Live));
        Assert.Equal("0:1", VirshPins(vm.Name, "--live")[0]);
        (string scheduler, IReadOnlyList<TypedParameter> parameters) = domain.SchedulerParameters(DomainImpact.Live);
        Assert.Equal("posix", scheduler);
        Assert.Equal(512, parameters.Single(p => p.Name == "cpu_shares").AsInt64());
        Assert.Contains("cpu_shares     : 512", LibvirtDaemon.Virsh("schedinfo", vm.Name, "--live").Stdout, StringComparison.Ordinal);

        IReadOnlyList<TypedParameter> numa = domain.NumaParameters(DomainImpact.Live);
        Assert.Contains(numa, p => p.Name == "numa_mode");

        IReadOnlyList<DomainStats> stats = connection.AllDomainStats(DomainStatsGroups.State | DomainStatsGroups.Vcpu, activeOnly: true);
        DomainStats mine = Assert.Single(stats, s => s.Domain == vm.Name);
        Assert.Equal((long)DomainState.Running, mine["state.state"]!.AsInt64());
        Assert.NotNull(mine["vcpu.0.time"]);
        Assert.NotNull(mine["vcpu.1.delay"]);
    }

    [Fact]
    public void Listing_running_domains_and_their_statistics_names_only_what_was_asked_for()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain running = TestDomain.Create(connection, "list-on", vcpus: 1, start: true);
        using TestDomain stopped = TestDomain.Create(connection, "list-off", vcpus: 1);

        IReadOnlyList<LibvirtDomain> active = connection.ListAllDomains(activeOnly: true);
        try
        {
            Assert.Contains(active, d => d.Name == running.Name);
            Assert.DoesNotContain(active, d => d.Name == stopped.Name);

            // The statistics of one domain of the list, not of every domain
            LibvirtDomain mine = active.Single(d => d.Name == running.Name);
            DomainStats stats = Assert.Single(connection.DomainStats([mine], DomainStatsGroups.State));
            Assert.Equal(running.Name, stats.Domain);
            Assert.Equal((long)DomainState.Running, stats["state.state"]!.AsInt64());
            Assert.Empty(connection.DomainStats([], DomainStatsGroups.State));
        }
        finally
        {
            foreach (LibvirtDomain domain in active)
            {
                domain.Dispose();
            }
        }
    }

    [Fact]
    public void Memory_and_blkio_parameters_read_on_a_running_domain()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "tune", vcpus: 1, start: true);
        using LibvirtDomain domain = connection.Lookup(vm.Name);

        IReadOnlyList<TypedParameter> memory = domain.MemoryParameters(DomainImpact.Live);

        Assert.Contains(memory, p => p.Name == "hard_limit");
        Assert.True(domain.VcpuCount(DomainImpact.Live) == 1);
    }

    [Fact]
    public void Interface_parameters_read_and_set_on_a_running_domain()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "net", vcpus: 1, start: true,
            devices: "<interface type='ethernet'><model type='e1000'/></interface>");
        using LibvirtDomain domain = connection.Lookup(vm.Name);
        string device = System.Xml.Linq.XDocument.Parse(domain.Xml()).Root!.Element("devices")!.Element("interface")!.Element("target")!.Attribute("dev")!.Value;

        IReadOnlyList<TypedParameter> before = domain.InterfaceParameters(device, DomainImpact.Live);
        Assert.Equal(0, before.Single(p => p.Name == "inbound.average").AsInt64());

        // Shaping runs tc on the host; a kernel without the sfq qdisc (this build machine's) makes libvirt refuse,
        // and the refusal must come back as libvirt's error, not as a crash or a silent success.
        try
        {
            domain.SetInterfaceParameters(device, [TypedParameter.UInt("inbound.average", 1000), TypedParameter.UInt("outbound.average", 2000)], DomainImpact.Live);
            IReadOnlyList<TypedParameter> after = domain.InterfaceParameters(device, DomainImpact.Live);
            Assert.Equal(1000, after.Single(p => p.Name == "inbound.average").AsInt64());
            Assert.Equal(2000, after.Single(p => p.Name == "outbound.average").AsInt64());
        }
        catch (LibvirtException refused)
        {
            Assert.Equal("virDomainSetInterfaceParameters", refused.Operation);
            Assert.Contains("tc", refused.LibvirtMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    [Trait("Category", "Truth")]
    public void Bulk_vcpu_delay_is_run_queue_wait_and_grows_when_the_vcpus_cpu_is_contended()
    {
        // Given a guest whose only vCPU spins on CPU 1
        using var away = new AwayFromCpu(cpu: 1);
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using SpinningDomain spin = SpinningDomain.Start(connection, cpu: 1);

        // When it runs alone, then beside a busy loop pinned to the same CPU (each over a measured interval)
        double alone = DelayShare(connection, spin.Name);
        double contended;
        using (new BusyLoop(cpu: 1))
        {
            contended = DelayShare(connection, spin.Name);
        }

        // Then vcpu.0.delay (the thread's schedstat run_delay) takes a large share of the interval beside the loop,
        // far more than alone. (A truth test: scripts/test.sh runs it after the others, with CPU 1 otherwise idle.)
        Assert.True(contended > 25, $"contended: {contended:F1} % of wall time waiting (alone: {alone:F1} %)");
        Assert.True(contended > alone + 15, $"contended {contended:F1} % against alone {alone:F1} %");
    }

    // vcpu.0.delay advance over a 1.5 s interval as a percentage of that interval (the interval is what is measured,
    // not a wait for something to happen).
    private static double DelayShare(LibvirtConnection connection, string name)
    {
        static ulong Delay(LibvirtConnection c, string n) =>
            c.AllDomainStats(DomainStatsGroups.Vcpu, activeOnly: true).Single(s => s.Domain == n)["vcpu.0.delay"]!.AsUInt64();

        ulong before = Delay(connection, name);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromMilliseconds(1500));
        ulong after = Delay(connection, name);
        return (after - before) / (wall.Elapsed.TotalMilliseconds * 1e6) * 100;
    }

    // "virsh vcpupin NAME --config" prints " VCPU   CPU Affinity" then " 0      1" rows; kvmconfig never parses virsh
    // output itself, the tests use it as an independent witness.
    private static List<string> VirshPins(string name, string flag)
    {
        (int exit, string stdout, string stderr) = LibvirtDaemon.Virsh("vcpupin", name, flag);
        Assert.True(exit == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.Length > 0 && char.IsDigit(line[0]))
            .Select(line => string.Join(':', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
    }
}
