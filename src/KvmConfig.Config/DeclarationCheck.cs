using KvmConfig.Config.Semantics;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Validation;

namespace KvmConfig.Config;

/// <summary>The outcome of checking a directory against a host.</summary>
/// <param name="Source">The files read.</param>
/// <param name="Declaration">What could be bound (VMs with errors that prevent building them are absent).</param>
/// <param name="Diagnostics">Every finding, in file, line and column order; findings without a place last.</param>
/// <param name="Plan">The placement, when the declaration passed every rule and the planner placed every VM.</param>
public sealed record CheckReport(ConfigSource Source, Declaration Declaration, IReadOnlyList<Diagnostic> Diagnostics, Plan? Plan = null)
{
    /// <summary>Number of errors.</summary>
    public int Errors => Diagnostics.Count(d => d.Severity == Severity.Error);

    /// <summary>Number of warnings.</summary>
    public int Warnings => Diagnostics.Count(d => d.Severity == Severity.Warning);

    /// <summary>True when there is no error (warnings allowed).</summary>
    public bool Ok => Errors == 0;
}

/// <summary>Syntax, then semantics, then the host rules: what <c>kvmconfig check</c> does, as a library call.</summary>
public static class DeclarationCheck
{
    /// <summary>
    /// Reads <paramref name="directory"/> and checks it against <paramref name="host"/>. When
    /// <paramref name="incumbentsOf"/> is given, it is asked where the declared VMs (their names) run now, and the plan
    /// keeps them there while that is valid; without it the plan is made from scratch.
    /// </summary>
    public static CheckReport Run(string directory, HostTopology host, Func<IReadOnlyList<string>, IReadOnlyDictionary<string, Incumbent>>? incumbentsOf = null) =>
        Run(new ConfigDirectoryReader(directory).Read(), host, incumbentsOf);

    /// <summary>Checks already-read files against <paramref name="host"/>, planning around the incumbents <paramref name="incumbentsOf"/> gives.</summary>
    public static CheckReport Run(ConfigSource source, HostTopology host, Func<IReadOnlyList<string>, IReadOnlyDictionary<string, Incumbent>>? incumbentsOf = null)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = DeclarationBinder.Bind(source.Documents);
        // The cluster rules judge the [node] inventory and need no host: they run here once, whatever host this is.
        List<Diagnostic> all = [.. source.Diagnostics, .. binding, .. DeclarationRules.Check(declaration, host), .. ClusterRules.Check(declaration)];

        // A declaration that breaks no rule must still be placeable: the planner has the last word. It does not run
        // after an error, whose consequences it would only report again.
        Plan? plan = null;
        if (all.All(d => d.Severity != Severity.Error))
        {
            PlanResult result = incumbentsOf is null
                ? HostPlanner.Plan(host, declaration)
                : HostPlanner.Plan(host, declaration, incumbentsOf([.. declaration.Vms.Select(v => v.Name)]));
            plan = result.Plan;
            all.AddRange(result.Errors.Select(e => PlanDiagnostic(e, declaration)));
        }

        return new CheckReport(source, declaration, Capped(InFileOrder(all)), plan);
    }

    /// <summary>Findings in file, line and column order (as found among equals); findings without a place last.</summary>
    internal static List<Diagnostic> InFileOrder(IEnumerable<Diagnostic> all) => [.. all
        .Select((d, i) => (d, i))
        .OrderBy(p => p.d.Span is null ? 1 : 0)
        .ThenBy(p => p.d.Span?.File, StringComparer.Ordinal)
        .ThenBy(p => p.d.Span?.Line)
        .ThenBy(p => p.d.Span?.Column)
        .ThenBy(p => p.i)
        .Select(p => p.d)];

    /// <summary>How many findings of one code in one file are shown; the last one shown says how many more there are.</summary>
    public const int MostPerCodeAndFile = 20;

    // A file of ten thousand duplicated lines makes ten thousand KVC013s, which help nobody and once took gigabytes to
    // print: the first few of each code in each file are shown, the last of them saying how many more there are.
    internal static List<Diagnostic> Capped(List<Diagnostic> ordered)
    {
        var counts = ordered.GroupBy(d => (d.Code, d.Span?.File)).ToDictionary(g => g.Key, g => g.Count());
        var seen = new Dictionary<(string, string?), int>();
        var kept = new List<Diagnostic>(ordered.Count);
        foreach (Diagnostic d in ordered)
        {
            var key = (d.Code, d.Span?.File);
            int n = seen[key] = seen.GetValueOrDefault(key) + 1;
            if (n < MostPerCodeAndFile || (n == MostPerCodeAndFile && counts[key] == MostPerCodeAndFile))
            {
                kept.Add(d);
            }
            else if (n == MostPerCodeAndFile)
            {
                string where = d.Span is { } span ? $" in {span.File}" : "";
                kept.Add(d with { Notes = [.. d.Notes ?? [], new DiagnosticNote($"and {counts[key] - n} more {d.Code}{where}, not shown")] });
            }
        }

        return kept;
    }

    private static Diagnostic PlanDiagnostic(PlanError error, Declaration declaration)
    {
        VmSpec? vm = declaration.Vms.FirstOrDefault(v => v.Name == error.Vm);
        return Diagnostic.Create(Rules.CannotPlan,
            $"{error.Message} (constraint: {error.Constraint})",
            vm?.Origins.Header,
            "free what the constraint needs on one node, shrink the VM, or relax numa/smt; `kvmconfig plan --explain` shows what each node has",
            error.Free.Select(f => new DiagnosticNote($"free on {f}")).ToList());
    }
}
