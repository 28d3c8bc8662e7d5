using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Config.Syntax;

/// <summary>The six kinds of section a <c>kvmconfig.d</c> file may hold.</summary>
public enum SectionKind
{
    /// <summary><c>[host]</c>: the host policy; later files override earlier keys.</summary>
    Host,

    /// <summary><c>[vm NAME]</c>: one VM; declared once.</summary>
    Vm,

    /// <summary><c>[profile NAME]</c>: defaults for VMs naming it.</summary>
    Profile,

    /// <summary>
    /// <c>[cost]</c>: TCO inputs; later files override earlier keys. <c>[cost NAME]</c>: a named scenario, the
    /// <c>[cost]</c> values with its own keys over them, merged across files the same way.
    /// </summary>
    Cost,

    /// <summary><c>[alerts]</c>: contention alert thresholds; later files override earlier keys.</summary>
    Alerts,

    /// <summary><c>[node NAME]</c>: one machine of the cluster inventory; declared once.</summary>
    Node,
}

/// <summary>One <c>key = value</c> line as written: text and spans of both sides.</summary>
/// <param name="Key">Key text, trimmed.</param>
/// <param name="Value">Value text, trimmed, inline comment removed.</param>
/// <param name="KeySpan">Where the key is.</param>
/// <param name="ValueSpan">Where the value is (length 0 at the end of the line for an empty value).</param>
public sealed record ConfigEntry(string Key, string Value, SourceSpan KeySpan, SourceSpan ValueSpan);

/// <summary>A section as written: its header (real or implied by the file name) and its entries in order.</summary>
/// <param name="Kind">Which section.</param>
/// <param name="Name">VM, profile, node or cost scenario name; null for host, alerts and the plain cost section.</param>
/// <param name="HeaderSpan">The header text, or the first key when the header is implied.</param>
/// <param name="Implied">True when the header came from the file name (<c>00-vm1.conf</c>).</param>
/// <param name="Entries">The section's lines in order.</param>
public sealed record ConfigSection(SectionKind Kind, string? Name, SourceSpan HeaderSpan, bool Implied, IReadOnlyList<ConfigEntry> Entries)
{
    /// <summary><c>[vm web1]</c>, <c>[host]</c>: as a user would write it.</summary>
    public string Title => Name is null ? $"[{Kind.ToString().ToLowerInvariant()}]" : $"[{Kind.ToString().ToLowerInvariant()} {Name}]";
}

/// <summary>One parsed file: its display path, its lines (for carets) and its sections.</summary>
/// <param name="Path">Path as shown in diagnostics.</param>
/// <param name="Lines">The file's lines, without line terminators.</param>
/// <param name="Sections">Sections in file order.</param>
public sealed record ConfigDocument(string Path, IReadOnlyList<string> Lines, IReadOnlyList<ConfigSection> Sections);
