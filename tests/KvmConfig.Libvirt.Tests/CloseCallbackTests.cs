using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// <see cref="LibvirtEvents.OnClosed"/> firing for real: the daemon is stopped under an open connection. This stops the
/// shared libvirtd, so the test carries the "Serial" trait (scripts/test.sh runs it after the others, alone) and holds
/// <see cref="DaemonRestart"/>, which always starts the daemon again.
/// </summary>
[Trait("Category", "Serial")]
[Collection(DaemonRestart.Collection)]
public sealed class CloseCallbackTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopping_libvirtd_fires_the_close_callback_of_an_open_connection()
    {
        // Given a connection opened after the event loop started, watched by a close callback
        using DaemonRestart daemon = DaemonRestart.Acquire();
        LibvirtEvents.Start();
        using LibvirtConnection connection = LibvirtConnection.Open(LibvirtDaemon.Uri, readOnly: true);
        var closed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable registration = LibvirtEvents.OnClosed(connection, reason => closed.TrySetResult(reason));

        // When the daemon stops (SIGTERM)
        daemon.Stop();

        // Then the callback runs on libvirt's event loop, with a reason of the daemon's side: 0 error, 1 end of file
        // (the daemon closed its socket, the expected one), 2 keepalive timeout; never 3, a close by this client.
        Task fired = await Task.WhenAny(closed.Task, Task.Delay(Timeout));
        Assert.True(fired == closed.Task, $"no close callback within {Timeout.TotalSeconds:0} s of libvirtd's exit");
        int reason = await closed.Task;
        output.WriteLine($"close callback reason {reason}");
        Assert.True(reason is 0 or 1 or 2, $"close callback reason {reason}, expected 0 (error), 1 (end of file) or 2 (keepalive)");
    }
}

/// <summary>Restart tests run one at a time, after this assembly's parallel tests: each stops the shared daemon.</summary>
[CollectionDefinition(DaemonRestart.Collection, DisableParallelization = true)]
public sealed class DaemonRestartCollection;
