using KvmConfig.Cli.Apply;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// One libvirt connection per run: a host read through <c>--connect</c> hands the same connection on to the domains
/// read and changed after it; a host read from sysfs opens one only when the domains are needed, once.
/// </summary>
public sealed class HostSessionTests
{
    private const string TestDriver = "test:///default";

    [Fact]
    public void A_host_read_through_libvirt_keeps_that_connection_for_the_domains()
    {
        var settings = new ApplyCommand.Settings { Connect = TestDriver };

        using HostSession session = HostSession.Open(settings, readOnly: false);
        LibvirtConnection domains = session.Libvirt(TestDriver);

        Assert.True(session.ReadThroughLibvirt);
        Assert.Equal(16, session.Host.OnlineCpuCount);   // the test driver's 2 cells of 8 CPUs, not this machine
        Assert.Same(domains, session.Libvirt(TestDriver));
        Assert.False(domains.ReadOnly);
    }

    [Fact]
    public void A_host_read_from_sysfs_opens_one_connection_when_the_domains_are_needed()
    {
        var settings = new ApplyCommand.Settings { SysRoot = TestData.Path("sysfs", "desktop-1s-20cpu"), DryRun = true };

        using HostSession session = HostSession.Open(settings, readOnly: true);
        LibvirtConnection first = session.Libvirt(TestDriver);

        Assert.False(session.ReadThroughLibvirt);
        Assert.Equal(20, session.Host.OnlineCpuCount);
        Assert.Same(first, session.Libvirt(TestDriver));
        Assert.True(first.ReadOnly);
    }
}
