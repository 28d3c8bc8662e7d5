using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// <see cref="ProcfsReader"/> on the captured procfs trees in <c>tests/data/procfs/</c> (see the README there), on
/// QEMU-like task trees built from them, and on this machine's <c>/proc</c> (ProcfsReaderTests.ThisHost.cs).
/// </summary>
public sealed partial class ProcfsReaderTests
{
    /// <summary>prometheus/procfs: processes 26231 (good) and 26233 (malformed schedstat), host files.</summary>
    private static readonly ProcfsReader Prometheus = new(TestData.Path("procfs", "prometheus-procfs"));

    /// <summary>node_exporter: host files only, including vmstat.</summary>
    private static readonly ProcfsReader NodeExporter = new(TestData.Path("procfs", "node-exporter"));

    [Fact]
    public void Default_root_is_proc()
    {
        Assert.Equal("/proc", new ProcfsReader().ProcRoot);
    }

    [Fact]
    public void Process_schedstat_of_the_capture()
    {
        Assert.Equal(new TaskSchedstat(411605849, 93680043, 79), Prometheus.ReadSchedstat(26231));
    }

    [Fact]
    public void Process_RSS_of_the_capture()
    {
        Assert.Equal(6716, Prometheus.ReadVmRssKiB(26231));
    }

    /// <summary>Rows: description, capture, pid whose namespace (null: the root's net/snmp), OutSegs, RetransSegs.</summary>
    [Fact]
    public void Smaps_of_the_captured_qemu_process_under_its_root()
    {
        var reader = new ProcfsReader(TestData.Path("procfs", "qemu72-tcg-smaps", "proc"));

        IReadOnlyList<SmapsMapping> mappings = reader.ReadSmaps(4541);

        Assert.Equal((344, 44068L), (mappings.Count, mappings.Sum(m => m.RssKiB)));
    }

    [Fact]
    public void Smaps_of_a_process_that_is_not_there_is_KVC093_naming_the_path()
    {
        var reader = new ProcfsReader(TestData.Path("procfs", "qemu72-tcg-smaps", "proc"));

        KvmConfig.Core.KvmConfigException e = Assert.Throws<KvmConfig.Core.KvmConfigException>(() => reader.ReadSmaps(1));

        Assert.Equal(KvmConfig.Core.Diagnostics.Rules.Unreadable, e.Descriptor);
        Assert.Contains(Path.Combine("qemu72-tcg-smaps", "proc", "1", "smaps"), e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, int?, ulong, ulong> SnmpCaptures => new()
    {
        { "a process's network namespace", "prometheus-procfs", 26231, 594855, 348 },
        { "the reader's namespace", "node-exporter", null, 54915039, 227 },
    };

    [Theory]
    [MemberData(nameof(SnmpCaptures))]
    public void Tcp_segments_of_the_captures(string description, string capture, int? pid, ulong outSegs, ulong retransSegs)
    {
        var reader = new ProcfsReader(TestData.Path("procfs", capture));

        TcpSegmentCounters counters = pid is int p ? reader.ReadTcpSegments(p) : reader.ReadTcpSegments();

        Assert.True(counters == new TcpSegmentCounters(outSegs, retransSegs), $"{description}: {counters}");
    }

    [Fact]
    public void Diskstats_of_the_captures()
    {
        Assert.Equal(52, Prometheus.ReadDiskStats().Count);
        Assert.Equal(1032546ul, NodeExporter.ReadDiskStats().Single(d => d.Name == "nvme0n1").WeightedIoTimeMs);
    }

    [Fact]
    public void Page_reclaim_of_the_node_exporter_capture()
    {
        Assert.Equal(new PageReclaimCounters(ScannedPages: 473303, StolenPages: 339439), NodeExporter.ReadPageReclaim());
    }

    /// <summary>Rows: description, capture, resource, some total us (null: no line), full total us.</summary>
    public static TheoryData<string, string, PressureResource, ulong?, ulong?> PressureCaptures => new()
    {
        { "cpu before 5.13 has only 'some'", "prometheus-procfs", PressureResource.Cpu, 15, null },
        { "memory", "prometheus-procfs", PressureResource.Memory, 15, 25 },
        { "io", "prometheus-procfs", PressureResource.Io, 15, 25 },
        { "cpu since 5.13 has a 'full' line, zero system-wide", "node-exporter", PressureResource.Cpu, 14036781, 0 },
        { "memory without any stall", "node-exporter", PressureResource.Memory, 0, 0 },
        { "io", "node-exporter", PressureResource.Io, 159886802, 159229614 },
    };

    [Theory]
    [MemberData(nameof(PressureCaptures))]
    public void Pressure_of_the_captures(string description, string capture, PressureResource resource, ulong? someUs, ulong? fullUs)
    {
        PressureStall? stall = new ProcfsReader(TestData.Path("procfs", capture)).ReadPressure(resource);

        Assert.NotNull(stall);
        Assert.True(stall.Some?.TotalUs == someUs && stall.Full?.TotalUs == fullUs, $"{description}: {stall}");
    }

    [Fact]
    public void Pressure_is_null_on_a_kernel_without_PSI()
    {
        // Given a proc root with no pressure/ directory (CONFIG_PSI off, or psi=0 on the command line)
        using var tree = new TempTree(Directory.CreateTempSubdirectory("kvmconfig-test-").FullName);

        Assert.Null(new ProcfsReader(tree.Dir).ReadPressure(PressureResource.Cpu));
    }

    // ---- QEMU-like task trees -----------------------------------------------------------------------------

    /// <summary>A process id for the QEMU trees built below.</summary>
    private const int QemuPid = 4242;

    /// <summary>
    /// Builds <c>4242/task/TID/{comm,schedstat}</c> in a temporary directory, as QEMU's threads look in procfs.
    /// Each schedstat is a captured file (<c>26231</c> good, <c>26233</c> malformed) or text; null leaves it out.
    /// </summary>
    private static TempTree QemuTree(params (int Tid, string Comm, string? Schedstat)[] tasks)
    {
        var tree = new TempTree(Directory.CreateTempSubdirectory("kvmconfig-test-").FullName);
        foreach ((int tid, string comm, string? schedstat) in tasks)
        {
            string dir = tree.Path(QemuPid.ToString(), "task", tid.ToString());
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "comm"), comm + "\n");
            if (schedstat is not null)
            {
                string text = schedstat is "26231" or "26233"
                    ? File.ReadAllText(TestData.Path("procfs", "prometheus-procfs", schedstat, "schedstat"))
                    : schedstat;
                File.WriteAllText(Path.Combine(dir, "schedstat"), text);
            }
        }

        return tree;
    }

    [Fact]
    public void Vcpu_threads_are_the_CPU_n_KVM_tasks_ordered_by_vcpu()
    {
        // Given a 2-vCPU KVM guest: main loop, vCPU 1 started before vCPU 0's thread id, an iothread, a vhost worker
        using TempTree tree = QemuTree(
            (4242, "qemu-system-x86", "999 0 1\n"),
            (4250, "CPU 1/KVM", "26231"),
            (4251, "CPU 0/KVM", "5000 600 7\n"),
            (4252, "IO iothread1", "26233"), // not a vCPU: its schedstat is not read, so its damage does not matter
            (4253, "vhost-4242", "1 1 1\n"));

        IReadOnlyList<VcpuThread> vcpus = new ProcfsReader(tree.Dir).ReadVcpuThreads(QemuPid);

        Assert.Equal(
            [new VcpuThread(0, 4251, new TaskSchedstat(5000, 600, 7)), new VcpuThread(1, 4250, new TaskSchedstat(411605849, 93680043, 79))],
            vcpus);
    }

    [Fact]
    public void Vcpu_threads_of_a_TCG_guest()
    {
        using TempTree tree = QemuTree((4242, "qemu-system-x86", "1 0 1\n"), (4243, "CPU 0/TCG", "26231"));

        VcpuThread vcpu = Assert.Single(new ProcfsReader(tree.Dir).ReadVcpuThreads(QemuPid));

        Assert.Equal((0, 4243), (vcpu.Vcpu, vcpu.Tid));
    }

    [Fact]
    public void A_vcpu_thread_that_exited_mid_sweep_is_left_out()
    {
        // Given vCPU 1's thread gone between listing the tasks and reading its schedstat (hot-unplug, shutdown)
        using TempTree tree = QemuTree((4243, "CPU 0/KVM", "26231"), (4244, "CPU 1/KVM", null));

        VcpuThread vcpu = Assert.Single(new ProcfsReader(tree.Dir).ReadVcpuThreads(QemuPid));

        Assert.Equal(0, vcpu.Vcpu);
    }

    [Fact]
    public void Task_comm_and_schedstat_are_read_by_thread()
    {
        using TempTree tree = QemuTree((4243, "CPU 0/KVM", "26231"));
        var reader = new ProcfsReader(tree.Dir);

        Assert.Equal([4243], reader.ListTasks(QemuPid));
        Assert.Equal("CPU 0/KVM", reader.ReadTaskComm(QemuPid, 4243));
        Assert.Equal(new TaskSchedstat(411605849, 93680043, 79), reader.ReadTaskSchedstat(QemuPid, 4243));
    }
}
