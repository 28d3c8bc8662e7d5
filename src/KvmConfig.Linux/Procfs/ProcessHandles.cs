using System.Globalization;
using System.Text;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using Microsoft.Win32.SafeHandles;
using static KvmConfig.Linux.KernelFiles;

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
public sealed class ProcessHandles(ProcfsReader procfs, CgroupReader? cgroups = null, int relistEvery = ProcessHandles.DefaultRelistEvery) : IDisposable
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
                    ?? throw Missing(PidPath(pid, "status"));
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
            process.Status = OpenIfPresent(status) ?? throw Missing(status);
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

    // ---- Reading -----------------------------------------------------------------------------------------------

    /// <summary>The process's figures, or null when its status handle reads as gone.</summary>
    private ProcessReading? ReadTracked(Tracked process)
    {
        process.ReadsSinceListing++;
        if (ReadVcpus(process) is not { } vcpus)
        {
            // A vCPU thread exited: list again (which throws when the whole process is gone) and read the others.
            // Each failed read drops its thread, so this ends.
            Relist(process);
            while ((vcpus = ReadVcpus(process)) is null)
            {
            }
        }

        int length = ReadAt0(process.Status!, PidPath(process.Pid, "status"));
        if (length < 0)
        {
            return null;
        }

        long? rss = ParseBytes(PidPath(process.Pid, "status"), length, static b => ProcessRss.ParseStatusVmRssKiB(b));
        CgroupCpuStat? cpu = null;
        IReadOnlyList<CgroupIoDevice>? io = null;
        if (cgroups is not null)
        {
            (cpu, io) = ReadCgroup(process);
        }

        return new ProcessReading(vcpus, rss, cpu, io);
    }

    /// <summary>
    /// Every vCPU's schedstat; null when a thread's read failed as gone (it is dropped then, so the next call gives the
    /// others).
    /// </summary>
    private VcpuThread[]? ReadVcpus(Tracked process)
    {
        var vcpus = new VcpuThread[process.Vcpus.Count];
        for (int i = 0; i < vcpus.Length; i++)
        {
            Vcpu vcpu = process.Vcpus[i];
            int length = ReadAt0(vcpu.Schedstat, vcpu.SchedstatPath);
            if (length < 0)
            {
                vcpu.Schedstat.Dispose();
                process.Vcpus.RemoveAt(i);
                return null;
            }

            vcpus[i] = new VcpuThread(vcpu.Index, vcpu.Tid, ParseBytes(vcpu.SchedstatPath, length, static b => TaskSchedstat.Parse(b)));
        }

        return vcpus;
    }

    private (CgroupCpuStat? Cpu, IReadOnlyList<CgroupIoDevice>? Io) ReadCgroup(Tracked process)
    {
        // A file gone under its handle (the group removed, the process moved): resolve the group again, once.
        if (ReadCgroupFiles(process) is { } read)
        {
            return read;
        }

        process.CloseCgroup();
        process.CgroupFiles = cgroups!.StatFilesOf(procfs.ReadCgroup(process.Pid));
        OpenCgroup(process);
        return ReadCgroupFiles(process) ?? (null, null);
    }

    /// <summary>The group's counters, null for a file that does not exist; null as a whole when an open one read as gone.</summary>
    private (CgroupCpuStat?, IReadOnlyList<CgroupIoDevice>?)? ReadCgroupFiles(Tracked process)
    {
        CgroupStatFiles files = process.CgroupFiles!;
        CgroupCpuStat? cpu = null;
        if (process.CpuStat is { } cpuHandle)
        {
            if (ReadText(cpuHandle, files.CpuStat!) is not { } text)
            {
                return null;
            }

            cpu = CgroupReader.ParseCpuStat(files.CpuStat!, text);
        }

        IReadOnlyList<CgroupIoDevice>? io = null;
        if (process.Io is { } ioHandle && (files.IoOps is null || process.IoOps is not null))
        {
            if (ReadText(ioHandle, files.Io!) is not { } text)
            {
                return null;
            }

            string? ops = null;
            if (process.IoOps is { } opsHandle && (ops = ReadText(opsHandle, files.IoOps!)) is null)
            {
                return null;
            }

            io = CgroupReader.ParseIo(files, text, ops);
        }

        return (cpu, io);
    }

    // ---- Listing ---------------------------------------------------------------------------------------------

    /// <summary>
    /// Lists the process's tasks: known vCPU threads keep their handle, new threads named <c>CPU n/KVM</c> or
    /// <c>CPU n/TCG</c> get one, threads no longer listed are closed. Reads <c>PID/cgroup</c> again too.
    /// </summary>
    private void Relist(Tracked process)
    {
        IReadOnlyList<int> tids = procfs.ListTasks(process.Pid);
        Dictionary<int, Vcpu> known = process.Vcpus.ToDictionary(v => v.Tid);
        var vcpus = new List<Vcpu>(process.Vcpus.Count);
        var others = new Dictionary<int, int>();
        try
        {
            foreach (int tid in tids)
            {
                if (known.Remove(tid, out Vcpu? kept))
                {
                    vcpus.Add(kept);
                    continue;
                }

                // A thread named other than a vCPU at two listings is named for good (QEMU names a thread as it starts).
                int otherNames = process.OtherThreads.GetValueOrDefault(tid);
                if (otherNames >= 2)
                {
                    others[tid] = otherNames;
                    continue;
                }

                // Gone between the listing and here, or not a vCPU (emulator, I/O, worker threads): no handle.
                if (ReadIfPresent(TaskPath(process.Pid, tid, "comm")) is not string comm || QemuThreadName.VcpuIndex(comm) is not int index)
                {
                    others[tid] = otherNames + 1;
                    continue;
                }

                string path = TaskPath(process.Pid, tid, "schedstat");
                if (OpenIfPresent(path) is { } handle)
                {
                    vcpus.Add(new Vcpu(index, tid, path, handle));
                }
            }
        }
        finally
        {
            // The new list replaces the old even when a read throws, so that every open handle is on it.
            foreach (Vcpu left in known.Values)
            {
                left.Schedstat.Dispose();
            }

            vcpus.Sort((a, b) => a.Index != b.Index ? a.Index.CompareTo(b.Index) : a.Tid.CompareTo(b.Tid));
            process.Vcpus = vcpus;
            process.OtherThreads = others;
            process.ReadsSinceListing = 0;
        }

        if (cgroups is not null)
        {
            CgroupStatFiles files = cgroups.StatFilesOf(procfs.ReadCgroup(process.Pid));
            // Reopened too when a file was missing at the last listing (a controller enabled since).
            if (files != process.CgroupFiles || process.MissesCgroupFile)
            {
                process.CloseCgroup();
                process.CgroupFiles = files;
                OpenCgroup(process);
            }
        }
    }

    private static void OpenCgroup(Tracked process)
    {
        CgroupStatFiles files = process.CgroupFiles!;
        process.CpuStat = files.CpuStat is { } cpu ? OpenIfPresent(cpu) : null;
        process.Io = files.Io is { } io ? OpenIfPresent(io) : null;
        process.IoOps = files.IoOps is { } ops ? OpenIfPresent(ops) : null;
    }

    // ---- File access -------------------------------------------------------------------------------------------

    private string PidPath(int pid, string file) =>
        Path.Combine(procfs.ProcRoot, pid.ToString(CultureInfo.InvariantCulture), file);

    private string TaskPath(int pid, int tid, string file) =>
        Path.Combine(procfs.ProcRoot, pid.ToString(CultureInfo.InvariantCulture), "task", tid.ToString(CultureInfo.InvariantCulture), file);

    /// <summary>The file open for reading, or null when it (or its task or group) does not exist.</summary>
    private static SafeFileHandle? OpenIfPresent(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is IOException { HResult: Esrch })
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot read {path}: {e.Message}", path, inner: e);
        }
    }

    /// <summary>
    /// Reads the whole file from offset 0 into the buffer and gives its length, or -1 when the file's task or group is
    /// gone. procfs and cgroupfs give a file's whole text in one read when the buffer holds it (and so does a regular
    /// file in a test tree), so a read that fills the buffer is made again with one twice the size.
    /// </summary>
    private int ReadAt0(SafeFileHandle handle, string path)
    {
        while (true)
        {
            int length;
            try
            {
                length = RandomAccess.Read(handle, _buffer, 0);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException || e is IOException { HResult: Esrch or Enodev })
            {
                return -1;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new KvmConfigException(Rules.Unreadable, $"cannot read {path}: {e.Message}", path, inner: e);
            }

            if (length < _buffer.Length)
            {
                return length;
            }

            _buffer = new byte[_buffer.Length * 2];
        }
    }

    /// <summary>The file's text (cgroup files: parsed from strings), or null when it is gone.</summary>
    private string? ReadText(SafeFileHandle handle, string path) =>
        ReadAt0(handle, path) is int length and >= 0 ? Encoding.UTF8.GetString(_buffer, 0, length) : null;

    private delegate T SpanParser<T>(ReadOnlySpan<byte> utf8);

    /// <summary>
    /// <paramref name="parse"/> applied to the first <paramref name="length"/> bytes of the buffer; its complaint becomes
    /// <see cref="Rules.Unreadable"/> with the path before the parser's words, as <see cref="KernelFiles.Parse"/> does.
    /// </summary>
    private T ParseBytes<T>(string path, int length, SpanParser<T> parse)
    {
        try
        {
            return parse(_buffer.AsSpan(0, length));
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"{path}: {e.Message}", path, MalformedHint, e);
        }
    }

    private static KvmConfigException Missing(string path) =>
        new(Rules.Unreadable, $"{path} does not exist", path,
            "a per-process file disappears when its process or thread exits; a host file is missing only from an incomplete capture");

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
