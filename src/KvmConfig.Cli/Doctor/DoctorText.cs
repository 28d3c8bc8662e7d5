using System.Text;
using KvmConfig.Core.Host;
using KvmConfig.Libvirt.Host;

namespace KvmConfig.Cli.Doctor;

/// <summary><c>doctor</c> as text: one line per check, and for what is not PASS, why it matters and the fix.</summary>
internal static class DoctorText
{
    private const int IdWidth = 12;

    /// <summary>The report; <paramref name="verbose"/> also says why each passing check matters.</summary>
    public static string Render(DoctorOutcome outcome, bool verbose, bool color)
    {
        var text = new StringBuilder();
        int vms = outcome.Check.Declaration.Vms.Count;
        text.Append($"kvmconfig doctor: {(outcome.Root == "/" ? "this host" : $"the host captured in {outcome.Root}")}, libvirt {outcome.LibvirtUri ?? "not asked"}; ")
            .AppendLine($"{Core.Units.Plural(vms, "VM")} declared in {outcome.Check.Source.Directory}");
        if (!outcome.Check.Ok)
        {
            text.AppendLine($"  the declaration has {Core.Units.Plural(outcome.Check.Errors, "error")} (kvmconfig check lists them): "
                + (outcome.Plan is null ? "the checks that need the plan are UNKNOWN" : "the checks below judge the plan it would have with the huge pages it needs reserved"));
        }

        text.AppendLine();
        string indent = new(' ', 7 + IdWidth);
        foreach (DoctorCheck check in outcome.Report.Checks)
        {
            text.AppendLine($"{Status(check.Status, color)}  {check.Id.PadRight(IdWidth)} {check.Title}: {check.Seen}");
            if (check.Status != CheckStatus.Pass || verbose)
            {
                text.AppendLine($"{indent}why: {check.Why}");
            }

            if (check.Fix is { } fix && check.Status != CheckStatus.Pass)
            {
                text.AppendLine($"{indent}fix: {fix}");
            }
        }

        DoctorReport r = outcome.Report;
        text.AppendLine().AppendLine($"{r.Count(CheckStatus.Pass)} pass, {r.Count(CheckStatus.Warn)} warn, {r.Count(CheckStatus.Fail)} fail, {r.Count(CheckStatus.Unknown)} unknown");
        return text.ToString();
    }

    // The status word, padded to 7, in colour on a terminal: green, yellow, red, grey.
    private static string Status(CheckStatus status, bool color)
    {
        (string word, string ansi) = status switch
        {
            CheckStatus.Pass => ("PASS", "32"),
            CheckStatus.Warn => ("WARN", "33"),
            CheckStatus.Fail => ("FAIL", "31"),
            _ => ("UNKNOWN", "90"),
        };
        return color ? $"\u001b[{ansi}m{word}\u001b[0m{new string(' ', 7 - word.Length)}" : word.PadRight(7);
    }
}
