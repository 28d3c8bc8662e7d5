using System.Globalization;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Validation;

public static partial class DeclarationRules
{
    // A vCPU warns from ready_warning and is critical from ready_critical (DESIGN.md section 5). With the warning
    // level at or above the critical one, a vCPU would turn critical without ever warning first: the pair
    // contradicts itself, whichever of the two values is the mistake. The finding points at a value the user wrote
    // (ready_warning when both are), and a note says where the other came from. A refused value was reported
    // already; the default standing in for it is not judged.
    private static void ThresholdOrder(RuleContext c)
    {
        AlertThresholds alerts = c.Declaration.Alerts;
        Origins origins = alerts.Origins;
        if (alerts.ReadyWarningPercent < alerts.ReadyCriticalPercent
            || origins.Invalid("ready_warning") || origins.Invalid("ready_critical"))
        {
            return;
        }

        string warning = Percent(alerts.ReadyWarningPercent);
        string critical = Percent(alerts.ReadyCriticalPercent);
        (string at, string other) = origins.Declared("ready_warning") || !origins.Declared("ready_critical")
            ? ("ready_warning", "ready_critical")
            : ("ready_critical", "ready_warning");
        DiagnosticNote note = origins.Declared(other)
            ? new DiagnosticNote($"{other} set here", origins.Of(other))
            : new DiagnosticNote($"{other} {(other == "ready_warning" ? warning : critical)} is the default");
        c.Add(Rules.ThresholdOrder,
            $"[alerts] ready_warning {warning} is not below ready_critical {critical}, so a vCPU would turn critical without ever warning first",
            origins.Of(at),
            at == "ready_warning"
                ? $"lower ready_warning below {critical}, or raise ready_critical above {warning} (the defaults are 5% and 10%)"
                : $"raise ready_critical above {warning}, or lower ready_warning below {critical} (the defaults are 5% and 10%)",
            note);
    }

    // 5%, 2.5%: as an administrator writes a threshold.
    private static string Percent(double value) => value.ToString("0.###", CultureInfo.InvariantCulture) + "%";
}
