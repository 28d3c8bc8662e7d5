using System.Text;
using KvmConfig.Config;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Cli.Rendering;

/// <summary>
/// Renders diagnostics as administrators read compiler errors: severity and code, the message, the place, the
/// line with carets under the bad text, then the rule, notes and a hint. Plain text unless <c>color</c> is set.
/// </summary>
internal static class DiagnosticRenderer
{
    /// <summary>One diagnostic, with the source lines of <paramref name="source"/> for the excerpt.</summary>
    public static string Render(Diagnostic d, ConfigSource? source, bool color = false)
    {
        var sb = new StringBuilder();
        string label = d.Severity switch
        {
            Severity.Error => Paint("error", "1;31", color),
            Severity.Warning => Paint("warning", "1;33", color),
            _ => Paint("note", "1;36", color),
        };
        sb.Append(label).Append('[').Append(d.Code).Append("]: ").Append(d.Message).Append('\n');

        string gutter = " ";
        if (d.Span is { } span)
        {
            string? line = LineOf(source, span);
            gutter = new string(' ', span.Line.ToString(System.Globalization.CultureInfo.InvariantCulture).Length + 1);
            sb.Append(gutter).Append("--> ").Append(span).Append('\n');
            if (line is not null)
            {
                string shown = line.Replace('\t', ' ');
                sb.Append(gutter).Append("|\n");
                sb.Append(span.Line).Append(" | ").Append(shown).Append('\n');
                int column = Math.Clamp(span.Column, 1, shown.Length + 1);
                int length = Math.Max(1, Math.Min(span.Length, shown.Length - column + 1));
                sb.Append(gutter).Append("| ").Append(' ', column - 1).Append(Paint(new string('^', length), "1;31", color)).Append('\n');
            }
        }

        sb.Append(gutter).Append("= rule: ").Append(d.Descriptor.Name).Append(" (").Append(d.Descriptor.Title).Append(")\n");
        foreach (DiagnosticNote note in d.Notes ?? [])
        {
            sb.Append(gutter).Append("= note: ").Append(note.Message);
            if (note.Span is not null)
            {
                sb.Append(" (").Append(note.Span).Append(')');
            }

            sb.Append('\n');
        }

        if (d.Hint is not null)
        {
            sb.Append(gutter).Append("= ").Append(Paint("hint", "1;32", color)).Append(": ").Append(d.Hint).Append('\n');
        }

        return sb.ToString();
    }

    private static string? LineOf(ConfigSource? source, Core.Diagnostics.SourceSpan span)
    {
        IReadOnlyList<string>? lines = source?.Documents.FirstOrDefault(doc => doc.Path == span.File)?.Lines;
        return lines is not null && span.Line >= 1 && span.Line <= lines.Count ? lines[span.Line - 1] : null;
    }

    private static string Paint(string text, string sgr, bool color) => color ? $"\e[{sgr}m{text}\e[0m" : text;
}
