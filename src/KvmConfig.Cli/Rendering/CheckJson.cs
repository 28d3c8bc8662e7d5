using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;

namespace KvmConfig.Cli.Rendering;

/// <summary><c>kvmconfig check --format json</c> (docs/check-json.md), also what the other commands print when they refuse.</summary>
internal static class CheckJson
{
    /// <summary>The JSON report (documented in docs/check-json.md).</summary>
    public static string Render(CheckReport report, HostTopology? host, string hostSource, bool verbose)
    {
        var diagnostics = new JsonArray();
        foreach (Diagnostic d in report.Diagnostics.Where(d => verbose || d.Severity != Severity.Info))
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
            ["version"] = ProductVersion.Json,
            ["ok"] = report.Ok,
            ["errors"] = report.Errors,
            ["warnings"] = report.Warnings,
            ["configDir"] = report.Source.Directory,
            ["files"] = new JsonArray(report.Source.Documents.Select(doc => (JsonNode)JsonValue.Create(doc.Path)).ToArray()),
            // A cluster inventory checked without a host (check on a directory with [node] sections) has no host.
            ["host"] = host is null ? null : new JsonObject
            {
                ["source"] = hostSource,
                ["cpus"] = host.OnlineCpuCount,
                ["online"] = host.Online.ToString(),
                ["numaNodes"] = host.Nodes.Count,
            },
            ["clusterNodes"] = new JsonArray([.. report.Declaration.Nodes.Select(n => (JsonNode)JsonValue.Create(n.Name))]),
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
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }
}
