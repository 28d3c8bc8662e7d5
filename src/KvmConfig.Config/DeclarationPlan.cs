using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;

namespace KvmConfig.Config;

/// <summary>
/// What <c>kvmconfig plan</c> gives: either the placement of a declaration that passed every rule, or the check's
/// findings that stopped it. Never a partial plan.
/// </summary>
/// <param name="Report">The check, whichever way it went: its warnings and notes come with a plan too.</param>
public abstract record PlanOutcome(CheckReport Report)
{
    /// <summary>The declaration passed every rule and the planner placed every VM.</summary>
    /// <param name="Report">The check, without errors.</param>
    /// <param name="Plan">Where every VM goes.</param>
    public sealed record Planned(CheckReport Report, Plan Plan) : PlanOutcome(Report);

    /// <summary>The declaration has errors (the planner's KVC047 included); <see cref="PlanOutcome.Report"/> says which.</summary>
    /// <param name="Report">The check, with at least one error.</param>
    public sealed record Refused(CheckReport Report) : PlanOutcome(Report);
}

/// <summary>Check, then plan: the first half of <c>plan</c>, <c>apply</c> and <c>status</c>, as a library call.</summary>
public static class DeclarationPlan
{
    /// <summary>
    /// Reads <paramref name="directory"/>, checks it against <paramref name="host"/> and plans it when it is clean,
    /// keeping the declared VMs where <paramref name="incumbentsOf"/> says they run while that is valid (null: from
    /// scratch). <c>LibvirtIncumbents.Read</c> and <see cref="IncumbentFile"/> give incumbents.
    /// </summary>
    public static PlanOutcome Run(string directory, HostTopology host, Func<IReadOnlyList<string>, IReadOnlyDictionary<string, Incumbent>>? incumbentsOf = null) =>
        Of(DeclarationCheck.Run(directory, host, incumbentsOf));

    /// <summary>The outcome of a check already made.</summary>
    public static PlanOutcome Of(CheckReport report) => report switch
    {
        { Ok: true, Plan: { } plan } => new PlanOutcome.Planned(report, plan),
        { Ok: true } => throw new InvalidOperationException("the declaration passed every rule but the check holds no plan"),
        _ => new PlanOutcome.Refused(report),
    };
}
