using System.Globalization;
using System.Text;
using KvmConfig.Bench.Shared;

namespace KvmConfig.MonitorBench;

/// <summary>One vCPU thread of a synthetic QEMU process and how fast its schedstat counters move.</summary>
/// <param name="Vcpu">vCPU index (the <c>n</c> of <c>CPU n/KVM</c>).</param>
/// <param name="Tid">Thread id.</param>
/// <param name="RunShare">Run time per wall time (0-1: one CPU at most).</param>
/// <param name="WaitShare">Run-queue wait per wall time (CPU ready).</param>
/// <param name="SlicesPerSecond">Timeslices per second.</param>
/// <param name="StartRunNs">schedstat field 1 at time 0.</param>
internal sealed record SyntheticVcpu(int Vcpu, int Tid, double RunShare, double WaitShare, double SlicesPerSecond, ulong StartRunNs);

/// <summary>One synthetic domain.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="Pid">Its QEMU process.</param>
/// <param name="MemoryKiB">Guest memory.</param>
/// <param name="Vcpus">Its vCPU threads.</param>
/// <param name="Threads">All its threads, vCPUs included.</param>
/// <param name="Group">Its cgroup (<c>/machine/qemu-N-NAME.libvirt-qemu</c>), the process in <c>GROUP/emulator</c>.</param>
internal sealed record SyntheticDomain(string Name, int Pid, long MemoryKiB, IReadOnlyList<SyntheticVcpu> Vcpus, int Threads, string Group);

/// <summary>
/// A generated procfs tree of QEMU processes, for the parts that need more domains than this 2-CPU machine can run
/// (<c>synthetic</c>, <c>serve-memory</c>). Drawn from <c>Random(seed)</c>, so a seed always gives the same tree.
/// </summary>
/// <remarks>
/// <para>Layout under <see cref="Root"/>:</para>
/// <list type="bullet">
/// <item><c>run/NAME.pid</c>: the pid, as libvirt's QEMU driver writes it to <c>/run/libvirt/qemu</c>
/// (<see cref="RunRoot"/> is what <see cref="KvmConfig.Monitoring.Sweeping.QemuProcesses"/> takes);</item>
/// <item><c>proc/PID/status</c>: a QEMU 7.2 process's status on this machine's kernel (6.18), with its pid, thread count
/// and <c>VmRSS</c> filled in;</item>
/// <item><c>proc/PID/task/TID/comm</c> and <c>schedstat</c> for every thread. A KVM guest's QEMU has, besides one
/// <c>CPU n/KVM</c> thread per vCPU, its main loop and its RCU thread (both named <c>qemu-system-x86</c>), the monitor's
/// <c>IO mon_iothread</c>, and here in half the processes a <c>vhost-PID</c> worker (vhost-net, a user worker inside the
/// process since Linux 6.4), in a quarter an <c>IO iothread0</c>, and 0 to 4 <c>worker</c> threads of the block layer's
/// pool: 7 to 13 threads for 4 vCPUs;</item>
/// <item><c>proc/PID/cgroup</c> as libvirt leaves a QEMU process on this machine (cgroup v1, no systemd), and under
/// <see cref="CgroupRoot"/> the domain group's <c>cpu/machine/qemu-N-NAME.libvirt-qemu/cpu.stat</c> (CPU bandwidth
/// counters) and <c>blkio/.../blkio.throttle.io_service_bytes_recursive</c> and <c>io_serviced_recursive</c> (I/O to one
/// host device); these do not move;</item>
/// <item><c>proc/net/snmp</c>, <c>proc/vmstat</c>, <c>proc/pressure/{cpu,memory,io}</c>, <c>proc/diskstats</c>:
/// copied from this machine's <c>/proc</c> when the tree is made (the real size of each file on this kernel), from
/// <c>tests/data/procfs/node-exporter</c> where this machine has none. They do not move between sweeps;</item>
/// <item><c>domains.tsv</c>: each domain's name and guest memory in KiB (what libvirt would give the sweep).</item>
/// </list>
/// <para>
/// The vCPUs' schedstat files move with <see cref="Advance"/>: field 1 (run ns) grows by a share of the elapsed time
/// fixed per vCPU (its domain's load, 2 to 90 % of one CPU, times 0.6 to 1.4), field 2 (wait ns, CPU ready) by 0.1 to
/// 1.5 % of the elapsed time, field 3 by 50 to 2,000 timeslices a second. A guest's RSS is 95 to 100 % of its memory plus
/// 60 to 200 MiB of QEMU's own. That is a healthy host: a sampler whose interval is 2.5 times the rewrite period reads rates
/// off by up to 40 %, and even then no vCPU reaches the 5 % ready warning and no domain the 30 % memory overhead one,
/// so the exporter's log stays quiet instead of flapping.
/// </para>
/// </remarks>
internal sealed class SyntheticProcfs
{
    // Pids start here and each process gets a block of this many ids for its threads, as a kernel hands out ids to
    // a process that creates its threads right after it starts.
    private const int FirstPid = 20_000;
    private const int PidStride = 32;

    private static readonly long[] GuestMemoryMiB = [1024, 2048, 4096, 8192, 16384];

    private SyntheticProcfs(string root, IReadOnlyList<SyntheticDomain> domains)
    {
        Root = root;
        Domains = domains;
    }

    /// <summary>The tree's directory.</summary>
    public string Root { get; }

    /// <summary>What a <see cref="KvmConfig.Linux.Procfs.ProcfsReader"/> takes as its root.</summary>
    public string ProcRoot => Path.Combine(Root, "proc");

    /// <summary>What a <see cref="KvmConfig.Monitoring.Sweeping.QemuProcesses"/> takes as libvirt's state directory.</summary>
    public string RunRoot => Path.Combine(Root, "run");

    /// <summary>What a <see cref="KvmConfig.Linux.CgroupReader"/> takes as the cgroup mount.</summary>
    public string CgroupRoot => Path.Combine(Root, "cgroup");

    /// <summary>The domain list with memory sizes (name TAB KiB per line).</summary>
    public string Manifest => Path.Combine(Root, "domains.tsv");

    /// <summary>Every domain, in name order.</summary>
    public IReadOnlyList<SyntheticDomain> Domains { get; }

    /// <summary>Generates <paramref name="domains"/> QEMU processes of <paramref name="vcpus"/> vCPUs each under <paramref name="root"/>.</summary>
    public static SyntheticProcfs Create(string root, int domains, int vcpus, int seed)
    {
        if (vcpus > PidStride - 14)
        {
            throw new BenchFailure($"{vcpus} vCPUs do not fit the {PidStride} thread ids of a synthetic process");
        }

        var random = new Random(seed);
        var list = new List<SyntheticDomain>(domains);
        string proc = Path.Combine(root, "proc");
        string run = Path.Combine(root, "run");
        Directory.CreateDirectory(run);
        CopyHostFiles(proc);
        var manifest = new StringBuilder();
        for (int i = 0; i < domains; i++)
        {
            string name = $"kvmsyn-{i + 1:D3}";
            int pid = FirstPid + (i * PidStride);
            long memoryKiB = GuestMemoryMiB[random.Next(GuestMemoryMiB.Length)] * 1024;
            double load = 0.02 + (0.88 * random.NextDouble());

            // Thread names in thread id order: the main loop, RCU, the monitor, then the vCPUs as the guest's CPUs are
            // created, then whatever the process starts later.
            var threads = new List<string> { "qemu-system-x86", "qemu-system-x86", "IO mon_iothread" };
            int firstVcpuTid = pid + threads.Count;
            threads.AddRange(Enumerable.Range(0, vcpus).Select(v => $"CPU {v}/KVM"));
            if (random.NextDouble() < 0.5)
            {
                threads.Add($"vhost-{pid}");
            }

            if (random.NextDouble() < 0.25)
            {
                threads.Add("IO iothread0");
            }

            threads.AddRange(Enumerable.Repeat("worker", random.Next(0, 5)));

            var vcpuList = new List<SyntheticVcpu>(vcpus);
            for (int v = 0; v < vcpus; v++)
            {
                double runShare = Math.Min(1, load * (0.6 + (0.8 * random.NextDouble())));
                double waitShare = 0.001 + (0.014 * random.NextDouble());
                vcpuList.Add(new SyntheticVcpu(v, firstVcpuTid + v, runShare, waitShare, 50 + (1950 * random.NextDouble()),
                    (ulong)random.NextInt64(1_000_000_000, 1_000_000_000_000)));
            }

            string pidDir = Path.Combine(proc, pid.ToString(CultureInfo.InvariantCulture));
            for (int t = 0; t < threads.Count; t++)
            {
                string taskDir = Path.Combine(pidDir, "task", (pid + t).ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(taskDir);
                File.WriteAllText(Path.Combine(taskDir, "comm"), threads[t] + "\n");
                File.WriteAllText(Path.Combine(taskDir, "schedstat"), $"{random.NextInt64(1_000_000, 100_000_000_000)} {random.NextInt64(0, 1_000_000_000)} {random.Next(1, 100_000)}\n");
            }

            long rssKiB = (long)(memoryKiB * (0.95 + (0.05 * random.NextDouble()))) + random.Next(60 * 1024, 200 * 1024);
            File.WriteAllText(Path.Combine(pidDir, "status"), Status(pid, rssKiB, threads.Count));
            string group = $"/machine/qemu-{i + 1}-{name}.libvirt-qemu";
            File.WriteAllText(Path.Combine(pidDir, "cgroup"), Cgroup(group));
            string cpuGroup = Path.Combine(root, "cgroup", "cpu", group.TrimStart('/'));
            Directory.CreateDirectory(cpuGroup);
            long periods = random.NextInt64(0, 10_000_000);
            long throttled = periods / random.Next(10, 1000);
            File.WriteAllText(Path.Combine(cpuGroup, "cpu.stat"),
                string.Create(CultureInfo.InvariantCulture, $"nr_periods {periods}\nnr_throttled {throttled}\nthrottled_time {throttled * random.Next(100_000, 5_000_000)}\nnr_bursts 0\nburst_time 0\n"));
            string blkioGroup = Path.Combine(root, "cgroup", "blkio", group.TrimStart('/'));
            Directory.CreateDirectory(blkioGroup);
            long readOps = random.NextInt64(1_000, 10_000_000), writeOps = random.NextInt64(1_000, 10_000_000);
            File.WriteAllText(Path.Combine(blkioGroup, "blkio.throttle.io_service_bytes_recursive"), Blkio(readOps * 16_384, writeOps * 8_192));
            File.WriteAllText(Path.Combine(blkioGroup, "blkio.throttle.io_serviced_recursive"), Blkio(readOps, writeOps));
            File.WriteAllText(Path.Combine(run, name + ".pid"), pid.ToString(CultureInfo.InvariantCulture));
            manifest.Append(CultureInfo.InvariantCulture, $"{name}\t{memoryKiB}\n");
            list.Add(new SyntheticDomain(name, pid, memoryKiB, vcpuList, threads.Count, group));
        }

        File.WriteAllText(Path.Combine(root, "domains.tsv"), manifest.ToString());
        var tree = new SyntheticProcfs(root, list);
        tree.Advance(TimeSpan.Zero, atomic: false);
        return tree;
    }

    /// <summary>The domains of a tree's <c>domains.tsv</c>: name and guest memory in KiB.</summary>
    public static IReadOnlyList<(string Name, long MemoryKiB)> ReadManifest(string path) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t')).Select(f => (f[0], long.Parse(f[1], CultureInfo.InvariantCulture)))];

    /// <summary>
    /// Rewrites every vCPU's schedstat as it reads <paramref name="elapsed"/> after time 0. With <paramref name="atomic"/>
    /// each file is written beside and renamed over the old one, so that a reader in another process sees the old or the
    /// new line and never an empty file (procfs builds its text whole at each read); without it, the file is rewritten in
    /// place, which is cheaper and fine when nothing reads at the same time.
    /// </summary>
    public void Advance(TimeSpan elapsed, bool atomic)
    {
        double ns = elapsed.Ticks * 100.0;
        foreach (SyntheticDomain domain in Domains)
        {
            string tasks = Path.Combine(ProcRoot, domain.Pid.ToString(CultureInfo.InvariantCulture), "task");
            foreach (SyntheticVcpu vcpu in domain.Vcpus)
            {
                ulong run = vcpu.StartRunNs + (ulong)(vcpu.RunShare * ns);
                ulong wait = (vcpu.StartRunNs / 20) + (ulong)(vcpu.WaitShare * ns);
                ulong slices = (vcpu.StartRunNs / 1_000_000) + (ulong)(vcpu.SlicesPerSecond * ns / 1e9);
                string path = Path.Combine(tasks, vcpu.Tid.ToString(CultureInfo.InvariantCulture), "schedstat");
                string line = string.Create(CultureInfo.InvariantCulture, $"{run} {wait} {slices}\n");
                if (atomic)
                {
                    File.WriteAllText(path + ".new", line);
                    File.Move(path + ".new", path, overwrite: true);
                }
                else
                {
                    File.WriteAllText(path, line);
                }
            }
        }
    }

    // The host files the sweep reads (and diskstats, which it may read soon), from this machine when it has them.
    private static void CopyHostFiles(string proc)
    {
        string fallback = Path.Combine(BenchLibvirt.RepositoryRoot(), "tests", "data", "procfs", "node-exporter");
        foreach (string file in (string[])["net/snmp", "vmstat", "pressure/cpu", "pressure/memory", "pressure/io", "diskstats"])
        {
            string target = Path.Combine(proc, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            string source = File.Exists(Path.Combine("/proc", file)) ? Path.Combine("/proc", file) : Path.Combine(fallback, file);
            File.WriteAllText(target, File.ReadAllText(source));
        }
    }

    // /proc/PID/cgroup of a QEMU process libvirt 9.0 started on this machine (cgroup v1 without systemd): the cpu and
    // cpuset controllers put it in the emulator child of the domain's group, blkio, freezer and memory in the group.
    private static string Cgroup(string group) =>
        $"""
        9:name=systemd:/
        8:pids:/
        7:blkio:{group}
        6:freezer:{group}
        5:devices:/
        4:memory:{group}
        3:cpuset:{group}/emulator
        2:cpuacct:/
        1:cpu:{group}/emulator
        0::{group}/emulator

        """;

    // A v1 blkio.throttle.*_recursive file of a domain whose one image sits on the host's disk (254:0, vda here): one line
    // per operation kind and device, then the total over the devices.
    private static string Blkio(long read, long write) =>
        string.Create(CultureInfo.InvariantCulture, $"""
        254:0 Read {read}
        254:0 Write {write}
        254:0 Sync {write}
        254:0 Async {read}
        254:0 Discard 0
        254:0 Total {read + write}
        Total {read + write}

        """);

    // /proc/PID/status of a QEMU 7.2 process on this machine (Linux 6.18): every field in the kernel's order, with the
    // ones that differ between processes filled in. The sampler reads VmRSS; the rest is there because the parser has to
    // walk past it.
    private static string Status(int pid, long rssKiB, int threads) =>
        string.Create(CultureInfo.InvariantCulture, $"""
        Name:	qemu-system-x86
        Umask:	0002
        State:	S (sleeping)
        Tgid:	{pid}
        Ngid:	0
        Pid:	{pid}
        PPid:	1
        TracerPid:	0
        Uid:	999	999	999	999
        Gid:	994	994	994	994
        FDSize:	128
        Groups:	994 995 
        NStgid:	{pid}
        NSpid:	{pid}
        NSpgid:	{pid - 1}
        NSsid:	{pid - 1}
        Kthread:	0
        VmPeak:	{rssKiB + 1_500_000,8} kB
        VmSize:	{rssKiB + 1_400_000,8} kB
        VmLck:	       0 kB
        VmPin:	       0 kB
        VmHWM:	{rssKiB + 1024,8} kB
        VmRSS:	{rssKiB,8} kB
        RssAnon:	{rssKiB - 22_496,8} kB
        RssFile:	   22496 kB
        RssShmem:	       0 kB
        VmData:	{rssKiB + 1_100_000,8} kB
        VmStk:	     132 kB
        VmExe:	    5724 kB
        VmLib:	   14608 kB
        VmPTE:	{(rssKiB / 512) + 100,8} kB
        VmSwap:	       0 kB
        HugetlbPages:	       0 kB
        CoreDumping:	0
        THP_enabled:	1
        untag_mask:	0xffffffffffffffff
        Threads:	{threads}
        SigQ:	0/96551
        SigPnd:	0000000000000000
        ShdPnd:	0000000000000000
        SigBlk:	0000000010002240
        SigIgn:	0000000000001000
        SigCgt:	0000000100004043
        CapInh:	0000000000000000
        CapPrm:	0000000000000000
        CapEff:	0000000000000000
        CapBnd:	000001fffeffffff
        CapAmb:	0000000000000000
        NoNewPrivs:	1
        Seccomp:	2
        Seccomp_filters:	1
        Speculation_Store_Bypass:	thread vulnerable
        SpeculationIndirectBranch:	conditional enabled
        Cpus_allowed:	3
        Cpus_allowed_list:	0-1
        Mems_allowed:	00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000000,00000001
        Mems_allowed_list:	0
        voluntary_ctxt_switches:	{pid % 9973}
        nonvoluntary_ctxt_switches:	{pid % 997}

        """);
}
