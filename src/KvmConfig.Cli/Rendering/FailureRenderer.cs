using KvmConfig.Core;

namespace KvmConfig.Cli.Rendering;

/// <summary>
/// Every failure the CLI prints goes through here, on stderr, in the layout of <see cref="DiagnosticRenderer"/>'s
/// header: <c>error[KVC095]: what happened</c>, then indented <c>= hint:</c> (or <c>= note:</c>) lines.
/// </summary>
internal static class FailureRenderer
{
    /// <summary>A coded failure with its hint: <c>error[CODE]: message</c>, <c>  = hint: ...</c>.</summary>
    public static void Write(KvmConfigException failure) =>
        Write(failure.Descriptor.Code, failure.Message, failure.Hint is { } hint ? [("hint", hint)] : []);

    /// <summary>
    /// <c>error[code]: message</c> (<c>error: message</c> without a code), then each note as
    /// <c>  = label: text</c>.
    /// </summary>
    public static void Write(string? code, string message, params IReadOnlyList<(string Label, string Text)> notes)
    {
        Console.Error.WriteLine(code is null ? $"error: {message}" : $"error[{code}]: {message}");
        Notes(notes);
    }

    /// <summary>More <c>  = label: text</c> lines under the failure just written.</summary>
    public static void Notes(params IReadOnlyList<(string Label, string Text)> notes)
    {
        foreach ((string label, string text) in notes)
        {
            Console.Error.WriteLine($"  = {label}: {text}");
        }
    }
}
