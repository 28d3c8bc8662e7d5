using System.Runtime.InteropServices;

namespace KvmConfig.MonitorBench;

/// <summary>
/// Ctrl-C and SIGTERM as a cancellation: the signal only asks the harness to stop at its next step, so that its
/// <c>finally</c> blocks still remove the domains, end the child exporter and delete the temporary files.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    private Interrupt()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled when the harness is asked to stop.</summary>
    public CancellationToken Token => _source.Token;

    public static Interrupt Create() => new();

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _source.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _source.Cancel();
    }
}
