using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvmConfig.Libvirt.Interop;
using Native = KvmConfig.Libvirt.Interop.Libvirt;

namespace KvmConfig.Libvirt;

/// <summary>What happened to a domain (<c>virDomainEventType</c>).</summary>
public enum DomainEventKind
{
    /// <summary>A persistent definition was added or changed.</summary>
    Defined = 0,

    /// <summary>The persistent definition was removed.</summary>
    Undefined = 1,

    /// <summary>The domain started (boot, restore, migration in).</summary>
    Started = 2,

    /// <summary>The domain was paused.</summary>
    Suspended = 3,

    /// <summary>The domain was resumed.</summary>
    Resumed = 4,

    /// <summary>The domain stopped (shutdown, destroy, crash, migration out): its QEMU process is gone.</summary>
    Stopped = 5,

    /// <summary>The guest began or finished shutting down.</summary>
    Shutdown = 6,

    /// <summary>Suspended by guest power management.</summary>
    PmSuspended = 7,

    /// <summary>The guest crashed.</summary>
    Crashed = 8,
}

/// <summary>One lifecycle event.</summary>
/// <param name="Domain">Domain name.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Detail">libvirt's detail code for the kind (e.g. for Stopped: 0 shutdown, 1 destroyed, 2 crashed).</param>
public sealed record DomainEvent(string Domain, DomainEventKind Kind, int Detail);

/// <summary>
/// libvirt's event loop and the subscriptions kvmconfig uses: domain lifecycle events (so that a sampler refreshes its
/// domain list when one starts or stops, instead of polling libvirt) and the connection's close callback (so that a
/// long-running exporter notices a daemon restart and reconnects).
/// </summary>
/// <remarks>
/// libvirt delivers events from its own loop: <see cref="Start"/> installs the default implementation and runs it on
/// a background thread. It must run before the connections that subscribe are opened. Handlers run on that thread;
/// they must be quick and must not throw (an exception there is caught and dropped, never unwinds into libvirt).
/// </remarks>
public static class LibvirtEvents
{
    private static readonly Lazy<bool> Loop = new(StartLoop, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the event loop once per process.</summary>
    public static void Start() => _ = Loop.Value;

    /// <summary>
    /// Calls <paramref name="handler"/> for every lifecycle event of every domain on <paramref name="connection"/> until
    /// the returned registration is disposed.
    /// </summary>
    public static unsafe IDisposable OnLifecycle(LibvirtConnection connection, Action<DomainEvent> handler)
    {
        Start();
        GCHandle opaque = GCHandle.Alloc(handler);
        int id = Native.ConnectDomainEventRegisterAny(connection.Handle, IntPtr.Zero, Native.EventIdLifecycle,
            (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, IntPtr, int, int, IntPtr, int>)&Lifecycle, GCHandle.ToIntPtr(opaque),
            (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle);
        if (id < 0)
        {
            LibvirtException error = connection.Failure("virConnectDomainEventRegisterAny");
            opaque.Free();
            throw error;
        }

        // From here libvirt owns `opaque` and frees it through FreeHandle when the registration goes.
        return new Registration(() => Native.ConnectDomainEventDeregisterAny(connection.Handle, id));
    }

    /// <summary>
    /// Calls <paramref name="handler"/> with libvirt's reason (0 error, 1 end of file, 2 keepalive timeout, 3 client)
    /// when the connection to the daemon is lost, and has libvirt probe it every <paramref name="keepAliveSeconds"/>
    /// seconds (3 unanswered probes close it).
    /// </summary>
    public static unsafe IDisposable OnClosed(LibvirtConnection connection, Action<int> handler, int keepAliveSeconds = 5)
    {
        Start();
        GCHandle opaque = GCHandle.Alloc(handler);
        IntPtr callback = (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr, void>)&Closed;
        if (Native.ConnectRegisterCloseCallback(connection.Handle, callback, GCHandle.ToIntPtr(opaque),
                (IntPtr)(delegate* unmanaged[Cdecl]<IntPtr, void>)&FreeHandle) < 0)
        {
            LibvirtException error = connection.Failure("virConnectRegisterCloseCallback");
            opaque.Free();
            throw error;
        }

        // Local drivers without a daemon link (test:///) answer keepalive with "not supported": nothing to probe then.
        _ = Native.ConnectSetKeepAlive(connection.Handle, keepAliveSeconds, 3);
        Native.ResetLastError();
        return new Registration(() => Native.ConnectUnregisterCloseCallback(connection.Handle, callback));
    }

    private static bool StartLoop()
    {
        LibvirtLibrary.Ensure();
        if (Native.EventRegisterDefaultImpl() < 0)
        {
            throw LibvirtException.FromLastError("virEventRegisterDefaultImpl", null);
        }

        var thread = new Thread(() =>
        {
            while (Native.EventRunDefaultImpl() >= 0)
            {
            }
        })
        {
            IsBackground = true,
            Name = "libvirt events",
        };
        thread.Start();
        return true;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Lifecycle(IntPtr conn, IntPtr dom, int kind, int detail, IntPtr opaque)
    {
        try
        {
            string name = Marshal.PtrToStringUTF8(Native.DomainGetNameBorrowed(dom)) ?? "";
            ((Action<DomainEvent>)GCHandle.FromIntPtr(opaque).Target!)(new DomainEvent(name, (DomainEventKind)kind, detail));
        }
        catch (Exception)
        {
            // An exception must not unwind into libvirt's loop; a handler that fails loses this one event.
        }

        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Closed(IntPtr conn, int reason, IntPtr opaque)
    {
        try
        {
            ((Action<int>)GCHandle.FromIntPtr(opaque).Target!)(reason);
        }
        catch (Exception)
        {
            // As above: never into libvirt.
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeHandle(IntPtr opaque) => GCHandle.FromIntPtr(opaque).Free();

    private sealed class Registration(Func<int> release) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                _ = release();
            }
        }
    }
}
