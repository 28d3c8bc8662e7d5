using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KvmConfig.Libvirt;
using KvmConfig.Bench.Shared;

namespace KvmConfig.MonitorBench;

/// <summary>
/// Part 1's domains on the real daemon: the smallest guests that run here, defined and started before anything is
/// measured, destroyed and undefined at the end (the approach of <c>bench/KvmConfig.ApplyBench</c>'s fleet). Every
/// name starts with <see cref="Prefix"/>, which nothing else uses (the tests use <c>kvmct-</c>, the apply bench
/// <c>kvmcb-</c>), so the leftovers of an interrupted run are recognised and removed at the next start.
/// </summary>
internal static class Fleet
{
    /// <summary>Prefix of every domain this benchmark defines.</summary>
    public const string Prefix = "kvmmb-";

    // SeaBIOS needs less than 32 MiB; it finds nothing to boot and halts its one vCPU. Each such QEMU holds about 42 MiB
    // resident under TCG, 50 of them about 2 GiB.
    private const int MemoryMiB = 32;

    // Starting a TCG guest keeps libvirtd busy for about half a second (QEMU start, QMP handshake, cgroups), much of it
    // waiting on QEMU; four at a time use the 2 CPUs without queueing behind each other.
    private const int StartParallelism = 4;

    // Linux reports a process's CPU time in /proc/PID/stat in USER_HZ ticks, 100 per second on every x86 kernel.
    private const double UserHz = 100;

    /// <summary><c>kvmmb-01</c> ... : the names of <paramref name="count"/> domains.</summary>
    public static IReadOnlyList<string> Names(int count) =>
        [.. Enumerable.Range(1, count).Select(i => $"{Prefix}{i:D2}")];

    /// <summary>
    /// The smallest domain (the integration tests' <c>LibvirtDaemon.DomainXml</c>, with 32 MiB and 1 vCPU): QEMU under
    /// TCG (<c>type='qemu'</c>), no <c>&lt;cputune&gt;</c>; no disk and no NIC, or with <paramref name="devices"/> a
    /// read-only virtio disk (the shared blank image <see cref="BlankImage"/>) and a tap NIC named after the domain, so
    /// that a sweep also reads block counters through libvirt and interface counters from /proc/net/dev.
    /// </summary>
    public static string Xml(string name, bool devices = false) =>
        $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>{MemoryMiB}</memory>
          <vcpu placement='static'>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>{(devices ? Devices(name) : "")}</devices>
        </domain>
        """;

    /// <summary>A 1 MiB blank raw image every domain of a <c>--devices</c> run reads (read-only, so they may share it).</summary>
    public const string BlankImage = "/var/tmp/kvmmb-blank.img";

    private static string Devices(string name) =>
        $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{BlankImage}'/><target dev='vda' bus='virtio'/><readonly/></disk>"
        + $"<interface type='ethernet'><target dev='{name}' managed='yes'/><model type='e1000'/></interface>";

    /// <summary>Writes <see cref="BlankImage"/> readable by QEMU's user.</summary>
    public static void WriteBlankImage()
    {
        using (FileStream file = File.Create(BlankImage))
        {
            file.SetLength(1 << 20);
        }

        File.SetUnixFileMode(BlankImage, (UnixFileMode)0b110_100_100);
    }

    /// <summary>
    /// Defines and starts every domain, <see cref="StartParallelism"/> at a time, each worker on a connection of its own
    /// (a connection serves one thread at a time).
    /// </summary>
    public static void Start(IReadOnlyList<string> names, bool devices, CancellationToken cancel)
    {
        if (devices)
        {
            WriteBlankImage();
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = StartParallelism, CancellationToken = cancel };
        var connections = new ConcurrentBag<LibvirtConnection>();
        try
        {
            Parallel.ForEach(names, options, () => LibvirtConnection.Open(Daemon.Uri), (name, _, connection) =>
            {
                using LibvirtDomain defined = connection.Define(Xml(name, devices));
                defined.Start();
                return connection;
            }, connections.Add);
        }
        finally
        {
            foreach (LibvirtConnection connection in connections)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>
    /// Waits until every domain is running with its pid file written (what the sweep finds a QEMU process by), then until
    /// the guests have booted and gone idle: SeaBIOS runs for about 0.4 s of CPU under TCG before it finds nothing to
    /// boot and halts, and that CPU would land on the first measurements. Booted means every guest's QEMU has used at
    /// least <see cref="BootCpuSeconds"/>; idle means the guests together then used under 3 % of one CPU per guest over one
    /// second (a halted TCG guest still costs about 1 to 2 %: QEMU's timers, and SeaBIOS retries the boot every 60 s).
    /// </summary>
    /// <returns>How long it took to run and to settle, and whether they got idle within <paramref name="timeout"/>.</returns>
    public static (TimeSpan Running, TimeSpan Settled, bool Idle) WaitRunning(LibvirtConnection connection, IReadOnlyList<string> names, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        while (!names.All(name => IsRunning(connection, name)))
        {
            if (clock.Elapsed > timeout)
            {
                string[] late = [.. names.Where(name => !IsRunning(connection, name))];
                throw new BenchFailure($"{late.Length} domains not running after {timeout.TotalSeconds:F0} s: {string.Join(", ", late.Take(5))}");
            }

            cancel.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            cancel.ThrowIfCancellationRequested();
        }

        TimeSpan running = clock.Elapsed;
        double idleCpuSecondsPerSecond = 0.03 * names.Count;
        double before = GuestCpuSeconds(names);
        while (clock.Elapsed < running + timeout)
        {
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            cancel.ThrowIfCancellationRequested();
            double now = GuestCpuSeconds(names);
            if (names.All(name => GuestCpuSeconds([name]) >= BootCpuSeconds) && now - before < idleCpuSecondsPerSecond)
            {
                return (running, clock.Elapsed - running, true);
            }

            before = now;
        }

        return (running, clock.Elapsed - running, false);
    }

    // The CPU a guest's QEMU uses from its start until SeaBIOS halts, a little under what it took here (0.40 s).
    private const double BootCpuSeconds = 0.3;

    private static bool IsRunning(LibvirtConnection connection, string name)
    {
        using LibvirtDomain? domain = connection.TryLookup(name);
        return domain is { State: DomainState.Running } && File.Exists(PidFile(name));
    }

    private static string PidFile(string name) => Path.Combine(KvmConfig.Monitoring.Sweeping.QemuProcesses.SystemRunRoot, name + ".pid");

    /// <summary>
    /// CPU time used so far by the guests' QEMU processes: utime + stime, fields 14 and 15 of <c>/proc/PID/stat</c>,
    /// counted after the parenthesised command name (which may hold spaces).
    /// </summary>
    public static double GuestCpuSeconds(IReadOnlyList<string> names)
    {
        long ticks = 0;
        foreach (string name in names)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{File.ReadAllText(PidFile(name)).Trim()}/stat");
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields[0] is field 3 (state), so utime and stime are fields[11] and fields[12].
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Not running: nothing to count.
            }
        }

        return ticks / UserHz;
    }

}
