using System.Globalization;
using KvmConfig.Core;

namespace KvmConfig.Monitoring.Reports;

/// <summary>The time range a report covers: sweeps from <see cref="Since"/> (inclusive) to <see cref="Until"/> (exclusive).</summary>
/// <param name="Since">Start, UTC.</param>
/// <param name="Until">End, UTC.</param>
public sealed record ReportRange(DateTimeOffset Since, DateTimeOffset Until)
{
    /// <summary>
    /// The range <c>--since</c> and <c>--until</c> name, as journalctl reads them: each a duration back from
    /// <paramref name="now"/> (<c>24h</c>, <c>90m</c>, <c>7d</c>) or a time (<c>2025-03-01T12:00Z</c>; UTC when no
    /// offset is given); no <c>--until</c> is now. Returns the error to show for a value that is neither, a zero or
    /// negative duration, or a start that is not before the end.
    /// </summary>
    public static (ReportRange? Range, string? Error) Parse(string since, string? until, DateTimeOffset now)
    {
        if (Point(since, now) is not { } start)
        {
            return (null, $"--since {since}: give a duration above zero and at most 36525d (24h, 90m, 7d) or a time (2025-03-01T12:00Z)");
        }

        DateTimeOffset end = now;
        if (until is not null)
        {
            if (Point(until, now) is not { } parsed)
            {
                return (null, $"--until {until}: give a duration above zero and at most 36525d (1h: an hour ago) or a time (2025-03-01T12:00Z)");
            }

            end = parsed;
        }

        return start < end
            ? (new ReportRange(start, end), null)
            : (null, $"--since {since} ({Time(start)}) is not before --until {until ?? "now"} ({Time(end)})");
    }

    /// <summary>A time as the report prints it: UTC, to the second, ISO 8601 (<c>2025-03-01T12:00:00Z</c>).</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A time to the millisecond, for the JSON document.</summary>
    public static string TimeMs(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    // A duration above zero back from now (no earlier than the Unix epoch, where histories start), or a time: a bare
    // date-and-time is UTC, like every time kvmconfig prints.
    private static DateTimeOffset? Point(string text, DateTimeOffset now)
    {
        if (Durations.Parse(text) is { } ago)
        {
            return ago <= TimeSpan.Zero ? null : ago >= now - DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : now - ago;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at)
            && text.Contains('-', StringComparison.Ordinal)
            ? at.ToUniversalTime()
            : null;
    }
}
