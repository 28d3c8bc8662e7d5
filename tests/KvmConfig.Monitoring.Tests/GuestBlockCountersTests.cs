using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The block counter reader on its own thread: the first reading is waited for, later calls get the previous request's
/// reading stamped with its own time, a failure reaches the caller, and disposing stops it.
/// </summary>
public sealed partial class GuestBlockCountersTests
{
    private const string Unreachable = "qemu:///system?socket=/nonexistent/libvirt-sock";

    [Fact]
    public void The_first_reading_is_waited_for_and_later_ones_are_newer()
    {
        LibvirtDaemon.Ensure();
        using LibvirtMonitoredHost host = LibvirtMonitoredHost.Open(LibvirtDaemon.Uri);
        using var reader = new GuestBlockCounters(host.OpenAnother);

        GuestBlockCounters.Reading first = reader.Next(["kvmct-no-such-domain"]);
        GuestBlockCounters.Reading later = WaitForNewer(reader, first);

        Assert.Empty(first.Disks);
        Assert.True(later.AtNs > first.AtNs, $"{later.AtNs} after {first.AtNs}");
    }

    [Fact]
    public void A_daemon_that_cannot_be_reached_fails_the_call_with_libvirts_error()
    {
        using var reader = new GuestBlockCounters(() => LibvirtMonitoredHost.Open(Unreachable));

        LibvirtException e = Assert.Throws<LibvirtException>(() => reader.Next(["vm"]));

        Assert.Equal(LibvirtException.SystemError, e.Code);
    }

    [Fact]
    public void A_first_reading_that_does_not_come_in_time_is_KVC095_with_a_hint()
    {
        // Given a connection that hangs, as one to a daemon whose QEMU monitors do not answer would
        using var release = new ManualResetEventSlim(false);
        using var reader = new GuestBlockCounters(() =>
        {
            release.Wait();
            throw new InvalidOperationException("released");
        }, TimeSpan.FromMilliseconds(200));

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => reader.Next(["vm"]));
        release.Set();

        Assert.Equal(Rules.LibvirtError, e.Descriptor);
        Assert.Equal("libvirt gave no block statistics within 0.2 s", e.Message);
        Assert.Contains("virsh domstats --block", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_reader_refuses_requests()
    {
        var reader = new GuestBlockCounters(() => LibvirtMonitoredHost.Open(Unreachable));
        reader.Dispose();
        reader.Dispose();

        Assert.Throws<ObjectDisposedException>(() => reader.Next(["vm"]));
    }

    private static GuestBlockCounters.Reading WaitForNewer(GuestBlockCounters reader, GuestBlockCounters.Reading than)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            GuestBlockCounters.Reading reading = reader.Next(["kvmct-no-such-domain"]);
            if (reading.AtNs > than.AtNs || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                return reading;
            }

            Thread.Sleep(20);   // the reader answers the request on its thread; the deadline bounds the wait
        }
    }
}
