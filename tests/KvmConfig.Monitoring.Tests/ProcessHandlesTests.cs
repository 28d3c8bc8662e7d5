using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux;
using KvmConfig.Linux.Procfs;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The kept-open reader of QEMU processes' files, sweep after sweep: on a small procfs and cgroup v2 tree of its own
/// (files rewritten in place, as procfs makes them again at each read), and on this process's own <c>/proc</c> with a
/// thread named as QEMU names a vCPU, to see a real exited thread's handle fail.
/// </summary>
public sealed class ProcessHandlesTests : IDisposable
{
    private const int Pid = 4242;
    private const int OtherPid = 4343;
    private const string Group = "/machine.slice/machine-qemu\\x2d1\\x2dweb1.scope/libvirt";
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("kvmconfig-handles-");

    private string Proc => Path.Combine(_root.FullName, "proc");

    private string Cgroup => Path.Combine(_root.FullName, "cgroup");

    [Fact]
    public void Values_follow_the_files_rewritten_between_sweeps_also_when_the_text_gets_shorter()
    {
        WriteProcess(Pid, ("CPU 0/KVM", "123456789 987654321 1000"), ("CPU 1/KVM", "300 40 3"), ("IO mon_iothread", "9 9 9"));
        WriteCgroup(Pid, "nr_periods 1021\nnr_throttled 17\nthrottled_usec 402117\n", "8:16 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n");
        using var handles = new ProcessHandles(new ProcfsReader(Proc), new CgroupReader(Cgroup));
        ProcessReading first = handles.Read(Pid);

        // When: shorter text in the same files (File.WriteAllText truncates the same inode, which the handles keep).
        WriteFile(Pid, "task/1/schedstat", "5 6 7\n");
        WriteFile(Pid, "status", "VmRSS:\t  512 kB\n");
        File.WriteAllText(Path.Combine(GroupDirectory(Pid), "cpu.stat"), "nr_periods 2\nnr_throttled 1\nthrottled_usec 3\n");
        ProcessReading second = handles.Read(Pid);

        Assert.Equal([(0, 123456789UL, 987654321UL, 1000UL), (1, 300UL, 40UL, 3UL)], first.Vcpus.Select(v => (v.Vcpu, v.Schedstat.RunNs, v.Schedstat.WaitNs, v.Schedstat.Timeslices)));
        Assert.Equal([(0, 5UL, 6UL, 7UL), (1, 300UL, 40UL, 3UL)], second.Vcpus.Select(v => (v.Vcpu, v.Schedstat.RunNs, v.Schedstat.WaitNs, v.Schedstat.Timeslices)));
        Assert.Equal((2048L, 512L), (first.RssKiB, second.RssKiB));
        Assert.Equal((1021UL, 2UL), (first.CgroupCpu!.Value.Periods, second.CgroupCpu!.Value.Periods));
        Assert.Equal(new CgroupIoDevice(8, 16, 4096, 0, 1, 0), Assert.Single(second.Io!));
    }

    [Fact]
    public void A_thread_gone_from_the_task_list_is_dropped_at_the_next_listing()
    {
        WriteProcess(Pid, ("CPU 0/KVM", "100 20 1"), ("CPU 1/KVM", "300 40 3"));
        using var handles = new ProcessHandles(new ProcfsReader(Proc), relistEvery: 1);
        Assert.Equal(2, handles.Read(Pid).Vcpus.Count);

        // When: vCPU 1 unplugged (in this tree its handle still reads the unlinked file; in procfs the read fails at once).
        Directory.Delete(Path.Combine(Proc, $"{Pid}", "task", "2"), recursive: true);

        Assert.Equal([0], handles.Read(Pid).Vcpus.Select(v => v.Vcpu));
    }

    [Fact]
    public void A_new_vcpu_thread_shows_at_the_listing_every_n_reads()
    {
        // Given: listing every 3rd read; pid 4242 is a multiple of 3, so its first listing after the opening one comes
        // 3 reads later (other pids come earlier, to spread the listings over sweeps).
        WriteProcess(Pid, ("CPU 0/KVM", "100 20 1"));
        using var handles = new ProcessHandles(new ProcfsReader(Proc), relistEvery: 3);
        handles.Read(Pid);

        // When: vCPU 1 hot-plugged.
        WriteFile(Pid, "task/2/comm", "CPU 1/KVM\n");
        WriteFile(Pid, "task/2/schedstat", "300 40 3\n");

        Assert.Equal([[0], [0], [0, 1]], Enumerable.Range(0, 3).Select(_ => handles.Read(Pid).Vcpus.Select(v => v.Vcpu).ToArray()));
    }

    [Fact]
    public void A_vcpu_thread_that_exits_is_dropped_at_the_next_read_on_real_procfs()
    {
        // Given: a thread of this process named as QEMU names vCPU 7 (.NET sets the kernel's comm from Thread.Name).
        using var running = new ManualResetEventSlim();
        using var exit = new ManualResetEventSlim();
        var vcpu = new Thread(() =>
        {
            running.Set();
            exit.Wait();
        })
        { Name = "CPU 7/KVM", IsBackground = true };
        vcpu.Start();
        running.Wait();
        int self = Environment.ProcessId;
        using var handles = new ProcessHandles(new ProcfsReader(), relistEvery: int.MaxValue);
        VcpuThread before = Assert.Single(handles.Read(self).Vcpus);

        // When: the thread exits; its schedstat handle now fails with ESRCH, with no listing due.
        exit.Set();
        vcpu.Join();
        SpinWait.SpinUntil(() => !Directory.Exists($"/proc/{self}/task/{before.Tid}"), TimeSpan.FromSeconds(5));

        Assert.Equal(7, before.Vcpu);
        Assert.Empty(handles.Read(self).Vcpus);
    }

    [Fact]
    public void The_handles_of_a_process_not_read_in_a_sweep_are_closed_and_dispose_closes_the_rest()
    {
        // Handles per process: 2 vCPU schedstats, status, cpu.stat and io.stat.
        WriteProcess(Pid, ("CPU 0/KVM", "100 20 1"), ("CPU 1/KVM", "300 40 3"));
        WriteProcess(OtherPid, ("CPU 0/KVM", "100 20 1"), ("CPU 1/KVM", "300 40 3"));
        WriteCgroup(Pid, "nr_periods 1\nnr_throttled 0\nthrottled_usec 0\n", "");
        WriteCgroup(OtherPid, "nr_periods 1\nnr_throttled 0\nthrottled_usec 0\n", "");
        var handles = new ProcessHandles(new ProcfsReader(Proc), new CgroupReader(Cgroup));

        // When: a sweep reads both, the next only 4242 (4343's domain stopped), and a third starts.
        handles.Read(Pid);
        handles.Read(OtherPid);
        int bothOpen = handles.OpenHandles;
        handles.Read(Pid);
        bool otherAfterItsLastSweep = handles.Tracks(OtherPid);
        handles.Read(Pid);

        Assert.Equal(10, bothOpen);
        Assert.True(otherAfterItsLastSweep);
        Assert.False(handles.Tracks(OtherPid));
        Assert.Equal(5, handles.OpenHandles);
        handles.Dispose();
        Assert.Equal(0, handles.OpenHandles);
        Assert.Throws<ObjectDisposedException>(() => handles.Read(Pid));
    }

    [Fact]
    public void A_file_malformed_on_a_later_sweep_is_refused_with_its_path_and_the_process_closed()
    {
        WriteProcess(Pid, ("CPU 0/KVM", "100 20 1"));
        using var handles = new ProcessHandles(new ProcfsReader(Proc));
        handles.Read(Pid);

        WriteFile(Pid, "task/1/schedstat", "one two three\n");
        KvmConfigException schedstat = Assert.Throws<KvmConfigException>(() => handles.Read(Pid));
        bool tracked = handles.Tracks(Pid);
        WriteFile(Pid, "task/1/schedstat", "100 20 1\n");
        WriteFile(Pid, "status", "VmRSS:\t lots kB\n");
        KvmConfigException status = Assert.Throws<KvmConfigException>(() => handles.Read(Pid));

        Assert.Contains(Path.Combine(Proc, $"{Pid}", "task", "1", "schedstat") + ": field 1", schedstat.Message, StringComparison.Ordinal);
        Assert.False(tracked);
        Assert.Contains(Path.Combine(Proc, $"{Pid}", "status") + ": line 1", status.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_process_that_does_not_exist_is_refused_with_its_task_directory()
    {
        using var handles = new ProcessHandles(new ProcfsReader(Proc));

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => handles.Read(Pid));

        Assert.Contains(Path.Combine(Proc, $"{Pid}", "task"), e.Message, StringComparison.Ordinal);
        Assert.Equal(0, handles.OpenHandles);
    }

    public void Dispose() => _root.Delete(recursive: true);

    private void WriteProcess(int pid, params (string Comm, string Schedstat)[] threads)
    {
        WriteFile(pid, "status", "Name:\tqemu-system-x86\nVmRSS:\t    2048 kB\n");
        for (int i = 0; i < threads.Length; i++)
        {
            WriteFile(pid, $"task/{i + 1}/comm", threads[i].Comm + "\n");
            WriteFile(pid, $"task/{i + 1}/schedstat", threads[i].Schedstat + "\n");
        }
    }

    /// <summary>A cgroup v2 domain group (libvirt puts QEMU in its emulator child) with its cpu.stat and io.stat.</summary>
    private void WriteCgroup(int pid, string cpuStat, string ioStat)
    {
        WriteFile(pid, "cgroup", $"0::{Group}{pid}/emulator\n");
        string dir = GroupDirectory(pid);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cpu.stat"), cpuStat);
        File.WriteAllText(Path.Combine(dir, "io.stat"), ioStat);
    }

    private string GroupDirectory(int pid) => Path.Combine(Cgroup, $"{Group}{pid}".TrimStart('/'));

    private void WriteFile(int pid, string relative, string text)
    {
        string path = Path.Combine(Proc, $"{pid}", relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
