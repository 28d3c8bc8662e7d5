using System.Globalization;
using System.Text;
using KvmConfig.Cli.Rendering;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Domains;

namespace KvmConfig.Cli.Status;

/// <summary>How <see cref="StatusText"/> renders.</summary>
/// <param name="Uri">The libvirt URI the domains were read from.</param>
/// <param name="Verbose">Also show the check's notes.</param>
/// <param name="Color">ANSI colours (only on a terminal): drift in red, in-sync VMs in green.</param>
internal sealed record StatusTextOptions(string Uri, bool Verbose = false, bool Color = false);

/// <summary>
/// The text of <c>kvmconfig status</c>: the check's warnings, a table (VM, state, in sync, drift count), one
/// <c>field: desired X, actual Y</c> line per drifted field under each VM that drifted, the unmanaged domains, and a
/// verdict.
/// </summary>
/// <example>
/// <code>
/// status of 2 VMs declared in /etc/kvmconfig.d, against libvirt qemu:///system
///
/// VM    state      in sync   drift
/// db    running    no        2
/// web   shut off   yes       0
///
/// db (running):
///   cputune shares: desired 300, actual 100
///   live vcpupin 0: desired 2, actual 0-3
///
/// unmanaged: build (running), win11 (shut off)
///
/// drift: 1 VM of 2 differs from the plan
///   = hint: kvmconfig apply --dry-run shows what apply would change to bring them back
/// </code>
/// </example>
internal static class StatusText
{
    /// <summary>The whole text output, ending with a newline.</summary>
    public static string Render(StatusReport status, CheckReport report, StatusTextOptions options)
    {
        var sb = new StringBuilder();
        foreach (Diagnostic d in report.Diagnostics.Where(d => options.Verbose || d.Severity != Severity.Info))
        {
            sb.Append(DiagnosticRenderer.Render(d, report.Source, options.Color)).Append('\n');
        }

        sb.Append(CultureInfo.InvariantCulture, $"status of {Units.Plural(status.Vms.Count, "VM")} declared in {report.Source.Directory}, against libvirt {options.Uri}\n\n");
        AppendTable(sb, status, options.Color);
        AppendDrift(sb, status, options.Color);
        AppendUnmanaged(sb, status);
        AppendVerdict(sb, status, options.Color);
        return sb.ToString();
    }

    private static void AppendTable(StringBuilder sb, StatusReport status, bool color)
    {
        if (status.Vms.Count == 0)
        {
            sb.Append("no VMs declared\n\n");
            return;
        }

        var rows = new List<string[]> { new[] { "VM", "state", "in sync", "drift" } };
        rows.AddRange(status.Vms.Select(vm => new[]
        {
            vm.Name,
            vm.State,
            vm.InSync ? "yes" : "no",
            vm.Drift.Count.ToString(CultureInfo.InvariantCulture),
        }));

        // Columns three spaces apart; padded before painting, so escapes never skew the widths.
        int[] widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        for (int r = 0; r < rows.Count; r++)
        {
            bool header = r == 0;
            bool drifted = !header && !status.Vms[r - 1].InSync;
            var line = new StringBuilder();
            for (int c = 0; c < widths.Length; c++)
            {
                string cell = c == widths.Length - 1 ? rows[r][c] : rows[r][c].PadRight(widths[c] + 3);
                line.Append(header ? Bold(cell, color) : c is 2 or 3 ? Paint(cell, drifted, color) : cell);
            }

            sb.Append(line.ToString().TrimEnd()).Append('\n');
        }

        sb.Append('\n');
    }

    private static void AppendDrift(StringBuilder sb, StatusReport status, bool color)
    {
        foreach (VmStatus vm in status.Vms.Where(v => !v.InSync))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{vm.Name} ({vm.State}):\n");
            foreach (Drift d in vm.Drift)
            {
                sb.Append("  ").Append(Paint($"{d.Field}: desired {d.Desired}, actual {d.Actual}", drifted: true, color)).Append('\n');
            }

            sb.Append('\n');
        }
    }

    private static void AppendUnmanaged(StringBuilder sb, StatusReport status)
    {
        sb.Append("unmanaged: ")
            .Append(status.Unmanaged.Count == 0 ? "none" : string.Join(", ", status.Unmanaged.Select(u => $"{u.Name} ({u.State})")))
            .Append("\n\n");
    }

    private static void AppendVerdict(StringBuilder sb, StatusReport status, bool color)
    {
        if (status.InSync)
        {
            sb.Append(Paint("in sync", drifted: false, color)).Append(": ")
                .Append(status.Vms.Count == 0 ? "nothing declared" : $"every declared VM matches the plan ({Units.Plural(status.Vms.Count, "VM")})")
                .Append('\n');
            return;
        }

        int drifted = status.Vms.Count(v => !v.InSync);
        sb.Append(Paint("drift", drifted: true, color))
            .Append(CultureInfo.InvariantCulture, $": {Units.Plural(drifted, "VM")} of {status.Vms.Count} {(drifted == 1 ? "differs" : "differ")} from the plan\n");
        sb.Append("  = hint: kvmconfig apply --dry-run shows what apply would change to bring them back");
        if (status.Vms.Any(v => v.State == VmStatus.Undefined))
        {
            // apply tunes existing domains; it does not create them.
            sb.Append("; an undefined VM needs its domain first (virt-install, virsh define) or its declaration removed");
        }

        sb.Append('\n');
    }

    private static string Paint(string text, bool drifted, bool color) =>
        !color ? text : drifted ? $"\e[1;31m{text}\e[0m" : $"\e[32m{text}\e[0m";

    private static string Bold(string text, bool color) => color ? $"\e[1m{text}\e[0m" : text;
}
