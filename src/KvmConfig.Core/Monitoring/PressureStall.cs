using System.Globalization;

namespace KvmConfig.Core.Monitoring;

/// <summary>A resource tracked by pressure stall information (<c>/proc/pressure/NAME</c>, Linux 4.20+).</summary>
public enum PressureResource
{
    /// <summary><c>/proc/pressure/cpu</c>: runnable tasks waiting for a CPU.</summary>
    Cpu,

    /// <summary><c>/proc/pressure/memory</c>: tasks stalled in reclaim, refaults, swap-in.</summary>
    Memory,

    /// <summary><c>/proc/pressure/io</c>: tasks waiting for block I/O.</summary>
    Io,
}

/// <summary>One line of a pressure file: the share of wall time some (or all) non-idle tasks were stalled.</summary>
/// <param name="Avg10Percent">Running average over 10 s, in percent of wall time.</param>
/// <param name="Avg60Percent">Running average over 60 s, in percent.</param>
/// <param name="Avg300Percent">Running average over 300 s, in percent.</param>
/// <param name="TotalUs">Total stall time since boot, in microseconds: a monotonic counter.</param>
public readonly record struct PressureLine(double Avg10Percent, double Avg60Percent, double Avg300Percent, ulong TotalUs);

/// <summary>
/// The text of one <c>/proc/pressure/{cpu,memory,io}</c> file. <c>some</c>: at least one task stalled; <c>full</c>:
/// all non-idle tasks stalled at once. <c>cpu</c> had no <c>full</c> line before 5.13 (and its system-wide
/// <c>full</c> is always zero); <c>irq</c> has only <c>full</c>.
/// </summary>
/// <param name="Some">The <c>some</c> line, or null when the file has none.</param>
/// <param name="Full">The <c>full</c> line, or null when the file has none.</param>
public sealed record PressureStall(PressureLine? Some, PressureLine? Full)
{
    /// <summary>
    /// Parses a pressure file. Each line is <c>some</c> or <c>full</c> followed by <c>avg10=</c>, <c>avg60=</c>,
    /// <c>avg300=</c> and <c>total=</c>, in that order; anything else, a repeated kind, or a file with neither line
    /// is a <see cref="FormatException"/> naming the line.
    /// </summary>
    public static PressureStall Parse(string text)
    {
        // kernel/sched/psi.c psi_show(): "%s avg10=%lu.%02lu avg60=%lu.%02lu avg300=%lu.%02lu total=%llu\n"
        //
        //   some avg10=0.10 avg60=2.00 avg300=3.85 total=15
        //   1    2          3          4           5
        //
        //   1 some|full   2-4 averages over 10/60/300 s, % of wall time   5 total stall time, us
        PressureLine? some = null, full = null;
        foreach ((int number, string line) in ProcText.Lines(text))
        {
            string[] fields = ProcText.Fields(line);
            if (fields.Length != 5)
            {
                throw new FormatException(
                    $"line {number}: {fields.Length} fields in '{ProcText.Shorten(line)}': expected 'some|full avg10=X avg60=X avg300=X total=N'");
            }

            var parsed = new PressureLine(
                Average(fields[1], "avg10", number),
                Average(fields[2], "avg60", number),
                Average(fields[3], "avg300", number),
                ProcText.Counter(Value(fields[4], "total", number), $"line {number} (total, us)"));
            switch (fields[0])
            {
                case "some" when some is null:
                    some = parsed;
                    break;
                case "full" when full is null:
                    full = parsed;
                    break;
                case "some" or "full":
                    throw new FormatException($"line {number}: a second '{fields[0]}' line");
                default:
                    throw new FormatException($"line {number}: starts with '{ProcText.Shorten(fields[0])}', expected 'some' or 'full'");
            }
        }

        return some is null && full is null
            ? throw new FormatException("no 'some' or 'full' line: expected 'some avg10=X avg60=X avg300=X total=N'")
            : new PressureStall(some, full);
    }

    private static string Value(string field, string key, int line) =>
        field.StartsWith(key + "=", StringComparison.Ordinal)
            ? field[(key.Length + 1)..]
            : throw new FormatException($"line {line}: expected '{key}=...', found '{ProcText.Shorten(field)}'");

    private static double Average(string field, string key, int line)
    {
        string value = Value(field, key, line);
        return double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent)
            && percent <= 100
            ? percent
            : throw new FormatException($"line {line}: {key}={ProcText.Shorten(value)} is not a percentage between 0 and 100");
    }
}
