using KvmConfig.Bench.Shared;
using System.Diagnostics;
using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.PlannerBench;

/// <summary>
/// Times <see cref="HostPlanner.Plan(HostTopology, Declaration)"/> on the synthetic host, measures its plan beside the baselines, prints the
/// tables and the machine, and exits 0 when the target is met, 1 when it is missed, 2 when the harness fails.
/// </summary>
/// <remarks>
/// Two modes per mix. <b>Batch</b>: each allocator places the whole declaration at once, largest first; the 5 ms
/// target and the exit code are about this mode only. <b>Arrival</b> and <b>churn</b> (<see cref="Arrival"/>): the VMs
/// arrive one at a time in the declaration's shuffled order (then every 5th leaves and 16 more arrive); their time is
/// the whole sequence (80 or 96 plans for kvmconfig) and is reported, not gated. A breach (a CPU owned twice, a pinned
/// VM that moved) in any mode means the figures cannot be believed: exit 2.
/// </remarks>
internal static class Harness
{
    // The issue's target: all 80 VMs planned in under 5 ms (median of the timed runs, mix "fit").
    private const double TargetMs = 5;

    // Issue 14, item 5: the 80-VM plan in at most 1 ms, and one VM into a host holding 80 in at most 0.2 ms (both
    // reported beside the gated 5 ms target, not gated: this machine is shared).
    private const double PlanTargetMs = 1;

    private const double OneMoreTargetMs = 0.2;

    // Warm-up is counted and timed: at least Warmup runs and WarmupSeconds of them. Ten runs are not enough: .NET's
    // tiered JIT promotes a method to optimised code only after 30 calls and a 100 ms quiet spell, then compiles it
    // in the background. With one warm-up run the first try measured 99.5 ms, against about 30 to 40 ms steady.
    // ArrivalRuns: timed runs of each arrival/churn sequence (one sequence is 80 or 96 plans); 0 skips those modes.
    private sealed record Options(int Runs, int Warmup, double WarmupSeconds, int Seed, IReadOnlyList<MixSpec> Mixes, int ArrivalRuns);

    /// <summary>Per-run wall time and bytes allocated on the calling thread.</summary>
    private sealed record Sample(double[] Ms, long[] AllocatedBytes)
    {
        public double MedianMs => Median(Ms);

        public double MaxMs => Ms.Max();

        public double MedianAllocatedBytes => Median([.. AllocatedBytes.Select(b => (double)b)]);
    }

    private sealed record Row(Outcome Outcome, Quality Quality, Sample Time);

    public static int Run(string[] args)
    {
        if (Parse(args) is not { } options)
        {
            Console.Error.WriteLine("usage: KvmConfig.PlannerBench [--runs N] [--warmup N] [--warmup-seconds S] [--seed S] [--mix fit|tight|odd|overload|all] [--arrival-runs N (0: batch only)]");
            return 2;
        }

#if DEBUG
        Console.WriteLine("WARNING: Debug build; figures are not comparable. Run with -c Release.");
#endif
        string loadBefore = BenchMachine.LoadAverage();
        HostTopology host = SyntheticHost.Build();
        var topology = new TopologyView(host);
        Console.WriteLine($"host        synthetic: {SyntheticHost.Sockets} sockets x {SyntheticHost.NodesPerSocket} NUMA nodes x {SyntheticHost.CoresPerNode} cores x {SyntheticHost.ThreadsPerCore} threads = {host.OnlineCpuCount} CPUs, " +
            $"siblings n and n+{SyntheticHost.PhysicalCores}, one L3 per socket, {SyntheticHost.NodeMemoryKiB / 1024 / 1024} GiB per node, no huge pages, SLIT 10 / 12 same socket / 21 remote");
        Console.WriteLine($"policy      reserved {VmMix.Policy.ReservedOn(host)}, cpuset the other {VmMix.Policy.CpuSetOn(host).Count} CPUs, overcommit {VmMix.Policy.Overcommit}, memory_reserved {VmMix.Policy.MemoryReservedMiB / 1024} GiB, numa strict, emulator reserved");
        Console.WriteLine($"runs        warm-up of at least {options.Warmup} runs and {options.WarmupSeconds:0.#} s, then {options.Runs} timed runs per allocator, in this process " +
            "(Stopwatch; allocated = GC.GetAllocatedBytesForCurrentThread per run; a full GC before each allocator)");

        bool met = true;
        bool broken = false;
        foreach (MixSpec mix in options.Mixes)
        {
            Declaration declaration = VmMix.Build(mix, options.Seed);
            Console.WriteLine();
            Describe(mix, declaration, topology, options.Seed);

            // kvmconfig first, then the baselines, each timed the same way on the same declaration. The first call of
            // the first mix is cold: JIT included, as one `kvmconfig plan` run pays it.
            long coldStart = Stopwatch.GetTimestamp();
            PlanResult result = HostPlanner.Plan(host, declaration);
            double coldMs = Stopwatch.GetElapsedTime(coldStart).TotalMilliseconds;
            Sample planTime = Time(() => HostPlanner.Plan(host, declaration), options);
            var rows = new List<Row> { Measure(Outcomes.FromPlan(result, topology, declaration), planTime) };
            foreach ((string name, Baselines.Allocator allocator) in (List<(string, Baselines.Allocator)>)
                [
                    ("kubelet-style packed, lowest first", Baselines.KubeletLowestFirst),
                    ("naive first fit by CPU number", Baselines.FirstFitByNumber),
                    ("(ref) kubelet packed, fewest-free-first order", Baselines.KubeletFewestFreeFirst),
                ])
            {
                Outcome outcome = Outcomes.Run(name, allocator, topology, declaration);
                rows.Add(Measure(outcome, Time(() => Outcomes.Run(name, allocator, topology, declaration), options)));
            }

            Row Measure(Outcome outcome, Sample time) => new(outcome, Outcomes.Measure(outcome, topology, declaration), time);

            var breaches = rows.SelectMany(r => Outcomes.Breaches(r.Outcome, topology)).ToList();
            foreach (string breach in breaches)
            {
                Console.WriteLine($"BREACH      {breach}");
            }

            broken |= breaches.Count > 0;
            if (!result.Ok)
            {
                Console.WriteLine($"kvmconfig   no plan: {result.Errors.Count} planning error(s), first: {result.Errors[0].Vm}: {result.Errors[0].Constraint}: {result.Errors[0].Message}");
            }
            else
            {
                int own = result.Plan!.Fragmentation.Sum(f => f.StrandedCpus.Count);
                Console.WriteLine($"cross-check kvmconfig's own Plan.Fragmentation: {own} stranded CPUs (the bench's function: {rows[0].Quality.Stranded})");
            }

            Console.WriteLine();
            PrintTable($"mix `{mix.Name}`, {VmMix.Vms} VMs, largest first", "Median ms", rows, "**kvmconfig** `HostPlanner.Plan`");
            Console.WriteLine();
            PrintPerNode(rows, topology, declaration);
            Console.WriteLine();
            Compare("batch", rows[0], rows[1], topology, declaration);

            Console.WriteLine($"kvmconfig   first call {coldMs:F1} ms{(mix == options.Mixes[0] ? " (cold: JIT included)" : "")}");
            if (mix == VmMix.Fit)
            {
                bool fast = planTime.MedianMs < TargetMs;
                Console.WriteLine($"target      all {VmMix.Vms} planned in < {TargetMs} ms (median): {planTime.MedianMs:F2} ms {(fast ? "met" : "MISSED")}; " +
                    $"a complete plan: {(result.Ok ? "yes" : "NO")}");
                met &= fast && result.Ok;
                Console.WriteLine($"target      (issue 14) all {VmMix.Vms} planned in <= {PlanTargetMs} ms (median): {planTime.MedianMs:F2} ms {(planTime.MedianMs <= PlanTargetMs ? "met" : "MISSED")} (reported, not gated)");
            }

            if (options.ArrivalRuns > 0)
            {
                foreach (Scenario scenario in (List<Scenario>)[Arrival.Arrivals(mix, declaration), Arrival.Churn(mix, declaration, options.Seed)])
                {
                    broken |= !RunScenario(scenario, topology, options);
                    Moves.Report(scenario, topology);
                }

                OneMore(mix, declaration, topology, options);
            }
        }

        Console.WriteLine();
        BenchMachine.Print();
        Console.WriteLine($"load        {loadBefore} before, {BenchMachine.LoadAverage()} after (1, 5, 15 min)");
        return broken ? 2 : met ? 0 : 1;
    }

    // Arrival or churn for every allocator: breaches first (kvmconfig's pinned VMs checked after every plan), then the
    // timed sequences, the table and the comparison. Reported only: the exit code does not depend on these figures.
    // Returns false on a breach.
    private static bool RunScenario(Scenario scenario, TopologyView topology, Options options)
    {
        Options timing = options with { Runs = options.ArrivalRuns };
        var breaches = new List<string>();
        var refusals = new List<(string Constraint, string Text)>();
        var rows = new List<Row>();
        Outcome kvm = Arrival.RunKvmconfig(topology, scenario, breaches, refusals);
        rows.Add(Measure(kvm, Time(() => Arrival.RunKvmconfig(topology, scenario), timing)));

        // The same sequence as before issue 14: every earlier VM pinned as an explicit list and planned again by Plan.
        // Its placements must be the kept mode's, VM for VM; its time is the baseline of the incremental entry point.
        Outcome lists = Arrival.RunKvmconfig(topology, scenario, breaches, pinAsLists: true) with { Allocator = "kvmconfig `HostPlanner.Plan`, earlier VMs pinned as lists (before issue 14)" };
        var listOwned = lists.Dedicated.ToDictionary(d => d.Vm.Name, d => d.Owned);
        int differ = kvm.Dedicated.Count(d => listOwned.GetValueOrDefault(d.Vm.Name) != d.Owned);

        rows.Add(Measure(lists, Time(() => Arrival.RunKvmconfig(topology, scenario, pinAsLists: true), timing)));
        foreach ((string name, Baselines.Allocator allocator) in (List<(string, Baselines.Allocator)>)
            [
                ("kubelet-style packed, lowest first", Baselines.KubeletLowestFirst),
                ("naive first fit by CPU number", Baselines.FirstFitByNumber),
                ("(ref) kubelet packed, fewest-free-first order", Baselines.KubeletFewestFreeFirst),
            ])
        {
            Outcome outcome = Arrival.RunBaseline(name, allocator, topology, scenario);
            rows.Add(Measure(outcome, Time(() => Arrival.RunBaseline(name, allocator, topology, scenario), timing)));
        }

        Row Measure(Outcome outcome, Sample time) => new(outcome, Outcomes.Measure(outcome, topology, scenario.Final), time);

        breaches.AddRange(rows.SelectMany(r => Outcomes.Breaches(r.Outcome, topology)));
        Console.WriteLine();
        Console.WriteLine($"{scenario.Name,-11} {scenario.Events.Count} events ({scenario.Arrivals} arrivals, {scenario.Events.Count - scenario.Arrivals} departures), one plan per arrival for kvmconfig; " +
            $"measured against the {scenario.Final.Vms.Count} VMs still wanted, median dedicated VM {Outcomes.TypicalVmCpus(scenario.Final)} vCPUs; {options.ArrivalRuns} timed runs of the whole sequence");
        foreach (string breach in breaches)
        {
            Console.WriteLine($"BREACH      {breach}");
        }

        // A split VM pinned as a list gets its memory in proportion to its CPUs per node, not as it was split: later
        // choices may then differ. Reported, not a breach.
        Console.WriteLine($"cross-check kept against pinned as lists: {differ} of {kvm.Dedicated.Count} dedicated VMs own different CPUs");

        // Why kvmconfig refused each VM it did not place: every one when few, else a count per constraint and the first few.
        if (refusals.Count > 6)
        {
            Console.WriteLine($"refused     kvmconfig: {refusals.Count} arrivals, by the constraint of the planner's first error: " +
                string.Join(", ", refusals.GroupBy(r => r.Constraint).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
        }

        foreach ((_, string text) in refusals.Take(refusals.Count > 6 ? 3 : 6))
        {
            Console.WriteLine($"refused     kvmconfig: {text}");
        }

        // kvmconfig as an administrator runs it: the VMs stay on `cpus = auto` in the declaration, so every apply
        // re-plans all of them and re-pins the running ones live. The end state is then the batch plan of the VMs on
        // the host (the same ones the sequence placed). Its time is one plan; what it costs is the VMs it moves.
        Declaration onHost = scenario.Final with { Vms = [.. scenario.Final.Vms.Where(v => !kvm.Unplaced.Contains(v.Name))] };
        PlanResult replanned = HostPlanner.Plan(topology.Host, onHost);
        Row? replan = null;
        if (replanned.Ok)
        {
            Outcome outcome = Outcomes.FromPlan(replanned, topology, onHost) with { Allocator = "kvmconfig, all re-planned at the end", Unplaced = kvm.Unplaced };
            replan = Measure(outcome, Time(() => HostPlanner.Plan(topology.Host, onHost), timing));
            rows.Add(replan);
        }

        Console.WriteLine();
        PrintTable(scenario.Title, $"Total ms, {scenario.Arrivals} arrivals (median)", rows, "**kvmconfig** `HostPlanner.PlanAround`, VMs on the host kept");
        Console.WriteLine();
        PrintPerNode(rows, topology, scenario.Final);
        Console.WriteLine();
        Compare(scenario.Name, rows[0], rows[2], topology, scenario.Final);
        if (replan is not null)
        {
            Dictionary<string, CpuSet> before = kvm.Dedicated.ToDictionary(d => d.Vm.Name, d => d.Owned);
            int moved = replan.Outcome.Dedicated.Count(d => before[d.Vm.Name] != d.Owned);
            Compare($"{scenario.Name}, re-planned", replan, rows[2], topology, scenario.Final);
            Console.WriteLine($"{scenario.Name,-11} re-planning moves {moved} of {before.Count} dedicated VMs (live re-pinning; memory follows only where numatune can migrate it)");
        }
        else
        {
            Console.WriteLine($"{scenario.Name,-11} re-planning the VMs on the host finds no plan: {replanned.Errors[0].Vm}: {replanned.Errors[0].Message}");
        }

        Console.WriteLine($"{scenario.Name,-11} kvmconfig {rows[0].Time.MedianMs:F1} ms for {scenario.Arrivals} sequential plans ({rows[0].Time.MedianMs / scenario.Arrivals:F3} ms per arrival on average; " +
            $"pinned as lists: {rows[1].Time.MedianMs:F1} ms, {rows[1].Time.MedianMs / scenario.Arrivals:F3} ms per arrival; reported, not gated)");
        return breaches.Count == 0;
    }

    // Issue 14's arrival target: one VM placed into the host the arrival sequence left (80 VMs on it in every mix but
    // overload), by PlanAround with the VMs on the host kept. Reported, not gated.
    private static void OneMore(MixSpec mix, Declaration declaration, TopologyView topology, Options options)
    {
        var placed = new List<VmPlacement>();
        Arrival.RunKvmconfig(topology, Arrival.Arrivals(mix, declaration), placed: placed);
        VmSpec extra = VmMix.Draw(mix, new Random(options.Seed + 2), 8, "one").First(v => v.IsDedicated);
        var onHost = placed.Select(p => p.Spec).ToList();
        Declaration withExtra = declaration with { Vms = [.. onHost, extra] };
        PlanResult result = HostPlanner.PlanAround(topology.Host, withExtra, placed);
        Sample time = Time(() => HostPlanner.PlanAround(topology.Host, withExtra, placed), options);
        Console.WriteLine();
        Console.WriteLine($"one more    {extra.Name} ({extra.Vcpus} vCPUs, {extra.Pinning.ToString().ToLowerInvariant()}, smt {extra.Smt.ToString().ToLowerInvariant()}) into the host holding {onHost.Count} VMs: " +
            $"PlanAround median {time.MedianMs:F3} ms (max {time.MaxMs:F3}, {Bytes(time.MedianAllocatedBytes)}), {(result.Ok ? $"placed on {result.Plan!.Vm(extra.Name)!.Cpus}" : $"refused: {result.Errors[0].Constraint}")}; " +
            $"target <= {OneMoreTargetMs} ms: {(time.MedianMs <= OneMoreTargetMs ? "met" : "MISSED")} (reported, not gated)");

        // The must-move case, once: a VM that needs whole cores only moves can free, so that the fewest moves are searched.
        if (mix != options.Mixes[0])
        {
            return;
        }

        foreach (int more in (int[])[1, 2, 3, 4])
        {
            (Declaration must, Dictionary<string, Incumbent> incumbents) = Moves.Fragmented(topology.Host, declaration, extra, wholeLeft: 8, more);
            PlanResult moved = HostPlanner.Plan(topology.Host, must, incumbents);
            Options few = options with { Runs = Math.Min(options.Runs, 5), Warmup = 1, WarmupSeconds = 0 };
            Sample searched = Time(() => HostPlanner.Plan(topology.Host, must, incumbents), few);
            PlanResult scratch = HostPlanner.Plan(topology.Host, must);
            Sample repack = Time(() => HostPlanner.Plan(topology.Host, must), few);
            int repackMoves = scratch.Plan is { } s ? HostPlanner.MovesFrom(incumbents, s).Count : 0;
            Console.WriteLine($"must move   {incumbents.Count} 1-vCPU VMs breaking every core but 8, a VM needing {8 + more} whole cores: " +
                $"{(moved.Plan is { } plan ? $"{plan.Moves.Count} moved ({plan.Moves[^1].Why})" : $"refused: {moved.Errors[0].Constraint}")}; " +
                $"median {searched.MedianMs:F1} ms (max {searched.MaxMs:F1}, {Bytes(searched.MedianAllocatedBytes)}); " +
                $"a repack moves {repackMoves} in {repack.MedianMs:F1} ms (reported, not gated)");
        }
    }

    private static Options? Parse(string[] args)
    {
        var options = new Options(Runs: 50, Warmup: 10, WarmupSeconds: 3, Seed: 20261127, Mixes: [VmMix.Fit, VmMix.Tight, VmMix.Odd, VmMix.Overload], ArrivalRuns: 10);
        for (int i = 0; i < args.Length; i++)
        {
            if (i + 1 >= args.Length)
            {
                return null;
            }

            string value = args[++i];
            bool number = int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n >= 0;
            Options? next = args[i - 1] switch
            {
                "--runs" when number && n > 0 => options with { Runs = n },
                "--warmup" when number => options with { Warmup = n },
                "--warmup-seconds" when number => options with { WarmupSeconds = n },
                "--seed" when number => options with { Seed = n },
                "--arrival-runs" when number => options with { ArrivalRuns = n },
                "--mix" => value switch
                {
                    "fit" => options with { Mixes = [VmMix.Fit] },
                    "tight" => options with { Mixes = [VmMix.Tight] },
                    "overload" => options with { Mixes = [VmMix.Overload] },
                    "odd" => options with { Mixes = [VmMix.Odd] },
                    "all" => options with { Mixes = [VmMix.Fit, VmMix.Tight, VmMix.Odd, VmMix.Overload] },
                    _ => null,
                },
                _ => null,
            };
            if (next is null)
            {
                return null;
            }

            options = next;
        }

        return options;
    }

    private static Sample Time(Action action, Options options)
    {
        long warmupStart = Stopwatch.GetTimestamp();
        for (int i = 0; i < options.Warmup || Stopwatch.GetElapsedTime(warmupStart).TotalSeconds < options.WarmupSeconds; i++)
        {
            action();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();

        var ms = new double[options.Runs];
        var bytes = new long[options.Runs];
        for (int i = 0; i < options.Runs; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            action();
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            bytes[i] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        return new Sample(ms, bytes);
    }

    private static void Describe(MixSpec mix, Declaration declaration, TopologyView topology, int seed)
    {
        List<VmSpec> dedicated = [.. declaration.Vms.Where(v => v.IsDedicated)];
        List<VmSpec> shared = [.. declaration.Vms.Where(v => !v.IsDedicated)];
        int demand = dedicated.Sum(v => VmMix.CpusNeeded(v, topology.ThreadsPerCore));
        int usable = declaration.Host.CpuSetOn(topology.Host).Count;
        long memoryGiB = declaration.Vms.Sum(v => v.MemoryMiB ?? 0) / 1024;
        Console.WriteLine($"mix {mix.Name,-7} {declaration.Vms.Count} VMs, seed {seed}, vCPUs {mix.Describe()} ({mix.TotalVcpus} vCPUs); " +
            $"pinning {dedicated.Count(v => v.Pinning == PinningMode.Strict)} strict, {dedicated.Count(v => v.Pinning == PinningMode.Float)} float, {shared.Count} shared pool; " +
            $"smt isolate {dedicated.Count(v => v.Smt == SmtPolicy.Isolate)} of the dedicated");
        Console.WriteLine($"            dedicated demand {demand} CPUs of {usable} usable ({100.0 * demand / usable:F0} %), shared {shared.Sum(v => v.Vcpus)} vCPUs; " +
            $"memory {declaration.Vms.Min(v => v.MemoryMiB) / 1024}..{declaration.Vms.Max(v => v.MemoryMiB) / 1024} GiB, {memoryGiB} GiB in all; median dedicated VM {Outcomes.TypicalVmCpus(declaration)} vCPUs");
    }

    private static void PrintTable(string title, string timeHeader, List<Row> rows, string kvmconfig)
    {
        Console.WriteLine($"| Allocator ({title}) | {timeHeader} | Max ms | Allocated | Not placed | NUMA-local | Whole cores | Fragmentation (stranded CPUs) | Free CPUs / whole cores | Nodes short of memory |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Row row in rows)
        {
            Quality q = row.Quality;
            bool known = row.Outcome.HasPlacements;
            string name = row.Outcome.Allocator == "kvmconfig" ? kvmconfig : row.Outcome.Allocator;
            Console.WriteLine($"| {name} | {row.Time.MedianMs:F2} | {row.Time.MaxMs:F2} | {Bytes(row.Time.MedianAllocatedBytes)} | {q.Unplaced} | " +
                $"{(known ? Share(q.NumaLocal, q.DedicatedPlaced) : "n/a")} | {(known ? Share(q.WholeCore, q.WholeCoreEligible) : "n/a")} | " +
                $"{(known ? q.Stranded.ToString(CultureInfo.InvariantCulture) : "n/a")} | {(known ? $"{q.FreeCpus} / {q.FreeWholeCores}" : "n/a")} | " +
                $"{(known ? q.NodesShortOfMemory == 0 ? "0" : $"{q.NodesShortOfMemory} (worst {q.WorstMemoryShortMiB / 1024.0:F1} GiB over)" : "n/a")} |");
        }
    }

    private static void PrintPerNode(List<Row> rows, TopologyView topology, Declaration declaration)
    {
        int typical = Outcomes.TypicalVmCpus(declaration);
        foreach (Row row in rows.Where(r => r.Outcome.HasPlacements))
        {
            CpuSet free = row.Outcome.Free;
            IEnumerable<string> cells = topology.Nodes.Select((node, id) =>
                $"{id}:{(free & node).Count}/{Outcomes.Stranded(topology, free & node, typical)}");
            Console.WriteLine($"per node    free/stranded {string.Join(' ', cells)}   {row.Outcome.Allocator}");
        }

        foreach (Row row in rows.Where(r => r.Outcome.HasPlacements))
        {
            var split = row.Outcome.Dedicated
                .Where(d => topology.NodesOf(d.Owned).Count > 1)
                .Select(d => $"{d.Vm.Name} ({d.Vm.Vcpus} vCPUs on nodes {string.Join('+', topology.NodesOf(d.Owned))})")
                .ToList();
            Console.WriteLine($"split       {(split.Count == 0 ? "none" : string.Join(", ", split.Take(6)) + (split.Count > 6 ? $", and {split.Count - 6} more" : ""))}   {row.Outcome.Allocator}");
        }
    }

    // The issue's target: kvmconfig at least as good as the kubelet-style baseline on every measure, better on
    // fragmentation. Each line says which is better and by how much.
    private static void Compare(string mode, Row kvm, Row kubelet, TopologyView topology, Declaration declaration)
    {
        if (!kvm.Outcome.HasPlacements)
        {
            Console.WriteLine($"versus      kubelet-style: kvmconfig made no plan ({kvm.Quality.Unplaced} VMs named in errors); kubelet-style left {kubelet.Quality.Unplaced} unplaced");
            return;
        }

        Quality k = kvm.Quality, b = kubelet.Quality;
        string Verdict(double ours, double theirs, bool higherIsBetter, string unit)
        {
            double delta = higherIsBetter ? ours - theirs : theirs - ours;
            return delta > 0 ? $"better by {Math.Abs(ours - theirs):0.#}{unit}" : delta < 0 ? $"WORSE by {Math.Abs(ours - theirs):0.#}{unit}" : "equal";
        }

        double Pct(int n, int d) => d == 0 ? 100 : 100.0 * n / d;
        Console.WriteLine($"versus      ({mode}) kubelet-style: not placed {Verdict(k.Unplaced, b.Unplaced, false, " VMs")}; " +
            $"NUMA-local {Verdict(Pct(k.NumaLocal, k.DedicatedPlaced), Pct(b.NumaLocal, b.DedicatedPlaced), true, " points")}; " +
            $"whole cores {Verdict(Pct(k.WholeCore, k.WholeCoreEligible), Pct(b.WholeCore, b.WholeCoreEligible), true, " points")}; " +
            $"fragmentation {Verdict(k.Stranded, b.Stranded, false, " CPUs")}; " +
            $"nodes short of memory {Verdict(k.NodesShortOfMemory, b.NodesShortOfMemory, false, "")}");

        var misses = new List<string>();
        if (k.Unplaced > b.Unplaced)
        {
            misses.Add("more VMs not placed");
        }

        if (Pct(k.NumaLocal, k.DedicatedPlaced) < Pct(b.NumaLocal, b.DedicatedPlaced))
        {
            misses.Add("fewer NUMA-local VMs");
        }

        if (Pct(k.WholeCore, k.WholeCoreEligible) < Pct(b.WholeCore, b.WholeCoreEligible))
        {
            misses.Add("fewer VMs on whole cores");
        }

        // Nothing beats an allocator at the floor: there "better" is out of reach and equal is the best result.
        int floor = Outcomes.StrandedFloor(topology, b.FreeCpus, Outcomes.TypicalVmCpus(declaration));
        if (k.Stranded > b.Stranded || (k.Stranded == b.Stranded && b.Stranded > floor))
        {
            misses.Add(k.Stranded == b.Stranded ? "fragmentation equal, not better" : "more fragmentation");
        }

        Console.WriteLine($"floor       ({mode}) no allocator that leaves {b.FreeCpus} CPUs free can strand fewer than {floor}: kvmconfig {k.Stranded}, kubelet-style {b.Stranded}" +
            (b.Stranded == floor ? " (kubelet-style at the floor: it cannot be beaten there)" : ""));

        Console.WriteLine($"quality     ({mode}) target (at least as good as kubelet-style everywhere, better on fragmentation where it is above the floor): {(misses.Count == 0 ? "met" : $"NOT met: {string.Join(", ", misses)}")}");
    }

    private static string Share(int n, int d) => d == 0 ? "-" : $"{n}/{d} ({100.0 * n / d:F0} %)";

    private static string Bytes(double bytes) =>
        bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024):F1} MiB" : $"{bytes / 1024:F0} KiB";

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
