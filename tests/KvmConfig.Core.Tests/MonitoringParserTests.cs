using KvmConfig.Core.Monitoring;
using KvmConfig.TestSupport;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The procfs parsers of <see cref="KvmConfig.Core.Monitoring"/>, on the captured files in <c>tests/data/procfs/</c>
/// (see the README there) and on single lines written after the kernel's format strings. Malformed input is a
/// <see cref="FormatException"/> that says what is wrong; the reader adds the path (ProcfsReaderTests).
/// </summary>
public sealed class MonitoringParserTests
{
    private static string Fixture(params string[] parts) => File.ReadAllText(TestData.Path(["procfs", .. parts]));

    /// <summary>The parse throws a <see cref="FormatException"/> whose message contains <paramref name="expected"/>.</summary>
    private static void Rejects<T>(string description, Func<T> parse, string expected)
    {
        FormatException e = Assert.Throws<FormatException>(() => parse());
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{description}: expected the error to say\n  {expected}\nbut it says\n  {e.Message}");
    }

    // ---- schedstat ----------------------------------------------------------------------------------------

    [Fact]
    public void Schedstat_of_the_prometheus_capture_is_run_wait_and_slices()
    {
        TaskSchedstat stat = TaskSchedstat.Parse(Fixture("prometheus-procfs", "26231", "schedstat"));

        Assert.Equal(new TaskSchedstat(RunNs: 411605849, WaitNs: 93680043, Timeslices: 79), stat);
    }

    [Fact]
    public void Schedstat_malformed_on_purpose_in_the_capture_is_rejected()
    {
        // Given 26233/schedstat, an ASCII-art cow saying "this is a malformed schedstat file"
        Rejects("the cow", () => TaskSchedstat.Parse(Fixture("prometheus-procfs", "26233", "schedstat")), "8 lines: expected one line 'run_ns wait_ns timeslices'");
    }

    /// <summary>Rows: description, file text, expected run ns, wait ns, slices.</summary>
    public static TheoryData<string, string, ulong, ulong, ulong> ValidSchedstats => new()
    {
        { "a kernel without CONFIG_SCHED_INFO writes zeros", "0 0 0\n", 0, 0, 0 },
        { "a thread that has run for days", "259200000000000 1234567890123 987654321\n", 259200000000000, 1234567890123, 987654321 },
        { "the largest %llu", "18446744073709551615 0 1", ulong.MaxValue, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(ValidSchedstats))]
    public void Schedstat_parses(string description, string text, ulong runNs, ulong waitNs, ulong slices)
    {
        Assert.True(TaskSchedstat.Parse(text) == new TaskSchedstat(runNs, waitNs, slices), description);
    }

    /// <summary>Rows: description, file text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedSchedstats => new()
    {
        { "an empty file", "", "empty: expected 'run_ns wait_ns timeslices'" },
        { "two fields (the timeslice count cut off)", "411605849 93680043\n", "2 fields in '411605849 93680043': expected 3" },
        { "four fields", "1 2 3 4\n", "4 fields in '1 2 3 4': expected 3" },
        { "a negative wait", "1 -2 3\n", "field 2 (run-queue wait, ns): expected an unsigned decimal number, found '-2'" },
        { "a word for the slices", "1 2 many\n", "field 3 (timeslices): expected an unsigned decimal number, found 'many'" },
        { "run time beyond 64 bits", "18446744073709551616 0 0", "field 1 (run time, ns)" },
        { "a hexadecimal number", "0x10 0 0", "field 1 (run time, ns): expected an unsigned decimal number, found '0x10'" },
    };

    [Theory]
    [MemberData(nameof(MalformedSchedstats))]
    public void Schedstat_rejects(string description, string text, string expected)
    {
        Rejects(description, () => TaskSchedstat.Parse(text), expected);
    }

    // ---- comm ---------------------------------------------------------------------------------------------

    /// <summary>Rows: description, comm file text, vCPU index or null for a thread that is not a vCPU.</summary>
    public static TheoryData<string, string, int?> ThreadNames => new()
    {
        { "vCPU 0 under KVM, as read from the file", "CPU 0/KVM\n", 0 },
        { "vCPU 3 under KVM", "CPU 3/KVM", 3 },
        { "vCPU 12 under the TCG emulator", "CPU 12/TCG\n", 12 },
        { "the largest index that fits comm's 15 characters", "CPU 99999/KVM", 99999 },
        { "QEMU's main thread (emulator)", "qemu-system-x86\n", null },
        { "an iothread", "IO iothread1\n", null },
        { "the monitor iothread", "IO mon_iothread", null },
        { "a vhost worker of virtio-net", "vhost-4242\n", null },
        { "QEMU's RCU thread", "call_rcu\n", null },
        { "round-robin TCG runs all vCPUs on one thread: no per-vCPU figure", "ALL CPUs/TCG\n", null },
        { "another accelerator (macOS HVF) is not one kvmconfig monitors", "CPU 3/HVF", null },
        { "lower case is not QEMU's spelling", "cpu 3/KVM", null },
        { "no index", "CPU /KVM", null },
        { "a negative index", "CPU -1/KVM", null },
        { "accelerator with a suffix", "CPU 3/KVMX", null },
        { "no accelerator", "CPU 3", null },
        { "empty", "", null },
    };

    [Theory]
    [MemberData(nameof(ThreadNames))]
    public void Comm_names_vcpu_threads(string description, string comm, int? vcpu)
    {
        Assert.True(QemuThreadName.VcpuIndex(comm) == vcpu, $"{description}: '{comm}' gave {QemuThreadName.VcpuIndex(comm)?.ToString() ?? "null"}, expected {vcpu?.ToString() ?? "null"}");
    }

    // ---- status / smaps_rollup ----------------------------------------------------------------------------

    [Fact]
    public void VmRSS_of_the_prometheus_capture_in_KiB()
    {
        // "VmRSS:\t    6716 kB", while RssAnon, RssFile and VmHWM, which also hold "Rss"/"kB", are other lines
        Assert.Equal(6716, ProcessRss.ParseStatusVmRssKiB(Fixture("prometheus-procfs", "26231", "status")));
    }

    [Fact]
    public void Smaps_rollup_Rss_in_KiB()
    {
        // fs/proc/task_mmu.c show_smaps_rollup(): the [rollup] header, then one "Key:  N kB" line per figure
        const string text = """
            55f1c2a3b000-7ffc8a5fe000 ---p 00000000 00:00 0                          [rollup]
            Rss:             4456448 kB
            Pss:             4455120 kB
            Pss_Anon:        4440000 kB
            Shared_Clean:       1400 kB
            Anonymous:       4440000 kB
            SwapPss:               0 kB

            """;

        Assert.Equal(4456448, ProcessRss.ParseSmapsRollupRssKiB(text));
    }

    /// <summary>Rows: description, status text, VmRSS or null.</summary>
    public static TheoryData<string, string, long?> StatusTexts => new()
    {
        { "a kernel thread has no Vm lines", "Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n", null },
        { "an empty smaps_rollup-like text", "", null },
        { "VmRSS of zero (a zombie about to be reaped)", "Name:\tx\nVmRSS:\t       0 kB\n", 0 },
    };

    [Theory]
    [MemberData(nameof(StatusTexts))]
    public void VmRSS_absent_or_zero(string description, string text, long? kib)
    {
        Assert.True(ProcessRss.ParseStatusVmRssKiB(text) == kib, description);
    }

    /// <summary>Rows: description, status text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedStatus => new()
    {
        { "a unit other than kB", "Name:\tx\nVmRSS:\t 6 MB\n", "line 2: expected 'VmRSS: N kB', found 'VmRSS:\t 6 MB'" },
        { "no unit", "VmRSS:\t6716\n", "line 1: expected 'VmRSS: N kB'" },
        { "a word for the size", "VmRSS:\tlots kB\n", "line 1 (VmRSS: size): expected an unsigned decimal number, found 'lots'" },
    };

    [Theory]
    [MemberData(nameof(MalformedStatus))]
    public void VmRSS_rejects(string description, string text, string expected)
    {
        Rejects(description, () => ProcessRss.ParseStatusVmRssKiB(text), expected);
    }

    // ---- net/snmp -----------------------------------------------------------------------------------------

    /// <summary>Rows: description, capture path, OutSegs, RetransSegs.</summary>
    public static TheoryData<string, string[], ulong, ulong> SnmpCaptures => new()
    {
        { "prometheus/procfs, a process's namespace", ["prometheus-procfs", "26231", "net", "snmp"], 594855, 348 },
        { "node_exporter, the host (MaxConn -1 in the same line)", ["node-exporter", "net", "snmp"], 54915039, 227 },
    };

    [Theory]
    [MemberData(nameof(SnmpCaptures))]
    public void Snmp_Tcp_segments_of_the_captures(string description, string[] path, ulong outSegs, ulong retransSegs)
    {
        Assert.True(TcpSegmentCounters.Parse(Fixture(path)) == new TcpSegmentCounters(outSegs, retransSegs), description);
    }

    [Fact]
    public void Snmp_columns_are_found_by_name_not_position()
    {
        // Given a kernel that put the columns in another order and added one in front
        const string text = """
            Ip: Forwarding DefaultTTL
            Ip: 1 64
            Tcp: NewColumn RetransSegs RtoAlgorithm OutSegs
            Tcp: 7 12 1 3400
            Udp: InDatagrams OutSegs
            Udp: 1 999

            """;

        Assert.Equal(new TcpSegmentCounters(OutSegs: 3400, RetransSegs: 12), TcpSegmentCounters.Parse(text));
    }

    /// <summary>Rows: description, snmp text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedSnmp => new()
    {
        { "no Tcp lines at all", "Ip: Forwarding\nIp: 1\n", "no 'Tcp:' lines" },
        { "a header without values", "Ip: Forwarding\nIp: 1\nTcp: OutSegs RetransSegs\n", "line 3: the 'Tcp:' header line is not followed by a line of values" },
        { "values cut short", "Tcp: ActiveOpens OutSegs RetransSegs\nTcp: 1 2\n", "line 2: the Tcp: values have 2 columns but the header on line 1 names 3" },
        { "no RetransSegs column", "Tcp: ActiveOpens OutSegs\nTcp: 1 2\n", "line 1: the Tcp: header has no RetransSegs column" },
        { "a word where OutSegs is", "Tcp: OutSegs RetransSegs\nTcp: x 2\n", "line 2 (Tcp OutSegs): expected an unsigned decimal number, found 'x'" },
    };

    [Theory]
    [MemberData(nameof(MalformedSnmp))]
    public void Snmp_rejects(string description, string text, string expected)
    {
        Rejects(description, () => TcpSegmentCounters.Parse(text), expected);
    }

    // ---- diskstats ----------------------------------------------------------------------------------------

    [Fact]
    public void Diskstats_of_the_prometheus_capture_has_all_three_layouts()
    {
        IReadOnlyList<DiskStats> disks = DiskStats.ParseAll(Fixture("prometheus-procfs", "diskstats"));

        Assert.Equal(52, disks.Count);

        // 14 fields (before 4.18): "8 0 sda 25354637 34367663 1003346126 18492372 28444756 11134226 505697032 63877960 0 9653880 82621804"
        DiskStats sda = disks.Single(d => d.Name == "sda");
        Assert.Equal(
            (8, 0, 25354637ul, 34367663ul, 1003346126ul, 18492372ul, 28444756ul, 11134226ul, 505697032ul, 63877960ul, 0ul, 9653880ul, 82621804ul),
            (sda.Major, sda.Minor, sda.ReadsCompleted, sda.ReadsMerged, sda.SectorsRead, sda.ReadTimeMs, sda.WritesCompleted,
                sda.WritesMerged, sda.SectorsWritten, sda.WriteTimeMs, sda.InFlight, sda.IoTimeMs, sda.WeightedIoTimeMs));
        Assert.Null(sda.DiscardsCompleted);
        Assert.Null(sda.FlushesCompleted);

        // 18 fields (4.18+, discards): "8 0 sdb ... 0 60730 67070 68851 0 1925173784 11130"
        DiskStats sdb = disks.Single(d => d.Name == "sdb");
        Assert.Equal<(ulong, ulong?, ulong?, ulong?, ulong?)>((67070, 68851, 0, 1925173784, 11130), (sdb.WeightedIoTimeMs, sdb.DiscardsCompleted, sdb.DiscardsMerged, sdb.SectorsDiscarded, sdb.DiscardTimeMs));
        Assert.Null(sdb.FlushesCompleted);

        // 20 fields (5.5+, flushes): "8 0 sdc ... 0 0 0 0 127 182"
        DiskStats sdc = disks.Single(d => d.Name == "sdc");
        Assert.Equal<(ulong?, ulong?)>((127, 182), (sdc.FlushesCompleted, sdc.FlushTimeMs));
    }

    [Fact]
    public void Diskstats_of_the_node_exporter_capture()
    {
        IReadOnlyList<DiskStats> disks = DiskStats.ParseAll(Fixture("node-exporter", "diskstats"));

        Assert.Equal(51, disks.Count);
        DiskStats nvme = disks.Single(d => d.Name == "nvme0n1");
        Assert.Equal((259, 0, 1032546ul), (nvme.Major, nvme.Minor, nvme.WeightedIoTimeMs));
        DiskStats sdc = disks.Single(d => d.Name == "sdc");
        Assert.Equal<(int, ulong?, ulong?)>((32, 1555, 1944), (sdc.Minor, sdc.FlushesCompleted, sdc.FlushTimeMs));
    }

    [Fact]
    public void Diskstats_in_flight_is_field_12_and_weighted_time_field_14()
    {
        //                       1    2 3   4   5 6    7  8  9 10   11  12 13  14
        const string line = "   8    0 vdb 100 0 800 40 50 0 400 900 17 300 5000\n";

        DiskStats vdb = DiskStats.ParseAll(line).Single();

        Assert.Equal(("vdb", 17ul, 300ul, 5000ul), (vdb.Name, vdb.InFlight, vdb.IoTimeMs, vdb.WeightedIoTimeMs));
    }

    /// <summary>Rows: description, diskstats text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedDiskstats => new()
    {
        { "15 fields: one counter too many for a pre-4.18 line", "8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12\n", "line 1: 15 fields in '8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12': expected 14, 18 or 20" },
        { "a 2.6.24 partition line of 4 counters", "8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 1 sda1 1 2 3 4\n", "line 2: 7 fields" },
        { "a word for the reads", "8 0 sda x 2 3 4 5 6 7 8 9 10 11\n", "line 1 field 4 (reads completed): expected an unsigned decimal number, found 'x'" },
        { "a negative in-flight count", "8 0 sda 1 2 3 4 5 6 7 8 -1 10 11\n", "line 1 field 12 (I/Os in flight)" },
        { "a name in the major's place", "sda 8 0 1 2 3 4 5 6 7 8 9 10 11\n", "line 1 field 1 (major): expected a device number, found 'sda'" },
    };

    [Theory]
    [MemberData(nameof(MalformedDiskstats))]
    public void Diskstats_rejects(string description, string text, string expected)
    {
        Rejects(description, () => DiskStats.ParseAll(text), expected);
    }

    // ---- vmstat -------------------------------------------------------------------------------------------

    [Fact]
    public void Vmstat_of_a_pre_4_8_kernel_sums_the_zones()
    {
        // pgscan: kswapd dma32 107656 + normal 358784, direct dma32 67 + normal 6796; pgscan_direct_throttle 0 left out
        // pgsteal: kswapd dma32 78783 + normal 254128, direct dma32 44 + normal 6484
        PageReclaimCounters counters = PageReclaimCounters.Parse(Fixture("node-exporter", "vmstat"));

        Assert.Equal(new PageReclaimCounters(ScannedPages: 473303, StolenPages: 339439), counters);
    }

    [Fact]
    public void Vmstat_of_a_recent_kernel_sums_the_reclaimers_once()
    {
        // Given a 6.x vmstat: per-reclaimer counters, plus anon/file splits of the same pages and a throttle count
        const string text = """
            nr_free_pages 1000
            pgsteal_kswapd 80
            pgsteal_direct 10
            pgsteal_khugepaged 4
            pgsteal_proactive 2
            pgscan_kswapd 100
            pgscan_direct 20
            pgscan_khugepaged 5
            pgscan_proactive 3
            pgscan_direct_throttle 999
            pgscan_anon 50
            pgscan_file 78
            pgsteal_anon 40
            pgsteal_file 56
            pgrefill 7

            """;

        Assert.Equal(new PageReclaimCounters(ScannedPages: 128, StolenPages: 96), PageReclaimCounters.Parse(text));
    }

    /// <summary>Rows: description, vmstat text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedVmstat => new()
    {
        { "a name without value", "pgscan_kswapd 1\npgsteal_kswapd\n", "line 2: expected 'name value', found 'pgsteal_kswapd'" },
        { "a negative counter", "pgscan_kswapd -1\npgsteal_kswapd 0\n", "line 1 (pgscan_kswapd): expected an unsigned decimal number, found '-1'" },
        { "no reclaim counter at all (not a vmstat)", "nr_free_pages 1\n", "no pgscan_kswapd or _direct counter" },
        { "scan counters without steal counters", "pgscan_kswapd 1\n", "no pgsteal_kswapd or _direct counter" },
    };

    [Theory]
    [MemberData(nameof(MalformedVmstat))]
    public void Vmstat_rejects(string description, string text, string expected)
    {
        Rejects(description, () => PageReclaimCounters.Parse(text), expected);
    }

    // ---- pressure -----------------------------------------------------------------------------------------

    [Fact]
    public void Pressure_of_the_captures()
    {
        // cpu before 5.13: only "some"
        Assert.Equal(
            new PressureStall(new PressureLine(0.10, 2.00, 3.85, 15), null),
            PressureStall.Parse(Fixture("prometheus-procfs", "pressure", "cpu")));
        Assert.Equal(
            new PressureStall(new PressureLine(0.10, 2.00, 3.85, 15), new PressureLine(0.20, 3.00, 4.95, 25)),
            PressureStall.Parse(Fixture("prometheus-procfs", "pressure", "io")));
        Assert.Equal(
            new PressureStall(new PressureLine(0.18, 0.34, 0.10, 159886802), new PressureLine(0.18, 0.34, 0.10, 159229614)),
            PressureStall.Parse(Fixture("node-exporter", "pressure", "io")));

        // irq (6.1+): only "full", and no newline at the end of the capture
        Assert.Equal(new PressureStall(null, new PressureLine(0, 0, 0, 8494)), PressureStall.Parse(Fixture("node-exporter", "pressure", "irq")));
    }

    /// <summary>Rows: description, pressure text, what the error must say.</summary>
    public static TheoryData<string, string, string> MalformedPressure => new()
    {
        { "an empty file", "", "no 'some' or 'full' line" },
        { "no total", "some avg10=0.00 avg60=0.00 avg300=0.00\n", "line 1: 4 fields" },
        { "an unknown kind", "half avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "line 1: starts with 'half', expected 'some' or 'full'" },
        { "averages out of order", "some avg60=0.00 avg10=0.00 avg300=0.00 total=0\n", "line 1: expected 'avg10=...', found 'avg60=0.00'" },
        { "an average that is a word", "some avg10=lots avg60=0.00 avg300=0.00 total=0\n", "line 1: avg10=lots is not a percentage between 0 and 100" },
        { "an average above 100 %", "some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n", "avg10=100.01 is not a percentage" },
        { "a negative total", "some avg10=0.00 avg60=0.00 avg300=0.00 total=-5\n", "line 1 (total, us): expected an unsigned decimal number, found '-5'" },
        { "two some lines", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nsome avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", "line 2: a second 'some' line" },
    };

    [Theory]
    [MemberData(nameof(MalformedPressure))]
    public void Pressure_rejects(string description, string text, string expected)
    {
        Rejects(description, () => PressureStall.Parse(text), expected);
    }
}
