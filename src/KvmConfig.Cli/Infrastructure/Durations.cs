using System.Globalization;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Durations as administrators type them on the command line: <c>500ms</c>, <c>10s</c>, <c>1m</c>, <c>48h</c>, <c>7d</c>.</summary>
internal static class Durations
{
    // Suffix and its length in seconds; "ms" before "m"/"s" so that it is matched first. A bare number is seconds.
    private static readonly (string Suffix, double Seconds)[] Units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)];

    /// <summary>The duration <paramref name="text"/> names, or null when it is not one.</summary>
    public static TimeSpan? Parse(string text)
    {
        string t = text.Trim();
        (string number, double scale) = Units.FirstOrDefault(u => t.EndsWith(u.Suffix, StringComparison.Ordinal)) is { Suffix: { } suffix } unit
            ? (t[..^suffix.Length], unit.Seconds)
            : (t, 1);
        return double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? TimeSpan.FromSeconds(value * scale)
            : null;
    }
}
