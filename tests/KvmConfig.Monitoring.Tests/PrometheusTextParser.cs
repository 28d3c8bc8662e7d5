using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace KvmConfig.Monitoring.Tests;

/// <summary>A parsed family: name, help text (unescaped), type and its samples in the order they came.</summary>
public sealed record ParsedFamily(string Name, string? Help, string Type, IReadOnlyList<ParsedSample> Samples);

/// <summary>One sample line: its labels (unescaped) by name, its value and optional timestamp, and its line number.</summary>
public sealed record ParsedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, long? TimestampMs, int Line)
{
    /// <summary>The value of label <paramref name="name"/>.</summary>
    public string this[string name] => Labels[name];
}

/// <summary>
/// A strict parser of Prometheus's text exposition format 0.0.4, for tests: it accepts what the format allows in the
/// canonical spelling our writer and Prometheus's client libraries use, and rejects everything Prometheus would reject
/// plus the sloppy spellings it tolerates, each with a <see cref="FormatException"/> naming the line.
/// </summary>
/// <remarks>
/// Accepted: <c># HELP name text</c> (escapes <c>\\</c> and <c>\n</c> only), <c># TYPE name counter|gauge</c>, other
/// <c>#</c> comments, empty lines, and samples <c>name{label="value",...} value [timestamp_ms]</c> with single spaces.
/// Label values escape <c>\\</c>, <c>\"</c> and <c>\n</c> only. Values are Go float syntax limited to
/// <c>[+-]digits[.digits][e[+-]digits]</c>, <c>.5</c>, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.
/// <para>Rejected, beyond syntax: a text not ending in a newline; a sample whose family has no TYPE line before it
/// (stricter than Prometheus, which would call it untyped); HELP or TYPE twice for a family, or after its first
/// sample; a family whose lines are not together; types other than counter and gauge (this parser does not know
/// histograms and summaries); a counter that is NaN, infinite or negative; two samples of one series (the same labels
/// in any order); a label twice in a sample; reserved label names (<c>__*</c>); an empty <c>{}</c> and a trailing
/// comma in labels.</para>
/// </remarks>
public static partial class PrometheusTextParser
{
    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|NaN|[+-]Inf)$")]
    private static partial Regex FloatValue();

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex Timestamp();

    /// <summary>The families of <paramref name="text"/> in the order they came; an empty text has none.</summary>
    public static IReadOnlyList<ParsedFamily> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException($"line {text.Count(c => c == '\n') + 1}: the last line does not end with a newline");
        }

        var families = new List<OpenFamily>();
        var byName = new Dictionary<string, OpenFamily>(StringComparer.Ordinal);
        OpenFamily? current = null;

        // A family is open from its first line to the first line of another; coming back to a closed one is an error.
        OpenFamily Enter(string name, int line)
        {
            if (current?.Name == name)
            {
                return current;
            }

            if (byName.ContainsKey(name))
            {
                throw new FormatException($"line {line}: {name} appears again after other families: a family's lines must be together");
            }

            current = new OpenFamily(name);
            byName[name] = current;
            families.Add(current);
            return current;
        }

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            int number = i + 1;
            string line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith('#'))
            {
                ParseComment(line, number, Enter);
                continue;
            }

            (string name, Dictionary<string, string> labels, double value, long? timestamp) = ParseSample(line, number);
            OpenFamily family = Enter(name, number);
            if (family.Type is null)
            {
                throw new FormatException($"line {number}: sample of {name} without a TYPE line before it");
            }

            if (family.Type == "counter" && !(value >= 0 && double.IsFinite(value)))
            {
                throw new FormatException($"line {number}: counter {name} is {Format(value)}: a counter is a finite number >= 0");
            }

            string series = string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={Quote(l.Value)}"));
            if (!family.Series.Add(series))
            {
                throw new FormatException($"line {number}: second sample of series {name}{{{series}}}");
            }

            family.Samples.Add(new ParsedSample(name, labels, value, timestamp, number));
        }

        // A family with HELP and no TYPE has no samples (those would have failed): its type is unknown.
        return families.Select(f => new ParsedFamily(f.Name, f.Help, f.Type ?? "untyped", f.Samples)).ToList();
    }

    /// <summary>The single family named <paramref name="name"/> of <paramref name="text"/>.</summary>
    public static ParsedFamily Family(string text, string name) => Parse(text).Single(f => f.Name == name);

    private static void ParseComment(string line, int number, Func<string, int, OpenFamily> enter)
    {
        string[] parts = line.Split(' ', 4);
        bool help = parts is ["#", "HELP", ..];
        bool type = parts is ["#", "TYPE", ..];
        if (!help && !type)
        {
            return; // a plain comment
        }

        if (parts.Length < 3 || MetricName().Match(parts[2]) is not { Success: true } m || m.Length != parts[2].Length)
        {
            throw new FormatException($"line {number}: '{line}': expected '# {parts[1]} metric_name ...' with a valid metric name");
        }

        string name = parts[2];
        OpenFamily family = enter(name, number);
        if (family.Samples.Count > 0)
        {
            throw new FormatException($"line {number}: {parts[1]} of {name} after its samples");
        }

        if (help)
        {
            if (family.Help is not null)
            {
                throw new FormatException($"line {number}: second HELP line for {name}");
            }

            family.Help = parts.Length == 4 ? Unescape(parts[3], number, quote: false) : "";
            return;
        }

        if (family.Type is not null)
        {
            throw new FormatException($"line {number}: second TYPE line for {name}");
        }

        family.Type = parts.Length == 4 ? parts[3] : "";
        if (family.Type is not ("counter" or "gauge"))
        {
            throw new FormatException($"line {number}: type '{family.Type}' of {name}: expected counter or gauge");
        }
    }

    private static (string Name, Dictionary<string, string> Labels, double Value, long? TimestampMs) ParseSample(string line, int number)
    {
        Match name = MetricName().Match(line);
        if (!name.Success)
        {
            throw new FormatException($"line {number}: '{line}' does not start with a metric name");
        }

        int at = name.Length;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (at < line.Length && line[at] == '{')
        {
            at++;
            if (at < line.Length && line[at] == '}')
            {
                throw new FormatException($"line {number}: empty label set '{{}}': write no braces");
            }

            while (true)
            {
                int eq = line.IndexOf('=', at);
                if (eq < 0)
                {
                    throw new FormatException($"line {number}: label without '=' at column {at + 1}");
                }

                string label = line[at..eq];
                if (!LabelName().IsMatch(label) || label.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"line {number}: '{label}' at column {at + 1} is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not __*)");
                }

                if (eq + 1 >= line.Length || line[eq + 1] != '"')
                {
                    throw new FormatException($"line {number}: the value of label {label} does not start with a double quote");
                }

                (string value, int end) = ReadQuoted(line, eq + 2, number);
                if (!labels.TryAdd(label, value))
                {
                    throw new FormatException($"line {number}: label {label} twice");
                }

                at = end;
                if (at < line.Length && line[at] == ',')
                {
                    at++;
                    if (at < line.Length && line[at] == '}')
                    {
                        throw new FormatException($"line {number}: trailing comma before '}}'");
                    }

                    continue;
                }

                if (at < line.Length && line[at] == '}')
                {
                    at++;
                    break;
                }

                throw new FormatException($"line {number}: expected ',' or '}}' at column {at + 1} after label {label} (an unescaped double quote?)");
            }
        }

        if (at >= line.Length || line[at] != ' ')
        {
            throw new FormatException($"line {number}: expected one space then the value at column {at + 1}");
        }

        string[] rest = line[(at + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2 || !FloatValue().IsMatch(rest[0]))
        {
            throw new FormatException($"line {number}: '{line[(at + 1)..]}' is not 'value [timestamp_ms]' (value: a float, NaN, +Inf or -Inf)");
        }

        double parsed = rest[0] switch
        {
            "NaN" => double.NaN,
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            _ => double.Parse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        long? timestamp = null;
        if (rest.Length == 2)
        {
            timestamp = Timestamp().IsMatch(rest[1]) && long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ms)
                ? ms
                : throw new FormatException($"line {number}: timestamp '{rest[1]}' is not an integer of milliseconds");
        }

        return (name.Value, labels, parsed, timestamp);
    }

    /// <summary>A double-quoted label value starting at <paramref name="start"/> (after the quote): the text and the index after the closing quote.</summary>
    private static (string Value, int End) ReadQuoted(string line, int start, int number)
    {
        int close = start;
        while (close < line.Length && line[close] != '"')
        {
            close += line[close] == '\\' ? 2 : 1;
        }

        if (close >= line.Length)
        {
            throw new FormatException($"line {number}: the label value opened by the double quote at column {start} has no closing double quote");
        }

        return (Unescape(line[start..close], number, quote: true), close + 1);
    }

    private static string Unescape(string text, int number, bool quote)
    {
        var value = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                value.Append(text[i]);
                continue;
            }

            char next = i + 1 < text.Length ? text[i + 1] : '\0';
            value.Append(next switch
            {
                '\\' => '\\',
                'n' => '\n',
                '"' when quote => '"',
                _ => throw new FormatException(
                    $"line {number}: invalid escape '\\{(next == '\0' ? "" : next)}' in {(quote ? "a label value" : "HELP text")}: only \\\\, \\n{(quote ? " and \\\"" : "")}"),
            });
            i++;
        }

        return value.ToString();
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Quote(string value) => "\"" + value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n") + "\"";

    private sealed class OpenFamily(string name)
    {
        public string Name { get; } = name;

        public string? Help { get; set; }

        public string? Type { get; set; }

        public List<ParsedSample> Samples { get; } = [];

        public HashSet<string> Series { get; } = new(StringComparer.Ordinal);
    }
}
