using KvmConfig.Config.Semantics;
using KvmConfig.Core;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

/// <summary>
/// The value syntaxes of DESIGN.md section 3, one table each. A failure is written <c>KVC011 @2+1</c>: the code,
/// then the 0-based offset and length of the bad part inside the value (<c>+0</c>: the whole value), which is where
/// the carets go.
/// </summary>
public sealed class ValueSyntaxTests
{
    private static string Render<T>(Parsed<T> parsed, Func<T, string> value) =>
        parsed.Error is { } e ? $"{e.Descriptor.Code} @{e.Offset}+{e.Length}" : value(parsed.Value!);

    /// <summary>Rows: description, text, the parsed value (a canonical cpulist, or auto) or the failure.</summary>
    public static TheoryData<string, string, string> CpuLists => new()
    {
        { "ranges and singles", "0-3,8,10-11", "0-3,8,10-11" },
        { "libvirt's ^N removes one CPU", "0-7,^3", "0-2,4-7" },
        { "several exclusions", "0-15,^0,^8", "1-7,9-15" },
        { "a stride", "0-15:2/4", "0-1,4-5,8-9,12-13" },
        { "auto means: let kvmconfig place it", "auto", "auto" },
        { "auto in capitals", "AUTO", "auto" },
        { "a list whose exclusions remove everything is empty, not valid", "2,^2", "KVC011 @0+0" },
        { "a backwards range points at the range", "3-1", "KVC011 @0+3" },
        { "an empty item points at the second comma", "1,,2", "KVC011 @2+1" },
        { "a word that is not auto points at the word", "0-3,all", "KVC011 @4+1" },
    };

    [Theory]
    [MemberData(nameof(CpuLists))]
    public void Cpu_lists(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.AutoOrCpuList(text, "cpus"), s => s?.ToString() ?? "auto"));

    [Fact]
    public void A_plain_cpu_list_does_not_accept_auto()
    {
        Parsed<CpuSet> parsed = ValueSyntax.CpuList("auto", "cpuset");

        Assert.False(parsed.Ok);
        Assert.Contains("cpuset 'auto' is malformed", parsed.Error!.Message, StringComparison.Ordinal);
    }

    /// <summary>Rows: description, text, MiB or the failure.</summary>
    public static TheoryData<string, string, string> Sizes => new()
    {
        { "M is MiB", "512M", "512" },
        { "G is GiB", "16G", "16384" },
        { "GiB spelled out", "16GiB", "16384" },
        { "GB is binary too, as libvirt reads it", "16GB", "16384" },
        { "lower-case units", "16g", "16384" },
        { "a decimal amount", "1.5G", "1536" },
        { "T is TiB", "1T", "1048576" },
        { "K is KiB, rounded up to whole MiB", "1536K", "2" },
        { "a space before the unit", "16 G", "16384" },
        { "a number without a unit is an error, pointing past the number", "4096", "KVC011 @4+0" },
        { "an unknown unit is an error on the unit", "12X", "KVC011 @2+1" },
        { "a bare 0 needs no unit", "0", "0" },
        { "absurdly large sizes are out of range, not an overflow", "99999999999999999999999999T", "KVC012 @0+0" },
        { "above 1P is out of range", "2048T", "KVC012 @0+0" },
        { "a longer unknown unit is underlined whole", "12Gigs", "KVC011 @2+4" },
        { "bits are not a size", "1Gbit", "KVC011 @1+4" },
        { "no number", "G", "KVC011 @0+0" },
        { "a negative size", "-1G", "KVC011 @0+0" },
        { "two decimal points", "1.2.3G", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Sizes_in_MiB(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.SizeMiB(text, "memory"), ConfigText.Text));

    [Fact]
    public void A_size_without_a_unit_hints_at_both_units_with_the_number()
    {
        ValueError error = ValueSyntax.SizeMiB("4096", "memory").Error!;

        Assert.Equal("memory '4096' has no unit", error.Message);
        Assert.Equal("write 4096M for MiB or 4096G for GiB", error.Hint);
    }

    [Fact]
    public void An_unknown_size_unit_names_the_unit()
    {
        ValueError error = ValueSyntax.SizeMiB("12X", "memory").Error!;

        Assert.Equal("memory '12X' has an unknown unit 'X'", error.Message);
        Assert.Contains("use K, M, G or T", error.Hint, StringComparison.Ordinal);
    }

    /// <summary>Rows: description, text, bits per second or the failure.</summary>
    public static TheoryData<string, string, string> Rates => new()
    {
        { "Gbit is 10^9 bit/s", "1Gbit", "1000000000" },
        { "Mbit is 10^6 bit/s", "100Mbit", "100000000" },
        { "/s is optional on bit rates", "10Gbit/s", "10000000000" },
        { "kbit, as tc writes it", "64kbit", "64000" },
        { "MB/s is 10^6 bytes/s, 8 bits each", "500MB/s", "4000000000" },
        { "KB/s is 10^3 bytes/s", "50KB/s", "400000" },
        { "MiB/s is binary", "1MiB/s", "8388608" },
        { "GiB/s is binary", "1GiB/s", "8589934592" },
        { "a decimal amount", "1.5Gbit", "1500000000" },
        { "a number without a unit points past the number", "100", "KVC011 @3+0" },
        { "an unknown unit is underlined", "1Gbps", "KVC011 @1+4" },
        { "bit units are case-insensitive, as tc writes them", "1gbit", "1000000000" },
        { "tc's lower-case mbit", "100mbit", "100000000" },
        { "byte units keep their case: 'mb/s' is not guessed", "500mb/s", "KVC011 @3+4" },
        { "a size unit is not a rate", "1G", "KVC011 @1+1" },
        { "no number", "Gbit", "KVC011 @0+0" },
        { "a zero rate is out of range", "0Mbit", "KVC012 @0+0" },
        { "absurdly large rates are out of range, not an overflow", "99999999999999999999999999Gbit", "KVC012 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Rates))]
    public void Rates_in_bits_per_second(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.RateBitsPerSec(text, "net_bandwidth"), ConfigText.Text));

    /// <summary>Rows: description, text, the ratio or the failure.</summary>
    public static TheoryData<string, string, string> Ratios => new()
    {
        { "one to three", "1:3", "1:3" },
        { "one to one", "1:1", "1:1" },
        { "any two positive numbers", "2:5", "2:5" },
        { "a slash is a fraction, not a ratio", "1/3", "KVC011 @0+0" },
        { "zero on the left", "0:1", "KVC011 @0+0" },
        { "zero on the right", "1:0", "KVC011 @0+0" },
        { "a missing side", "1:", "KVC011 @0+0" },
        { "three parts", "1:3:5", "KVC011 @0+0" },
        { "words", "a:b", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Ratios))]
    public void Ratios_a_to_b(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Ratio(text, "overcommit"), r => r.ToString()));

    /// <summary>Rows: description, text, the fraction's value (4 decimals) or the failure.</summary>
    public static TheoryData<string, string, string> Fractions => new()
    {
        { "a third", "1/3", "0.3333" },
        { "a decimal", "0.5", "0.5000" },
        { "a huge decimal is out of range, not an overflow", "300000", "KVC012 @0+0" },
        { "a quarter as a decimal", "0.25", "0.2500" },
        { "the whole host", "1", "1.0000" },
        { "n/n is the whole host", "3/3", "1.0000" },
        { "an unreduced fraction", "2/6", "0.3333" },
        { "zero is out of range", "0", "KVC012 @0+0" },
        { "0/3 is out of range", "0/3", "KVC012 @0+0" },
        { "more than the whole host is out of range", "4/3", "KVC012 @0+0" },
        { "a decimal above one is out of range", "1.5", "KVC012 @0+0" },
        { "a zero denominator is malformed", "1/0", "KVC011 @0+0" },
        { "a missing numerator", "/3", "KVC011 @0+0" },
        { "a negative fraction", "-1/3", "KVC011 @0+0" },
        { "a ratio is not a fraction", "1:3", "KVC011 @0+0" },
        { "a percentage is not a fraction", "33%", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Fractions))]
    public void Fractions_in_zero_to_one(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Fraction(text, "max_vm_share"), f => f.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void A_fraction_keeps_its_numerator_and_denominator()
    {
        Assert.Equal(new Fraction(1, 3), ValueSyntax.Fraction("1/3", "max_vm_share").Value);
        Assert.Equal("1/2", ValueSyntax.Fraction("0.5", "max_vm_share").Value!.ToString());
        Assert.Equal(3, ValueSyntax.Fraction("1/3", "max_vm_share").Value!.FloorOf(10));
    }

    /// <summary>Rows: description, text, the boolean or the failure.</summary>
    public static TheoryData<string, string, string> Booleans => new()
    {
        { "yes", "yes", "true" },
        { "true", "true", "true" },
        { "on", "on", "true" },
        { "1", "1", "true" },
        { "YES in capitals", "YES", "true" },
        { "True capitalised", "True", "true" },
        { "no", "no", "false" },
        { "false", "false", "false" },
        { "off", "off", "false" },
        { "0", "0", "false" },
        { "NO in capitals", "NO", "false" },
        { "Off capitalised", "Off", "false" },
        { "y is not a spelling", "y", "KVC011 @0+0" },
        { "2 is not a boolean", "2", "KVC011 @0+0" },
        { "enabled is not a spelling", "enabled", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Booleans))]
    public void Booleans_in_six_spellings(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Boolean(text, "flag"), b => b ? "true" : "false"));

    /// <summary>Rows: description, text, the policy or the failure.</summary>
    public static TheoryData<string, string, string> Scheduling => new()
    {
        { "other", "other", "other" },
        { "batch", "batch", "batch" },
        { "idle", "idle", "idle" },
        { "fifo with a priority", "fifo:10", "fifo:10" },
        { "rr at the top priority", "rr:99", "rr:99" },
        { "rr at the lowest priority", "rr:1", "rr:1" },
        { "class names are case-insensitive", "FIFO:10", "fifo:10" },
        { "priority 0 is out of range, on the number", "fifo:0", "KVC012 @5+1" },
        { "priority 100 is out of range, on the number", "rr:100", "KVC012 @3+3" },
        { "fifo without a priority", "fifo", "KVC011 @0+0" },
        { "a priority that is not a number, on the number", "fifo:x", "KVC011 @5+1" },
        { "a negative priority, on the number", "fifo:-1", "KVC011 @5+2" },
        { "other takes no priority, on ':5'", "other:5", "KVC011 @5+2" },
        { "an unknown class, on the class", "deadline:5", "KVC011 @0+8" },
    };

    [Theory]
    [MemberData(nameof(Scheduling))]
    public void Scheduling_policies(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Scheduling(text, "cpuscheduling"), p => p.ToString()));

    [Fact]
    public void A_scheduling_priority_out_of_range_says_the_range()
    {
        ValueError error = ValueSyntax.Scheduling("fifo:0", "cpuscheduling").Error!;

        Assert.Equal("cpuscheduling 'fifo:0': priority 0 is outside 1..99", error.Message);
    }

    /// <summary>Rows: description, text, the chosen word, or the hint given instead.</summary>
    public static TheoryData<string, string, string> Choices => new()
    {
        { "a listed word", "float", "Float" },
        { "words are case-insensitive", "STRICT", "Strict" },
        { "a typo gets a did-you-mean", "stict", "did you mean 'strict'?" },
        { "a transposition gets a did-you-mean", "flaot", "did you mean 'float'?" },
        { "a word far from all lists them all", "pinned", "write one of: strict, float, none" },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void Choices_with_did_you_mean(string description, string text, string expected)
    {
        Parsed<PinningMode> parsed = ValueSyntax.Choice(text, "cpuspinlock",
            ("strict", PinningMode.Strict), ("float", PinningMode.Float), ("none", PinningMode.None));

        Expect.Equal(description, expected, parsed.Error is { } e ? e.Hint : parsed.Value.ToString());
        if (parsed.Error is { } error)
        {
            Assert.Equal($"cpuspinlock '{text}' is not one of: strict, float, none", error.Message);
        }
    }

    /// <summary>Rows: description, text, the cap (kHz or percent) or the failure.</summary>
    public static TheoryData<string, string, string> Frequencies => new()
    {
        { "GHz with a decimal", "3.0GHz", "3000000kHz" },
        { "GHz with two decimals", "2.45GHz", "2450000kHz" },
        { "MHz", "2400MHz", "2400000kHz" },
        { "kHz, as sysfs writes it", "2400000kHz", "2400000kHz" },
        { "units are case-insensitive", "3ghz", "3000000kHz" },
        { "a percentage of the hardware maximum", "90%", "90%" },
        { "100% is the hardware maximum", "100%", "100%" },
        { "0% is out of range", "0%", "KVC012 @0+0" },
        { "120% is out of range", "120%", "KVC012 @0+0" },
        { "a number without a unit points past the number", "3.0", "KVC011 @3+0" },
        { "an unknown unit, on the unit", "3.0THz", "KVC011 @3+3" },
        { "a word", "fast", "KVC011 @0+0" },
        { "a percent sign alone", "%", "KVC011 @0+0" },
        { "absurdly large frequencies are out of range, not an overflow", "99999999999999999999999999GHz", "KVC012 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Frequencies))]
    public void Frequencies_and_percentages(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Frequency(text, "cpufreq_max"), ConfigText.Cap));

    /// <summary>Rows: description, text, the percentage (at most 100) or the failure.</summary>
    public static TheoryData<string, string, string> Percentages => new()
    {
        { "with the sign", "5%", "5" },
        { "a bare number is percent too", "5", "5" },
        { "a decimal", "2.5%", "2.5" },
        { "a space before the sign, as DESIGN.md writes it", "5 %", "5" },
        { "100% is the top", "100%", "100" },
        { "just above 0", "0.1%", "0.1" },
        { "0 is out of range: a threshold of nothing", "0%", "KVC012 @0+0" },
        { "above 100 is out of range", "101%", "KVC012 @0+0" },
        { "a negative percentage is out of range, not malformed", "-5%", "KVC012 @0+0" },
        { "absurdly large is out of range, not an overflow", "99999999999999999999999999%", "KVC012 @0+0" },
        { "a word", "five", "KVC011 @0+0" },
        { "a unit that is not %", "5x%", "KVC011 @0+0" },
        { "a fraction is not a percentage", "1/20", "KVC011 @0+0" },
        { "double.Parse's NaN is not a number here", "NaN", "KVC011 @0+0" },
        { "nor is Infinity", "Infinity", "KVC011 @0+0" },
        { "an exponent", "5e1", "KVC011 @0+0" },
        { "two decimal points", "1.2.3%", "KVC011 @0+0" },
        { "a percent sign alone", "%", "KVC011 @0+0" },
        { "two percent signs", "5%%", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Percentages))]
    public void Percentages_above_zero(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Percent(text, 100, "ready_warning"), ConfigText.Text));

    [Fact]
    public void A_percentage_out_of_range_states_the_range_and_a_larger_maximum_is_honoured()
    {
        ValueError error = ValueSyntax.Percent("150%", 100, "tcp_retransmit").Error!;

        Assert.Equal("tcp_retransmit 150% is outside (0%, 100%]", error.Message);
        Assert.Equal("write a percentage above 0% and at most 100%, e.g. 5%", error.Hint);
        Assert.Equal(150, ValueSyntax.Percent("150%", 1000, "memory_overhead").Value);
    }

    /// <summary>Rows: description, text, the name or the failure.</summary>
    public static TheoryData<string, string, string> Names => new()
    {
        { "letters and digits", "web1", "web1" },
        { "every punctuation libvirt names allow here", "db-primary.prod_1+a:b", "db-primary.prod_1+a:b" },
        { "empty", "", "KVC011 @0+0" },
        { "a space", "db primary", "KVC011 @0+0" },
        { "a slash", "a/b", "KVC011 @0+0" },
        { "a non-ASCII letter", "wéb", "KVC011 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Names_as_libvirt_allows_them(string description, string text, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Name(text, "group"), n => n));

    /// <summary>Rows: description, text, min, max, the number or the failure.</summary>
    public static TheoryData<string, string, int, int, string> Integers => new()
    {
        { "inside the range", "8", 1, 4096, "8" },
        { "the lower bound", "1", 1, 4096, "1" },
        { "the upper bound", "10000", 1, 10000, "10000" },
        { "below the range", "0", 1, 4096, "KVC012 @0+0" },
        { "above the range", "50", 100, 1000, "KVC012 @0+0" },
        { "not a number", "four", 1, 4096, "KVC011 @0+0" },
        { "a decimal is not whole", "1.5", 1, 4096, "KVC011 @0+0" },
        { "too many digits for any integer is out of range, not 'not a number'", "99999999999", 1, 4096, "KVC012 @0+0" },
    };

    [Theory]
    [MemberData(nameof(Integers))]
    public void Whole_numbers_in_a_range(string description, string text, int min, int max, string expected) =>
        Expect.Equal(description, expected, Render(ValueSyntax.Integer(text, min, max, "vcpus"), ConfigText.Text));

    [Fact]
    public void Node_lists_speak_of_nodes_in_their_errors()
    {
        ValueError error = ValueSyntax.AutoOrCpuList("0,x", "numa_nodes").Error!;

        Assert.Contains("'x' is not a node number", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("CPU", error.Message + error.Hint, StringComparison.Ordinal);
    }
}

/// <summary>
/// "Not a number" and the infinities, in every spelling .NET's parsers accept, refused by every key: NaN passes any
/// range comparison, so one that slipped through would reach libvirt as a quota of nothing.
/// </summary>
public sealed class NotANumberTests
{
    // Keys whose value is a name (a governor, a profile, a group, a host, a rack) or a path (a node's captures), where
    // "nan" is a word like any other.
    private static readonly string[] NameKeys = ["capabilities", "cpufreq", "group", "host", "profile", "rack", "sysroot"];

    public static TheoryData<string> Keys() =>
        new(KvmConfig.Config.Semantics.KeyValues.Validators.Keys.Except(NameKeys).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Keys))]
    public void Every_key_refuses_nan_and_the_infinities(string key)
    {
        foreach (string text in (string[])["NaN", "nan", "-NaN", "Infinity", "-Infinity", "infinity", "\u221E", "1e309"])
        {
            Assert.True(KvmConfig.Config.Semantics.KeyValues.Validators[key](text) is not null, $"{key} = {text} was accepted");
        }
    }

    [Fact]
    public void Cpu_limit_nan_names_the_value()
    {
        var error = KvmConfig.Config.Semantics.KeyValues.CpuLimit("NaN").Error;

        Assert.NotNull(error);
        Assert.Contains("cpu_limit 'NaN' is not a number", error.Message, StringComparison.Ordinal);
    }
}
