using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux.Tuning;

namespace KvmConfig.Cli.Tune;

/// <summary>What <c>tune</c> prints: every setting with its value now and wanted, the notes, then the outcome; or one JSON document.</summary>
internal static class TuneText
{
    /// <summary>One line per setting (<c>set</c> or <c>ok</c>), the path, the values and why; then the notes.</summary>
    public static string Settings(TunePlan tune, string hostLabel)
    {
        var text = new StringBuilder();
        text.Append("tune ").Append(hostLabel).Append(": ").Append(Units.Plural(tune.Changes.Count, "change")).Append('\n');
        foreach (TuneSetting s in tune.Settings)
        {
            text.Append(s.Unchanged ? "  ok   " : "  set  ").Append(s.Path).Append(": ").Append(Values(s)).Append('\n')
                .Append("         ").Append(s.Why).Append('\n');
        }

        foreach (string note in tune.Notes)
        {
            text.Append("note: ").Append(note).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    /// <summary>The line for a tune that wrote nothing.</summary>
    public static string Unchanged(int changes, bool dryRun) =>
        changes == 0 ? "nothing to change: the host already holds every value\n" : $"dry run: {Units.Plural(changes, "value")} would change; nothing was written\n";

    /// <summary>The summary after writing.</summary>
    public static string Done(TuneOutcome outcome) =>
        outcome.Succeeded
            ? $"tuned: {Units.Plural(outcome.Written.Count, "value")} written{(outcome.Shortfalls.Count > 0 ? $", {Units.Plural(outcome.Shortfalls.Count, "huge page pool")} short (below)" : "")}\n"
              + $"journal: {outcome.Journal.Path} (kvmconfig tune --revert puts the values back)\n"
            : "";

    /// <summary>What a revert puts back.</summary>
    public static string Reverting(TuneJournal journal)
    {
        var text = new StringBuilder();
        text.Append("revert ").Append(journal.Path).Append(" (tune of ").Append(journal.Created.ToString("u", System.Globalization.CultureInfo.InvariantCulture))
            .Append(", sysroot ").Append(journal.SysRoot).Append(")\n");
        foreach (TuneSetting s in journal.Changes.Reverse())
        {
            text.Append("  put back ").Append(s.Path).Append(": ")
                .Append(s.Current is null ? "remove (tune created it)" : s.Kind == TuneKind.SysctlDropIn ? "the file as it was" : $"{s.Wanted} -> {s.Current}").Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The JSON document of a tune: every setting, the notes and, after writing, the outcome.</summary>
    public static string Json(TunePlan tune, string sysRoot, bool dryRun, TuneOutcome? outcome)
    {
        var document = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["sysroot"] = sysRoot,
            ["dryRun"] = dryRun,
            ["ok"] = outcome?.Succeeded ?? true,
            ["settings"] = new JsonArray([.. tune.Settings.Select(s => (JsonNode)new JsonObject
            {
                ["kind"] = s.Kind.ToString(),
                ["path"] = s.Path,
                ["current"] = s.Current,
                ["wanted"] = s.Wanted,
                ["change"] = !s.Unchanged,
                ["why"] = s.Why,
            })]),
            ["notes"] = new JsonArray([.. tune.Notes.Select(n => (JsonNode)JsonValue.Create(n))]),
            ["written"] = outcome is null ? null : new JsonArray([.. outcome.Written.Select(s => (JsonNode)JsonValue.Create(s.Path))]),
            ["shortfalls"] = outcome is null ? null : new JsonArray([.. outcome.Shortfalls.Select(s => (JsonNode)new JsonObject
            {
                ["path"] = s.Path,
                ["asked"] = s.Asked,
                ["granted"] = s.Granted,
            })]),
            ["journal"] = outcome?.Journal.Path,
        };
        if (outcome?.Error is { } error)
        {
            document["failure"] = new JsonObject
            {
                ["code"] = error.Descriptor.Code,
                ["message"] = error.Message,
                ["restored"] = outcome.RestoreErrors is not { Count: > 0 },
            };
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>The JSON document of a revert.</summary>
    public static string RevertJson(TuneJournal journal, bool dryRun, IReadOnlyList<string> failures) =>
        new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["journal"] = journal.Path,
            ["sysroot"] = journal.SysRoot,
            ["dryRun"] = dryRun,
            ["ok"] = failures.Count == 0,
            ["restored"] = new JsonArray([.. journal.Changes.Select(s => (JsonNode)JsonValue.Create(s.Path))]),
            ["failures"] = new JsonArray([.. failures.Select(f => (JsonNode)JsonValue.Create(f))]),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    private static string Values(TuneSetting s) => s.Kind == TuneKind.SysctlDropIn
        ? s.Unchanged ? "as kvmconfig writes it" : s.Current is null ? "create" : "rewrite (its content differs)"
        : s.Unchanged ? s.Wanted : $"{s.Current ?? "(missing)"} -> {s.Wanted}";
}
