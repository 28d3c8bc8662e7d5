using System.Text;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Rendering;

/// <summary><c>kvmconfig check</c>'s text, also what <c>plan</c>, <c>apply</c> and <c>status</c> print when they refuse.</summary>
internal static class CheckText
{
    /// <summary>The text report: each diagnostic, then a summary line.</summary>
    public static string Render(CheckReport report, HostTopology host, string hostLabel, bool verbose, bool color) =>
        Render(report, $"{hostLabel} ({Units.Plural(host.OnlineCpuCount, "CPU")}, {Units.Plural(host.Nodes.Count, "NUMA node")})", verbose, color);

    /// <summary>The text report against what <paramref name="against"/> names (a host and its shape, a cluster inventory).</summary>
    public static string Render(CheckReport report, string against, bool verbose, bool color)
    {
        var sb = new StringBuilder();
        foreach (Diagnostic d in report.Diagnostics.Where(d => verbose || d.Severity != Severity.Info))
        {
            sb.Append(DiagnosticRenderer.Render(d, report.Source, color)).Append('\n');
        }

        int notes = report.Diagnostics.Count(d => d.Severity == Severity.Info);
        string verdict = report.Ok ? "ok" : "FAILED";
        sb.Append($"check {verdict}: {Units.Plural(report.Errors, "error")}, {Units.Plural(report.Warnings, "warning")}");
        if (verbose || notes == 0)
        {
            sb.Append($", {Units.Plural(notes, "note")}");
        }
        else
        {
            sb.Append($" ({Units.Plural(notes, "note")} hidden, see --verbose)");
        }

        // A directory with a cluster inventory says how many [node] sections it has; "cluster" keeps them apart from NUMA nodes.
        int clusterNodes = report.Declaration.Nodes.Count;
        string nodes = clusterNodes == 0 ? "" : $" and {Units.Plural(clusterNodes, "cluster node")}";
        sb.Append($"; {Units.Plural(report.Declaration.Vms.Count, "VM")}{nodes} in {Units.Plural(report.Source.Documents.Count, "file")} of {report.Source.Directory}");
        sb.Append($", against {against}\n");
        return sb.ToString();
    }
}
