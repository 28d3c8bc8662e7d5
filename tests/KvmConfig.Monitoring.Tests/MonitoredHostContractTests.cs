using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// What the sweepers rely on of an <see cref="IMonitoredHost"/>, asserted once and run against both implementations:
/// the libvirt adapter (<see cref="LibvirtMonitoredHost"/>) on the real daemon, and <see cref="RecordedHost"/>, the
/// in-memory one the daemon-free sweeper tests use. The same world on each: a running domain with 2 vCPUs, 64 MiB, a
/// disk <c>vda</c> and a tap interface; a domain defined beside it and shut off; a name no domain has.
/// </summary>
public sealed class MonitoredHostContractTests
{
    public static TheoryData<string> Hosts => new() { "libvirt", "recorded" };

    [Theory]
    [MemberData(nameof(Hosts))]
    public void The_listing_holds_the_running_domains_in_ordinal_order(string kind)
    {
        using World world = World.Of(kind);

        IReadOnlyList<string> running = world.Host.RunningDomains();

        Assert.Contains(world.Running, running);
        Assert.DoesNotContain(world.ShutOff, running);
        Assert.Equal(running.Order(StringComparer.Ordinal), running);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void A_definition_has_the_memory_size_and_the_live_devices_and_an_unknown_name_has_none(string kind)
    {
        using World world = World.Of(kind);

        LiveDefinition? definition = world.Host.Definition(world.Running);

        Assert.NotNull(definition);
        Assert.Equal(65536, definition.MemoryKiB);
        DomainDevices devices = DomainDevices.FromXml(definition.Xml);
        Assert.Equal(["vda"], devices.Disks);
        Assert.Equal([new HostInterface(world.Tap, SwapsWithGuest: true)], devices.Interfaces);
        Assert.Null(world.Host.Definition(world.Missing));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void The_bulk_statistics_of_a_running_domain_are_decoded_and_a_shut_off_one_has_none(string kind)
    {
        using World world = World.Of(kind);

        IReadOnlyList<DomainStatistics> all = world.Host.RunningDomainStatistics();

        DomainStatistics mine = Assert.Single(all, s => s.Domain == world.Running);
        Assert.DoesNotContain(all, s => s.Domain == world.ShutOff);
        Assert.NotNull(mine.Id);
        Assert.Equal([0, 1], mine.Vcpus!.Select(v => v.Vcpu));
        Assert.Equal([0, 1], mine.Vcpus!.Select(v => v.Tid));
        Assert.All(mine.Vcpus!, v => Assert.Equal(0UL, v.Schedstat.Timeslices));
        Assert.Equal(0, mine.VcpusWithoutDelay);
        Assert.True(mine.RssKiB > 0, $"RSS {mine.RssKiB} KiB");
        Assert.Equal(65536, mine.GuestMemoryKiB);
        Assert.Equal("vda", Assert.Single(mine.Disks).Device);
        Assert.Equal(world.Tap, Assert.Single(mine.Interfaces).Device);
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Block_counters_come_for_the_running_domains_asked_for_only(string kind)
    {
        using World world = World.Of(kind);

        IReadOnlyDictionary<string, IReadOnlyList<BlockDeviceCounters>> disks =
            world.Host.BlockCounters([world.Running, world.ShutOff, world.Missing]);

        Assert.Equal([world.Running], disks.Keys);
        Assert.Equal("vda", Assert.Single(disks[world.Running]).Device);
        Assert.Empty(world.Host.BlockCounters([]));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void An_open_connection_has_no_close_reason_and_a_second_one_sees_the_same_host(string kind)
    {
        using World world = World.Of(kind);

        using IMonitoredHost another = world.Host.OpenAnother();

        Assert.Null(world.Host.ClosedReason);
        Assert.Null(another.ClosedReason);
        Assert.Equal(world.Host.Uri, another.Uri);
        Assert.Contains(world.Running, another.RunningDomains());
        Assert.Equal("vda", Assert.Single(another.BlockCounters([world.Running])[world.Running]).Device);
    }

    /// <summary>The world of the contract on one implementation; disposing it removes what it made.</summary>
    private sealed class World : IDisposable
    {
        private readonly Action _dispose;

        private World(IMonitoredHost host, string running, string shutOff, string tap, Action dispose)
        {
            Host = host;
            Running = running;
            ShutOff = shutOff;
            Tap = tap;
            _dispose = dispose;
        }

        public IMonitoredHost Host { get; }

        public string Running { get; }

        public string ShutOff { get; }

        public string Tap { get; }

        public string Missing { get; } = LibvirtDaemon.NewName("never-defined");

        public static World Of(string kind) => kind switch
        {
            "libvirt" => OnTheDaemon(),
            "recorded" => Recorded(),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "libvirt or recorded"),
        };

        public void Dispose()
        {
            Host.Dispose();
            _dispose();
        }

        // The recording the daemon-free tests use, with a shut-off domain beside it.
        private static World Recorded()
        {
            var host = RecordedHost.OfCapture();
            RecordedDomain off = RecordedCapture.ShutOff();
            host.Add(off);
            return new World(host, RecordedCapture.Name, off.Name, RecordedCapture.Tap, () => { });
        }

        // The same on the daemon: a blank raw disk (QEMU runs as libvirt-qemu: the image and its directory readable by
        // others) and a tap under a name of ours.
        private static World OnTheDaemon()
        {
            LibvirtDaemon.Ensure();
            string directory = Directory.CreateTempSubdirectory("kvmconfig-contract-").FullName;
            File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
            string image = Path.Combine(directory, "blank.img");
            using (FileStream file = File.Create(image))
            {
                file.SetLength(1 << 20);
            }

            File.SetUnixFileMode(image, (UnixFileMode)0b110_100_100);
            string tap = "kvct" + Guid.NewGuid().ToString("N")[..8];
            var made = new List<TestDomain>();
            try
            {
                using LibvirtConnection admin = LibvirtDaemon.Connect();
                made.Add(TestDomain.Create(admin, "contract", vcpus: 2, start: true, devices:
                    $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='vda' bus='virtio'/></disk>"
                    + $"<interface type='ethernet'><target dev='{tap}' managed='yes'/><model type='e1000'/></interface>"));
                made.Add(TestDomain.Create(admin, "contract-off", vcpus: 1));
                return new World(LibvirtMonitoredHost.Open(LibvirtDaemon.Uri), made[0].Name, made[1].Name, tap, RemoveAll);
            }
            catch
            {
                RemoveAll();
                throw;
            }

            void RemoveAll()
            {
                made.ForEach(d => d.Dispose());
                Directory.Delete(directory, recursive: true);
            }
        }
    }
}
