using KvmConfig.Core.Monitoring;

namespace KvmConfig.Linux.Procfs;

// Reading: a tracked process's figures through its open handles (vCPU schedstat, status, the group's counters).
public sealed partial class ProcessHandles
{
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
}
