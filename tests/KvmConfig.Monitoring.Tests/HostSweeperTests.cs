using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The exporter's and <c>top</c>'s sweeper on a recorded host (no daemon): which source a URI gets, a connection
/// libvirt closed, and who disposes the connection. The same on the real daemon is in <see cref="RemoteSweeperTests"/>
/// and <c>ServeDaemonRestartTests</c>.
/// </summary>
public sealed class HostSweeperTests
{
    private const string RemoteUri = "qemu+ssh://kvm-recorded/system";

    [Fact]
    public void A_connection_libvirt_closed_fails_the_next_sweep_naming_the_uri_and_the_reason()
    {
        // Given a sweeper of a remote host that has swept once
        using var host = RecordedHost.OfCapture(RemoteUri);
        using var sweeper = new HostSweeper(host);
        Assert.Single(sweeper.Sweep().Domains);

        // When libvirt's close callback has said why the connection is gone
        host.Close("the daemon closed it (stopped or restarted)");

        // Then the next sweep fails with that, as "libvirt unavailable", before asking the host anything
        var e = Assert.Throws<KvmConfigException>(sweeper.Sweep);
        Assert.Equal(Rules.LibvirtUnavailable, e.Descriptor);
        Assert.Equal($"the connection to {RemoteUri} was closed: the daemon closed it (stopped or restarted)", e.Message);
    }

    [Fact]
    public void Proc_for_a_uri_naming_another_host_is_refused_before_anything_is_opened()
    {
        bool opened = false;

        var e = Assert.Throws<KvmConfigException>(() => HostSweeper.Connect(RemoteUri, SweepSource.Proc, uri =>
        {
            opened = true;
            return RecordedHost.OfCapture(uri);
        }));

        Assert.False(opened);
        Assert.Equal(Rules.LibvirtUnavailable, e.Descriptor);
        Assert.Equal($"the /proc source reads this host, and {RemoteUri} names another host", e.Message);
        Assert.Equal("use --source libvirt (or auto) for a remote host", e.Hint);
    }

    [Fact]
    public void A_remote_uri_is_swept_through_libvirt_which_names_the_domains_without_delay_and_the_host_goes_with_the_sweeper()
    {
        // Given a remote host whose daemon gives no vcpu.N.delay for the recorded domain
        RecordedDomain recorded = RecordedCapture.Domain();
        var host = new RecordedHost(RemoteUri, recorded with { Statistics = recorded.Statistics with { Vcpus = [], VcpusWithoutDelay = 2 } });

        // When it is connected with the default source, swept and disposed
        HostSweeper sweeper = HostSweeper.Connect(RemoteUri, SweepSource.Auto, _ => host);
        SweepSample sweep = sweeper.Sweep();
        sweeper.Dispose();

        // Then it was read through libvirt's bulk statistics, the domain is named for top's warning, and the connection
        // was closed with the sweeper
        Assert.Equal((SweepSource.Libvirt, RemoteUri), (sweeper.Source, sweeper.Uri));
        Assert.Empty(Assert.Single(sweep.Domains).Vcpus);
        Assert.Equal([RecordedCapture.Name], sweeper.DomainsWithoutDelay);
        Assert.Equal(1, host.Disposed);
    }
}
