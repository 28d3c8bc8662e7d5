using System.Diagnostics;
using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// The reader on this machine's real <c>/proc</c>: the test process's own threads stand in for a QEMU process.
/// Counters are compared between two readings taken around real work on the thread being measured; nothing waits
/// on a timer for the kernel to catch up.
/// </summary>
public sealed partial class ProcfsReaderTests
{
    private static readonly ProcfsReader Host = new();

    /// <summary>The kernel's id of the calling thread, from the <c>/proc/thread-self</c> link (<c>PID/task/TID</c>).</summary>
    private static int CurrentTid() =>
        int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").LinkTarget!), CultureInfo.InvariantCulture);

    /// <summary>Spins on the calling thread for <paramref name="cpuNs"/> of wall time: real CPU work, no sleeping.</summary>
    private static ulong Spin(long cpuNs)
    {
        ulong sum = 0;
        long end = Stopwatch.GetTimestamp() + cpuNs * Stopwatch.Frequency / 1_000_000_000;
        while (Stopwatch.GetTimestamp() < end)
        {
            for (uint i = 0; i < 10_000; i++)
            {
                sum += i * i;
            }
        }

        return sum;
    }

    [Fact]
    public void This_process_smaps_adds_up_to_its_smaps_rollup_and_grows_with_memory_it_touches()
    {
        // Given 64 MiB allocated and touched by this process between two readings
        int pid = Environment.ProcessId;
        long before = Host.ReadSmaps(pid).Sum(m => m.RssKiB);
        byte[] touched = GC.AllocateUninitializedArray<byte>(64 << 20, pinned: true);
        for (int i = 0; i < touched.Length; i += 4096)
        {
            touched[i] = 1;
        }

        IReadOnlyList<SmapsMapping> after = Host.ReadSmaps(pid);
        long rollup = Host.ReadSmapsRollupRssKiB(pid)!.Value;

        // Then the resident memory of the mappings grew by about the 64 MiB (the runtime moves a few MiB both ways), and
        // agrees with smaps_rollup read right after it within as much
        GC.KeepAlive(touched);
        Assert.InRange(after.Sum(m => m.RssKiB) - before, 60 * 1024, 96 * 1024);
        Assert.InRange(rollup, after.Sum(m => m.RssKiB) - (8 * 1024), after.Sum(m => m.RssKiB) + (8 * 1024));
    }

    [Fact]
    public void This_threads_schedstat_grows_with_its_own_work()
    {
        // Given this test's thread, read before and after 200 ms of spinning on it
        int pid = Environment.ProcessId;
        int tid = CurrentTid();
        TaskSchedstat before = Host.ReadTaskSchedstat(pid, tid);
        long start = Stopwatch.GetTimestamp();
        GC.KeepAlive(Spin(200_000_000));
        TaskSchedstat after = Host.ReadTaskSchedstat(pid, tid);
        long elapsedNs = (long)(Stopwatch.GetElapsedTime(start).Ticks * 100);

        // Then it ran for most of that time (the rest waiting on a busy machine), never more than the wall time
        // plus a scheduler tick of accounting lag
        Assert.True(after.RunNs > before.RunNs, $"run time did not grow: {before} -> {after}");
        Assert.True(after.Timeslices >= before.Timeslices);
        double usedPercent = Metrics.CpuUsedPercent(before, after, elapsedNs)!.Value;
        double readyPercent = Metrics.CpuReadyPercent(before, after, elapsedNs)!.Value;
        Assert.InRange(usedPercent, 1, 110);
        Assert.InRange(readyPercent, 0, 100);
        Assert.True(
            usedPercent + readyPercent > 50,
            $"a spinning thread is running or runnable the whole time: used {usedPercent:F1} % + ready {readyPercent:F1} % over {elapsedNs / 1e6:F0} ms");
    }

    [Fact]
    public void A_thread_named_like_a_QEMU_vcpu_is_found_and_its_counters_grow()
    {
        // Given a thread of this process named "CPU 7/KVM" (.NET sets the kernel's comm from Thread.Name) that spins
        // for 100 ms each time it is told to, and reports each round done
        using var go = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);
        bool stop = false;
        var vcpu = new Thread(() =>
        {
            done.Release();
            while (true)
            {
                go.Wait();
                if (Volatile.Read(ref stop))
                {
                    return;
                }

                GC.KeepAlive(Spin(100_000_000));
                done.Release();
            }
        })
        { Name = "CPU 7/KVM", IsBackground = true };
        vcpu.Start();
        done.Wait();

        try
        {
            // When the vCPU threads are read before and after one round of work
            VcpuThread first = Assert.Single(Host.ReadVcpuThreads(Environment.ProcessId));
            go.Release();
            done.Wait();
            VcpuThread second = Assert.Single(Host.ReadVcpuThreads(Environment.ProcessId));

            // Then it is vCPU 7, the same thread both times, and it ran in between
            Assert.Equal(7, first.Vcpu);
            Assert.Equal(first.Tid, second.Tid);
            Assert.Equal("CPU 7/KVM", Host.ReadTaskComm(Environment.ProcessId, first.Tid));
            Assert.True(second.Schedstat.RunNs > first.Schedstat.RunNs, $"{first.Schedstat} -> {second.Schedstat}");
            Assert.True(second.Schedstat.RunNs - first.Schedstat.RunNs > 10_000_000, $"100 ms of spinning ran for less than 10 ms: {first.Schedstat} -> {second.Schedstat}");
        }
        finally
        {
            Volatile.Write(ref stop, true);
            go.Release();
            vcpu.Join();
        }
    }

    [Fact]
    public void This_process_lists_its_own_thread_and_memory()
    {
        int pid = Environment.ProcessId;

        Assert.Contains(pid, Host.ListTasks(pid));
        Assert.Contains(CurrentTid(), Host.ListTasks(pid));
        // PID/schedstat is the main thread's own (not a sum over threads): it has run, if only to start the runtime
        Assert.True(Host.ReadSchedstat(pid).RunNs > 0);

        // A .NET test host is resident for at least a few MiB, and status and smaps_rollup agree on the order of it
        long vmRssKiB = Host.ReadVmRssKiB(pid)!.Value;
        long rollupKiB = Host.ReadSmapsRollupRssKiB(pid)!.Value;
        Assert.InRange(vmRssKiB, 4096, 64L * 1024 * 1024);
        Assert.InRange(rollupKiB, vmRssKiB / 2, vmRssKiB * 2);
    }

    [Fact]
    public void This_hosts_files_parse()
    {
        Assert.NotEmpty(Host.ReadDiskStats());
        _ = Host.ReadTcpSegments();
        _ = Host.ReadTcpSegments(Environment.ProcessId);
        PageReclaimCounters reclaim = Host.ReadPageReclaim();
        Assert.True(reclaim.StolenPages <= reclaim.ScannedPages, $"reclaim freed more pages than it scanned: {reclaim}");
        foreach (PressureResource resource in Enum.GetValues<PressureResource>())
        {
            // null on a kernel without PSI; otherwise cpu, memory and io all have a "some" line
            if (Host.ReadPressure(resource) is PressureStall stall)
            {
                Assert.NotNull(stall.Some);
            }
        }
    }
}
