using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;
using KvmConfig.Linux;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// The rollback journal of one apply: a directory <c>ROOT/&lt;UTC time&gt;/</c> holding, for every domain the apply
/// touches, its persistent XML (<c>NAME.xml</c>) and live state (<c>NAME.live.json</c>) from before the apply, and
/// <c>journal.json</c> (URI, time, status, and per domain its name, uuid and the SHA-256 of both files). It is written
/// and flushed before the first change.
/// </summary>
/// <remarks>
/// A rollback defines whatever XML the journal holds, as root: a journal someone else could write would let them
/// define any domain with any QEMU arguments. So the root and every journal are created 0700 (files 0600) and read
/// only when they, and every directory above them, pass <see cref="FileTrust"/> (owned by root or the caller, writable
/// by nobody else, no symbolic link); every file must match its digest, and every XML must carry the name and uuid
/// its entry names (KVC091 for an untrusted path, KVC093 for a journal that does not hold together).
/// </remarks>
public sealed class Journal
{
    /// <summary>Default root: <c>/var/lib/kvmconfig/journal</c>.</summary>
    public const string DefaultRoot = "/var/lib/kvmconfig/journal";

    private const string Manifest = "journal.json";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private Journal(string directory, string uri, DateTimeOffset created, IReadOnlyList<DomainView> domains, IReadOnlyList<string?> uuids, string status)
    {
        Directory = directory;
        Uri = uri;
        Created = created;
        Domains = domains;
        Uuids = uuids;
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

    /// <summary>The uuid of each of <see cref="Domains"/> (in the same order), from its saved XML; null when it had none.</summary>
    public IReadOnlyList<string?> Uuids { get; }

    /// <summary>The uuid the journal saved for domain <paramref name="name"/> (null when it had none or is not listed).</summary>
    public string? UuidOf(string name)
    {
        for (int i = 0; i < Domains.Count; i++)
        {
            if (Domains[i].Name == name)
            {
                return Uuids[i];
            }
        }

        return null;
    }

    /// <summary><c>started</c>, <c>applied</c>, <c>rolled-back</c>, <c>rollback-failed</c> or <c>restored</c>.</summary>
    public string Status { get; private set; }

    /// <summary>
    /// Writes a new journal under <paramref name="root"/> (created 0700 when missing: domain XML may hold secrets such
    /// as VNC passwords, and a journal is what rollback defines as root).
    /// </summary>
    /// <exception cref="KvmConfigException">KVC091 when the root is not safe (see the remarks), KVC093 when the
    /// directory cannot be created or written.</exception>
    public static Journal Create(string root, string uri, DateTimeOffset now, IReadOnlyList<DomainView> domains)
    {
        string name = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture);
        string directory = Path.Combine(root, name);
        try
        {
            System.IO.Directory.CreateDirectory(root, OwnerOnly);
            RefuseUntrusted(root);
            for (int n = 1; System.IO.Directory.Exists(directory); n++)
            {
                directory = Path.Combine(root, $"{name}-{n}");
            }

            System.IO.Directory.CreateDirectory(directory, OwnerOnly);
            var uuids = new List<string?>();
            foreach (DomainView domain in domains)
            {
                uuids.Add(DomainXml.ReadIdentity(domain.PersistentXml).Uuid);
                WriteDurably(Path.Combine(directory, $"{domain.Name}.xml"), domain.PersistentXml);
                if (domain.Live is { } live)
                {
                    WriteDurably(Path.Combine(directory, $"{domain.Name}.live.json"), LiveText(live));
                }
            }

            var journal = new Journal(directory, uri, now, domains, uuids, "started");
            journal.WriteManifest();
            return journal;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LibvirtErrors.JournalUnwritable(root, e);
        }
    }

    /// <summary>
    /// Refuses a journal root or journal that someone other than root or the caller could have written (KVC091).
    /// </summary>
    private static void RefuseUntrusted(string directory)
    {
        FileTrust.RefuseUnsafeParents(directory, "journal directory");
        FileTrust.RefuseUnsafe(directory, "journal directory", linkAllowed: false);
    }

    /// <summary>
    /// Reads the journal in <paramref name="directory"/>, after checking that it can be trusted and holds together: the
    /// directory and its files pass <see cref="FileTrust"/>, each file matches the digest the manifest recorded, and
    /// each XML carries the name and uuid of its entry.
    /// </summary>
    /// <exception cref="KvmConfigException">KVC091 when a path is not safe, KVC093 when the journal is missing,
    /// damaged, or does not hold together.</exception>
    public static Journal Open(string directory)
    {
        RefuseUntrusted(directory);
        try
        {
            JsonNode manifest = JsonNode.Parse(ReadTrusted(directory, Manifest)) ?? throw new InvalidDataException("journal.json is empty");
            var domains = new List<DomainView>();
            var uuids = new List<string?>();
            foreach (JsonNode? entry in Required(manifest, "domains").AsArray())
            {
                string name = Required(entry, "name").GetValue<string>();
                if (name.Length == 0 || name is "." or ".." || name.Contains('/', StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"journal.json names a domain \"{name}\", which is no libvirt domain name");
                }

                bool active = Required(entry, "active").GetValue<bool>();
                string? uuid = entry!["uuid"]?.GetValue<string>();
                string xml = ReadTrusted(directory, $"{name}.xml");
                Verify(name, xml, entry["sha256"]?.GetValue<string>(), $"{name}.xml");
                (string? xmlName, string? xmlUuid) = DomainXml.ReadIdentity(xml);
                if (xmlName != name || xmlUuid != uuid)
                {
                    throw new InvalidDataException(
                        $"{name}.xml is the XML of domain '{xmlName}' (uuid {xmlUuid ?? "none"}), but the journal's entry is '{name}' (uuid {uuid ?? "none"})");
                }

                LiveState? live = null;
                if (active)
                {
                    string liveText = ReadTrusted(directory, $"{name}.live.json");
                    Verify(name, liveText, entry["liveSha256"]?.GetValue<string>(), $"{name}.live.json");
                    live = LiveFromJson(JsonNode.Parse(liveText)!);
                }

                domains.Add(new DomainView(name, active, xml, live));
                uuids.Add(uuid);
            }

            return new Journal(directory, Required(manifest, "uri").GetValue<string>(),
                DateTimeOffset.Parse(Required(manifest, "created").GetValue<string>(), CultureInfo.InvariantCulture), domains, uuids, Required(manifest, "status").GetValue<string>());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidDataException or InvalidOperationException or FormatException or System.Xml.XmlException or ArgumentException or NullReferenceException)
        {
            throw LibvirtErrors.JournalUnreadable(directory, e);
        }
    }

    // A file of a trusted journal directory, itself refused when it is a link or someone else could write it.
    private static string ReadTrusted(string directory, string file)
    {
        string path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{file} is missing");
        }

        FileTrust.RefuseUnsafe(path, "journal file", linkAllowed: false);
        return File.ReadAllText(path);
    }

    // The SHA-256 the manifest recorded for a file, against the file as it is now.
    private static void Verify(string domain, string text, string? recorded, string file)
    {
        if (recorded is null)
        {
            throw new InvalidDataException($"journal.json records no digest of {file} (a journal of an older kvmconfig, or edited): it cannot be checked");
        }

        if (!string.Equals(Digest(text), recorded, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{file} of domain '{domain}' does not match the digest journal.json recorded: it changed after apply wrote it");
        }
    }

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // A member journal.json must have; its absence is a damaged journal, said by name.
    private static JsonNode Required(JsonNode? node, string member) =>
        node?[member] ?? throw new InvalidDataException($"journal.json has no '{member}'");

    /// <summary>
    /// The newest journal under <paramref name="root"/>, or null when there is none. The root must be trusted (KVC091
    /// otherwise): in a directory others can write, "the newest" would be whatever they planted last.
    /// </summary>
    public static string? Latest(string root)
    {
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        RefuseUntrusted(root);
        return System.IO.Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, Manifest))).Order(StringComparer.Ordinal).LastOrDefault();
    }

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
            ["domains"] = new JsonArray(Domains.Select((d, i) => (JsonNode)new JsonObject
            {
                ["name"] = d.Name,
                ["uuid"] = Uuids[i],
                ["active"] = d.Active,
                ["sha256"] = Digest(d.PersistentXml),
                ["liveSha256"] = d.Live is { } live ? Digest(LiveText(live)) : null,
            }).ToArray()),
        };
        WriteDurably(Path.Combine(Directory, Manifest), manifest.ToJsonString(Indented));
    }

    private static string LiveText(LiveState live) => LiveToJson(live).ToJsonString(Indented);

    // Written to a temporary name (0600), flushed to disk, then renamed: a crash leaves the old file or the new one,
    // never half.
    private static void WriteDurably(string path, string text)
    {
        string temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = OwnerReadWrite };
        using (var stream = new FileStream(temporary, options))
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
        ["vcpusMax"] = live.VcpusMax,
        ["disks"] = live.Disks is null ? null : new JsonObject(live.Disks.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)new JsonObject
        {
            ["readBytesPerSec"] = d.Value.ReadBytesPerSec,
            ["writeBytesPerSec"] = d.Value.WriteBytesPerSec,
            ["totalIopsPerSec"] = d.Value.TotalIopsPerSec,
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
                StringComparer.Ordinal),
            json["vcpusMax"]?.GetValue<int>(),
            json["disks"]?.AsObject().ToDictionary(
                d => d.Key,
                d => new DiskThrottle(d.Value!["readBytesPerSec"]?.GetValue<long>(), d.Value["writeBytesPerSec"]?.GetValue<long>(), d.Value["totalIopsPerSec"]?.GetValue<long>()),
                StringComparer.Ordinal));
    }
}
