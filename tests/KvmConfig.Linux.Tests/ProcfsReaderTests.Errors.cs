using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// Files with unexpected formats, and missing ones: each is a <see cref="KvmConfigException"/> with
/// <see cref="Rules.Unreadable"/> (KVC093), the path in the message and in <see cref="KvmConfigException.Path"/>, and
/// the parser's complaint; never a raw <see cref="FormatException"/>.
/// </summary>
public sealed partial class ProcfsReaderTests
{
    /// <summary>The read throws KVC093 naming <paramref name="path"/> and saying <paramref name="saying"/>.</summary>
    private static KvmConfigException Unreadable(Action read, string path, string saying, string description = "")
    {
        KvmConfigException e = Assert.Throws<KvmConfigException>(read);
        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal("KVC093", e.Descriptor.Code);
        Assert.Equal(path, e.Path);
        Assert.True(
            e.Message.Contains(path, StringComparison.Ordinal) && e.Message.Contains(saying, StringComparison.Ordinal),
            $"{description}: expected the error to name {path} and say '{saying}', but it says\n  {e.Message}");
        return e;
    }

    [Fact]
    public void The_malformed_schedstat_of_the_capture_is_rejected_with_its_path()
    {
        KvmConfigException e = Unreadable(
            () => Prometheus.ReadSchedstat(26233),
            TestData.Path("procfs", "prometheus-procfs", "26233", "schedstat"),
            "expected one line 'run_ns wait_ns timeslices'");

        Assert.IsType<FormatException>(e.InnerException);
        Assert.Contains("compare it with the same file on a running host", e.Hint);
    }

    [Fact]
    public void A_vcpu_thread_with_a_malformed_schedstat_is_rejected_with_the_task_path()
    {
        using TempTree tree = QemuTree((4243, "CPU 0/KVM", "26231"), (4244, "CPU 1/KVM", "26233"));

        Unreadable(
            () => new ProcfsReader(tree.Dir).ReadVcpuThreads(QemuPid),
            tree.Path("4242", "task", "4244", "schedstat"),
            "8 lines: expected one line");
    }

    /// <summary>Rows: description, file under the root, its damaged text, what the error must say.</summary>
    public static TheoryData<string, string, string, string> DamagedHostFiles => new()
    {
        { "diskstats line with 15 fields", "diskstats", "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n", "line 1: 15 fields" },
        { "net/snmp without Tcp", "net/snmp", "Ip: Forwarding\nIp: 1\n", "no 'Tcp:' lines" },
        { "vmstat with a word for a counter", "vmstat", "pgscan_kswapd many\npgsteal_kswapd 1\n", "line 1 (pgscan_kswapd)" },
        { "pressure/cpu truncated", "pressure/cpu", "some avg10=0.00 avg60=0.00\n", "line 1: 3 fields" },
    };

    [Theory]
    [MemberData(nameof(DamagedHostFiles))]
    public void Damaged_host_files_are_rejected_with_their_path(string description, string file, string text, string saying)
    {
        using var tree = new TempTree(Directory.CreateTempSubdirectory("kvmconfig-test-").FullName);
        string path = tree.Path(file.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        var reader = new ProcfsReader(tree.Dir);

        Action read = file switch
        {
            "diskstats" => () => reader.ReadDiskStats(),
            "net/snmp" => () => reader.ReadTcpSegments(),
            "vmstat" => () => reader.ReadPageReclaim(),
            _ => () => reader.ReadPressure(PressureResource.Cpu),
        };

        Unreadable(read, path, saying, description);
    }

    [Fact]
    public void A_damaged_status_is_rejected_with_its_path()
    {
        using TempTree tree = QemuTree();
        string path = tree.Path("4242", "status");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "Name:\tqemu\nVmRSS:\t4 GB\n");

        Unreadable(() => new ProcfsReader(tree.Dir).ReadVmRssKiB(QemuPid), path, "line 2: expected 'VmRSS: N kB'");
    }

    [Fact]
    public void A_process_that_does_not_exist_is_named()
    {
        string dir = TestData.Path("procfs", "prometheus-procfs", "999999", "task");

        KvmConfigException e = Unreadable(() => Prometheus.ReadVcpuThreads(999999), dir, "no process 999999");

        Assert.Contains("take its pid again from libvirt", e.Hint);
    }

    /// <summary>Rows: description, read, file it needs (relative to the node_exporter capture).</summary>
    public static TheoryData<string, Func<ProcfsReader, object?>, string> MissingFiles => new()
    {
        { "schedstat of a process not in the capture", r => r.ReadSchedstat(1), "1/schedstat" },
        { "status of a process not in the capture", r => r.ReadVmRssKiB(1), "1/status" },
        { "smaps_rollup (the capture has none)", r => r.ReadSmapsRollupRssKiB(1), "1/smaps_rollup" },
        { "snmp of a process not in the capture", r => r.ReadTcpSegments(1), "1/net/snmp" },
    };

    [Theory]
    [MemberData(nameof(MissingFiles))]
    public void Missing_files_are_KVC093_with_their_path(string description, Func<ProcfsReader, object?> read, string file)
    {
        string path = Path.Combine([TestData.Path("procfs", "node-exporter"), .. file.Split('/')]);

        Unreadable(() => read(NodeExporter), path, "does not exist", description);
    }

    [Fact]
    public void Vmstat_missing_from_a_capture_is_KVC093()
    {
        Unreadable(() => Prometheus.ReadPageReclaim(), TestData.Path("procfs", "prometheus-procfs", "vmstat"), "does not exist");
    }
}
