using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// Shared pieces of the procfs parsers: splitting on the kernel's blanks and reading its unsigned counters. Every
/// failure is a <see cref="FormatException"/> whose message says which line and what was expected; the reader adds
/// the path.
/// </summary>
internal static class ProcText
{
    /// <summary>The kernel separates fields with spaces (padding in diskstats) or tabs (status).</summary>
    private static readonly char[] Blanks = [' ', '\t'];

    /// <summary>Splits a line into its fields, collapsing runs of blanks.</summary>
    public static string[] Fields(string line) => line.Split(Blanks, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The lines of a file with their 1-based numbers, blank lines skipped.</summary>
    public static IEnumerable<(int Number, string Text)> Lines(string text)
    {
        int number = 0;
        foreach (string line in text.Split('\n'))
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line.TrimEnd('\r'));
            }
        }
    }

    /// <summary>
    /// Parses one of the kernel's unsigned decimal counters (<c>%llu</c>, <c>%lu</c>, <c>%u</c>): digits only, no sign.
    /// <paramref name="what"/> names the field in the error, e.g. "line 2 field 4 (reads completed)".
    /// </summary>
    public static ulong Counter(ReadOnlySpan<char> field, string what) =>
        ulong.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw new FormatException($"{what}: expected an unsigned decimal number, found '{Shorten(field)}'");

    /// <summary>A field or line cut to a length that keeps an error message on one screen line.</summary>
    public static string Shorten(ReadOnlySpan<char> text)
    {
        const int max = 60;
        string s = text.Trim().ToString();
        return s.Length <= max ? s : s[..max] + "...";
    }
}
