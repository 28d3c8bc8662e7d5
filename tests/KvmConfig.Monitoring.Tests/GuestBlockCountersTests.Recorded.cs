using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

public sealed partial class GuestBlockCountersTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    // ---- on a recorded host (no daemon)

    [Fact]
    public void The_first_reading_is_waited_for_on_a_connection_of_its_own_and_holds_the_running_domains_asked_for()
    {
        // Given the recorded host, with a domain shut off beside the running one
        using var host = RecordedHost.OfCapture();
        host.Add(RecordedCapture.ShutOff());

        // When the reader is asked for both, and a name no domain has
        long before = LocalSampler.NowNs();
        GuestBlockCounters.Reading reading;
        using (var reader = new GuestBlockCounters(host.OpenAnother))
        {
            reading = reader.Next([RecordedCapture.Name, "kvmct-recorded-off", "kvmct-never-defined"]);
        }

        // Then the first call has the running domain's disks, stamped after they were read, on a second connection
        // that the reader closed when disposed
        Assert.Equal([RecordedCapture.Name], reading.Disks.Keys);
        Assert.Equal(RecordedCapture.Domain().Statistics.Disks, reading.Disks[RecordedCapture.Name]);
        Assert.InRange(reading.AtNs, before, LocalSampler.NowNs());
        Assert.Equal((1, 1), (host.Opened, host.Disposed));
    }

    [Fact]
    public async Task Asked_to_the_second_call_waits_for_its_own_reading_so_that_the_first_interval_has_disk_time()
    {
        // Given a reader of two waited requests (top --once) that has its first reading, then a libvirt whose block
        // counters hang for a moment
        using var host = RecordedHost.OfCapture();
        using var reader = new GuestBlockCounters(host.OpenAnother, waitedRequests: 2);
        GuestBlockCounters.Reading first = reader.Next([RecordedCapture.Name]);
        host.BlockGate.Reset();

        // When the second call is made, and libvirt answers only once it is waiting
        Task<GuestBlockCounters.Reading> second = Task.Run(() => reader.Next([RecordedCapture.Name]));
        Assert.True(SpinWait.SpinUntil(() => host.BlockReadsWaiting > 0, Deadline), "the reader never asked libvirt");
        Assert.False(second.IsCompleted, "the second call returned before its reading");
        host.BlockGate.Set();

        // Then it returns that new reading, later than the first: the two ends of an interval with disk time
        GuestBlockCounters.Reading answered = await second.WaitAsync(Deadline);
        Assert.NotSame(first, answered);
        Assert.True(answered.AtNs > first.AtNs, $"{answered.AtNs} after {first.AtNs}");
    }

    [Fact]
    public void A_later_call_returns_the_previous_requests_reading_without_waiting_for_its_own()
    {
        // Given a reader that has its first reading, then a libvirt whose block counters hang
        using var host = RecordedHost.OfCapture();
        host.Add(RecordedCapture.Domain() with { Name = "kvmct-recorded-second" });
        using var reader = new GuestBlockCounters(host.OpenAnother);
        GuestBlockCounters.Reading first = reader.Next([RecordedCapture.Name]);
        host.BlockGate.Reset();

        // When another domain is asked for
        GuestBlockCounters.Reading stale;
        try
        {
            stale = reader.Next(["kvmct-recorded-second"]);
        }
        finally
        {
            host.BlockGate.Set();
        }

        // Then the call returned at once with the previous reading, and the new one comes once libvirt answers
        Assert.Same(first, stale);
        Assert.True(SpinWait.SpinUntil(() => reader.Next(["kvmct-recorded-second"]).Disks.ContainsKey("kvmct-recorded-second"), Deadline));
    }

    [Fact]
    public void A_failed_reading_is_thrown_by_the_call_that_gets_it_and_the_reader_connects_again()
    {
        // Given a libvirt whose first block counter read fails
        using var host = RecordedHost.OfCapture();
        var failure = new KvmConfigException(Rules.LibvirtError, "virDomainListGetStats: Timed out during operation");
        host.FailNextBlockRead = failure;
        using var reader = new GuestBlockCounters(host.OpenAnother);

        // When the first reading is asked for, then asked for again
        KvmConfigException thrown = Assert.Throws<KvmConfigException>(() => reader.Next([RecordedCapture.Name]));

        // Then the failure is the one libvirt gave, its connection is dropped, and a new one gives the reading
        Assert.Same(failure, thrown);
        Assert.True(SpinWait.SpinUntil(() => Succeeds(reader), Deadline));
        Assert.Equal((2, 1), (host.Opened, host.Disposed));
    }

    private static bool Succeeds(GuestBlockCounters reader)
    {
        try
        {
            return reader.Next([RecordedCapture.Name]).Disks.Count == 1;
        }
        catch (KvmConfigException)
        {
            return false;
        }
    }
}
