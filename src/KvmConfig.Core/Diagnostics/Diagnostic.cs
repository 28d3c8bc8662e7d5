namespace KvmConfig.Core.Diagnostics;

/// <summary>How serious a finding is. Errors make <c>check</c> exit 1; warnings and notes do not.</summary>
public enum Severity
{
    /// <summary>Shown with <c>--verbose</c>: what kvmconfig decided on the user's behalf.</summary>
    Info,

    /// <summary>Allowed, but probably not what the administrator wants.</summary>
    Warning,

    /// <summary>The declaration cannot be applied as written.</summary>
    Error,
}

/// <summary>A place in a configuration file. Line and column are 1-based; <see cref="Length"/> is in characters.</summary>
public sealed record SourceSpan(string File, int Line, int Column, int Length)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A secondary message attached to a diagnostic, optionally pointing at another place.</summary>
public sealed record DiagnosticNote(string Message, SourceSpan? Span = null);

/// <summary>
/// One finding about a declaration: which rule (<see cref="Descriptor"/>), what exactly (a message that names
/// the values), where, and how to fix it.
/// </summary>
public sealed record Diagnostic(
    DiagnosticDescriptor Descriptor,
    Severity Severity,
    string Message,
    SourceSpan? Span,
    string? Hint = null,
    IReadOnlyList<DiagnosticNote>? Notes = null)
{
    /// <summary>The stable code, <c>KVC0xx</c>.</summary>
    public string Code => Descriptor.Code;

    /// <summary>Creates a diagnostic at the descriptor's default severity.</summary>
    public static Diagnostic Create(
        DiagnosticDescriptor descriptor,
        string message,
        SourceSpan? span,
        string? hint = null,
        IReadOnlyList<DiagnosticNote>? notes = null) =>
        new(descriptor, descriptor.DefaultSeverity, message, span, hint, notes);
}

/// <summary>A rule's identity: stable code, short kebab-case name, default severity, one-line title.</summary>
public sealed record DiagnosticDescriptor(string Code, string Name, Severity DefaultSeverity, string Title);
