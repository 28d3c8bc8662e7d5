using System.Globalization;

namespace KvmConfig.Core;

/// <summary>Durations as administrators type them on the command line: <c>500ms</c>, <c>10s</c>, <c>1m</c>, <c>48h</c>, <c>7d</c>.</summary>
public static class Durations
{
    // Suffix and its length in seconds; "ms" before "m"/"s" so that it is matched first. A bare number is seconds.
    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    /// <summary>The longest duration any option takes: 100 years (TimeSpan itself ends near 29,000).</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(36525);

    /// <summary>
    /// The duration <paramref name="text"/> names, or null when it is not one or is longer than <see cref="Longest"/>
    /// (each option then says its own bounds).
    /// </summary>
    public static TimeSpan? Parse(string text)
    {
        string t = text.Trim();
        (string number, double scale) = Units.FirstOrDefault(u => t.EndsWith(u.Suffix, StringComparison.Ordinal)) is { Suffix: { } suffix } unit
            ? (t[..^suffix.Length], unit.Seconds)
            : (t, 1);
        return number.Length > 0 && number.All(c => char.IsAsciiDigit(c) || c == '.')
            && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value) && value * scale <= Longest.TotalSeconds
            ? TimeSpan.FromSeconds(value * scale)
            : null;
    }

    /// <summary>
    /// The usage error for option <paramref name="option"/> = <paramref name="text"/>, or null when it is a duration
    /// in [<paramref name="least"/>, <paramref name="most"/>]; <paramref name="example"/> shows a good value.
    /// </summary>
    public static string? Check(string option, string text, TimeSpan least, TimeSpan most, string example, string? whyLeast = null)
    {
        if (Parse(text) is not { } value)
        {
            return $"{option} {text}: give a duration from {Show(least)} to {Show(most)}, e.g. {example}";
        }

        return value < least ? $"{option} {text}: at least {Show(least)}{(whyLeast is null ? "" : $" ({whyLeast})")}"
            : value > most ? $"{option} {text}: at most {Show(most)}"
            : null;
    }

    // 100ms, 1s, 1h, 3650d: the largest unit that divides the duration.
    private static string Show(TimeSpan d) =>
        d.TotalDays >= 1 && d.TotalDays % 1 == 0 ? $"{d.TotalDays:0}d"
        : d.TotalHours >= 1 && d.TotalHours % 1 == 0 ? $"{d.TotalHours:0}h"
        : d.TotalMinutes >= 1 && d.TotalMinutes % 1 == 0 ? $"{d.TotalMinutes:0}m"
        : d.TotalSeconds >= 1 && d.TotalSeconds % 1 == 0 ? $"{d.TotalSeconds:0}s"
        : $"{d.TotalMilliseconds:0}ms";
}
