using System.Text.RegularExpressions;
using KvmConfig.Config.Semantics;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Config.Syntax;

/// <summary>
/// Phase one: the text of one file into a <see cref="ConfigDocument"/>. Knows lines, comments, headers and
/// <c>key = value</c>; knows nothing of what keys mean. Mistakes become diagnostics, and parsing goes on with
/// the next line so that one run reports every broken line.
/// </summary>
public static partial class ConfigParser
{
    private static readonly string[] SectionWords = ["host", "vm", "profile", "cost", "alerts", "node"];

    private const string AllSections = "[host], [vm NAME], [profile NAME], [node NAME], [cost] and [alerts]";

    /// <summary>Parses <paramref name="text"/>, shown in diagnostics as <paramref name="path"/>.</summary>
    public static ConfigDocument Parse(string path, string text, ICollection<Diagnostic> diagnostics)
    {
        string[] lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        if (lines.Length > 0 && lines[^1].Length == 0)
        {
            lines = lines[..^1];
        }

        var sections = new List<ConfigSection>();
        SectionBuilder? current = null;
        bool inBrokenHeader = false;

        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int lineNo = i + 1;
            int start = 0;
            while (start < line.Length && char.IsWhiteSpace(line[start]))
            {
                start++;
            }

            if (start == line.Length || line[start] is '#' or ';')
            {
                continue;
            }

            if (line[start] == '[')
            {
                current?.AddTo(sections);
                current = Header(path, line, lineNo, start, diagnostics);
                inBrokenHeader = current is null;
                continue;
            }

            ConfigEntry? entry = Entry(path, line, lineNo, start, diagnostics);
            if (entry is null || inBrokenHeader)
            {
                continue;
            }

            if (current is null)
            {
                current = Implied(path, entry, diagnostics);
                if (current is null)
                {
                    inBrokenHeader = true;
                    continue;
                }
            }

            current.Entries.Add(entry);
        }

        current?.AddTo(sections);
        return new ConfigDocument(path, lines, sections);
    }

    // [vm web1]    -> Vm, "web1"
    // [host]       -> Host
    // 0   4        columns used for the spans below
    private static SectionBuilder? Header(string path, string line, int lineNo, int start, ICollection<Diagnostic> diagnostics)
    {
        int close = line.IndexOf(']', start);
        if (close < 0)
        {
            diagnostics.Add(Diagnostic.Create(Rules.UnterminatedHeader,
                $"section header '{line.Trim()}' has no closing ']'",
                new SourceSpan(path, lineNo, start + 1, line.TrimEnd().Length - start),
                "close the header, e.g. [vm web1]; the keys below it are skipped until the next valid header"));
            return null;
        }

        string rest = line[(close + 1)..];
        string trailing = StripComment(rest).Trim();
        if (trailing.Length > 0)
        {
            int at = line.IndexOf(trailing, close + 1, StringComparison.Ordinal);
            diagnostics.Add(Diagnostic.Create(Rules.UnterminatedHeader,
                $"unexpected text '{trailing}' after the section header",
                new SourceSpan(path, lineNo, at + 1, trailing.Length),
                "put keys on their own lines below the header"));
            return null;
        }

        string inner = line[(start + 1)..close];
        string trimmed = inner.Trim();
        int innerStart = start + 1 + (inner.Length - inner.TrimStart().Length);
        string[] words = WhitespaceRegex().Split(trimmed, 2);
        string word = words[0];
        string? name = words.Length > 1 ? words[1].Trim() : null;
        var span = new SourceSpan(path, lineNo, start + 1, close - start + 1);

        SectionKind? kind = word.ToLowerInvariant() switch
        {
            "host" => SectionKind.Host,
            "vm" => SectionKind.Vm,
            "profile" => SectionKind.Profile,
            "cost" => SectionKind.Cost,
            "alerts" => SectionKind.Alerts,
            "node" => SectionKind.Node,
            _ => null,
        };
        if (kind is null)
        {
            string? near = Suggest.Closest(word, SectionWords);
            diagnostics.Add(Diagnostic.Create(Rules.UnknownSection,
                $"unknown section '[{trimmed}]'",
                new SourceSpan(path, lineNo, innerStart + 1, Math.Max(1, word.Length)),
                near is null
                    ? $"sections are {AllSections}"
                    : $"did you mean '[{near}{(name is null ? "" : " " + name)}]'? Sections are {AllSections}"));
            return null;
        }

        bool named = kind is SectionKind.Vm or SectionKind.Profile or SectionKind.Node;
        if (named && name is null)
        {
            diagnostics.Add(Diagnostic.Create(Rules.BadSectionName,
                $"section '[{word}]' needs a name",
                span,
                kind == SectionKind.Node
                    ? $"write [{word} NAME], where NAME is the name VMs' host = gives this machine"
                    : $"write [{word} NAME], where NAME is the libvirt domain{(kind == SectionKind.Profile ? " profile" : "")} name"));
            return null;
        }

        // [cost NAME] is a named cost scenario beside the plain [cost]; the other unnamed sections take no name.
        if (!named && name is not null && kind != SectionKind.Cost)
        {
            diagnostics.Add(Diagnostic.Create(Rules.BadSectionName,
                $"section '[{word}]' takes no name, but '{name}' follows it",
                span,
                $"write [{word}]"));
            return null;
        }

        if (name is not null && ValueSyntax.Name(name, $"{word} name").Error is { } error)
        {
            int at = line.IndexOf(name, innerStart, StringComparison.Ordinal);
            diagnostics.Add(Diagnostic.Create(Rules.BadSectionName, error.Message, new SourceSpan(path, lineNo, at + 1, name.Length), error.Hint));
            return null;
        }

        return new SectionBuilder(kind.Value, name, span, Implied: false);
    }

    // cpus = 1-4   # comment
    // ^key   ^value (comment removed, trimmed)
    private static ConfigEntry? Entry(string path, string line, int lineNo, int start, ICollection<Diagnostic> diagnostics)
    {
        string content = StripComment(line).TrimEnd();
        int eq = content.IndexOf('=', start);
        if (eq < 0)
        {
            // "cpu_weight 200": most often the '=' was forgotten; show the line as it was probably meant.
            string[] words = WhitespaceRegex().Split(content.Trim(), 2);
            diagnostics.Add(Diagnostic.Create(Rules.MissingEquals,
                $"line '{content.Trim()}' is not 'key = value'",
                new SourceSpan(path, lineNo, start + 1, content.Length - start),
                words.Length == 2
                    ? $"if '{words[0]}' is the key, write '{words[0]} = {words[1]}'; if the line is a comment, start it with #"
                    : "write key = value, or start the line with # to make it a comment"));
            return null;
        }

        string key = content[start..eq].TrimEnd();
        if (key.Length == 0)
        {
            diagnostics.Add(Diagnostic.Create(Rules.EmptyKey,
                $"line '{content.Trim()}' has no key before '='",
                new SourceSpan(path, lineNo, eq + 1, 1),
                "write key = value, e.g. cpus = 2-5"));
            return null;
        }

        int valueStart = eq + 1;
        while (valueStart < content.Length && char.IsWhiteSpace(content[valueStart]))
        {
            valueStart++;
        }

        string value = content[valueStart..];
        return new ConfigEntry(
            key,
            value,
            new SourceSpan(path, lineNo, start + 1, key.Length),
            new SourceSpan(path, lineNo, valueStart + 1, value.Length));
    }

    // 00-cpu.conf, 10-host.conf -> [host]; 20-web1.conf -> [vm web1]; other names imply nothing.
    private static SectionBuilder? Implied(string path, ConfigEntry first, ICollection<Diagnostic> diagnostics)
    {
        string file = Path.GetFileName(path);
        Match m = ImpliedNameRegex().Match(file);
        if (!m.Success)
        {
            diagnostics.Add(Diagnostic.Create(Rules.NoSection,
                $"'{first.Key}' comes before any section header, and the file name '{file}' implies none",
                first.KeySpan,
                "add a header such as [host] or [vm NAME] above it, or name the file NN-NAME.conf (NN-cpu.conf and NN-host.conf mean [host])"));
            return null;
        }

        string name = m.Groups["name"].Value;
        if (name is "cpu" or "host")
        {
            return new SectionBuilder(SectionKind.Host, null, first.KeySpan, Implied: true);
        }

        if (ValueSyntax.Name(name, "VM name implied by the file name").Error is { } error)
        {
            diagnostics.Add(Diagnostic.Create(Rules.BadSectionName, $"{error.Message} (from '{file}')", first.KeySpan,
                "rename the file to NN-NAME.conf with a valid libvirt name, or add a [vm NAME] header"));
            return null;
        }

        return new SectionBuilder(SectionKind.Vm, name, first.KeySpan, Implied: true);
    }

    /// <summary>Removes a comment that starts with # or ; at the line start or after whitespace.</summary>
    private static string StripComment(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] is '#' or ';' && (i == 0 || char.IsWhiteSpace(line[i - 1])))
            {
                return line[..i];
            }
        }

        return line;
    }

    [GeneratedRegex(@"^\d+-(?<name>.+)\.conf$")]
    private static partial Regex ImpliedNameRegex();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRegex();

    private sealed record SectionBuilder(SectionKind Kind, string? Name, SourceSpan Span, bool Implied)
    {
        public List<ConfigEntry> Entries { get; } = [];

        public void AddTo(List<ConfigSection> sections) => sections.Add(new ConfigSection(Kind, Name, Span, Implied, Entries));
    }
}
