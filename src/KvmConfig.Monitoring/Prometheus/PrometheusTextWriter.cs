using System.Globalization;
using System.Text;

namespace KvmConfig.Monitoring.Prometheus;

/// <summary>
/// Writes metric families in Prometheus's text exposition format, version 0.0.4 (what <c>/metrics</c> serves with
/// <see cref="ContentType"/>). The output is deterministic: families sorted by name, each family's series together
/// and sorted by their labels, so two scrapes of the same values are the same bytes.
/// </summary>
/// <remarks>
/// The format, one family:
/// <code>
/// # HELP kvmconfig_vcpu_ready_seconds_total Time each vCPU thread waited ...
/// # TYPE kvmconfig_vcpu_ready_seconds_total counter
/// kvmconfig_vcpu_ready_seconds_total{domain="web1",vcpu="0"} 12.5
/// </code>
/// Escaping: in HELP text a backslash is written <c>\\</c> and a newline <c>\n</c>; in a label value, the same plus
/// a double quote as <c>\"</c>. Nothing else is escaped: other characters, UTF-8 included, are written as they are.
/// Values are Go's float syntax: the shortest text that reads back to the same double, <c>NaN</c>, <c>+Inf</c>,
/// <c>-Inf</c>. No timestamps: Prometheus stamps a sample with the scrape time.
/// </remarks>
public static class PrometheusTextWriter
{
    /// <summary>The HTTP <c>Content-Type</c> of the text format this writer produces.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// The exposition of <paramref name="families"/>. A family without series is left out (no HELP or TYPE for
    /// nothing). Throws <see cref="ArgumentException"/> for what a caller must not build: an invalid metric or label
    /// name, a reserved label name (<c>__*</c>), two families of one name, a label twice in one series, two series
    /// with the same labels, a counter not named <c>*_total</c>, or a counter that is negative, NaN or infinite.
    /// </summary>
    public static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder();
        var names = new HashSet<string>(StringComparer.Ordinal);

        // Families by name, ordinal: the order does not matter to Prometheus, but stable output makes diffs and
        // golden tests meaningful.
        foreach (MetricFamily family in families.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            CheckFamily(family);
            if (!names.Add(family.Name))
            {
                throw new ArgumentException($"two metric families named '{family.Name}'", nameof(families));
            }

            if (family.Samples.Count == 0)
            {
                continue;
            }

            text.Append("# HELP ").Append(family.Name).Append(' ');
            AppendEscaped(text, family.Help, escapeQuote: false);
            text.Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type == MetricType.Counter ? "counter" : "gauge").Append('\n');

            var series = new HashSet<string>(StringComparer.Ordinal);
            foreach (MetricSample sample in family.Samples.Order(LabelOrder.Instance))
            {
                CheckSample(family, sample);
                if (!series.Add(SeriesKey(sample.Labels)))
                {
                    throw new ArgumentException($"two series of {family.Name} with the labels {Describe(sample.Labels)}", nameof(families));
                }

                text.Append(family.Name);
                if (sample.Labels.Count > 0)
                {
                    text.Append('{');
                    for (int i = 0; i < sample.Labels.Count; i++)
                    {
                        text.Append(i == 0 ? "" : ",").Append(sample.Labels[i].Name).Append("=\"");
                        AppendEscaped(text, sample.Labels[i].Value, escapeQuote: true);
                        text.Append('"');
                    }

                    text.Append('}');
                }

                text.Append(' ').Append(FormatValue(sample.Value)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>A value in Go's float syntax, as Prometheus parses it: shortest round-trip text, <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>.</summary>
    public static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="name"/> is a valid metric name: <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsMetricName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':');

    /// <summary>Whether <paramref name="name"/> is a valid label name: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>.</summary>
    public static bool IsLabelName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static void CheckFamily(MetricFamily family)
    {
        if (!IsMetricName(family.Name))
        {
            throw new ArgumentException($"'{family.Name}' is not a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", nameof(family));
        }

        if (family.Type == MetricType.Counter && !family.Name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter '{family.Name}' is not named *_total", nameof(family));
        }
    }

    private static void CheckSample(MetricFamily family, MetricSample sample)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (MetricLabel label in sample.Labels)
        {
            if (!IsLabelName(label.Name) || label.Name.StartsWith("__", StringComparison.Ordinal))
            {
                throw new ArgumentException(
                    $"'{label.Name}' of {family.Name} is not a label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting __)", nameof(family));
            }

            if (!seen.Add(label.Name))
            {
                throw new ArgumentException($"label '{label.Name}' twice in a series of {family.Name}", nameof(family));
            }
        }

        if (family.Type == MetricType.Counter && !(sample.Value >= 0 && double.IsFinite(sample.Value)))
        {
            throw new ArgumentException(
                $"counter {family.Name}{Describe(sample.Labels)} is {FormatValue(sample.Value)}: a counter is a finite number >= 0", nameof(family));
        }
    }

    private static void AppendEscaped(StringBuilder text, string value, bool escapeQuote)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\':
                    text.Append(@"\\");
                    break;
                case '\n':
                    text.Append(@"\n");
                    break;
                case '"' when escapeQuote:
                    text.Append("\\\"");
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }

    /// <summary>A series' identity: its labels sorted by name, values escaped (so the text is unambiguous).</summary>
    private static string SeriesKey(IReadOnlyList<MetricLabel> labels)
    {
        var key = new StringBuilder();
        foreach (MetricLabel label in labels.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            key.Append(label.Name).Append("=\"");
            AppendEscaped(key, label.Value, escapeQuote: true);
            key.Append("\",");
        }

        return key.ToString();
    }

    private static string Describe(IReadOnlyList<MetricLabel> labels) =>
        "{" + string.Join(",", labels.Select(l => $"{l.Name}=\"{l.Value}\"")) + "}";

    /// <summary>
    /// Series order within a family. Keys, in turn: each label's name (ordinal), then its value, where two values
    /// that are both unsigned integers compare as numbers (vcpu="2" before vcpu="10") and any other pair ordinally;
    /// a series whose labels are a prefix of another's comes first.
    /// </summary>
    private sealed class LabelOrder : IComparer<MetricSample>
    {
        public static readonly LabelOrder Instance = new();

        public int Compare(MetricSample? x, MetricSample? y)
        {
            IReadOnlyList<MetricLabel> a = x!.Labels, b = y!.Labels;
            for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
            {
                int byName = string.CompareOrdinal(a[i].Name, b[i].Name);
                if (byName != 0)
                {
                    return byName;
                }

                int byValue = ulong.TryParse(a[i].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong m)
                              && ulong.TryParse(b[i].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
                    ? m.CompareTo(n)
                    : string.CompareOrdinal(a[i].Value, b[i].Value);
                if (byValue != 0)
                {
                    return byValue;
                }
            }

            return a.Count.CompareTo(b.Count);
        }
    }
}
