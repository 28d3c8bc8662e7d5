using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using Microsoft.Win32.SafeHandles;

namespace KvmConfig.Linux.Procfs;

/// <summary>
/// What <see cref="ProcessHandles.Read"/> gives for one QEMU process: what <see cref="ProcfsReader.ReadVcpuThreads"/>,
/// <see cref="ProcfsReader.ReadVmRssKiB"/>, <see cref="CgroupReader.ReadCpuStat"/> and <see cref="CgroupReader.ReadIo"/>
/// would give.
/// </summary>
/// <param name="Vcpus">The vCPU threads ordered by vCPU index (then thread id), each with its schedstat.</param>
/// <param name="RssKiB">Resident memory (<c>VmRSS</c>); null for a process without memory.</param>
/// <param name="CgroupCpu">The domain group's CPU bandwidth counters; null without a cgroup reader or cpu controller.</param>
/// <param name="Io">The domain group's I/O per host device; null without a cgroup reader or I/O controller.</param>
public readonly record struct ProcessReading(IReadOnlyList<VcpuThread> Vcpus, long? RssKiB, CgroupCpuStat? CgroupCpu, IReadOnlyList<CgroupIoDevice>? Io);

/// <summary>
/// Reads the per-process files of QEMU processes sweep after sweep through handles kept open: what
/// <see cref="ProcfsReader"/> and <see cref="CgroupReader"/> read, at a fraction of the system calls.
/// </summary>
/// <remarks>
/// <para>
/// procfs and cgroupfs make a file's text again at each read from offset 0, so a handle opened once serves every sweep
/// (one <c>pread</c> each) where opening by path costs a path walk, an open, an fstat and a close. Per process this keeps
/// a handle on each vCPU thread's <c>task/TID/schedstat</c>, on <c>status</c> and on the domain group's
/// <c>cpu.stat</c> and I/O files; the text is read into one reused buffer and parsed from the bytes
/// (<see cref="TaskSchedstat.Parse(ReadOnlySpan{byte})"/>, <see cref="ProcessRss.ParseStatusVmRssKiB(ReadOnlySpan{byte})"/>).
/// </para>
/// <para>
/// A handle is bound to the task it was opened for, not to its number: once the thread or process exits, a read fails
/// with ESRCH, even when the pid is in use again. So:
/// </para>
/// <list type="bullet">
/// <item>The task list (<c>PID/task</c>) is listed when the process is first read, then every
/// <see cref="RelistEvery"/>th read of it (the first time after fewer, by pid, to spread the listings over sweeps),
/// and at once when a vCPU's read fails (the thread exited: it is dropped).
/// vCPU hot-plug is rare and a new vCPU shows within that many sweeps; an unplugged one leaves at the next read. A new
/// thread's <c>comm</c> is read when it is first listed; a vCPU's name is kept (QEMU names a vCPU thread once), other
/// threads' names are read at two listings (a thread listed before QEMU named it still has the process's name), then
/// kept too.</item>
/// <item><c>PID/cgroup</c> is read again at each listing, and the group's files reopened when the group changed.</item>
/// <item>A failed read of <c>status</c> means the process exited (or the pid is another process's now): its handles are
/// closed and it is read once more from scratch, which fails as <see cref="ProcfsReader"/> does when it is gone.</item>
/// </list>
/// <para>
/// Handles of processes no longer read are closed by sweep: a sweep reads each process once, so reading a pid a second
/// time starts a new sweep, and the processes the sweep that ended did not read are closed then. A process that stops is
/// closed within two sweeps that read any process; <see cref="Dispose"/> closes the rest.
/// </para>
/// <para>
/// Errors are those of <see cref="ProcfsReader"/> and <see cref="CgroupReader"/>: <see cref="KvmConfigException"/>
/// (<see cref="Rules.Unreadable"/>) naming the path for a file that cannot be read or is malformed, or the process's
/// files when it is gone. A process whose read throws is closed. Reads are serialised (one buffer).
/// </para>
/// </remarks>
/// <param name="procfs">The reader whose root the processes are under (and that lists tasks and reads comm and cgroup).</param>
/// <param name="cgroups">The cgroup mount; null to read no cgroup file.</param>
/// <param name="relistEvery">How many reads of a process between two listings of its tasks (1: every read).</param>
public sealed partial class ProcessHandles(ProcfsReader procfs, CgroupReader? cgroups = null, int relistEvery = ProcessHandles.DefaultRelistEvery) : IDisposable
{
    /// <summary>The default of <see cref="RelistEvery"/>: a hot-plugged vCPU shows within 10 sweeps.</summary>
    public const int DefaultRelistEvery = 10;

    /// <summary>errno values of a read on a handle whose task exited (ESRCH) or whose cgroup was removed (ENODEV).</summary>
    private const int Esrch = 3;
    private const int Enodev = 19;

    private readonly Dictionary<int, Tracked> _processes = [];
    private readonly HashSet<int> _sweep = [];
    private readonly Lock _lock = new();

    // Large enough for status on a many-CPU host (its Cpus_allowed lines grow with the CPU count); doubled when full.
    private byte[] _buffer = new byte[8192];
    private bool _disposed;

    /// <summary>How many reads of a process between two listings of its tasks.</summary>
    public int RelistEvery { get; } = relistEvery >= 1
        ? relistEvery
        : throw new ArgumentOutOfRangeException(nameof(relistEvery), relistEvery, "at least 1 (list at every read)");

    /// <summary>The handles open now, over all processes (for tests and diagnostics).</summary>
    public int OpenHandles
    {
        get
        {
            lock (_lock)
            {
                return _processes.Values.Sum(p => p.HandleCount);
            }
        }
    }

    /// <summary>Whether handles of process <paramref name="pid"/> are open.</summary>
    public bool Tracks(int pid)
    {
        lock (_lock)
        {
            return _processes.ContainsKey(pid);
        }
    }

    /// <summary>
    /// The vCPU threads, RSS and cgroup counters of process <paramref name="pid"/>. Throws
    /// <see cref="KvmConfigException"/> when the process does not exist or a file is unreadable or malformed.
    /// </summary>
    public ProcessReading Read(int pid)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            StartSweepIfRepeat(pid);
            try
            {
                if (ReadTracked(Track(pid)) is { } reading)
                {
                    return reading;
                }

                // status is gone under its handle: the process exited, or the pid is another process's now.
                Close(pid);
                return ReadTracked(Track(pid))
                    ?? throw LinuxErrors.Missing(PidPath(pid, "status"));
            }
            catch (KvmConfigException)
            {
                Close(pid);
                throw;
            }
        }
    }

    /// <summary>Closes every handle; reads after this throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            foreach (Tracked process in _processes.Values)
            {
                process.Dispose();
            }

            _processes.Clear();
            _sweep.Clear();
            _disposed = true;
        }
    }

    // ---- Sweeps ----------------------------------------------------------------------------------------------

    /// <summary>A pid read twice starts a new sweep: the processes the ended one did not read are closed.</summary>
    private void StartSweepIfRepeat(int pid)
    {
        if (_sweep.Add(pid))
        {
            return;
        }

        foreach (int stale in _processes.Keys.Where(p => !_sweep.Contains(p)).ToList())
        {
            Close(stale);
        }

        _sweep.Clear();
        _sweep.Add(pid);
    }

    private Tracked Track(int pid)
    {
        if (!_processes.TryGetValue(pid, out Tracked? process))
        {
            process = new Tracked(pid);
            _processes[pid] = process;
            Relist(process);

            // Processes opened in the same sweep (all of them, at the first) list their tasks in different later sweeps,
            // so that no one sweep pays for every listing.
            process.ReadsSinceListing = pid % RelistEvery;
            string status = PidPath(pid, "status");
            process.Status = OpenIfPresent(status) ?? throw LinuxErrors.Missing(status);
        }
        else if (process.ReadsSinceListing >= RelistEvery)
        {
            Relist(process);
        }

        return process;
    }

    private void Close(int pid)
    {
        if (_processes.Remove(pid, out Tracked? process))
        {
            process.Dispose();
        }
    }

    // ---- State per process -------------------------------------------------------------------------------------

    /// <summary>A vCPU thread: its index from its name, and its schedstat kept open.</summary>
    private sealed record Vcpu(int Index, int Tid, string SchedstatPath, SafeFileHandle Schedstat);

    private sealed class Tracked(int pid) : IDisposable
    {
        public int Pid { get; } = pid;

        /// <summary>Ordered by vCPU index, then thread id.</summary>
        public List<Vcpu> Vcpus { get; set; } = [];

        /// <summary>Listed threads that are not vCPUs, with how many listings read a name other than a vCPU's.</summary>
        public Dictionary<int, int> OtherThreads { get; set; } = [];

        public int ReadsSinceListing { get; set; }

        public SafeFileHandle? Status { get; set; }

        public CgroupStatFiles? CgroupFiles { get; set; }

        public SafeFileHandle? CpuStat { get; set; }

        public SafeFileHandle? Io { get; set; }

        public SafeFileHandle? IoOps { get; set; }

        public int HandleCount =>
            Vcpus.Count + (Status is null ? 0 : 1) + (CpuStat is null ? 0 : 1) + (Io is null ? 0 : 1) + (IoOps is null ? 0 : 1);

        public bool MissesCgroupFile =>
            CgroupFiles is { } files && ((files.CpuStat is not null && CpuStat is null) || (files.Io is not null && Io is null) || (files.IoOps is not null && IoOps is null));

        public void CloseCgroup()
        {
            CpuStat?.Dispose();
            Io?.Dispose();
            IoOps?.Dispose();
            (CpuStat, Io, IoOps) = (null, null, null);
        }

        public void Dispose()
        {
            foreach (Vcpu vcpu in Vcpus)
            {
                vcpu.Schedstat.Dispose();
            }

            Vcpus = [];
            Status?.Dispose();
            Status = null;
            CloseCgroup();
        }
    }
}
