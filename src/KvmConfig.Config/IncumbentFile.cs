using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;

namespace KvmConfig.Config;

/// <summary>
/// An earlier <c>kvmconfig plan --format json</c> as the incumbent placement of an offline plan (<c>plan --sysroot DIR
/// --incumbent FILE</c>): each VM's <c>vcpuPins</c>. A file made for another host (other online CPUs) or in a format
/// without pins gives no incumbents, with a note saying why: every VM is then placed as new, never on a guess.
/// </summary>
public static class IncumbentFile
{
    /// <summary>The most a plan file is read to: a plan of thousands of VMs stays far below.</summary>
    public const long MostBytes = 64L * 1024 * 1024;

    /// <summary>Reads <paramref name="path"/> as the incumbents of a plan for <paramref name="host"/>.</summary>
    /// <exception cref="KvmConfigException">KVC093 the file cannot be read or is not JSON.</exception>
    public static Incumbents Read(string path, HostTopology host)
    {
        JsonNode? json;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MostBytes)
            {
                throw ConfigErrors.IncumbentTooLarge(path, info.Length, MostBytes);
            }

            json = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw ConfigErrors.IncumbentUnreadable(path, e);
        }
        catch (JsonException e)
        {
            throw ConfigErrors.IncumbentNotJson(path, e);
        }

        return Of(json, path, host);
    }

    /// <summary>The incumbents in a parsed plan document; <paramref name="source"/> names it in notes.</summary>
    public static Incumbents Of(JsonNode? plan, string source, HostTopology host)
    {
        if (plan is not JsonObject document || document["vms"] is not JsonArray vms || document["host"]?["online"] is not JsonValue onlineValue
            || !onlineValue.TryGetValue(out string? onlineText) || document["version"] is null)
        {
            return Incumbents.Unknown($"{source} is not a plan this version writes (no version, host.online or vms): every VM is placed as new");
        }

        if (!CpuSet.TryParse(onlineText, out CpuSet? online, out _) || online != host.Online)
        {
            return Incumbents.Unknown($"{source} was made for a host whose online CPUs are {onlineText}, not this host's {host.Online}: every VM is placed as new");
        }

        var byName = new Dictionary<string, Incumbent>(StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (JsonNode? vm in vms)
        {
            string? name = vm?["name"]?.GetValueKind() == JsonValueKind.String ? vm["name"]!.GetValue<string>() : null;
            List<CpuSet>? pins = (vm?["vcpuPins"] as JsonArray)?
                .Select(p => p?.GetValueKind() == JsonValueKind.String && CpuSet.TryParse(p.GetValue<string>(), out CpuSet? pin, out _) ? pin : null)
                .ToList()!;
            if (name is null)
            {
                continue;
            }

            if (pins is null || pins.Any(p => p is null) || vm?["pinning"]?.GetValue<string>() == "none")
            {
                notes.Add(pins is null || pins.Any(p => p is null) ? $"{source}: VM '{name}' has no readable vcpuPins: it is placed as new" : $"{source}: VM '{name}' floats in the shared pool: nothing to keep");
                continue;
            }

            byName[name] = new Incumbent(name, pins, Path.GetFileName(source));
        }

        return new Incumbents(byName, notes);
    }
}
