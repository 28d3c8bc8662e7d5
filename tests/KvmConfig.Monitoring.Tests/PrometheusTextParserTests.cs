namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The strict test parser itself: what it accepts and, case by case, what it rejects. A parser that let bad text
/// through would make every exposition test pass for nothing.
/// </summary>
public sealed class PrometheusTextParserTests
{
    private const string Head = "# HELP m help\n# TYPE m gauge\n";

    [Fact]
    public void Comments_empty_lines_timestamps_and_escapes_are_read()
    {
        const string text =
            "# a comment\n"
            + "\n"
            + "# HELP m a \\\\ b\\nc\n"
            + "# TYPE m gauge\n"
            + "m{a=\"x\\\"y\",b=\"\\\\\\n\"} -1.5e3 1700000000000\n"
            + "m 7\n"
            + "# TYPE c_total counter\n"
            + "c_total .5\n";

        IReadOnlyList<ParsedFamily> families = PrometheusTextParser.Parse(text);

        Assert.Equal(["m", "c_total"], families.Select(f => f.Name));
        Assert.Equal("a \\ b\nc", families[0].Help);
        ParsedSample labelled = families[0].Samples[0];
        Assert.Equal("x\"y", labelled["a"]);
        Assert.Equal("\\\n", labelled["b"]);
        Assert.Equal(-1500, labelled.Value);
        Assert.Equal(1700000000000, labelled.TimestampMs);
        Assert.Empty(families[0].Samples[1].Labels);
        Assert.Equal(0.5, families[1].Samples.Single().Value);
        Assert.Null(families[1].Help);
    }

    [Fact]
    public void An_empty_text_has_no_families_and_nan_is_a_valid_gauge()
    {
        Assert.Empty(PrometheusTextParser.Parse(""));
        Assert.True(double.IsNaN(PrometheusTextParser.Family(Head + "m NaN\n", "m").Samples.Single().Value));
    }

    [Theory]
    [InlineData("no newline at the end", Head + "m 1", "line 3: the last line does not end with a newline")]
    [InlineData("a sample without a TYPE", "m 1\n", "line 1: sample of m without a TYPE line")]
    [InlineData("a sample after the TYPE of another family", "# TYPE a gauge\nb 1\n", "line 2: sample of b without a TYPE")]
    [InlineData("a family coming back after another", Head + "m 1\n# TYPE n gauge\nn 1\nm{a=\"b\"} 2\n", "line 6: m appears again after other families")]
    [InlineData("the same series twice", Head + "m{a=\"1\",b=\"2\"} 1\nm{b=\"2\",a=\"1\"} 2\n", "line 4: second sample of series m{a=\"1\",b=\"2\"}")]
    [InlineData("two TYPE lines", Head + "# TYPE m gauge\nm 1\n", "line 3: second TYPE line for m")]
    [InlineData("two HELP lines", Head + "# HELP m again\nm 1\n", "line 3: second HELP line for m")]
    [InlineData("a TYPE after the samples", "# TYPE m gauge\nm 1\n# TYPE m gauge\n", "line 3: TYPE of m after its samples")]
    [InlineData("an unknown type", "# TYPE m histogram\n", "line 1: type 'histogram' of m: expected counter or gauge")]
    [InlineData("a TYPE without a type", "# TYPE m\n", "line 1: type '' of m")]
    [InlineData("a HELP with an invalid metric name", "# HELP 9m text\n", "line 1: '# HELP 9m text': expected '# HELP metric_name")]
    [InlineData("a NaN counter", "# TYPE c_total counter\nc_total NaN\n", "line 2: counter c_total is NaN")]
    [InlineData("a negative counter", "# TYPE c_total counter\nc_total -1\n", "line 2: counter c_total is -1")]
    [InlineData("an infinite counter", "# TYPE c_total counter\nc_total +Inf\n", "line 2: counter c_total is +Inf")]
    [InlineData("an unescaped double quote in a label value", Head + "m{a=\"x\"y\"} 1\n", "line 3: expected ',' or '}' at column 8 after label a")]
    [InlineData("an unknown escape in a label value", Head + "m{a=\"x\\ty\"} 1\n", "line 3: invalid escape '\\t' in a label value")]
    [InlineData("an escaped quote in HELP", "# HELP m say \\\"hi\\\"\n", "line 1: invalid escape '\\\"' in HELP text")]
    [InlineData("a label value without its closing quote", Head + "m{a=\"x} 1\n", "line 3: the label value opened by the double quote at column 5 has no closing double quote")]
    [InlineData("a label value without quotes", Head + "m{a=x} 1\n", "line 3: the value of label a does not start with a double quote")]
    [InlineData("a label without a value", Head + "m{a} 1\n", "line 3: label without '='")]
    [InlineData("a label name with a dash", Head + "m{a-b=\"1\"} 1\n", "line 3: 'a-b' at column 3 is not a label name")]
    [InlineData("a reserved label name", Head + "m{__name__=\"m\"} 1\n", "line 3: '__name__' at column 3 is not a label name")]
    [InlineData("a label twice in a sample", Head + "m{a=\"1\",a=\"2\"} 1\n", "line 3: label a twice")]
    [InlineData("an empty label set", Head + "m{} 1\n", "line 3: empty label set")]
    [InlineData("a trailing comma", Head + "m{a=\"1\",} 1\n", "line 3: trailing comma")]
    [InlineData("no value", Head + "m\n", "line 3: expected one space then the value at column 2")]
    [InlineData("two spaces before the value", Head + "m  1\n", "line 3: ' 1' is not 'value [timestamp_ms]'")]
    [InlineData("a value that is not a number", Head + "m one\n", "line 3: 'one' is not 'value [timestamp_ms]'")]
    [InlineData("a lower-case inf", Head + "m inf\n", "line 3: 'inf' is not")]
    [InlineData("a hexadecimal value", Head + "m 0x10\n", "line 3: '0x10' is not")]
    [InlineData("a comma as decimal separator", Head + "m 1,5\n", "line 3: '1,5' is not")]
    [InlineData("a fractional timestamp", Head + "m 1 1.5\n", "line 3: timestamp '1.5' is not an integer of milliseconds")]
    [InlineData("a third field", Head + "m 1 2 3\n", "line 3: '1 2 3' is not")]
    [InlineData("a carriage return at the end of a line", Head + "m 1\r\n", "line 3: '1\r' is not")]
    [InlineData("a line that is not a sample", Head + "{a=\"1\"} 1\n", "line 3: '{a=\"1\"} 1' does not start with a metric name")]
    public void Malformed_text_is_rejected_naming_the_line(string description, string text, string message)
    {
        _ = description;
        FormatException e = Assert.Throws<FormatException>(() => PrometheusTextParser.Parse(text));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
