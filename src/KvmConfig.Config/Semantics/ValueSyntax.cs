using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Semantics;

/// <summary>Why a value did not parse: the rule (bad form or out of range), a message, a hint, and where in the value.</summary>
/// <param name="Descriptor"><see cref="Rules.BadValue"/> or <see cref="Rules.OutOfRange"/>.</param>
/// <param name="Message">What is wrong, naming the value.</param>
/// <param name="Hint">How to write it instead.</param>
/// <param name="Offset">0-based offset of the bad part inside the value.</param>
/// <param name="Length">Length of the bad part; 0 means the whole value.</param>
public sealed record ValueError(DiagnosticDescriptor Descriptor, string Message, string Hint, int Offset = 0, int Length = 0);

/// <summary>A parsed value or the reason it failed.</summary>
public readonly record struct Parsed<T>(T? Value, ValueError? Error)
{
    /// <summary>True when the value parsed.</summary>
    public bool Ok => Error is null;

    /// <summary>Success.</summary>
    public static implicit operator Parsed<T>(T value) => new(value, null);

    /// <summary>Failure.</summary>
    public static implicit operator Parsed<T>(ValueError error) => new(default, error);
}

/// <summary>
/// The value syntaxes of <c>kvmconfig.d</c> (DESIGN.md section 3): CPU lists, sizes, rates, ratios, fractions,
/// booleans, scheduling policies, enumerations. Pure functions from text to values.
/// </summary>
public static class ValueSyntax
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A CPU or node list in kernel syntax with libvirt exclusions.</summary>
    public static Parsed<CpuSet> CpuList(string text, string what = "CPU list")
    {
        // numa_nodes uses the same syntax for node ids; the messages then speak of nodes.
        bool nodes = what == "numa_nodes";
        if (CpuSet.TryParse(text, out CpuSet? set, out CpuListError? error))
        {
            return set.IsEmpty
                ? Bad($"{what} '{text}' is empty", nodes ? "name at least one node, e.g. 0" : "name at least one CPU, e.g. 2-5")
                : set;
        }

        string message = nodes ? error.Message.Replace("CPU", "node", StringComparison.Ordinal) : error.Message;
        return new ValueError(Rules.BadValue, $"{what} '{text}' is malformed: {message}",
            nodes ? "write a node list such as 0 or 0-1" : "write a kernel cpulist such as 0-3,8,10-11 (libvirt's ^N excludes N)",
            error.Offset, error.Length);
    }

    /// <summary><c>auto</c> (null) or a CPU list.</summary>
    public static Parsed<CpuSet?> AutoOrCpuList(string text, string what = "CPU list")
    {
        if (text.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return new Parsed<CpuSet?>(null, null);
        }

        Parsed<CpuSet> list = CpuList(text, what);
        return new Parsed<CpuSet?>(list.Value, list.Error);
    }

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static Parsed<int> Integer(string text, int min, int max, string what)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out long value))
        {
            return System.Text.RegularExpressions.Regex.IsMatch(text, @"^-?[0-9]+$")
                ? Range($"{what} {text} is outside {min}..{max}", $"write a number from {min} to {max}")
                : Bad($"{what} '{text}' is not a whole number", $"write a number from {min} to {max}");
        }

        return value < min || value > max
            ? Range($"{what} {text} is outside {min}..{max}", $"write a number from {min} to {max}")
            : (int)value;
    }

    /// <summary>A decimal number in (<paramref name="exclusiveMin"/>, <paramref name="max"/>].</summary>
    public static Parsed<double> Number(string text, double exclusiveMin, double max, string what)
    {
        // IsDecimal first: double.TryParse takes "NaN" and "Infinity", and NaN passes every range check (a cap of
        // NaN CPUs became a quota of 1 % of a CPU).
        if (!IsDecimal(text) || !double.TryParse(text, NumberStyles.AllowDecimalPoint, Invariant, out double value))
        {
            return Bad($"{what} '{text}' is not a number", $"write a decimal number such as 1.5");
        }

        return value <= exclusiveMin || value > max
            ? Range($"{what} {text} is outside the allowed range (above {exclusiveMin}, at most {max})", $"write a number above {exclusiveMin} and at most {max}")
            : value;
    }

    /// <summary>
    /// A percentage above 0 and at most <paramref name="max"/>: <c>5%</c>, <c>2.5%</c>, <c>5 %</c>, or a bare number,
    /// which is percent too (<c>5</c> is 5 %, never 500 %).
    /// </summary>
    public static Parsed<double> Percent(string text, double max, string what)
    {
        string number = text.EndsWith('%') ? text[..^1].TrimEnd() : text;
        string range = $"above 0% and at most {max.ToString(Invariant)}%";
        if (!IsDecimal(number) || !double.TryParse(number, NumberStyles.AllowDecimalPoint, Invariant, out double value))
        {
            return number.StartsWith('-') && IsDecimal(number[1..])
                ? Range($"{what} {text} is negative", $"write a percentage {range}, e.g. 5%")
                : Bad($"{what} '{text}' is not a percentage", $"write a percentage {range}, e.g. 5% or 2.5%");
        }

        return value <= 0 || value > max
            ? Range($"{what} {text} is outside (0%, {max.ToString(Invariant)}%]", $"write a percentage {range}, e.g. 5%")
            : value;
    }

    /// <summary>
    /// A percentage from 0 (allowed, unlike <see cref="Percent"/>) to at most <paramref name="max"/>: <c>20%</c>,
    /// <c>0</c>; a bare number is percent too.
    /// </summary>
    public static Parsed<double> PercentFromZero(string text, double max, string what)
    {
        string number = text.EndsWith('%') ? text[..^1].TrimEnd() : text;
        if (IsDecimal(number) && double.TryParse(number, NumberStyles.AllowDecimalPoint, Invariant, out double value) && value == 0)
        {
            return 0;
        }

        // Otherwise what Percent accepts, and its errors with this range in the hint.
        Parsed<double> percent = Percent(text, max, what);
        return percent.Error is { } error ? error with { Hint = $"write a percentage from 0% to {max.ToString(Invariant)}%, e.g. 20%" } : percent;
    }

    /// <summary>
    /// A duration from 0 to <paramref name="most"/>: <c>30s</c>, <c>2m</c>, <c>500ms</c>, <c>1h</c>, <c>0</c>; a bare
    /// number is seconds (the forms of the command line's <c>--interval</c>).
    /// </summary>
    public static Parsed<TimeSpan> Duration(string text, TimeSpan most, string what)
    {
        if (Durations.Parse(text) is not { } value)
        {
            return text.StartsWith('-')
                ? Range($"{what} {text} is negative", $"write a duration from 0 to {most.TotalDays:0}d, e.g. 30s")
                : Bad($"{what} '{text}' is not a duration", "write a number with a unit, ms, s, m, h or d, e.g. 30s or 2m");
        }

        return value > most
            ? Range($"{what} {text} is longer than {most.TotalDays:0}d", $"write a duration from 0 to {most.TotalDays:0}d, e.g. 30s")
            : value;
    }

    // Digits with at most one decimal point, and at least one digit: what Percent reads as a number. Stricter than
    // double.TryParse, which also takes "NaN" and "Infinity".
    private static bool IsDecimal(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiDigit(c) || c == '.') && text.Count(c => c == '.') <= 1 && text.Any(char.IsAsciiDigit);

    /// <summary>A non-negative amount of money or a plain decimal (<c>12000</c>, <c>0.25</c>).</summary>
    public static Parsed<decimal> Amount(string text, string what)
    {
        return decimal.TryParse(text, NumberStyles.AllowDecimalPoint, Invariant, out decimal value)
            ? value
            : Bad($"{what} '{text}' is not a non-negative number", "write a number such as 12000 or 0.25");
    }

    /// <summary>
    /// A size with a binary unit: <c>512M</c>, <c>16G</c>, <c>16GiB</c>, <c>1T</c>. K/M/G/T, KiB/MiB/GiB/TiB and
    /// KB/MB/GB/TB all mean powers of 1024 (as libvirt's memory units do for K, M, G). Returns MiB, rounded up.
    /// </summary>
    public static Parsed<long> SizeMiB(string text, string what)
    {
        int split = NumberPrefixLength(text);
        string number = text[..split];
        string unit = text[split..].Trim();
        if (split == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, Invariant, out decimal amount))
        {
            return IsHugeNumber(number)
                ? Range($"{what} '{text}' is larger than 1P", "write a size below 1P")
                : Bad($"{what} '{text}' does not start with a number", "write a size such as 512M or 16G");
        }

        if (unit.Length == 0)
        {
            return amount == 0
                ? 0L
                : Bad($"{what} '{text}' has no unit", $"write {number}M for MiB or {number}G for GiB", split);
        }

        decimal? kib = unit.ToUpperInvariant() switch
        {
            "K" or "KB" or "KIB" => 1m,
            "M" or "MB" or "MIB" => 1024m,
            "G" or "GB" or "GIB" => 1024m * 1024,
            "T" or "TB" or "TIB" => 1024m * 1024 * 1024,
            _ => null,
        };
        if (kib is null)
        {
            return new ValueError(Rules.BadValue, $"{what} '{text}' has an unknown unit '{unit}'",
                "use K, M, G or T (binary: 1G = 1024M), e.g. 512M or 16G", split, text.Length - split);
        }

        // Bounded before multiplying: no real host has more than 1 PiB (2^30 MiB) of memory.
        const decimal MaxMiB = 1L << 30;
        if (amount > MaxMiB * 1024 * 1024)
        {
            return Range($"{what} '{text}' is larger than 1P", "write a size below 1P");
        }

        decimal mib = Math.Ceiling(amount * kib.Value / 1024m);
        return mib > MaxMiB
            ? Range($"{what} '{text}' is larger than 1P", "write a size below 1P")
            : (long)mib;
    }

    /// <summary>
    /// A rate, returned in bits per second. Bit rates <c>100Mbit</c>, <c>1Gbit</c>, <c>10Gbit/s</c> and byte rates
    /// <c>500MB/s</c>, <c>50KB/s</c> use decimal prefixes (1 Gbit = 10^9 bit/s, 1 MB/s = 10^6 B/s), as network
    /// and disk vendors quote them; <c>MiB/s</c> and friends are binary.
    /// </summary>
    public static Parsed<long> RateBitsPerSec(string text, string what)
    {
        int split = NumberPrefixLength(text);
        string number = text[..split];
        string unit = text[split..].Trim();
        if (split == 0 || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, Invariant, out decimal amount))
        {
            return IsHugeNumber(number)
                ? Range($"{what} '{text}' is above 1 Pbit/s", "write a realistic rate, such as 10Gbit or 500MB/s")
                : Bad($"{what} '{text}' does not start with a number", "write a rate such as 1Gbit, 100Mbit or 500MB/s");
        }

        string u = unit.EndsWith("/s", StringComparison.Ordinal) ? unit[..^2] : unit;

        // Bit units are read case-insensitively, as tc(8) writes them (100mbit, 1gbit); byte units keep their
        // case, because tc's "mbps" means megabytes and a lower-case guess would be off by a factor of 8.
        if (u.EndsWith("bit", StringComparison.OrdinalIgnoreCase))
        {
            u = u.Length == 3 ? "bit" : char.ToUpperInvariant(u[0]) + "bit";
        }
        decimal? factor = u switch
        {
            "bit" => 1m,
            "Kbit" or "kbit" => 1e3m,
            "Mbit" => 1e6m,
            "Gbit" => 1e9m,
            "Tbit" => 1e12m,
            "B" => 8m,
            "KB" or "kB" => 8e3m,
            "MB" => 8e6m,
            "GB" => 8e9m,
            "KiB" => 8m * 1024,
            "MiB" => 8m * 1024 * 1024,
            "GiB" => 8m * 1024 * 1024 * 1024,
            _ => null,
        };
        if (factor is null)
        {
            string hint = unit.Length == 0
                ? $"add a unit: {number}Mbit, {number}Gbit or {number}MB/s"
                : "use bit, Kbit, Mbit, Gbit (network) or KB/s, MB/s, GB/s, MiB/s (disk)";
            return new ValueError(Rules.BadValue, $"{what} '{text}' has {(unit.Length == 0 ? "no unit" : $"an unknown unit '{unit}'")}",
                hint, split, Math.Max(0, text.Length - split));
        }

        // Bounded before multiplying: 10^15 bit/s (1 Pbit/s) is far above any NIC or disk.
        const decimal MaxBits = 1e15m;
        if (amount > MaxBits)
        {
            return Range($"{what} '{text}' is above 1 Pbit/s", "write a realistic rate, such as 10Gbit or 500MB/s");
        }

        decimal bits = amount * factor.Value;
        if (bits > MaxBits)
        {
            return Range($"{what} '{text}' is above 1 Pbit/s", "write a realistic rate, such as 10Gbit or 500MB/s");
        }

        return bits < 1
            ? Range($"{what} '{text}' is outside the range kvmconfig accepts", "write a rate of at least 1 bit/s")
            : (long)bits;
    }

    /// <summary><c>yes/no/true/false/on/off/1/0</c>.</summary>
    public static Parsed<bool> Boolean(string text, string what) =>
        text.ToLowerInvariant() switch
        {
            "yes" or "true" or "on" or "1" => true,
            "no" or "false" or "off" or "0" => false,
            _ => Bad($"{what} '{text}' is not a boolean", "write yes or no (also true/false, on/off, 1/0)"),
        };

    /// <summary>A ratio <c>a:b</c> of positive whole numbers.</summary>
    public static Parsed<Ratio> Ratio(string text, string what)
    {
        int colon = text.IndexOf(':');
        if (colon < 0 || !int.TryParse(text[..colon], NumberStyles.None, Invariant, out int left)
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, Invariant, out int right) || left == 0 || right == 0)
        {
            return Bad($"{what} '{text}' is not a ratio", "write two positive whole numbers such as 1:3");
        }

        return new Ratio(left, right);
    }

    /// <summary>A fraction <c>n/d</c> in (0, 1], or a decimal such as <c>0.25</c>.</summary>
    public static Parsed<Fraction> Fraction(string text, string what)
    {
        int slash = text.IndexOf('/');
        Fraction? value = null;
        if (slash > 0 && int.TryParse(text[..slash], NumberStyles.None, Invariant, out int n)
            && int.TryParse(text[(slash + 1)..], NumberStyles.None, Invariant, out int d) && d > 0)
        {
            value = new Fraction(n, d);
        }
        else if (slash < 0 && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, Invariant, out decimal dec))
        {
            if (dec > 1)
            {
                return Range($"{what} {text} is outside (0, 1]", "write a fraction above 0 and at most 1, such as 1/3");
            }

            int numerator = (int)Math.Round(dec * 10000);
            int gcd = (int)System.Numerics.BigInteger.GreatestCommonDivisor(numerator, 10000);
            value = gcd == 0 ? new Fraction(0, 1) : new Fraction(numerator / gcd, 10000 / gcd);
        }

        if (value is null)
        {
            return Bad($"{what} '{text}' is not a fraction", "write n/d such as 1/3, or a decimal such as 0.5");
        }

        return value.Numerator <= 0 || value.Numerator > value.Denominator
            ? Range($"{what} {text} is outside (0, 1]", "write a fraction above 0 and at most 1, such as 1/3")
            : value;
    }

    /// <summary><c>other</c>, <c>batch</c>, <c>idle</c>, <c>fifo:PRIO</c>, <c>rr:PRIO</c> (PRIO 1..99).</summary>
    public static Parsed<SchedulingPolicy> Scheduling(string text, string what)
    {
        string[] parts = text.Split(':', 2);
        string name = parts[0].ToLowerInvariant();
        SchedulerClass? cls = name switch
        {
            "other" => SchedulerClass.Other,
            "batch" => SchedulerClass.Batch,
            "idle" => SchedulerClass.Idle,
            "fifo" => SchedulerClass.Fifo,
            "rr" => SchedulerClass.RoundRobin,
            _ => null,
        };
        if (cls is null)
        {
            return Bad($"{what} '{text}' is not a scheduling policy", "write other, batch, idle, fifo:PRIO or rr:PRIO (PRIO 1..99)", 0, parts[0].Length);
        }

        bool realtime = cls is SchedulerClass.Fifo or SchedulerClass.RoundRobin;
        if (!realtime)
        {
            return parts.Length == 1
                ? new SchedulingPolicy(cls.Value)
                : Bad($"{what} '{text}': {name} takes no priority", $"write {name}", name.Length, text.Length - name.Length);
        }

        if (parts.Length == 1)
        {
            return Bad($"{what} '{text}' needs a priority: libvirt's <vcpusched scheduler='{name}'> takes one, from 1 (lowest) to 99",
                $"write {name}:PRIO, e.g. {name}:10; stay below 50, where the kernel runs its threaded interrupt handlers, so that a busy vCPU cannot hold them off");
        }

        if (!int.TryParse(parts[1], NumberStyles.None, Invariant, out int priority))
        {
            return new ValueError(Rules.BadValue, $"{what} '{text}': priority '{parts[1]}' is not a number", $"write {name}:PRIO with PRIO from 1 to 99", name.Length + 1, parts[1].Length);
        }

        return priority is < 1 or > 99
            ? new ValueError(Rules.OutOfRange, $"{what} '{text}': priority {priority} is outside 1..99", "real-time priorities run from 1 to 99", name.Length + 1, parts[1].Length)
            : new SchedulingPolicy(cls.Value, priority);
    }

    /// <summary>One of a fixed set of words (case-insensitive).</summary>
    public static Parsed<T> Choice<T>(string text, string what, params (string Word, T Value)[] choices)
    {
        foreach ((string word, T value) in choices)
        {
            if (word.Equals(text, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        string all = string.Join(", ", choices.Select(c => c.Word));
        string? near = Suggest.Closest(text, choices.Select(c => c.Word));
        return Bad($"{what} '{text}' is not one of: {all}", near is null ? $"write one of: {all}" : $"did you mean '{near}'?");
    }

    /// <summary><c>cpufreq_max</c>: <c>3.0GHz</c>, <c>2400MHz</c>, <c>2400000kHz</c> or <c>90%</c> (1..100).</summary>
    public static Parsed<FrequencyCap> Frequency(string text, string what)
    {
        if (text.EndsWith('%'))
        {
            return int.TryParse(text[..^1], NumberStyles.None, Invariant, out int percent)
                ? percent is >= 1 and <= 100
                    ? new FrequencyCap(null, percent)
                    : Range($"{what} {text} is outside 1%..100%", "write a percentage of the hardware maximum, e.g. 90%")
                : Bad($"{what} '{text}' is not a percentage", "write e.g. 90%");
        }

        int split = NumberPrefixLength(text);
        if (split == 0 || !decimal.TryParse(text[..split], NumberStyles.AllowDecimalPoint, Invariant, out decimal amount))
        {
            return Bad($"{what} '{text}' is not a frequency", "write e.g. 3.0GHz, 2400MHz or 90%");
        }

        // Bounded before multiplying and after: no CPU runs at 1 THz (10^9 kHz).
        if (amount > 1_000_000_000)
        {
            return Range($"{what} {text} is not a CPU frequency", "write e.g. 3.0GHz, 2400MHz or 90%");
        }

        decimal? khz = text[split..].Trim().ToLowerInvariant() switch
        {
            "ghz" => amount * 1_000_000,
            "mhz" => amount * 1_000,
            "khz" => amount,
            _ => null,
        };
        return khz is null
            ? new ValueError(Rules.BadValue, $"{what} '{text}' has no frequency unit", "write e.g. 3.0GHz, 2400MHz or 90%", split, text.Length - split)
            : khz is < 1 or > 1_000_000_000 ? Range($"{what} {text} is not a CPU frequency", "write a frequency such as 2.4GHz") : new FrequencyCap((long)khz, null);
    }

    /// <summary>A name: letters, digits, <c>. _ - + :</c>; what libvirt domain names and profile names allow without quoting.</summary>
    public static Parsed<string> Name(string text, string what)
    {
        if (text.Length == 0 || text.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '+' or ':')))
        {
            return Bad($"{what} '{text}' is not a valid name", "use letters, digits and . _ - + : only");
        }

        return text;
    }

    /// <summary>
    /// A libvirt connection URI: a scheme (a letter, then letters, digits, <c>+ - .</c>), a colon, then the rest, which
    /// libvirt judges when it connects (<c>qemu+ssh://root@kvm1/system</c>, <c>qemu:///system</c>, <c>test:///path.xml</c>).
    /// </summary>
    public static Parsed<string> LibvirtUri(string text, string what)
    {
        const string Examples = "write e.g. qemu+ssh://root@kvm1/system, qemu+tls://kvm2/system or test:///path.xml";
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space >= 0)
        {
            return Bad($"{what} '{text}' has a space in it, which no URI has", "write the URI in one piece; escape a space in a path as %20", space, 1);
        }

        int colon = text.IndexOf(':', StringComparison.Ordinal);
        bool scheme = colon > 0 && char.IsAsciiLetter(text[0])
            && text[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
        if (!scheme)
        {
            return Bad($"{what} '{text}' has no scheme: a libvirt URI starts with one and a colon", Examples);
        }

        return colon == text.Length - 1
            ? Bad($"{what} '{text}' has nothing after its scheme", Examples)
            : text;
    }

    // Digits that decimal cannot hold (above 7.9 * 10^28): a number, just far too large.
    private static bool IsHugeNumber(string number) =>
        number.Length > 0 && number.Count(c => c == '.') <= 1 && number.Any(char.IsAsciiDigit);

    private static int NumberPrefixLength(string text)
    {
        int i = 0;
        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
        {
            i++;
        }

        return i;
    }

    private static ValueError Bad(string message, string hint, int offset = 0, int length = 0) =>
        new(Rules.BadValue, message, hint, offset, length);

    private static ValueError Range(string message, string hint) => new(Rules.OutOfRange, message, hint);
}
