using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Host;
using KvmConfig.Libvirt.Host;

namespace KvmConfig.Cli.Doctor;

/// <summary><c>doctor --format json</c> (docs/host-tuning.md).</summary>
internal static class DoctorJson
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(DoctorOutcome outcome)
    {
        DoctorReport r = outcome.Report;
        return new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["root"] = outcome.Root,
            ["libvirt"] = outcome.LibvirtUri,
            ["configDir"] = outcome.Check.Source.Directory,
            ["vms"] = outcome.Check.Declaration.Vms.Count,
            ["declarationErrors"] = outcome.Check.Errors,
            ["summary"] = new JsonObject
            {
                ["pass"] = r.Count(CheckStatus.Pass),
                ["warn"] = r.Count(CheckStatus.Warn),
                ["fail"] = r.Count(CheckStatus.Fail),
                ["unknown"] = r.Count(CheckStatus.Unknown),
            },
            ["checks"] = new JsonArray([.. r.Checks.Select(c => (JsonNode?)new JsonObject
            {
                ["id"] = c.Id,
                ["title"] = c.Title,
                ["status"] = c.Status.ToString().ToLowerInvariant(),
                ["seen"] = c.Seen,
                ["why"] = c.Why,
                ["fix"] = c.Fix,
            })]),
        }.ToJsonString(Options) + "\n";
    }
}
