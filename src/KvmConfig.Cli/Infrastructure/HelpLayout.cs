using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>
/// How <c>--help</c> is laid out. Spectre's writer wraps everything at the console's width, which is 80 when the output
/// is redirected (<c>kvmconfig plan --help | less</c>), and gives the options three columns (names, default,
/// description), so that <c>apply</c>'s descriptions came out 20 characters wide and its default paths broke in two.
/// Here: the width comes from <c>COLUMNS</c> or the terminal when the output is redirected, never below
/// <see cref="MinimumRedirectedWidth"/>; each example stays on one line, however long, so that it can be copied;
/// the options have two columns, a default closing its option's description.
/// </summary>
internal sealed class HelpLayout(ICommandAppSettings settings) : HelpProvider(settings)
{
    private readonly HelpProviderStyle? _styles = settings.HelpProviderStyles;

    /// <summary>The narrowest help written to a pipe or a file: below it, descriptions break every few words.</summary>
    public const int MinimumRedirectedWidth = 100;

    /// <summary>
    /// The width to wrap help at. On a terminal, its width (what Spectre measures). Redirected: <c>COLUMNS</c> when it
    /// holds a number, else the width of a terminal still on stdin or stderr (<c>--help | less</c>), and never less than
    /// <see cref="MinimumRedirectedWidth"/>. Null leaves Spectre's own choice.
    /// </summary>
    /// <param name="outputRedirected">Whether stdout is a pipe or a file.</param>
    /// <param name="columns">The <c>COLUMNS</c> environment variable, or null.</param>
    /// <param name="terminalWidth">The width of a terminal the process still has, or null.</param>
    public static int? Width(bool outputRedirected, string? columns, int? terminalWidth)
    {
        if (!outputRedirected)
        {
            return null;
        }

        int wanted = int.TryParse(columns, out int c) && c > 0 ? c : terminalWidth ?? 0;
        return Math.Max(wanted, MinimumRedirectedWidth);
    }

    /// <summary>A console for Spectre's help and usage errors, at <see cref="Width"/> for this process.</summary>
    public static IAnsiConsole Console()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings());
        if (Width(System.Console.IsOutputRedirected, Environment.GetEnvironmentVariable("COLUMNS"), TerminalWidth()) is int width)
        {
            console.Profile.Width = width;
        }

        return console;
    }

    /// <inheritdoc />
    public override IEnumerable<IRenderable> Write(ICommandModel model, ICommandInfo? command) =>
        base.Write(model, command).Select(part => new TrimmedLines(part));

    /// <inheritdoc />
    public override IEnumerable<IRenderable> GetExamples(ICommandModel model, ICommandInfo? command)
    {
        // Examples of the command, or of its children at the root (as Spectre picks them), each one line.
        List<string[]> examples = command?.Examples.ToList() ?? model.Examples.ToList();
        if (examples.Count == 0)
        {
            examples = (command ?? (ICommandContainer)model).Commands.Where(c => !c.IsHidden)
                .SelectMany(c => c.Examples).Take(MaximumIndirectExamples).ToList();
        }

        if (examples.Count == 0)
        {
            return [];
        }

        Style arguments = _styles?.Examples?.Arguments ?? Style.Plain;
        return [new UnwrappedLines([
            [],
            [new Segment("EXAMPLES:", _styles?.Examples?.Header ?? Style.Plain)],
            .. examples.Select(e => (Segment[])[new Segment($"    {model.ApplicationName} "), new Segment(string.Join(' ', e), arguments)]),
        ])];
    }

    /// <inheritdoc />
    public override IEnumerable<IRenderable> GetOptions(ICommandModel model, ICommandInfo? command)
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn { Padding = new Padding(4, 0, 4, 0), NoWrap = true });
        grid.AddColumn(new GridColumn { Padding = new Padding(0, 0) });
        grid.AddRow(new Text("-h, --help"), new Text("Prints help information"));
        if (command is null && model.ApplicationVersion is not null)
        {
            grid.AddRow(new Text("-v, --version"), new Text("Prints version information"));
        }

        foreach (ICommandOption option in command?.Parameters.OfType<ICommandOption>().Where(o => !o.IsHidden) ?? [])
        {
            grid.AddRow(new Text(Names(option)), new Markup(Description(option)));
        }

        return [new Text("\nOPTIONS:\n", _styles?.Options?.Header ?? Style.Plain), grid];
    }

    // "-y, --yes", "    --journal <DIR>": short name first, long names aligned whether or not there is one.
    private static string Names(ICommandOption option)
    {
        string? shortName = option.ShortNames.FirstOrDefault();
        string? longName = option.LongNames.FirstOrDefault();
        string names = shortName is null ? $"    --{longName}" : longName is null ? $"-{shortName}" : $"-{shortName}, --{longName}";
        return option.ValueName is null ? names : option.ValueIsOptional ? $"{names} [{option.ValueName}]" : $"{names} <{option.ValueName}>";
    }

    // The description, then its default as the last sentence (a false flag has none worth saying).
    private string Description(ICommandOption option)
    {
        string text = (option.Description ?? "").TrimEnd('.');
        object? value = option.DefaultValue?.Value;
        if (ShowOptionDefaultValues && value is not (null or "" or false))
        {
            text += $". Default: {Markup.Escape(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "")}";
        }

        return option.IsRequired ? $"{text}. [i]Required[/]" : text;
    }

    private static int? TerminalWidth()
    {
        try
        {
            return System.Console.IsInputRedirected && System.Console.IsErrorRedirected ? null : System.Console.WindowWidth is > 0 and int w ? w : null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Lines of segments written as they are: wider than the console, they run on rather than wrap.</summary>
    private sealed class UnwrappedLines(IReadOnlyList<Segment[]> lines) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => new(maxWidth, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => lines.SelectMany(line => line.Append(Segment.LineBreak));
    }

    /// <summary>
    /// Another renderable without the blanks that close its lines: Spectre pads a grid's cells to the full width and
    /// keeps the space a paragraph wrapped at, which a file or a diff of the help would carry along.
    /// </summary>
    private sealed class TrimmedLines(IRenderable inner) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => inner.Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            var line = new List<Segment>();
            foreach (Segment segment in inner.Render(options, maxWidth))
            {
                if (!segment.IsLineBreak)
                {
                    line.Add(segment);
                    continue;
                }

                foreach (Segment kept in Trim(line))
                {
                    yield return kept;
                }

                yield return segment;
                line.Clear();
            }

            foreach (Segment kept in Trim(line))
            {
                yield return kept;
            }
        }

        private static List<Segment> Trim(List<Segment> line)
        {
            var kept = new List<Segment>(line);
            while (kept.Count > 0 && !kept[^1].IsControlCode && string.IsNullOrWhiteSpace(kept[^1].Text))
            {
                kept.RemoveAt(kept.Count - 1);
            }

            if (kept.Count > 0 && !kept[^1].IsControlCode)
            {
                kept[^1] = new Segment(kept[^1].Text.TrimEnd(), kept[^1].Style);
            }

            return kept;
        }
    }
}
