using System.Runtime.InteropServices;

namespace KvmConfig.MonitorBench.Interop;

/// <summary>The C library calls of the harness: the CPU time of this process and of the calling thread.</summary>
internal static partial class Libc
{
    /// <summary><c>RUSAGE_SELF</c>: every thread of the process (the GC's and the JIT's included).</summary>
    public const int RusageSelf = 0;

    /// <summary><c>RUSAGE_THREAD</c> (Linux 2.6.26+): the calling thread only.</summary>
    public const int RusageThread = 1;

    /// <summary><c>struct timeval</c> on x86-64 and arm64 Linux: two 64-bit fields.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TimeVal
    {
        public long Seconds;
        public long Microseconds;
    }

    /// <summary>
    /// <c>struct rusage</c>: user and system time, then 14 <c>long</c> counters (maxrss, page faults, context switches,
    /// ...) that the harness does not read. Linux fills the times from the scheduler's runtime, to the microsecond.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Rusage
    {
        public TimeVal UserTime;
        public TimeVal SystemTime;
        public fixed long Counters[14];
    }

    /// <summary><c>getrusage(2)</c>; returns 0, or -1 with errno set. The caller owns the struct (no memory to free).</summary>
    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    public static partial int GetRusage(int who, out Rusage usage);
}
