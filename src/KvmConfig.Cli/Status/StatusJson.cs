using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using System.Text.Json;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Config;
using KvmConfig.Core.Apply;

namespace KvmConfig.Cli.Status;

/// <summary>
/// <c>kvmconfig status --format json</c>: the contract of <c>docs/status-json.md</c>. Fields are only ever added.
/// </summary>
internal static class StatusJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The report as one JSON object, ending with a newline.</summary>
    /// <param name="status">The comparison.</param>
    /// <param name="report">The check of the declaration it came from (for the directory).</param>
    /// <param name="uri">The libvirt URI the domains were read from.</param>
    public static string Render(StatusReport status, CheckReport report, string uri)
    {
        var root = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["inSync"] = status.InSync,
            ["configDir"] = report.Source.Directory,
            ["connect"] = uri,
            ["vms"] = new JsonArray(status.Vms.Select(vm => (JsonNode)new JsonObject
            {
                ["name"] = vm.Name,
                ["state"] = vm.State,
                ["inSync"] = vm.InSync,
                ["drift"] = new JsonArray(vm.Drift.Select(d => (JsonNode)new JsonObject
                {
                    ["field"] = d.Field,
                    ["desired"] = d.Desired,
                    ["actual"] = d.Actual,
                }).ToArray()),
            }).ToArray()),
            ["unmanaged"] = new JsonArray(status.Unmanaged.Select(u => (JsonNode)new JsonObject
            {
                ["name"] = u.Name,
                ["state"] = u.State,
            }).ToArray()),
        };
        return root.ToJsonString(Options) + "\n";
    }
}
