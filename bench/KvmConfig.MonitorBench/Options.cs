using System.Globalization;

namespace KvmConfig.MonitorBench;

/// <summary>
/// The command line of one part: <c>--name VALUE</c> integers (each with a default and a range), <c>--name</c> flags and
/// <c>--name TEXT</c> strings, nothing positional. An unknown or malformed option is a usage error (exit 2).
/// </summary>
internal sealed class Options
{
    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _texts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private Options()
    {
    }

    /// <summary>The value of integer option <paramref name="name"/> (its default when not given).</summary>
    public int this[string name] => _numbers[name];

    /// <summary>True when flag <paramref name="name"/> was given.</summary>
    public bool Has(string name) => _flags.Contains(name);

    /// <summary>The value of text option <paramref name="name"/>, or null.</summary>
    public string? Text(string name) => _texts.GetValueOrDefault(name);

    /// <summary>Parses <paramref name="args"/>; null (after printing why) when they do not fit.</summary>
    /// <param name="args">The arguments after the part's name.</param>
    /// <param name="numbers">Integer options: name, default, smallest and largest allowed.</param>
    /// <param name="flags">Flag options.</param>
    /// <param name="texts">Text options (no default: absent means null).</param>
    public static Options? Parse(string[] args, (string Name, int Default, int Min, int Max)[] numbers, string[] flags, string[]? texts = null)
    {
        var options = new Options();
        foreach ((string name, int value, _, _) in numbers)
        {
            options._numbers[name] = value;
        }

        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (flags.Contains(arg))
            {
                options._flags.Add(arg);
            }
            else if (texts?.Contains(arg) == true && i + 1 < args.Length)
            {
                options._texts[arg] = args[++i];
            }
            else if (numbers.FirstOrDefault(n => n.Name == arg) is { Name: not null } number && i + 1 < args.Length)
            {
                if (!int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < number.Min || value > number.Max)
                {
                    Console.Error.WriteLine($"{arg} {args[i + 1]}: expected a whole number from {number.Min} to {number.Max}");
                    return null;
                }

                options._numbers[arg] = value;
                i++;
            }
            else
            {
                Console.Error.WriteLine($"unknown or incomplete option '{arg}'");
                return null;
            }
        }

        return options;
    }
}
