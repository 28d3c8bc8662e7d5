using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Domains;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// The rollback journal of one apply: a directory <c>ROOT/&lt;UTC time&gt;/</c> holding, for every domain the apply
/// touches, its persistent XML (<c>NAME.xml</c>) and live state (<c>NAME.live.json</c>) from before the apply, and
/// <c>journal.json</c> (URI, time, domains, status). It is written and flushed before the first change.
/// </summary>
public sealed class Journal
{
    /// <summary>Default root: <c>/var/lib/kvmconfig/journal</c>.</summary>
    public const string DefaultRoot = "/var/lib/kvmconfig/journal";

    private const string Manifest = "journal.json";

    private Journal(string directory, string uri, DateTimeOffset created, IReadOnlyList<DomainView> domains, string status)
    {
        Directory = directory;
        Uri = uri;
        Created = created;
        Domains = domains;
        Status = status;
    }

    /// <summary>The journal's directory.</summary>
    public string Directory { get; }

    /// <summary>The libvirt URI the apply used.</summary>
    public string Uri { get; }

    /// <summary>When the apply started.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>Every domain as it was before the apply.</summary>
    public IReadOnlyList<DomainView> Domains { get; }

    /// <summary><c>started</c>, <c>applied</c>, <c>rolled-back</c>, <c>rollback-failed</c> or <c>restored</c>.</summary>
    public string Status { get; private set; }

    /// <summary>
    /// Writes a new journal under <paramref name="root"/> (created when missing, mode 0700: domain XML may hold
    /// secrets such as VNC passwords).
    /// </summary>
    /// <exception cref="KvmConfigException">KVC093 when the directory cannot be created or written.</exception>
    public static Journal Create(string root, string uri, DateTimeOffset now, IReadOnlyList<DomainView> domains)
    {
        string name = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        string directory = Path.Combine(root, name);
        try
        {
            System.IO.Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            for (int n = 1; System.IO.Directory.Exists(directory); n++)
            {
                directory = Path.Combine(root, $"{name}-{n}");
            }

            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            foreach (DomainView domain in domains)
            {
                WriteDurably(Path.Combine(directory, $"{domain.Name}.xml"), domain.PersistentXml);
                if (domain.Live is { } live)
                {
                    WriteDurably(Path.Combine(directory, $"{domain.Name}.live.json"), LiveToJson(live).ToJsonString(Indented));
                }
            }

            var journal = new Journal(directory, uri, now, domains, "started");
            journal.WriteManifest();
            return journal;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot write the rollback journal in {root}: {e.Message}", root,
                "apply writes every VM's XML there before changing anything; make the directory writable, or pass --journal DIR", e);
        }
    }

    /// <summary>Reads the journal in <paramref name="directory"/>.</summary>
    /// <exception cref="KvmConfigException">KVC093 when it is missing or damaged.</exception>
    public static Journal Open(string directory)
    {
        try
        {
            JsonNode manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, Manifest))) ?? throw new InvalidDataException("journal.json is empty");
            var domains = new List<DomainView>();
            foreach (JsonNode? entry in Required(manifest, "domains").AsArray())
            {
                string name = Required(entry, "name").GetValue<string>();
                bool active = Required(entry, "active").GetValue<bool>();
                string xml = File.ReadAllText(Path.Combine(directory, $"{name}.xml"));
                LiveState? live = active ? LiveFromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(directory, $"{name}.live.json")))!) : null;
                domains.Add(new DomainView(name, active, xml, live));
            }

            return new Journal(directory, Required(manifest, "uri").GetValue<string>(),
                DateTimeOffset.Parse(Required(manifest, "created").GetValue<string>(), CultureInfo.InvariantCulture), domains, Required(manifest, "status").GetValue<string>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or InvalidOperationException or FormatException)
        {
            throw new KvmConfigException(Rules.Unreadable, $"cannot read the journal {directory}: {e.Message}", directory,
                "name a journal directory that apply wrote (ls /var/lib/kvmconfig/journal)", e);
        }
    }

    // A member journal.json must have; its absence is a damaged journal, said by name.
    private static JsonNode Required(JsonNode? node, string member) =>
        node?[member] ?? throw new InvalidDataException($"journal.json has no '{member}'");

    /// <summary>The newest journal under <paramref name="root"/>, or null when there is none.</summary>
    public static string? Latest(string root) =>
        System.IO.Directory.Exists(root)
            ? System.IO.Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, Manifest))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;

    /// <summary>Records the outcome in <c>journal.json</c>.</summary>
    public void Mark(string status)
    {
        Status = status;
        WriteManifest();
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private void WriteManifest()
    {
        var manifest = new JsonObject
        {
            ["uri"] = Uri,
            ["created"] = Created.ToString("O", CultureInfo.InvariantCulture),
            ["status"] = Status,
            ["domains"] = new JsonArray(Domains.Select(d => (JsonNode)new JsonObject { ["name"] = d.Name, ["active"] = d.Active }).ToArray()),
        };
        WriteDurably(Path.Combine(Directory, Manifest), manifest.ToJsonString(Indented));
    }

    // Written to a temporary name, flushed to disk, then renamed: a crash leaves the old file or the new one, never half.
    private static void WriteDurably(string path, string text)
    {
        string temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static JsonObject LiveToJson(LiveState live) => new()
    {
        ["vcpuPins"] = new JsonArray(live.VcpuPins.Select(p => (JsonNode)JsonValue.Create(p.ToString())).ToArray()),
        ["emulatorPin"] = live.EmulatorPin.ToString(),
        ["cpuShares"] = live.CpuShares,
        ["globalPeriodUs"] = live.CpuCap?.PeriodUs,
        ["globalQuotaUs"] = live.CpuCap is null ? null : live.CpuCap.IsUnlimited ? -1 : live.CpuCap.QuotaUs,
        ["hasCap"] = live.CpuCap is not null,
        ["numaMode"] = live.NumaMode,
        ["numaNodes"] = live.NumaNodes?.ToString(),
        ["blkioWeight"] = live.BlkioWeight,
        ["interfaces"] = new JsonObject(live.Interfaces.Select(i => KeyValuePair.Create(i.Key, (JsonNode?)new JsonObject
        {
            ["inbound"] = i.Value.InboundAverageKBytesPerSec,
            ["outbound"] = i.Value.OutboundAverageKBytesPerSec,
        }))),
    };

    private static LiveState LiveFromJson(JsonNode json)
    {
        long? quota = json["globalQuotaUs"]?.GetValue<long>();
        return new LiveState(
            json["vcpuPins"]!.AsArray().Select(p => CpuSet.Parse(p!.GetValue<string>())).ToList(),
            CpuSet.Parse(json["emulatorPin"]!.GetValue<string>()),
            json["cpuShares"]?.GetValue<long>(),
            json["hasCap"]!.GetValue<bool>() ? new CpuBandwidth(json["globalPeriodUs"]?.GetValue<long>(), quota is null or < 0 ? null : quota) : null,
            json["numaMode"]?.GetValue<int>(),
            json["numaNodes"]?.GetValue<string>() is { } nodes ? CpuSet.Parse(nodes) : null,
            json["blkioWeight"]?.GetValue<int>(),
            json["interfaces"]!.AsObject().ToDictionary(
                i => i.Key,
                i => new InterfaceBandwidth(i.Value!["inbound"]?.GetValue<long>(), i.Value["outbound"]?.GetValue<long>()),
                StringComparer.Ordinal));
    }
}
