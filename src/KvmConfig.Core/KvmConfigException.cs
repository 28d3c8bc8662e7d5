using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Core;

/// <summary>
/// An environment failure that stops a command (a missing sysfs file, an unsafe directory, a libvirt error):
/// not a mistake in the declaration, which is a <see cref="Diagnostic"/> instead. Carries the rule's code,
/// the path involved and a hint, so the CLI can print it without a stack trace.
/// </summary>
public class KvmConfigException(DiagnosticDescriptor descriptor, string message, string? path = null, string? hint = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>Which failure: its code and name.</summary>
    public DiagnosticDescriptor Descriptor { get; } = descriptor;

    /// <summary>The file or directory involved, when there is one.</summary>
    public string? Path { get; } = path;

    /// <summary>What the administrator can do about it.</summary>
    public string? Hint { get; } = hint;
}
