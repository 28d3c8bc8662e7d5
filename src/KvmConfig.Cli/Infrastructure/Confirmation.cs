using KvmConfig.Cli.Rendering;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>The confirmation rule of every command that changes something (<c>apply</c>, <c>rollback</c>, <c>tune</c>).</summary>
internal static class Confirmation
{
    /// <summary>
    /// True when the change may go ahead: <paramref name="yes"/> (<c>--yes</c>), or <c>y</c> typed on a terminal at
    /// <c>QUESTION [y/N]</c>. Without a terminal and without <c>--yes</c> it refuses (a script must say what it wants),
    /// printing why.
    /// </summary>
    public static bool Ask(bool yes, string question)
    {
        if (yes)
        {
            return true;
        }

        if (Console.IsInputRedirected || Console.IsOutputRedirected)
        {
            FailureRenderer.Write(null, $"{question.TrimEnd('?')}: refused without confirmation, because there is no terminal to ask on",
                ("hint", "pass --yes to confirm from a script, or --dry-run to only see the changes"));
            return false;
        }

        // As apt and dnf ask: the capital N is what Enter (or anything but y) means.
        Console.Out.Write($"{question} [y/N] ");
        string? answer = Console.In.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
