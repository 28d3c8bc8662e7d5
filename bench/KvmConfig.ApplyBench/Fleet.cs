using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Specs;
using KvmConfig.Libvirt;

namespace KvmConfig.ApplyBench;

/// <summary>One benchmark domain: its name, its pristine XML and the tuning the declaration asks of it.</summary>
/// <param name="Name"><c>kvmcb-NN</c>.</param>
/// <param name="Vcpus">1 or 2.</param>
/// <param name="Xml">The XML it is defined from (no <c>&lt;cputune&gt;</c>: libvirt's defaults everywhere).</param>
/// <param name="Tuning">What the 50-domain declaration asks of it.</param>
internal sealed record BenchDomain(string Name, int Vcpus, string Xml, DomainTuning Tuning);

/// <summary>
/// The benchmark's domains on the real daemon: tiny QEMU guests under TCG, defined and started before anything is
/// measured, destroyed and undefined at the end. Every name starts with <see cref="Prefix"/>, which nothing else uses
/// (the test suite's domains start with <c>kvmct-</c>), so leftovers of an interrupted run are recognisable.
/// </summary>
internal static class Fleet
{
    /// <summary>Prefix of every domain the benchmark defines.</summary>
    public const string Prefix = "kvmcb-";

    // 32 MiB is enough for SeaBIOS, which finds no disk and waits: the guests' vCPUs sit in HLT, so 50 of them cost the
    // host about 2 GiB (QEMU's own RSS is about 40 MiB each under TCG) and about a third of one CPU (see Settle).
    private const int MemoryMiB = 32;

    // Starting a TCG guest takes libvirtd about a second here (QEMU start, QMP handshake, cgroup setup), much of it
    // waiting on QEMU. Four at a time start the 50 in about 20 s on this 2-CPU machine.
    private const int StartParallelism = 4;

    /// <summary>
    /// The declaration, built in code: <c>kvmconfig check</c> refuses more than one VM on a 2-CPU host (KVC020
    /// more-physical-cpus-than-vms), so the tunings are made directly, as <see cref="DomainTuning.From"/> would make
    /// them from a plan, with every pin inside CPUs 0-1.
    /// </summary>
    /// <remarks>
    /// Domain <c>i</c> (0-based), drawn from <c>Random(seed)</c> in order:
    /// <list type="bullet">
    /// <item>1 or 2 vCPUs; vCPU <c>v</c> pinned to CPU <c>(i + v) % 2</c>, so consecutive domains alternate, and the
    /// emulator threads on the CPU vCPU 0 does not use;</item>
    /// <item><c>cpu_weight</c> 75, 125, ... 2025 (50 apart, offset by 25 so that it never equals libvirt's pristine
    /// <c>cpu_shares</c> of 100 on cgroup v2 or 1024 on v1: every domain then gets a scheduler change);</item>
    /// <item><c>cpu_limit</c> a multiple of 0.25 CPU up to its vCPU count (above it <c>check</c> warns, KVC041);</item>
    /// <item>memory strictly on host node 0 (the only one), as a plan on this host asks, and a guest topology of 1 socket
    /// x vCPUs cores (that one waits for the next boot).</item>
    /// </list>
    /// Every field differs from a pristine domain, so a first apply makes, per domain, one define, one pin per vCPU, one
    /// emulator pin, one scheduler change and one live memory binding (a domain started without <c>&lt;numatune&gt;</c>
    /// runs with its memory unbound, and the engine binds it).
    /// </remarks>
    public static IReadOnlyList<BenchDomain> Build(int count, int seed)
    {
        var random = new Random(seed);
        var domains = new List<BenchDomain>(count);
        for (int i = 0; i < count; i++)
        {
            int vcpus = random.Next(1, 3);
            int shares = 75 + (50 * random.Next(0, 40));
            double capCpus = 0.25 * random.Next(1, (4 * vcpus) + 1);
            List<CpuSet> pins = [.. Enumerable.Range(0, vcpus).Select(v => CpuSet.Of((i + v) % 2))];
            string name = $"{Prefix}{i + 1:D2}";
            var tuning = new DomainTuning
            {
                Vcpus = vcpus,
                VcpuCpus = pins.Aggregate(CpuSet.Empty, (all, pin) => all | pin),
                VcpuPins = pins,
                EmulatorCpus = CpuSet.Of((i + 1) % 2),
                CpuShares = shares,
                CpuCap = CpuBandwidth.ForCpus(capCpus),
                VcpuSchedulers = [],
                NumaMemory = new NumaMemoryPolicy(MemoryMode.Strict, CpuSet.Of(0)),
                Topology = new CpuTopology(1, 1, 1, vcpus, 1),
            };
            domains.Add(new BenchDomain(name, vcpus, Xml(name, vcpus), tuning));
        }

        return domains;
    }

    /// <summary>
    /// The smallest domain that runs here (as the integration tests define theirs): QEMU under TCG (<c>type='qemu'</c>,
    /// no /dev/kvm), no disk, no NIC, no <c>&lt;cputune&gt;</c>.
    /// </summary>
    public static string Xml(string name, int vcpus) =>
        $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>{MemoryMiB}</memory>
          <vcpu placement='static'>{vcpus}</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
        </domain>
        """;

    /// <summary>
    /// Brings every domain to "just started from <paramref name="xml"/>": destroys it when it runs, defines the XML as
    /// its persistent definition and starts it, <see cref="StartParallelism"/> domains at a time, each worker on a
    /// connection of its own (a connection serves one thread at a time). Used for the set-up and, between measurements,
    /// to put the domains back to pristine (see <see cref="ApplyRounds"/> for why a restart and not a restore).
    /// </summary>
    public static void Start(string uri, IReadOnlyList<(string Name, string Xml)> xml, CancellationToken cancel)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = StartParallelism, CancellationToken = cancel };
        var connections = new System.Collections.Concurrent.ConcurrentBag<LibvirtConnection>();
        try
        {
            Parallel.ForEach(xml, options, () => LibvirtConnection.Open(uri), (domain, _, connection) =>
            {
                using (LibvirtDomain? running = connection.TryLookup(domain.Name))
                {
                    if (running is { IsActive: true })
                    {
                        running.Destroy();
                    }
                }

                using LibvirtDomain defined = connection.Define(domain.Xml);
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
    /// Waits until the guests are idle again after a start: SeaBIOS runs for a moment under TCG before it halts (about
    /// 0.4 CPU-s per guest here), and that CPU would otherwise land on the next measurement. Idle guests are not free
    /// under TCG: each still costs about 0.75 % of one CPU (QEMU's timers wake the halted vCPU), 50 of them about a
    /// third of a CPU, for every measurement alike. Idle here means under twice that: the guests together used less
    /// than 1.5 % of one CPU per guest over one second, which leaves room for one or two still booting.
    /// </summary>
    /// <returns>How long it took, and whether the guests got idle within <paramref name="timeout"/>.</returns>
    public static (TimeSpan Waited, bool Idle) Settle(IReadOnlyList<BenchDomain> domains, TimeSpan timeout, CancellationToken cancel)
    {
        double idleCpuSecondsPerSecond = 0.015 * domains.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double before = GuestCpuSeconds(domains);
        while (clock.Elapsed < timeout)
        {
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            cancel.ThrowIfCancellationRequested();
            double now = GuestCpuSeconds(domains);
            if (now - before < idleCpuSecondsPerSecond)
            {
                return (clock.Elapsed, true);
            }

            before = now;
        }

        return (clock.Elapsed, false);
    }

    // Linux reports a process's CPU time in /proc/PID/stat in USER_HZ ticks, 100 per second on every x86 kernel.
    private const double UserHz = 100;

    /// <summary>
    /// CPU time used so far by the guests' QEMU processes (pid from libvirtd's /run/libvirt/qemu/NAME.pid): utime +
    /// stime, fields 14 and 15 of /proc/PID/stat, counted after the parenthesised command name (which may hold spaces).
    /// A restarted guest starts again from 0, so only differences over a span without restarts mean anything.
    /// </summary>
    public static double GuestCpuSeconds(IReadOnlyList<BenchDomain> domains)
    {
        long ticks = 0;
        foreach (BenchDomain domain in domains)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{File.ReadAllText($"/run/libvirt/qemu/{domain.Name}.pid").Trim()}/stat");
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // fields[0] is field 3 (state), so utime and stime are fields[11] and fields[12].
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // Not running (between a destroy and a start): nothing to count.
            }
        }

        return ticks / UserHz;
    }
}
