using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using KvmConfig.Cli.Infrastructure;
using KvmConfig.Core.Apply;
using KvmConfig.Core;
using KvmConfig.Libvirt.Apply;

namespace KvmConfig.Cli.Apply;

/// <summary>What <c>apply</c> prints: per-VM diffs and live changes, then the outcome; or one JSON document.</summary>
internal static class ApplyText
{
    /// <summary>The line for an apply that changed nothing: every VM already matched, or a dry run.</summary>
    public static string Unchanged(IReadOnlyList<DomainChange> changes, bool dryRun)
    {
        int real = changes.Count(c => !c.IsEmpty);
        return real == 0
            ? (changes.Count == 1 ? "nothing to change: the VM already matches the plan" : $"nothing to change: all {changes.Count} VMs already match the plan")
            : $"dry run: {Units.Plural(real, "VM")} would change; nothing was changed";
    }

    /// <summary>
    /// The VMs the plan moves off the CPUs they run on, one line each with why; nothing when every VM stays (the
    /// usual case: a VM moves only when its place is no longer valid, to make room, or with --repack).
    /// </summary>
    public static string Moves(IReadOnlyList<Core.Planning.PlanMove> moves) =>
        moves.Count == 0 ? "" : string.Concat(moves.Select(m => $"moves: {m.Vm} from CPUs {m.From} to {m.To}: {m.Why}\n")) + "\n";

    /// <summary>For each VM: "unchanged", or the unified diff of its persistent XML, its live changes and what waits
    /// for its next boot. Diff lines are coloured on a terminal (removed red, added green, hunks cyan).</summary>
    public static string Changes(IReadOnlyList<DomainChange> changes, bool color)
    {
        var text = new StringBuilder();
        foreach (DomainChange change in changes)
        {
            if (change.IsEmpty)
            {
                text.Append("VM ").Append(change.Name).Append(": unchanged\n");
                continue;
            }

            text.Append("VM ").Append(change.Name).Append(": ")
                .Append(change.DefinitionChanges ? "new persistent definition" : "definition unchanged")
                .Append(change.Live.Count > 0 ? $", {Units.Plural(change.Live.Count, "live change")}" : "")
                .Append('\n');
            foreach (string line in change.Diff.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                text.Append(Paint(line, color)).Append('\n');
            }

            foreach (LiveOperation operation in change.Live)
            {
                text.Append("  live: ").Append(operation.Describe(change.Name)).Append('\n');
            }

            foreach (string pending in change.NextBoot)
            {
                text.Append("  at next boot: ").Append(pending).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>The summary after a successful apply.</summary>
    public static string Applied(ApplyOutcome outcome, Journal journal)
    {
        var text = new StringBuilder();
        text.Append("applied: ").Append(Units.Plural(outcome.Changed.Count, "VM")).Append(" changed (")
            .Append(string.Join(", ", outcome.Changed.Select(c => c.Name))).Append(")\n");
        int later = outcome.Changed.Sum(c => c.NextBoot.Count);
        if (later > 0)
        {
            text.Append("note: ").Append(Units.Plural(later, "change")).Append(later == 1 ? " takes" : " take").Append(" effect when the VMs next boot (listed above)\n");
        }

        text.Append("journal: ").Append(journal.Directory).Append(" (kvmconfig rollback ").Append(journal.Directory).Append(" undoes this apply)\n");
        return text.ToString();
    }

    /// <summary>The JSON document: every VM's change, the outcome and the journal.</summary>
    public static string Json(string uri, IReadOnlyList<DomainChange> changes, ApplyOutcome? outcome, Journal? journal, bool dryRun)
    {
        var vms = new JsonArray();
        foreach (DomainChange change in changes)
        {
            vms.Add(new JsonObject
            {
                ["name"] = change.Name,
                ["changes"] = !change.IsEmpty,
                ["definitionChanges"] = change.DefinitionChanges,
                ["diff"] = change.Diff,
                ["live"] = new JsonArray([.. change.Live.Select(l => (JsonNode)JsonValue.Create(l.Describe(change.Name)))]),
                ["nextBoot"] = new JsonArray([.. change.NextBoot.Select(n => (JsonNode)JsonValue.Create(n))]),
            });
        }

        var document = new JsonObject
        {
            ["version"] = ProductVersion.Json,
            ["uri"] = uri,
            ["dryRun"] = dryRun,
            ["ok"] = outcome?.Succeeded ?? true,
            ["applied"] = outcome?.Succeeded == true,
            ["vms"] = vms,
            ["journal"] = journal?.Directory,
        };
        if (outcome is { Succeeded: false })
        {
            document["failure"] = new JsonObject
            {
                ["vm"] = outcome.FailedDomain,
                ["step"] = outcome.FailedStep,
                ["code"] = outcome.Error!.Descriptor.Code,
                ["message"] = outcome.Error.Message,
                ["restored"] = outcome.RollbackErrors.Count == 0,
                ["restoreErrors"] = new JsonArray([.. outcome.RollbackErrors.Select(e => (JsonNode)JsonValue.Create(e))]),
            };
        }

        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string Paint(string line, bool color)
    {
        if (!color)
        {
            return line;
        }

        string? code = line.StartsWith("---", StringComparison.Ordinal) || line.StartsWith("+++", StringComparison.Ordinal) ? "1"
            : line.StartsWith('-') ? "31"
            : line.StartsWith('+') ? "32"
            : line.StartsWith("@@", StringComparison.Ordinal) ? "36"
            : null;
        return code is null ? line : $"\u001b[{code}m{line}\u001b[0m";
    }
}
