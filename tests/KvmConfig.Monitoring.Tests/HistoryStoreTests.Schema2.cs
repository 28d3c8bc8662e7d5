using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Monitoring.History;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// Schema 2: a domain's disks, interfaces and CPU throttling, the alert transitions, and the read-only open that
/// <c>report</c> uses.
/// </summary>
public sealed partial class HistoryStoreTests
{
    // web1 with two disks (one that completed no request) and an interface, throttled in an eighth of its periods.
    private static readonly DomainFigures Web1Devices = Web1 with
    {
        Disks =
        [
            new DiskFigures("vda", QueueDepth: 0.374, LatencyMs: 1.2504, ReadBytesPerSecond: 4000, WriteBytesPerSecond: 300 * 1024),
            new DiskFigures("vdb", QueueDepth: 0, LatencyMs: null, ReadBytesPerSecond: 0, WriteBytesPerSecond: 0),
        ],
        Interfaces = [new InterfaceFigures("vnet3", ReceivedBytesPerSecond: 10 * 1024, SentBytesPerSecond: 1500)],
        ThrottledPercent = 12.5,
    };

    private static readonly Alert Web1Ready = new("web1 vcpu 0", "ready", 12.345, 10, AlertSeverity.Critical);
    private static readonly Alert Web1Queue = new("web1 disk vda", Alert.DiskQueue, 250.5, 200, AlertSeverity.Warning);

    [Fact]
    public void Disks_interfaces_and_throttling_read_back_in_their_stored_units()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        store.Append(T0, [Web1Devices, Db1 with { Disks = [new DiskFigures("vda", 201, 40, 1024, 0)] }]);
        HistoryRows rows = store.Read(T0);

        DomainHistoryRow web1 = rows.Domains.Single(r => r.Domain == "web1");
        Assert.Equal(
            [
                new DiskFigures("vda", 0.37, 1.25, 4096, 300 * 1024), // 0.01 request, 1 us, 1 KiB/s: 4000 B/s is 3.9 KiB/s
                new DiskFigures("vdb", 0, null, 0, 0),
            ],
            web1.Disks);
        Assert.Equal([new InterfaceFigures("vnet3", 10 * 1024, 1024)], web1.Interfaces);
        Assert.Equal(12.5, web1.ThrottledPercent);
        DomainHistoryRow db1 = rows.Domains.Single(r => r.Domain == "db1");
        Assert.Equal([new DiskFigures("vda", 201, 40, 1024, 0)], db1.Disks);
        Assert.Empty(db1.Interfaces);
        Assert.Null(db1.ThrottledPercent);
        Assert.Equal(3, Count(store, "device")); // vda (both domains), vdb, vnet3
    }

    [Fact]
    public void Device_names_added_by_a_refused_sweep_are_not_remembered()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);
        DomainFigures bad = Db1 with { Disks = [new DiskFigures("vdz", double.NaN, null, 0, 0)] };

        Assert.Throws<ArgumentException>(() => store.Append(T0, [Web1Devices, bad]));
        store.Append(T0.AddSeconds(10), [Web1Devices]);

        Assert.Equal(["vda", "vdb"], store.Read(T0).Domains.Single().Disks.Select(d => d.Device));
        Assert.Equal(3, Count(store, "device"));
    }

    public static TheoryData<string, DomainFigures, string> BadDevices => new()
    {
        { "a disk twice", Web1 with { Disks = [new DiskFigures("vda", 1, 1, 0, 0), new DiskFigures("vda", 2, 2, 0, 0)] }, "domain 'web1' disk vda twice" },
        { "a NaN queue depth", Web1 with { Disks = [new DiskFigures("vda", double.NaN, 1, 0, 0)] }, "domain 'web1' disk vda: queue depth NaN" },
        { "a negative latency", Web1 with { Disks = [new DiskFigures("vda", 1, -2, 0, 0)] }, "domain 'web1' disk vda: latency -2000" },
        { "an infinite throughput", Web1 with { Interfaces = [new InterfaceFigures("vnet0", double.PositiveInfinity, 0)] }, "domain 'web1' interface vnet0: received bytes/s" },
        { "a negative throttled %", Web1 with { ThrottledPercent = -1 }, "domain 'web1': throttled -1 % is not a share of periods" },
    };

    [Theory]
    [MemberData(nameof(BadDevices))]
    public void A_sweep_with_a_bad_device_figure_is_refused_and_writes_nothing(string description, DomainFigures figures, string message)
    {
        _ = description;
        using HistoryStore store = HistoryStore.Open(DbPath);

        ArgumentException e = Assert.Throws<ArgumentException>(() => store.Append(T0, [figures]));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, Count(store, "sweep"));
        Assert.Equal(0, Count(store, "device"));
    }

    [Fact]
    public void Alert_transitions_read_back_by_time_in_the_order_logged()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        store.Append(T0, [Web1Devices], Host, [new AlertTransition(AlertChange.Raised, Web1Ready), new AlertTransition(AlertChange.Raised, Web1Queue)]);
        store.Append(T0.AddSeconds(10), [Web1Devices], Host, []);
        store.Append(T0.AddSeconds(20), [Web1], Host, [new AlertTransition(AlertChange.Cleared, Web1Queue)]);

        Assert.Equal(
            [
                new AlertHistoryRow(T0, AlertChange.Raised, Web1Ready),
                new AlertHistoryRow(T0, AlertChange.Raised, Web1Queue),
                new AlertHistoryRow(T0.AddSeconds(20), AlertChange.Cleared, Web1Queue),
            ],
            store.Read(T0).Alerts);
        Assert.Equal([AlertChange.Cleared], store.Read(T0.AddSeconds(1)).Alerts.Select(a => a.Change));
        Assert.DoesNotContain(store.Read(T0, T0.AddSeconds(20)).Alerts, a => a.Change == AlertChange.Cleared);
        Assert.Equal(store.Read(T0).Alerts, store.ReadAlerts(DateTimeOffset.UnixEpoch));
        Assert.Equal(2, store.ReadAlerts(T0, T0.AddSeconds(20)).Count);
    }

    [Fact]
    public void An_alert_with_a_nan_value_is_refused_with_its_sweep()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);

        Assert.Throws<ArgumentException>(() =>
            store.Append(T0, [Web1], null, [new AlertTransition(AlertChange.Raised, Web1Ready with { Value = double.NaN })]));

        Assert.Equal(0, Count(store, "sweep"));
        Assert.Equal(0, Count(store, "alert"));
    }

    [Fact]
    public void Prune_deletes_the_alert_transitions_before_the_cutoff_too()
    {
        using HistoryStore store = HistoryStore.Open(DbPath);
        for (int minute = 0; minute < 4; minute++)
        {
            store.Append(T0.AddMinutes(minute), [Web1Devices], Host, [new AlertTransition(minute % 2 == 0 ? AlertChange.Raised : AlertChange.Cleared, Web1Ready)]);
        }

        store.Prune(T0.AddMinutes(2));

        Assert.Equal([2, 3], store.Read(DateTimeOffset.MinValue).Alerts.Select(a => (a.At - T0).Minutes));
        Assert.Equal(2, Count(store, "alert"));
        Assert.Equal(2, Count(store, "domain_figures"));
    }

    [Fact]
    public void The_device_encoding_is_varints_of_id_and_figures_in_stored_units()
    {
        // The examples of DeviceFiguresCodec's documentation
        byte[] disks = DeviceFiguresCodec.Encode([new DeviceFiguresCodec.Disk(1, 37, 1250, 4, 300)]);
        byte[] interfaces = DeviceFiguresCodec.Encode([new DeviceFiguresCodec.Interface(2, 10, 2)]);

        Assert.Equal(Convert.FromHexString("01" + "25" + "E309" + "04" + "AC02"), disks);
        Assert.Equal(Convert.FromHexString("02" + "0A" + "02"), interfaces);
        Assert.Equal([new DeviceFiguresCodec.Disk(1, 37, 1250, 4, 300)], DeviceFiguresCodec.DecodeDisks(disks));
        Assert.Equal([new DeviceFiguresCodec.Disk(5, 0, null, 0, 0)], DeviceFiguresCodec.DecodeDisks(Convert.FromHexString("0500000000")));
        Assert.Equal([new DeviceFiguresCodec.Interface(2, 10, 2)], DeviceFiguresCodec.DecodeInterfaces(interfaces));
        Assert.Throws<FormatException>(() => DeviceFiguresCodec.DecodeDisks(Convert.FromHexString("012500")));
    }

    [Fact]
    public void A_read_only_store_reads_what_was_written_and_leaves_the_file_as_it_was()
    {
        // Given a closed history
        using (HistoryStore store = HistoryStore.Open(DbPath))
        {
            store.Append(T0, [Web1Devices, Db1], Host, [new AlertTransition(AlertChange.Raised, Web1Ready)]);
        }

        byte[] before = File.ReadAllBytes(DbPath);

        // When it is opened read-only and read
        using (HistoryStore reader = HistoryStore.OpenReadOnly(DbPath))
        {
            HistoryRows rows = reader.Read(T0);

            // Then it holds the sweep, and refuses to write
            Assert.True(reader.IsReadOnly);
            Assert.Equal(2, rows.Domains.Count);
            Assert.Equal(2, rows.Domains.Single(r => r.Domain == "web1").Disks.Count);
            Assert.Single(rows.Alerts);
            Assert.Throws<InvalidOperationException>(() => reader.Append(T0.AddSeconds(10), [Web1]));
            Assert.Throws<InvalidOperationException>(() => reader.Prune(T0));
        }

        // and nothing was written, not even a journal beside it
        AssertUnchanged(before);
    }

    [Fact]
    public void A_read_only_store_beside_a_running_writer_sees_its_committed_sweeps()
    {
        using HistoryStore writer = HistoryStore.Open(DbPath);
        writer.Append(T0, [Web1Devices]);

        using HistoryStore reader = HistoryStore.OpenReadOnly(DbPath);
        writer.Append(T0.AddSeconds(10), [Web1Devices]);

        Assert.Equal(2, reader.Read(T0).Domains.Count);
    }

    [Fact]
    public void A_missing_file_is_an_error_for_a_reader_and_nothing_is_created()
    {
        string path = Path.Combine(_dir, "no", "such", "history.db");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.OpenReadOnly(path));

        Assert.Same(Rules.Unreadable, e.Descriptor);
        Assert.Equal($"there is no history database at {path}", e.Message);
        Assert.Contains("--history FILE", e.Hint, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void An_empty_file_is_not_a_history_for_a_reader()
    {
        File.WriteAllBytes(DbPath, []);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.OpenReadOnly(DbPath));

        Assert.Equal($"{DbPath} is empty: no history has been written to it yet", e.Message);
        AssertUnchanged([]);
    }

    [Fact]
    public void A_file_of_garbage_is_refused_by_a_reader_too_and_left_unchanged()
    {
        byte[] garbage = new byte[10_000];
        new Random(9).NextBytes(garbage);
        File.WriteAllBytes(DbPath, garbage);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => HistoryStore.OpenReadOnly(DbPath));

        Assert.Contains("is not a kvmconfig history database", e.Message, StringComparison.Ordinal);
        AssertUnchanged(garbage);
    }
}
