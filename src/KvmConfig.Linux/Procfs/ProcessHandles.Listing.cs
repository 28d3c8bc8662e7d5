using KvmConfig.Core.Monitoring;
using static KvmConfig.Linux.KernelFiles;

namespace KvmConfig.Linux.Procfs;

// Listing: a process's tasks, which of them are vCPU threads, and its group's files.
public sealed partial class ProcessHandles
{
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
}
