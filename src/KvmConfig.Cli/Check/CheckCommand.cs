using System.ComponentModel;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Check;

/// <summary><c>kvmconfig check</c>: validate the declaration against the host and the rules.</summary>
internal sealed class CheckCommand : Command<CheckCommand.Settings>
{
    internal sealed class Settings : DeclarationSettings
    {
        [CommandOption("--format <FORMAT>")]
        [Description("Output format: text, or json for scripts (docs/check-json.md).")]
        [DefaultValue("text")]
        public override string Format { get; init; } = "text";

        protected override IReadOnlyList<string> AllowedFormats => ["text", "json"];
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        HostTopology host = settings.ReadHost();
        CheckReport report = DeclarationCheck.Run(settings.Directory, host);
        Console.Out.Write(settings.Format == "json"
            ? Json(report, host, settings)
            : Text(report, host, settings.HostLabel, settings.Verbose, Terminal.Color));
        return report.Ok ? ExitCodes.Ok : ExitCodes.Errors;
    }

    /// <summary>The text report: each diagnostic, then a summary line.</summary>
    internal static string Text(CheckReport report, HostTopology host, string hostLabel, bool verbose, bool color)
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

        sb.Append($"; {Units.Plural(report.Declaration.Vms.Count, "VM")} in {Units.Plural(report.Source.Documents.Count, "file")} of {report.Source.Directory}");
        sb.Append($", against {hostLabel} ({Units.Plural(host.OnlineCpuCount, "CPU")}, {Units.Plural(host.Nodes.Count, "NUMA node")})\n");
        return sb.ToString();
    }

    /// <summary>
    /// For the commands that need a clean declaration (<c>plan</c>, <c>apply</c>, <c>status</c>): prints the findings
    /// exactly as <c>check</c> does (its JSON document, <c>"ok": false</c>, for scripts) and returns exit code 1.
    /// </summary>
    internal static int RefuseWithFindings(CheckReport report, HostTopology host, DeclarationSettings settings)
    {
        Console.Out.Write(settings.Format == "json"
            ? Json(report, host, settings)
            : Text(report, host, settings.HostLabel, settings.Verbose, Terminal.Color));
        return ExitCodes.Errors;
    }

    /// <summary>The JSON report (documented in docs/check-json.md).</summary>
    internal static string Json(CheckReport report, HostTopology host, DeclarationSettings settings)
    {
        var diagnostics = new JsonArray();
        foreach (Diagnostic d in report.Diagnostics.Where(d => settings.Verbose || d.Severity != Severity.Info))
        {
            diagnostics.Add(new JsonObject
            {
                ["code"] = d.Code,
                ["rule"] = d.Descriptor.Name,
                ["severity"] = d.Severity.ToString().ToLowerInvariant(),
                ["message"] = d.Message,
                ["file"] = d.Span?.File,
                ["line"] = d.Span?.Line,
                ["column"] = d.Span?.Column,
                ["length"] = d.Span?.Length,
                ["hint"] = d.Hint,
                ["notes"] = new JsonArray((d.Notes ?? []).Select(n => (JsonNode)new JsonObject
                {
                    ["message"] = n.Message,
                    ["file"] = n.Span?.File,
                    ["line"] = n.Span?.Line,
                    ["column"] = n.Span?.Column,
                }).ToArray()),
            });
        }

        var root = new JsonObject
        {
            ["ok"] = report.Ok,
            ["errors"] = report.Errors,
            ["warnings"] = report.Warnings,
            ["configDir"] = report.Source.Directory,
            ["files"] = new JsonArray(report.Source.Documents.Select(doc => (JsonNode)JsonValue.Create(doc.Path)).ToArray()),
            ["host"] = new JsonObject
            {
                ["source"] = settings.SysRoot ?? "/sys",
                ["cpus"] = host.OnlineCpuCount,
                ["online"] = host.Online.ToString(),
                ["numaNodes"] = host.Nodes.Count,
            },
            ["vms"] = new JsonArray(report.Declaration.Vms.Select(v => (JsonNode)new JsonObject
            {
                ["name"] = v.Name,
                ["vcpus"] = v.Vcpus,
                ["cpus"] = v.Cpus?.ToString() ?? "auto",
                ["cpuspinlock"] = v.Pinning.ToString().ToLowerInvariant(),
                ["memoryMiB"] = v.MemoryMiB,
                ["profile"] = v.Profile,
            }).ToArray()),
            ["diagnostics"] = diagnostics,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

}
