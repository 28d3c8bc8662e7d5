using System.Collections.Concurrent;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>libvirt's event loop and lifecycle events from the real daemon.</summary>
public sealed class EventTests
{
    public EventTests()
    {
        LibvirtDaemon.Ensure();
        LibvirtEvents.Start();
    }

    [Fact]
    public void Starting_and_destroying_a_domain_arrive_as_lifecycle_events()
    {
        // Given a subscription to every domain's lifecycle (other tests define domains too: keep only ours)
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        var seen = new BlockingCollection<DomainEvent>();
        string? name = null;
        using IDisposable subscription = LibvirtEvents.OnLifecycle(connection, e =>
        {
            if (e.Domain == Volatile.Read(ref name))
            {
                seen.Add(e);
            }
        });

        // When a domain is defined, started and destroyed
        using TestDomain vm = TestDomain.Create(connection, "events");
        Volatile.Write(ref name, vm.Name);
        using (LibvirtDomain domain = connection.Lookup(vm.Name))
        {
            domain.Start();
            Assert.Equal(DomainEventKind.Started, Until(seen, DomainEventKind.Started).Kind);
            domain.Destroy();
        }

        // Then the stop arrives too, with libvirt's "destroyed" detail (1). (QEMU starts paused, so a Resumed event
        // comes along with Started; Until skips such companions.)
        DomainEvent stopped = Until(seen, DomainEventKind.Stopped);
        Assert.Equal(1, stopped.Detail);
    }

    [Fact]
    public void A_close_callback_registers_and_unregisters_on_a_daemon_connection()
    {
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        int closed = -1;

        IDisposable registration = LibvirtEvents.OnClosed(connection, reason => closed = reason);
        registration.Dispose();
        registration.Dispose();

        // The daemon stayed up, so the callback never ran; registering again after the release succeeds.
        using IDisposable again = LibvirtEvents.OnClosed(connection, reason => closed = reason);
        Assert.Equal(-1, closed);
        Assert.NotEmpty(connection.Capabilities());
    }

    // The first event of that kind, or a failure when none comes within 30 s: events arrive from libvirt's loop thread.
    private static DomainEvent Until(BlockingCollection<DomainEvent> seen, DomainEventKind kind)
    {
        while (seen.TryTake(out DomainEvent? e, TimeSpan.FromSeconds(30)))
        {
            if (e.Kind == kind)
            {
                return e;
            }
        }

        throw new TimeoutException($"no {kind} event within 30 s");
    }
}
