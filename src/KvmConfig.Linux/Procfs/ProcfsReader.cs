using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux.Procfs;

/// <summary>
/// Reads the procfs files behind the monitoring figures (DESIGN.md section 5) under a root directory (<c>/proc</c>
/// by default, a captured tree in tests), and hands their text to the pure parsers of
/// <see cref="KvmConfig.Core.Monitoring"/>.
/// </summary>
/// <remarks>
/// <para>
/// Per process (a QEMU pid from libvirt): <c>PID/task/TID/comm</c> tells vCPU threads (<c>CPU n/KVM</c>,
/// <c>CPU n/TCG</c>) from emulator and I/O threads, <c>PID/task/TID/schedstat</c> gives their run time and run-queue
/// wait (CPU ready), <c>PID/status</c> and <c>PID/smaps_rollup</c> the resident memory, <c>PID/smaps</c> each
/// mapping's (to tell guest RAM from QEMU's own memory). Per host: <c>net/snmp</c> (TCP segments), <c>diskstats</c>,
/// <c>vmstat</c> (page reclaim), <c>pressure/{cpu,memory,io}</c>.
/// </para>
/// <para>
/// Failures are <see cref="KvmConfigException"/> with <see cref="Rules.Unreadable"/> (KVC093), naming the path: a
/// file that cannot be read, one that is missing (for a per-process file: the process has exited), and one whose
/// content the kernel would not write (the parser's complaint follows the path). Only the pressure files may be
/// absent (a kernel without PSI, or booted with <c>psi=0</c>): <see cref="ReadPressure"/> returns null then.
/// </para>
/// <para>
/// Every read opens, reads and closes the file (procfs builds the text at each read). A sampler that sweeps often
/// would keep one handle per schedstat file open across sweeps and re-read it from offset 0, which procfs
/// supports and which saves the path walk and the open; comm only needs reading again when the task list changes.
/// </para>
/// </remarks>
/// <param name="procRoot">The directory procfs is mounted on: <c>/proc</c>, or a captured tree.</param>
public sealed class ProcfsReader(string procRoot = "/proc")
{

    /// <summary>The directory procfs is mounted on.</summary>
    public string ProcRoot { get; } = procRoot;

    // ---- Per process and per thread ----------------------------------------------------------------------

    /// <summary>Whether process <paramref name="pid"/> exists (<c>PID</c> is a directory).</summary>
    public bool ProcessExists(int pid) => Directory.Exists(Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The thread ids of process <paramref name="pid"/> (<c>PID/task/*</c>), ascending.</summary>
    public IReadOnlyList<int> ListTasks(int pid)
    {
        string dir = PidPath(pid, "task");
        try
        {
            var tids = new List<int>();
            foreach (string entry in Directory.EnumerateFileSystemEntries(dir))
            {
                if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out int tid))
                {
                    tids.Add(tid);
                }
            }

            tids.Sort();
            return tids;
        }
        catch (DirectoryNotFoundException e)
        {
            throw LinuxErrors.NoProcess(dir, pid, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.CannotRead(dir, e);
        }
    }

    /// <summary>
    /// The scheduler counters of a process's main thread (<c>PID/schedstat</c>: the thread-group leader's own, not a
    /// sum over the process's threads; a vCPU's are under <see cref="ReadTaskSchedstat"/>).
    /// </summary>
    public TaskSchedstat ReadSchedstat(int pid) => ReadSchedstatFile(PidPath(pid, "schedstat"));

    /// <summary>One thread's scheduler counters (<c>PID/task/TID/schedstat</c>).</summary>
    public TaskSchedstat ReadTaskSchedstat(int pid, int tid) => ReadSchedstatFile(TaskPath(pid, tid, "schedstat"));

    /// <summary>One thread's name (<c>PID/task/TID/comm</c>) without its trailing newline.</summary>
    public string ReadTaskComm(int pid, int tid)
    {
        string path = TaskPath(pid, tid, "comm");
        return ReadRequired(path).TrimEnd('\n');
    }

    /// <summary>
    /// The vCPU threads of QEMU process <paramref name="pid"/> (threads named <c>CPU n/KVM</c> or <c>CPU n/TCG</c>),
    /// ordered by vCPU index, each with its schedstat. Threads that exit while being read are left out (a vCPU
    /// unplugged mid-sweep); other threads (emulator, I/O) are not vCPUs and are left out too. Throws
    /// <see cref="KvmConfigException"/> when the process does not exist or a file is unreadable or malformed.
    /// </summary>
    public IReadOnlyList<VcpuThread> ReadVcpuThreads(int pid)
    {
        var vcpus = new List<VcpuThread>();
        foreach (int tid in ListTasks(pid))
        {
            // comm is fixed once QEMU has named the thread: a long-running sampler would read it once per task.
            string commPath = TaskPath(pid, tid, "comm");
            if (ReadIfPresent(commPath) is not string comm || QemuThreadName.VcpuIndex(comm) is not int vcpu)
            {
                continue;
            }

            string schedstatPath = TaskPath(pid, tid, "schedstat");
            if (ReadIfPresent(schedstatPath) is string schedstat)
            {
                vcpus.Add(new VcpuThread(vcpu, tid, Parse(schedstatPath, schedstat, s => TaskSchedstat.Parse(s))));
            }
        }

        vcpus.Sort((a, b) => a.Vcpu != b.Vcpu ? a.Vcpu.CompareTo(b.Vcpu) : a.Tid.CompareTo(b.Tid));
        return vcpus;
    }

    /// <summary>
    /// A process's resident memory in KiB from <c>PID/status</c> (<c>VmRSS</c>); null for a process without memory
    /// (kernel thread, zombie).
    /// </summary>
    public long? ReadVmRssKiB(int pid)
    {
        string path = PidPath(pid, "status");
        return Parse(path, ReadRequired(path), ProcessRss.ParseStatusVmRssKiB);
    }

    /// <summary>
    /// A process's resident memory in KiB from <c>PID/smaps_rollup</c> (<c>Rss</c>, Linux 4.14+); null for a process
    /// without memory. Walks the page tables: costlier than <see cref="ReadVmRssKiB"/> on a large guest.
    /// </summary>
    public long? ReadSmapsRollupRssKiB(int pid)
    {
        string path = PidPath(pid, "smaps_rollup");
        return Parse(path, ReadRequired(path), ProcessRss.ParseSmapsRollupRssKiB);
    }

    /// <summary>
    /// Every mapping of process <paramref name="pid"/>'s address space (<c>PID/smaps</c>), in address order; empty for a
    /// process without memory. Walks the page tables of every mapping, guest RAM included: on a large guest it costs
    /// milliseconds, where <see cref="ReadVmRssKiB"/> costs microseconds.
    /// </summary>
    public IReadOnlyList<SmapsMapping> ReadSmaps(int pid)
    {
        string path = PidPath(pid, "smaps");
        return Parse(path, ReadRequired(path), Smaps.Parse);
    }

    /// <summary>The cgroups process <paramref name="pid"/> belongs to (<c>PID/cgroup</c>).</summary>
    public ProcessCgroup ReadCgroup(int pid)
    {
        string path = PidPath(pid, "cgroup");
        return Parse(path, ReadRequired(path), ProcessCgroup.Parse);
    }

    // ---- Per host ------------------------------------------------------------------------------------------

    /// <summary>Every network device's counters in the reader's namespace, as the host sees them (<c>net/dev</c>).</summary>
    public IReadOnlyDictionary<string, InterfaceCounters> ReadNetDev()
    {
        string path = Path.Combine(ProcRoot, "net", "dev");
        return Parse(path, ReadRequired(path), NetDev.Parse);
    }

    /// <summary>TCP segments sent and retransmitted in the reader's network namespace (<c>net/snmp</c>).</summary>
    public TcpSegmentCounters ReadTcpSegments() => ReadTcpSegmentsFile(Path.Combine(ProcRoot, "net", "snmp"));

    /// <summary>TCP segments sent and retransmitted in the network namespace of process <paramref name="pid"/>.</summary>
    public TcpSegmentCounters ReadTcpSegments(int pid) => ReadTcpSegmentsFile(PidPath(pid, Path.Combine("net", "snmp")));

    /// <summary>Every block device's counters (<c>diskstats</c>), in file order.</summary>
    public IReadOnlyList<DiskStats> ReadDiskStats()
    {
        string path = Path.Combine(ProcRoot, "diskstats");
        return Parse(path, ReadRequired(path), DiskStats.ParseAll);
    }

    /// <summary>Pages scanned and reclaimed since boot, all reclaimers summed (<c>vmstat</c>).</summary>
    public PageReclaimCounters ReadPageReclaim()
    {
        string path = Path.Combine(ProcRoot, "vmstat");
        return Parse(path, ReadRequired(path), PageReclaimCounters.Parse);
    }

    /// <summary>
    /// Pressure stall information for a resource (<c>pressure/cpu</c>, <c>/memory</c>, <c>/io</c>); null when the
    /// kernel has none (no <c>CONFIG_PSI</c>, or <c>psi=0</c>: the file does not exist).
    /// </summary>
    public PressureStall? ReadPressure(PressureResource resource)
    {
        string name = resource switch
        {
            PressureResource.Cpu => "cpu",
            PressureResource.Memory => "memory",
            PressureResource.Io => "io",
            _ => throw new ArgumentOutOfRangeException(nameof(resource), resource, "not a pressure resource"),
        };
        string path = Path.Combine(ProcRoot, "pressure", name);
        return ReadIfPresent(path) is string text ? Parse(path, text, PressureStall.Parse) : null;
    }

    // ---- Locks ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The processes holding a lock on the file with this device and inode (<c>locks</c>), waiters left out; empty when
    /// none holds one or the kernel has no <c>locks</c> file.
    /// </summary>
    public IReadOnlyList<int> LockHolders(uint devMajor, uint devMinor, ulong inode)
    {
        string path = Path.Combine(ProcRoot, "locks");
        return ReadIfPresent(path) is string text
            ? FileLockEntry.Parse(text).Where(l => !l.Waiting && l.DevMajor == devMajor && l.DevMinor == devMinor && l.Inode == inode).Select(l => l.Pid).Distinct().ToList()
            : [];
    }

    /// <summary>The command name of process <paramref name="pid"/> (<c>PID/comm</c>), or null when it has exited.</summary>
    public string? CommandName(int pid) => ReadIfPresent(PidPath(pid, "comm"))?.Trim();

    // ---- File access ---------------------------------------------------------------------------------------

    private string PidPath(int pid, string file) =>
        Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), file);

    private string TaskPath(int pid, int tid, string file) =>
        Path.Combine(ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "task", tid.ToString(CultureInfo.InvariantCulture), file);

    private static TaskSchedstat ReadSchedstatFile(string path) =>
        Parse(path, ReadRequired(path), text => TaskSchedstat.Parse(text));

    private static TcpSegmentCounters ReadTcpSegmentsFile(string path) =>
        Parse(path, ReadRequired(path), TcpSegmentCounters.Parse);

    /// <summary>The file's text; a missing file is <see cref="Rules.Unreadable"/> too.</summary>
    private static string ReadRequired(string path) =>
        ReadIfPresent(path)
        ?? throw LinuxErrors.Missing(path);

}
