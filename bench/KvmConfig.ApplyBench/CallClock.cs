using System.Diagnostics;
using KvmConfig.Core.Apply;
using KvmConfig.Libvirt.Apply;

namespace KvmConfig.ApplyBench;

/// <summary>
/// Total time and count per kind of call (<c>virDomainDefineXMLFlags</c>, <c>Find</c>, ...), for the profile that says
/// which call dominates. Two <see cref="Stopwatch.GetTimestamp"/> reads per call: tens of nanoseconds against libvirt
/// round trips of a tenth of a millisecond and more.
/// </summary>
internal sealed class CallClock
{
    private readonly Dictionary<string, (long Ticks, int Calls)> _kinds = new(StringComparer.Ordinal);

    /// <summary>Every kind, in the order first seen.</summary>
    public IEnumerable<(string Kind, double Ms, int Calls)> Kinds =>
        _kinds.Select(k => (k.Key, Stopwatch.GetElapsedTime(0, k.Value.Ticks).TotalMilliseconds, k.Value.Calls));

    /// <summary>The time of all kinds together.</summary>
    public double TotalMs => Kinds.Sum(k => k.Ms);

    public T Time<T>(string kind, Func<T> call)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return call();
        }
        finally
        {
            Add(kind, Stopwatch.GetTimestamp() - start);
        }
    }

    public void Time(string kind, Action call)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            call();
        }
        finally
        {
            Add(kind, Stopwatch.GetTimestamp() - start);
        }
    }

    private void Add(string kind, long ticks)
    {
        (long total, int calls) = _kinds.GetValueOrDefault(kind);
        _kinds[kind] = (total + ticks, calls + 1);
    }
}

/// <summary>
/// The apply port with a clock around each member, used only in the profile round (never in the timed ones): which of
/// the engine's reads, defines and live changes the time goes to, and whether the reads come from the plan or from
/// <see cref="Applier.Apply"/>'s own look before each domain.
/// </summary>
internal sealed class ProfilingPort(IApplyPort inner, CallClock clock) : IApplyPort
{
    /// <summary>Prefix of the kinds recorded from now on (the harness marks the engine's phases with it).</summary>
    public string Phase { get; set; } = "";

    public DomainView? Find(string name) => clock.Time($"{Phase}Find (whole domain read)", () => inner.Find(name));

    public bool Exists(string name) => clock.Time($"{Phase}Exists (lookup)", () => inner.Exists(name));

    public void Define(string name, string xml) => clock.Time($"{Phase}Define", () => inner.Define(name, xml));

    public void Apply(string name, LiveOperation operation) =>
        clock.Time($"{Phase}Apply {operation.GetType().Name} (lookup + call)", () => inner.Apply(name, operation));
}
