using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Libvirt;
using KvmConfig.Bench.Shared;

namespace KvmConfig.ApplyBench;

/// <summary>One round of part (b): the pins and the stats of every domain, each way.</summary>
/// <param name="BindingPinsMs">Open a read-only connection; per domain a lookup, its vCPU pins and its emulator pin.</param>
/// <param name="BindingStatsMs">One <c>virConnectGetAllDomainStats</c> (state + vcpu groups, running domains).</param>
/// <param name="VirshPinsMs">Per domain, <c>virsh vcpupin NAME --live</c> and <c>virsh emulatorpin NAME --live</c>.</param>
/// <param name="VirshStatsMs">One <c>virsh domstats --vcpu --state NAME...</c> naming every domain.</param>
internal sealed record ReadRound(double BindingPinsMs, double BindingStatsMs, double VirshPinsMs, double VirshStatsMs)
{
    public double BindingMs => BindingPinsMs + BindingStatsMs;

    public double VirshMs => VirshPinsMs + VirshStatsMs;
}

/// <summary>
/// Part (b): reading what a status or monitoring tool wants of every domain (where each vCPU and the emulator threads
/// may run, and the state and per-vCPU statistics) through the binding, beside the same information from virsh, the
/// way a shell script gets it: one process per question. Nothing is parsed from virsh beyond its exit code; the
/// binding's results are checked (every domain found, running, with as many pins as vCPUs) outside the timing.
/// </summary>
internal static class ReadRounds
{
    /// <summary>One warm-up of each way (discarded), then <paramref name="runs"/> rounds alternating which goes first.</summary>
    public static IReadOnlyList<ReadRound> Run(string uri, IReadOnlyList<BenchDomain> domains, int runs, Action<string> report, CancellationToken cancel)
    {
        Measure(uri, domains, bindingFirst: true, cancel);
        var rounds = new List<ReadRound>();
        for (int i = 0; i < runs; i++)
        {
            ReadRound round = Measure(uri, domains, bindingFirst: i % 2 == 0, cancel);
            rounds.Add(round);
            report($"read {i + 1}/{runs}    binding {round.BindingMs,7:F1} ms (pins {round.BindingPinsMs:F1}, stats {round.BindingStatsMs:F1})   " +
                $"virsh {round.VirshMs,7:F1} ms (pins {round.VirshPinsMs:F1}, domstats {round.VirshStatsMs:F1})");
        }

        return rounds;
    }

    private static ReadRound Measure(string uri, IReadOnlyList<BenchDomain> domains, bool bindingFirst, CancellationToken cancel)
    {
        double bindingPins = 0, bindingStats = 0, virshPins = 0, virshStats = 0;
        foreach (bool binding in bindingFirst ? [true, false] : (bool[])[false, true])
        {
            cancel.ThrowIfCancellationRequested();
            if (binding)
            {
                (bindingPins, bindingStats) = Binding(uri, domains);
            }
            else
            {
                (virshPins, virshStats) = Virsh(uri, domains);
            }
        }

        return new ReadRound(bindingPins, bindingStats, virshPins, virshStats);
    }

    private static (double PinsMs, double StatsMs) Binding(string uri, IReadOnlyList<BenchDomain> domains)
    {
        long start = Stopwatch.GetTimestamp();
        using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
        var pins = new List<(IReadOnlyList<CpuSet> Vcpus, CpuSet Emulator)>(domains.Count);
        foreach (BenchDomain bench in domains)
        {
            using LibvirtDomain domain = connection.Lookup(bench.Name);
            pins.Add((domain.VcpuPins(DomainImpact.Live), domain.EmulatorPin(DomainImpact.Live)));
        }

        long pinned = Stopwatch.GetTimestamp();

        // The bulk call reports every running domain on the daemon, other users' included; ours are picked out after.
        IReadOnlyList<DomainStats> stats = connection.AllDomainStats(DomainStatsGroups.State | DomainStatsGroups.Vcpu, activeOnly: true);
        long end = Stopwatch.GetTimestamp();

        for (int i = 0; i < domains.Count; i++)
        {
            if (pins[i].Vcpus.Count != domains[i].Vcpus || pins[i].Emulator.IsEmpty)
            {
                throw new BenchFailure($"{domains[i].Name}: the binding read {pins[i].Vcpus.Count} vCPU pins and emulator pin '{pins[i].Emulator}'");
            }
        }

        var byName = stats.ToDictionary(s => s.Domain, StringComparer.Ordinal);
        foreach (BenchDomain bench in domains)
        {
            if (!byName.TryGetValue(bench.Name, out DomainStats? record) || record["state.state"]?.AsInt64() != (long)DomainState.Running
                || record["vcpu.current"]?.AsInt64() != bench.Vcpus)
            {
                throw new BenchFailure($"{bench.Name}: virConnectGetAllDomainStats has no running record with {bench.Vcpus} vCPUs");
            }
        }

        return (Stopwatch.GetElapsedTime(start, pinned).TotalMilliseconds, Stopwatch.GetElapsedTime(pinned, end).TotalMilliseconds);
    }

    private static (double PinsMs, double StatsMs) Virsh(string uri, IReadOnlyList<BenchDomain> domains)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (BenchDomain domain in domains)
        {
            Run(uri, "vcpupin", domain.Name, "--live");
            Run(uri, "emulatorpin", domain.Name, "--live");
        }

        long pinned = Stopwatch.GetTimestamp();
        Run(uri, ["domstats", "--vcpu", "--state", .. domains.Select(d => d.Name)]);
        return (Stopwatch.GetElapsedTime(start, pinned).TotalMilliseconds, Stopwatch.GetElapsedTime(pinned).TotalMilliseconds);
    }

    /// <summary>Runs <c>virsh -c URI ARGS</c>, reads its output to the end (so it never blocks on a full pipe) and
    /// fails the harness when it exits non-zero.</summary>
    public static void Run(string uri, params string[] args)
    {
        var start = new ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(uri);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start) ?? throw new BenchFailure("cannot start virsh");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new BenchFailure($"virsh {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result.Trim()}");
        }
    }
}
