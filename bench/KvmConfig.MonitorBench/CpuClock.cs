using System.Runtime.InteropServices;
using KvmConfig.MonitorBench.Interop;
using KvmConfig.Bench.Shared;

namespace KvmConfig.MonitorBench;

/// <summary>
/// CPU time (user + system) from <c>getrusage(2)</c>, to the microsecond. <see cref="System.Diagnostics.Process.TotalProcessorTime"/>
/// reads <c>/proc/self/stat</c> in 10 ms clock ticks, too coarse for a sweep of a few milliseconds.
/// </summary>
internal static class CpuClock
{
    /// <summary>CPU time used so far by every thread of this process: the measured code, the GC and the JIT.</summary>
    public static TimeSpan Process() => Read(Libc.RusageSelf);

    /// <summary>CPU time used so far by the calling thread alone.</summary>
    public static TimeSpan Thread() => Read(Libc.RusageThread);

    private static TimeSpan Read(int who)
    {
        if (Libc.GetRusage(who, out Libc.Rusage usage) != 0)
        {
            throw new BenchFailure($"getrusage({who}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        long us = (usage.UserTime.Seconds + usage.SystemTime.Seconds) * 1_000_000 + usage.UserTime.Microseconds + usage.SystemTime.Microseconds;
        return TimeSpan.FromMicroseconds(us);
    }
}
