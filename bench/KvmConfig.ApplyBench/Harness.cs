using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using KvmConfig.Bench.Shared;
using KvmConfig.Core;
using KvmConfig.Libvirt;

namespace KvmConfig.ApplyBench;

/// <summary>
/// Sets up the domains, runs part (a) (apply, re-apply, bare calls) and part (b) (reads), prints the tables, the
/// profile and the machine, tears the domains down whatever happened, and exits 0 when the targets are met, 1 when
/// one is missed, 2 when the harness fails.
/// </summary>
internal static class Harness
{
    // The issue's targets for the first apply of the 50-domain declaration (median of the timed rounds).
    private const double TargetMs = 2000;
    private const double TargetRatio = 1.5;

    private const string Uri = "qemu:///system";

    private sealed record Options(int Domains, int Runs, int Seed, bool Keep, bool SkipReads);

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } options)
        {
            Console.Error.WriteLine("usage: KvmConfig.ApplyBench [--domains N (1..99)] [--runs N] [--seed S] [--keep] [--no-reads]");
            return 2;
        }

#if DEBUG
        Console.WriteLine("WARNING: Debug build; figures are not comparable. Run with -c Release.");
#endif
        // Ctrl-C or a kill must still remove the domains: the signal only asks the harness to stop at the next step,
        // and the finally block below tears down.
        using var cancel = new CancellationTokenSource();
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            cancel.Cancel();
        }

        string loadBefore = BenchMachine.LoadAverage();
        string journalRoot = Directory.CreateTempSubdirectory("kvmconfig-applybench-").FullName;
        LibvirtConnection? connection = null;
        IReadOnlyList<BenchDomain> domains = Fleet.Build(options.Domains, options.Seed);
        try
        {
            BenchLibvirt.StartDaemon();
            connection = LibvirtConnection.Open(Uri);
            (int leftovers, IReadOnlyList<string> stuck) = BenchLibvirt.RemoveAll(connection, Fleet.Prefix);
            if (stuck.Count > 0)
            {
                throw new BenchFailure($"cannot remove leftover {Fleet.Prefix}* domains: {string.Join("; ", stuck)}");
            }

            Console.WriteLine($"daemon      {Uri}, libvirt {BenchLibvirt.Version(connection.LibraryVersion())}, {connection.HostCpuCount()} host CPUs; {leftovers} leftover {Fleet.Prefix}* domains removed");
            int oneVcpu = domains.Count(d => d.Vcpus == 1);
            Console.WriteLine($"domains     {domains.Count} x {Fleet.Prefix}NN, type qemu (TCG), {oneVcpu} with 1 vCPU and {domains.Count - oneVcpu} with 2, no disk, seed {options.Seed}");

            long setup = Stopwatch.GetTimestamp();
            Fleet.Start(Uri, [.. domains.Select(d => (d.Name, d.Xml))], cancel.Token);
            Console.WriteLine($"set-up      defined and started in {Stopwatch.GetElapsedTime(setup).TotalSeconds:F1} s; load {BenchMachine.LoadAverage()}");

            var apply = new ApplyRounds(Uri, connection, domains, journalRoot, cancel.Token);
            string bareCalls = string.Join(", ", apply.Changes.Select(c => $"{c.Count} x {c.Call}"));
            Console.WriteLine($"declaration built in code (check allows one VM on 2 CPUs); the first apply makes {bareCalls}");
            Console.WriteLine($"journal     {journalRoot} ({BenchLibvirt.FileSystem(journalRoot)})");
            Console.WriteLine();

            (ApplyRound warmup, IReadOnlyList<ApplyRound> rounds) = apply.Run(options.Runs, Console.WriteLine);
            (CallClock bareProfile, CallClock engineProfile, CallClock readProfile, double findMs, CallClock defineProfile) = apply.Profile();
            IReadOnlyList<ReadRound> reads = options.SkipReads ? [] : ReadRounds.Run(Uri, domains, options.Runs, Console.WriteLine, cancel.Token);
            string loadAfter = BenchMachine.LoadAverage();

            double bare = Median(rounds.Select(r => r.BareMs));
            double first = Median(rounds.Select(r => r.First.TotalMs));
            double again = Median(rounds.Select(r => r.Again.TotalMs));
            double ratio = first / bare;

            Console.WriteLine();
            Console.WriteLine($"| Apply, {domains.Count} running domains ({options.Runs} rounds after 1 warm-up, alternating, same run) | Median | Max | Median / bare |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| baseline: the same libvirt calls, bare ({bareCalls}) | {bare:F1} ms | {rounds.Max(r => r.BareMs):F1} ms | 1.00 |");
            Console.WriteLine($"| **kvmconfig apply**, first apply from the pristine state | **{first:F1} ms** | {rounds.Max(r => r.First.TotalMs):F1} ms | **{ratio:F2}** |");
            Console.WriteLine($"| kvmconfig re-apply, nothing to change (read + plan) | {again:F1} ms | {rounds.Max(r => r.Again.TotalMs):F1} ms | {again / bare:F2} |");
            Console.WriteLine();
            Console.WriteLine("| Phase (median of the rounds) | First apply | Re-apply |");
            Console.WriteLine("|---|---:|---:|");
            Phase("lock + read every domain (`LibvirtApplyPort.Find`)", r => r.FindMs);
            Phase("plan (`DomainChange.Plan`: XML merge + live diff)", r => r.PlanMs);
            Phase("journal (`Journal.Create`, fsync'ed)", r => r.JournalMs);
            Phase("engine (`Applier.Apply`: look, define, live calls)", r => r.ApplyMs);
            void Phase(string label, Func<ApplyPhases, double> of) =>
                Console.WriteLine($"| {label} | {Median(rounds.Select(r => of(r.First))):F1} ms | {Median(rounds.Select(r => of(r.Again))):F1} ms |");

            Console.WriteLine($"warm-up     kvmconfig apply {warmup.First.TotalMs:F1} ms in its first (cold) call, JIT included; bare {warmup.BareMs:F1} ms");

            Console.WriteLine();
            Console.WriteLine("Profile (one more round after the timed ones, a clock around every call; not in the figures above):");
            PrintClock("Bare calls, by C function", bareProfile);
            PrintClock("kvmconfig first apply, by phase and port call", engineProfile);
            PrintClock($"`LibvirtApplyPort.Find` taken apart, {domains.Count} domains (whole `Find` timed apart: {findMs:F1} ms, {findMs / domains.Count:F2} ms per domain)", readProfile);
            PrintClock($"A define, with and without libvirt's schema check ({domains.Count} domains, their current XML again)", defineProfile);

            if (reads.Count > 0)
            {
                Console.WriteLine();
                Console.WriteLine($"| Read pins + stats of {domains.Count} running domains ({options.Runs} rounds after 1 warm-up, alternating) | Median | Max | Pins (median) | Stats (median) |");
                Console.WriteLine("|---|---:|---:|---:|---:|");
                Console.WriteLine($"| binding: open, per domain lookup + `VcpuPins` + `EmulatorPin`; one `AllDomainStats(State, Vcpu)` | **{Median(reads.Select(r => r.BindingMs)):F1} ms** | {reads.Max(r => r.BindingMs):F1} ms | " +
                    $"{Median(reads.Select(r => r.BindingPinsMs)):F1} ms | {Median(reads.Select(r => r.BindingStatsMs)):F1} ms |");
                Console.WriteLine($"| virsh: {domains.Count} x `vcpupin --live` + {domains.Count} x `emulatorpin --live` + 1 x `domstats --vcpu --state` ({(2 * domains.Count) + 1} processes) | **{Median(reads.Select(r => r.VirshMs)):F1} ms** | {reads.Max(r => r.VirshMs):F1} ms | " +
                    $"{Median(reads.Select(r => r.VirshPinsMs)):F1} ms | {Median(reads.Select(r => r.VirshStatsMs)):F1} ms |");
                Console.WriteLine($"reads       virsh / binding = {Median(reads.Select(r => r.VirshMs)) / Median(reads.Select(r => r.BindingMs)):F1}x (medians)");
            }

            Console.WriteLine();
            BenchMachine.Print();
            Console.WriteLine($"load        {loadBefore} before, {loadAfter} after (1, 5, 15 min; other work on the machine shows here)");
            Console.WriteLine($"guests      used {100 * apply.GuestCpuShare:F1} % of one CPU during the timed apply measurements; after each reset they went idle within " +
                $"{apply.Settling.Longest.TotalSeconds:F1} s{(apply.Settling.Unsettled > 0 ? $", except {apply.Settling.Unsettled} times (30 s timeout)" : "")}");
            Console.WriteLine();
            bool fast = first <= TargetMs;
            bool close = ratio <= TargetRatio;
            Console.WriteLine($"target      first apply median <= {TargetMs:F0} ms: {first:F1} ms {(fast ? "met" : "MISSED")}; " +
                $"<= {TargetRatio}x the bare calls: {ratio:F2}x {(close ? "met" : "MISSED")}");
            return fast && close ? 0 : 1;
        }
        catch (Exception e) when (e is BenchFailure or KvmConfigException or IOException or OperationCanceledException or AggregateException or InvalidOperationException)
        {
            Console.Error.WriteLine($"bench failed: {e.Message}");
            return 2;
        }
        finally
        {
            if (options.Keep)
            {
                Console.WriteLine($"kept        the {Fleet.Prefix}* domains and the journals in {journalRoot}");
            }
            else
            {
                TearDown(connection);
                Directory.Delete(journalRoot, recursive: true);
            }

            connection?.Dispose();
        }
    }

    private static void TearDown(LibvirtConnection? connection)
    {
        try
        {
            // The harness's own connection when it got that far; else a fresh one (start-up failed before opening it).
            LibvirtConnection live = connection ?? LibvirtConnection.Open(Uri);
            try
            {
                (int removed, IReadOnlyList<string> errors) = BenchLibvirt.RemoveAll(live, Fleet.Prefix);
                Console.WriteLine($"teardown    {removed} {Fleet.Prefix}* domains destroyed and undefined{(errors.Count > 0 ? $"; FAILED: {string.Join("; ", errors)}" : "")}");
            }
            finally
            {
                if (connection is null)
                {
                    live.Dispose();
                }
            }
        }
        catch (LibvirtException e)
        {
            Console.Error.WriteLine($"teardown failed ({e.Message}); remove the {Fleet.Prefix}* domains by hand (virsh destroy / undefine)");
        }
    }

    private static void PrintClock(string title, CallClock clock)
    {
        double total = clock.TotalMs;
        Console.WriteLine();
        Console.WriteLine($"| {title} | Calls | Total | Per call | Share |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach ((string kind, double ms, int calls) in clock.Kinds)
        {
            Console.WriteLine($"| {kind} | {calls} | {ms:F1} ms | {ms / calls:F2} ms | {100 * ms / total:F0} % |");
        }
    }

    private static Options? Parse(string[] args)
    {
        var options = new Options(Domains: 50, Runs: 5, Seed: 20261127, Keep: false, SkipReads: false);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keep":
                    options = options with { Keep = true };
                    break;
                case "--no-reads":
                    options = options with { SkipReads = true };
                    break;
                case "--domains" or "--runs" or "--seed" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int n) && n >= 0:
                    Options? next = args[i] switch
                    {
                        "--domains" when n is > 0 and <= 99 => options with { Domains = n },
                        "--runs" when n > 0 => options with { Runs = n },
                        "--seed" => options with { Seed = n },
                        _ => null,
                    };
                    if (next is null)
                    {
                        return null;
                    }

                    options = next;
                    i++;
                    break;
                default:
                    return null;
            }
        }

        return options;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

}
