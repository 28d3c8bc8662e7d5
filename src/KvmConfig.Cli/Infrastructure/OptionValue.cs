namespace KvmConfig.Cli.Infrastructure;

/// <summary>Option values as Spectre.Console.Cli hands them over.</summary>
internal static class OptionValue
{
    /// <summary>
    /// True when an option was given without its value. Spectre.Console.Cli binds the name of its internal default
    /// command, "__default_command", to a value-taking option left without one (<c>--sysroot</c> last, or followed by
    /// another option); <c>--sysroot=-x</c> binds "-x", an option name rather than a directory; <c>--sysroot ""</c>
    /// binds "".
    /// </summary>
    public static bool IsMissing(string? value) =>
        value is not null && (value.Length == 0 || value.StartsWith('-') || value == "__default_command");
}
