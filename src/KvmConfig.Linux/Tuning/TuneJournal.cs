using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Linux.Tuning;

/// <summary>
/// The journal of one <c>tune</c>: a file <c>ROOT/&lt;UTC time&gt;.json</c> holding the sysroot, the time, a status and,
/// for every value it changes, the kind, the path, the value before (null: the file did not exist) and the value
/// written. It is written and flushed before the first change, and its status updated after the last.
/// </summary>
/// <remarks>
/// A revert writes what the journal says into the kernel's files as root, so the root directory is created 0700 and
/// the file 0600, both read only when <see cref="FileTrust"/> passes them, and every path in it must be one that
/// <c>tune</c> owns (<see cref="HostPaths.Owned"/>).
/// </remarks>
public sealed class TuneJournal
{
    /// <summary>Default root: <c>/var/lib/kvmconfig/tune</c>.</summary>
    public const string DefaultRoot = "/var/lib/kvmconfig/tune";

    private TuneJournal(string path, string sysRoot, DateTimeOffset created, IReadOnlyList<TuneSetting> changes, string status)
    {
        Path = path;
        SysRoot = sysRoot;
        Created = created;
        Changes = changes;
        Status = status;
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>The sysroot the values were written under.</summary>
    public string SysRoot { get; }

    /// <summary>When the tune started.</summary>
    public DateTimeOffset Created { get; }

    /// <summary>Every change, in the order written; <see cref="TuneSetting.Current"/> is the value before.</summary>
    public IReadOnlyList<TuneSetting> Changes { get; }

    /// <summary><c>started</c>, <c>applied</c>, <c>short</c> (huge pages not all granted), <c>restored</c>, <c>restore-failed</c>, <c>reverted</c>.</summary>
    public string Status { get; private set; }

    /// <summary>Writes a new journal of <paramref name="changes"/> under <paramref name="root"/>, before any of them is made.</summary>
    public static TuneJournal Create(string root, string sysRoot, IReadOnlyList<TuneSetting> changes, DateTimeOffset now)
    {
        try
        {
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string path = System.IO.Path.Combine(root, now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss.fff'Z'", CultureInfo.InvariantCulture) + ".json");
            var journal = new TuneJournal(path, System.IO.Path.GetFullPath(sysRoot), now, changes, "started");
            journal.Save(createNew: true);
            return journal;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.TuneJournalUnwritable(root, e);
        }
    }

    /// <summary>Records <paramref name="status"/>.</summary>
    public void Mark(string status)
    {
        Status = status;
        try
        {
            Save(createNew: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.TuneJournalUnwritable(Path, e);
        }
    }

    /// <summary>
    /// The newest journal under <paramref name="root"/> that changed something still in place (status <c>applied</c>
    /// or <c>short</c>); throws KVC086 when there is none.
    /// </summary>
    public static TuneJournal Latest(string root)
    {
        if (!Directory.Exists(root))
        {
            throw LinuxErrors.NoTuneJournal(root, "the directory does not exist");
        }

        FileTrust.RefuseUnsafeParents(root, "tune journal directory");
        FileTrust.RefuseUnsafe(root, "tune journal directory", linkAllowed: false);
        foreach (string file in Directory.EnumerateFiles(root, "*.json").Order(StringComparer.Ordinal).Reverse())
        {
            FileTrust.RefuseUnsafe(file, "tune journal", linkAllowed: false);
            TuneJournal journal = Load(file);
            if (journal.Status is "applied" or "short")
            {
                return journal;
            }
        }

        throw LinuxErrors.NoTuneJournal(root, "no journal there holds changes still in place (each was reverted or restored already)");
    }

    private static TuneJournal Load(string path)
    {
        try
        {
            JsonNode document = JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("empty");
            var changes = new List<TuneSetting>();
            foreach (JsonNode? entry in document["changes"]!.AsArray())
            {
                string hostPath = (string)entry!["path"]!;
                if (!HostPaths.Owned(hostPath))
                {
                    throw new JsonException($"it names {hostPath}, which tune never writes");
                }

                changes.Add(new TuneSetting(Enum.Parse<TuneKind>((string)entry["kind"]!), hostPath, (string?)entry["old"], (string)entry["new"]!, (string?)entry["why"] ?? ""));
            }

            return new TuneJournal(path, (string)document["sysroot"]!, DateTimeOffset.Parse((string)document["created"]!, CultureInfo.InvariantCulture),
                changes, (string)document["status"]!);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException or NullReferenceException)
        {
            throw LinuxErrors.TuneJournalDamaged(path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw LinuxErrors.CannotRead(path, e);
        }
    }

    private void Save(bool createNew)
    {
        var document = new JsonObject
        {
            ["version"] = 1,
            ["sysroot"] = SysRoot,
            ["created"] = Created.ToString("O", CultureInfo.InvariantCulture),
            ["status"] = Status,
            ["changes"] = new JsonArray([.. Changes.Select(c => (JsonNode)new JsonObject
            {
                ["kind"] = c.Kind.ToString(),
                ["path"] = c.Path,
                ["old"] = c.Current,
                ["new"] = c.Wanted,
                ["why"] = c.Why,
            })]),
        };
        var options = new FileStreamOptions { Mode = createNew ? FileMode.CreateNew : FileMode.Truncate, Access = FileAccess.Write };
        if (createNew)
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(Path, options);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"));
        stream.Flush(flushToDisk: true);
    }
}
