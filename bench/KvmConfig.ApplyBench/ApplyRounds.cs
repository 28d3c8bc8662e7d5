using System.Diagnostics;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Bench.Shared;

namespace KvmConfig.ApplyBench;

/// <summary>Where one kvmconfig apply spent its time, in the order <c>kvmconfig apply</c> runs the phases.</summary>
/// <param name="FindMs">Reading every domain (<see cref="LibvirtApplyPort.Find"/>: persistent XML and live state).</param>
/// <param name="PlanMs"><see cref="DomainChange.Plan"/> for every domain (XML merge, live diff; no I/O).</param>
/// <param name="JournalMs"><see cref="Journal.Create"/>: every domain's XML and live state written and fsync'ed.</param>
/// <param name="ApplyMs"><see cref="Applier.Apply"/>: a look before each domain, its define and its live changes.</param>
internal sealed record ApplyPhases(double FindMs, double PlanMs, double JournalMs, double ApplyMs)
{
    public double TotalMs => FindMs + PlanMs + JournalMs + ApplyMs;
}

/// <summary>One round of part (a): the three timed measurements.</summary>
internal sealed record ApplyRound(double BareMs, ApplyPhases First, ApplyPhases Again);

/// <summary>
/// Part (a). kvmconfig's apply of the declaration to the running domains, from their pristine state, then the same
/// apply again (nothing left to change), beside the bare libvirt calls that make the same changes. Every measurement
/// starts from a verified state: the harness resets the domains (untimed) and checks them against the state read
/// once after start-up, and it checks after each bare run that kvmconfig would find nothing left to change, so the
/// baseline demonstrably did the same work.
/// </summary>
/// <remarks>
/// <b>Why a reset restarts the domains.</b> A domain started without <c>&lt;numatune&gt;</c> runs with its memory
/// unbound (live <c>numa_nodeset</c> empty), and the first apply binds it to node 0. libvirt cannot unbind it again
/// (it refuses an empty nodeset, and changes a running domain's nodeset only in restrictive mode), so
/// <see cref="Applier.Restore"/> puts back every other value but leaves the binding, and a second "first apply" would
/// make one call fewer. The reset therefore destroys each domain, redefines its pristine XML and starts it again (four
/// at a time), then waits until the guests are idle: every measurement starts from domains exactly as the set-up left
/// them.
/// </remarks>
internal sealed class ApplyRounds
{
    private readonly string _uri;
    private readonly LibvirtConnection _connection;
    private readonly LibvirtApplyPort _port;
    private readonly IReadOnlyList<BenchDomain> _domains;
    private readonly string _journalRoot;
    private readonly string _lockFile;
    private readonly IReadOnlyList<DomainView> _pristine;
    private readonly IReadOnlyDictionary<string, string> _pristineText;
    private readonly IReadOnlyList<BareDomain> _bare;
    private readonly CancellationToken _cancel;
    private double _guestCpuSeconds;
    private double _timedSeconds;
    private TimeSpan _longestSettle;
    private int _unsettled;

    /// <summary>
    /// The bare calls for one domain: the XML to define (null when the definition does not change) and the live calls
    /// with their arguments already built. The calls are the ones <see cref="Applier.Apply"/> makes from the pristine
    /// state (its plan, computed once, untimed); the baseline makes them on the handle <c>Define</c> returns.
    /// </summary>
    private sealed record BareDomain(string Name, string? Xml, IReadOnlyList<(string Call, Action<LibvirtDomain> Make)> Live);

    public ApplyRounds(string uri, LibvirtConnection connection, IReadOnlyList<BenchDomain> domains, string journalRoot, CancellationToken cancel)
    {
        _uri = uri;
        _cancel = cancel;
        _connection = connection;
        _port = new LibvirtApplyPort(connection);
        _domains = domains;
        _journalRoot = journalRoot;
        _lockFile = Path.Combine(journalRoot, "apply.lock");
        _pristine = [.. domains.Select(d => _port.Find(d.Name) ?? throw new BenchFailure($"{d.Name} vanished after start-up"))];
        if (_pristine.FirstOrDefault(v => !v.Active) is { } stopped)
        {
            throw new BenchFailure($"{stopped.Name} is not running after start-up");
        }

        _pristineText = _pristine.ToDictionary(v => v.Name, Text, StringComparer.Ordinal);
        _bare = [.. _pristine.Zip(domains, (view, domain) => Bare(DomainChange.Plan(view, domain.Tuning)))];
    }

    /// <summary>What the first apply changes on all domains together (from the plan on the pristine state): the
    /// libvirt calls the baseline makes, by C function, with their counts.</summary>
    public IReadOnlyList<(string Call, int Count)> Changes =>
        [(Calls.Define, _bare.Count(b => b.Xml is not null)),
         .. _bare.SelectMany(b => b.Live.Select(l => l.Call)).GroupBy(c => c).Select(g => (g.Key, g.Count()))];

    /// <summary>CPU the guests used during the timed measurements, as a share of one CPU (they should be idle).</summary>
    public double GuestCpuShare => _timedSeconds == 0 ? 0 : _guestCpuSeconds / _timedSeconds;

    /// <summary>The longest wait for the guests to go idle after a reset, and how many resets they did not within 30 s.</summary>
    public (TimeSpan Longest, int Unsettled) Settling => (_longestSettle, _unsettled);

    /// <summary>
    /// One warm-up round (JIT, libvirtd's caches; discarded), then <paramref name="runs"/> rounds. Odd rounds time the
    /// baseline first, even rounds kvmconfig first, so that a slow spell of the shared machine does not favour either.
    /// </summary>
    public (ApplyRound Warmup, IReadOnlyList<ApplyRound> Rounds) Run(int runs, Action<string> report)
    {
        ApplyRound warmup = Round(bareFirst: true);
        report($"warm-up     bare {warmup.BareMs,7:F1} ms   kvmconfig apply {warmup.First.TotalMs,7:F1} ms (cold: JIT)   re-apply {warmup.Again.TotalMs,7:F1} ms");
        var rounds = new List<ApplyRound>();
        for (int i = 0; i < runs; i++)
        {
            ApplyRound round = Round(bareFirst: i % 2 == 0);
            rounds.Add(round);
            report($"round {i + 1}/{runs}   bare {round.BareMs,7:F1} ms   kvmconfig apply {round.First.TotalMs,7:F1} ms   re-apply {round.Again.TotalMs,7:F1} ms" +
                $"   ({(i % 2 == 0 ? "bare first" : "kvmconfig first")})");
        }

        return (warmup, rounds);
    }

    /// <summary>
    /// One more round with a clock around every call, after the timed rounds and outside their figures: the bare
    /// calls by C function, the engine's port calls by phase, a domain read taken apart into its libvirt calls, and a
    /// define with and without libvirt's schema check.
    /// </summary>
    public (CallClock Bare, CallClock Engine, CallClock Read, double FindMs, CallClock Define) Profile()
    {
        var bare = new CallClock();
        ResetAndCheck();
        TimeBare(bare);
        CheckApplied();
        ResetAndCheck();

        var engine = new CallClock();
        var profiling = new ProfilingPort(_port, engine);
        profiling.Phase = "1 read: ";
        List<DomainView> views = [.. _domains.Select(d => profiling.Find(d.Name)!)];
        List<DomainChange> changes = engine.Time("2 plan: DomainChange.Plan", () => views.Zip(_domains, (v, d) => DomainChange.Plan(v, d.Tuning)).ToList());
        Journal journal = engine.Time("3 journal: Journal.Create", () => Journal.Create(_journalRoot, _connection.Uri, DateTimeOffset.UtcNow, views));
        profiling.Phase = "4 apply: ";
        ApplyOutcome outcome = Applier.Apply(profiling, changes, journal);
        if (!outcome.Succeeded)
        {
            throw new BenchFailure($"profiled apply failed on {outcome.FailedDomain} at {outcome.FailedStep}: {outcome.Error?.Message}");
        }

        (CallClock read, double findMs) = ReadAnatomy();
        CallClock define = DefineAnatomy();
        ResetAndCheck();
        return (bare, engine, read, findMs, define);
    }

    private ApplyRound Round(bool bareFirst)
    {
        double bareMs = 0;
        ApplyPhases? first = null, again = null;
        foreach (bool bareTurn in bareFirst ? [true, false] : (bool[])[false, true])
        {
            ResetAndCheck();
            double guestBefore = Fleet.GuestCpuSeconds(_domains);
            long start = Stopwatch.GetTimestamp();
            if (bareTurn)
            {
                bareMs = TimeBare(clock: null);
            }
            else
            {
                first = TimeKvmconfig(expectChanges: true);
                again = TimeKvmconfig(expectChanges: false);
            }

            _timedSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
            _guestCpuSeconds += Fleet.GuestCpuSeconds(_domains) - guestBefore;
            if (bareTurn)
            {
                CheckApplied();
            }
        }

        return new ApplyRound(bareMs, first!, again!);
    }

    /// <summary>
    /// What <c>kvmconfig apply</c> does once it holds a plan (src/KvmConfig.Cli/Apply/ApplyCommand.cs), minus the
    /// terminal: take the host lock, read every domain, plan each change, and when anything changes write the journal
    /// and run the engine. With nothing to change it stops after the plan, as the command does. The connection is
    /// open already (for the baseline too).
    /// </summary>
    private ApplyPhases TimeKvmconfig(bool expectChanges)
    {
        long start = Stopwatch.GetTimestamp();
        using ApplyLock held = ApplyLock.Acquire(_lockFile, TimeSpan.FromSeconds(10));
        List<DomainView> views = [.. _domains.Select(d => _port.Find(d.Name) ?? throw new BenchFailure($"{d.Name} vanished"))];
        long found = Stopwatch.GetTimestamp();
        List<DomainChange> changes = [.. views.Zip(_domains, (v, d) => DomainChange.Plan(v, d.Tuning))];
        List<DomainChange> real = [.. changes.Where(c => !c.IsEmpty)];
        long planned = Stopwatch.GetTimestamp();
        long journaled = planned, applied = planned;
        if (real.Count > 0)
        {
            Journal journal = Journal.Create(_journalRoot, _connection.Uri, DateTimeOffset.UtcNow, [.. views.Where(v => real.Any(c => c.Name == v.Name))]);
            journaled = Stopwatch.GetTimestamp();
            ApplyOutcome outcome = Applier.Apply(_port, changes, journal);
            applied = Stopwatch.GetTimestamp();
            if (!outcome.Succeeded)
            {
                throw new BenchFailure($"kvmconfig apply failed on {outcome.FailedDomain} at {outcome.FailedStep}: {outcome.Error?.Message}");
            }
        }

        if (expectChanges ? real.Count != _domains.Count : real.Count != 0)
        {
            throw new BenchFailure(expectChanges
                ? $"the first apply changed {real.Count} of {_domains.Count} domains; the restore did not bring them back to pristine"
                : $"the re-apply still found changes (not idempotent): {Describe(real[0])}");
        }

        return new ApplyPhases(
            Stopwatch.GetElapsedTime(start, found).TotalMilliseconds,
            Stopwatch.GetElapsedTime(found, planned).TotalMilliseconds,
            Stopwatch.GetElapsedTime(planned, journaled).TotalMilliseconds,
            Stopwatch.GetElapsedTime(journaled, applied).TotalMilliseconds);
    }

    // The baseline: define the precomputed XML and make the live calls on the handle libvirt returns. No lookup, no
    // read, no diff, no journal, no lock.
    private double TimeBare(CallClock? clock)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (BareDomain domain in _bare)
        {
            using LibvirtDomain handle = domain.Xml is { } xml
                ? Call(clock, Calls.Define, () => _connection.Define(xml))
                : Call(clock, Calls.Lookup, () => _connection.Lookup(domain.Name));
            foreach ((string call, Action<LibvirtDomain> make) in domain.Live)
            {
                if (clock is null)
                {
                    make(handle);
                }
                else
                {
                    clock.Time(call, () => make(handle));
                }
            }
        }

        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static T Call<T>(CallClock? clock, string kind, Func<T> call) => clock is null ? call() : clock.Time(kind, call);

    // After the baseline, every domain must be exactly where kvmconfig's apply would have put it.
    private void CheckApplied()
    {
        foreach (BenchDomain domain in _domains)
        {
            DomainChange left = DomainChange.Plan(_port.Find(domain.Name)!, domain.Tuning);
            if (!left.IsEmpty)
            {
                throw new BenchFailure($"the bare calls left {domain.Name} short of the declaration: {Describe(left)}");
            }
        }
    }

    /// <summary>Puts every domain back to its state after start-up (a restart from its pristine XML; see the class
    /// remarks), waits for the guests to go idle and checks every domain against what was read after start-up.</summary>
    private void ResetAndCheck()
    {
        _cancel.ThrowIfCancellationRequested();
        Fleet.Start(_uri, [.. _pristine.Select(v => (v.Name, v.PersistentXml))], _cancel);
        (TimeSpan waited, bool idle) = Fleet.Settle(_domains, TimeSpan.FromSeconds(30), _cancel);
        _longestSettle = waited > _longestSettle ? waited : _longestSettle;
        _unsettled += idle ? 0 : 1;
        foreach (DomainView was in _pristine)
        {
            if (Text(_port.Find(was.Name)!) != _pristineText[was.Name])
            {
                throw new BenchFailure($"{was.Name} is not back to its pristine state after the reset");
            }
        }
    }

    /// <summary>
    /// Each binding call <see cref="LibvirtApplyPort.Find"/> makes for one running domain, timed apart, for every
    /// domain, beside the whole <c>Find</c>. The sequence copies LibvirtApplyPort.Find and ReadLive as they are now
    /// (live state read with <see cref="DomainImpact.Current"/>); if those change, so must this.
    /// </summary>
    private (CallClock Parts, double FindMs) ReadAnatomy()
    {
        const DomainImpact now = DomainImpact.Current;
        var clock = new CallClock();
        var whole = new CallClock();
        foreach (BenchDomain bench in _domains)
        {
            whole.Time("Find", () => _port.Find(bench.Name));
            using LibvirtDomain domain = clock.Time("virDomainLookupByName", () => _connection.TryLookup(bench.Name)!);
            clock.Time("virDomainGetState (IsActive)", () => domain.IsActive);
            clock.Time("virDomainGetXMLDesc, inactive", () => domain.Xml(inactive: true));
            clock.Time("virDomainGetVcpusFlags + virDomainGetVcpuPinInfo", () => domain.VcpuPins(now));
            clock.Time("virDomainGetEmulatorPinInfo", () => domain.EmulatorPin(now));
            clock.Time("virDomainGetSchedulerType + virDomainGetSchedulerParameters", () => domain.SchedulerParameters(now));
            clock.Time("virDomainGetNumaParameters", () => domain.NumaParameters(now));
            clock.Time("virDomainGetBlkioParameters", () =>
            {
                try
                {
                    return domain.BlkioParameters(now);
                }
                catch (LibvirtException e) when (e.Code is LibvirtException.OperationInvalid or LibvirtException.ConfigUnsupported)
                {
                    return [];
                }
            });
            clock.Time("virDomainGetXMLDesc, live (interface names)", () => domain.Xml());
        }

        return (clock, whole.TotalMs);
    }

    /// <summary>
    /// Where a define's time goes: each domain's current persistent XML defined again (libvirt does the whole define
    /// even when nothing changes: parse, post-parse, save the file), with and without <c>VIR_DOMAIN_DEFINE_VALIDATE</c>
    /// (the RNG schema check that <see cref="LibvirtApplyPort.Define"/> and the baseline both ask for), alternating.
    /// </summary>
    private CallClock DefineAnatomy()
    {
        var clock = new CallClock();
        foreach (BenchDomain bench in _domains)
        {
            string xml = _port.Find(bench.Name)!.PersistentXml;
            clock.Time("virDomainDefineXMLFlags with VALIDATE", () => _connection.Define(xml, validate: true)).Dispose();
            clock.Time("virDomainDefineXMLFlags without VALIDATE", () => _connection.Define(xml, validate: false)).Dispose();
        }

        return clock;
    }

    private static BareDomain Bare(DomainChange change)
    {
        var live = new List<(string, Action<LibvirtDomain>)>();
        foreach (LiveOperation operation in change.Live)
        {
            live.Add(operation switch
            {
                PinVcpu pin => (Calls.PinVcpu, d => d.PinVcpu(pin.Vcpu, pin.Cpus, DomainImpact.Live)),
                PinEmulator pin => (Calls.PinEmulator, d => d.PinEmulator(pin.Cpus, DomainImpact.Live)),
                SetScheduler scheduler => (Calls.SetScheduler, SchedulerCall(scheduler)),
                SetNumaNodes numa => (Calls.SetNuma, NumaCall(numa)),
                _ => throw new BenchFailure($"{change.Name}: the baseline has no bare call for {operation.Describe(change.Name)}"),
            });
        }

        return new BareDomain(change.Name, change.DefinitionChanges ? change.After : null, live);
    }

    // The same typed parameters LibvirtApplyPort.Apply builds for a SetScheduler, built once here.
    private static Action<LibvirtDomain> SchedulerCall(SetScheduler scheduler)
    {
        var parameters = new List<TypedParameter>();
        if (scheduler.Shares is { } shares)
        {
            parameters.Add(TypedParameter.ULLong("cpu_shares", (ulong)shares));
        }

        if (scheduler.Cap is { } cap)
        {
            parameters.Add(TypedParameter.ULLong("global_period", (ulong)(cap.PeriodUs ?? CpuBandwidth.DefaultPeriodUs)));
            parameters.Add(TypedParameter.LLong("global_quota", cap.IsUnlimited ? -1 : cap.QuotaUs!.Value));
        }

        return d => d.SetSchedulerParameters(parameters, DomainImpact.Live);
    }

    // The same typed parameter LibvirtApplyPort.Apply builds for a SetNumaNodes, built once here.
    private static Action<LibvirtDomain> NumaCall(SetNumaNodes numa)
    {
        TypedParameter[] parameters = [TypedParameter.String("numa_nodeset", numa.Nodes.ToString())];
        return d => d.SetNumaParameters(parameters, DomainImpact.Live);
    }

    // Persistent XML and the live values the engine manages: what "the same state" means for the checks.
    private static string Text(DomainView view) =>
        view.Live is { } l
            ? $"{view.PersistentXml}\npins={string.Join(' ', l.VcpuPins)} emulator={l.EmulatorPin} shares={l.CpuShares} cap={l.CpuCap} " +
              $"numa={l.NumaMode}:{l.NumaNodes} blkio={l.BlkioWeight}"
            : $"{view.PersistentXml}\nstopped";

    private static string Describe(DomainChange change) =>
        $"{change.Name}: {(change.DefinitionChanges ? "definition differs; " : "")}{string.Join("; ", change.Live.Select(l => l.Describe(change.Name)))}";

    /// <summary>The C functions of the bare calls, as the profile names them.</summary>
    private static class Calls
    {
        public const string Define = "virDomainDefineXMLFlags (validate)";
        public const string Lookup = "virDomainLookupByName";
        public const string PinVcpu = "virDomainPinVcpuFlags";
        public const string PinEmulator = "virDomainPinEmulator";
        public const string SetScheduler = "virDomainSetSchedulerParametersFlags";
        public const string SetNuma = "virDomainSetNumaParameters";
    }
}
