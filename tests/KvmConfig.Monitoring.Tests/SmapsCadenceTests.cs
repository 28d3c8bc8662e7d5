using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.Sweeping;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <see cref="SmapsCadence"/>: smaps is read at a process's first sample, then again once the last reading is older than
/// the readings' cost together over the budget share, so that reading it takes at most that share of one CPU.
/// </summary>
public sealed class SmapsCadenceTests
{
    private const long Ms = 1_000_000;
    private static readonly QemuMemory Split = new(44068, 6144, 1);

    [Fact]
    public void A_process_never_read_is_due()
    {
        var cadence = new SmapsCadence();

        Assert.False(cadence.TryCurrent(4242, 65536, 0, out _));
    }

    [Fact]
    public void A_reading_that_took_1_ms_stays_current_100_ms_at_1_percent_and_is_then_due()
    {
        // Given one process whose smaps took 1 ms to read at t = 1 s
        var cadence = new SmapsCadence(budgetShare: 0.01);
        cadence.Read(4242, 65536, atNs: 1000 * Ms, tookNs: 1 * Ms, Split);

        // Then it is current until 100 ms later, with the split read, and due from then on
        Assert.True(cadence.TryCurrent(4242, 65536, (1000 + 99) * Ms, out QemuMemory? current));
        Assert.Equal(Split, current);
        Assert.False(cadence.TryCurrent(4242, 65536, (1000 + 100) * Ms, out _));
    }

    [Fact]
    public void Many_processes_space_each_others_readings_so_that_all_together_stay_within_the_budget()
    {
        // Given 200 processes whose smaps took 5 ms each, all read at t = 0
        var cadence = new SmapsCadence(budgetShare: 0.01);
        for (int pid = 1; pid <= 200; pid++)
        {
            cadence.Read(pid, 65536, atNs: 0, tookNs: 5 * Ms, Split);
        }

        // Then each is read again only after 200 x 5 ms / 1 % = 100 s: one second of reading in every hundred
        Assert.Equal(100_000 * Ms, cadence.SpacingNs);
        Assert.True(cadence.TryCurrent(7, 65536, 99_999 * Ms, out _));
        Assert.False(cadence.TryCurrent(7, 65536, 100_000 * Ms, out _));

        // and once 199 of them have stopped, the one left is read every 500 ms again
        cadence.Forget(pid => pid == 7);
        Assert.Equal(500 * Ms, cadence.SpacingNs);
        Assert.False(cadence.TryCurrent(7, 65536, 500 * Ms, out _));
    }

    [Fact]
    public void A_reading_for_another_guest_size_is_not_current()
    {
        var cadence = new SmapsCadence();
        cadence.Read(4242, 65536, atNs: 0, tookNs: 1 * Ms, Split);

        Assert.False(cadence.TryCurrent(4242, 131072, 1, out _));
    }

    [Fact]
    public void A_reading_that_identified_no_guest_ram_is_current_too_as_null()
    {
        var cadence = new SmapsCadence();
        cadence.Read(4242, 65536, atNs: 0, tookNs: 1 * Ms, memory: null);

        Assert.True(cadence.TryCurrent(4242, 65536, 1, out QemuMemory? memory));
        Assert.Null(memory);
    }

    [Fact]
    public void A_process_whose_smaps_cannot_be_read_is_not_tried_again_while_it_runs()
    {
        // Given a process whose smaps was refused (a user without ptrace access to QEMU)
        var cadence = new SmapsCadence();
        cadence.Unreadable(4242);

        // Then it is current, unknown, however long after, until it is forgotten as stopped
        Assert.True(cadence.TryCurrent(4242, 65536, long.MaxValue, out QemuMemory? memory));
        Assert.Null(memory);
        cadence.Forget(_ => false);
        Assert.False(cadence.TryCurrent(4242, 65536, 0, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-0.5)]
    [InlineData(1.5)]
    public void A_budget_outside_0_to_1_is_refused(double share)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SmapsCadence(share));
    }
}
