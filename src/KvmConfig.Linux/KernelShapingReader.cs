using System.IO.Compression;
using KvmConfig.Core.Topology;

namespace KvmConfig.Linux;

/// <summary>
/// Tells whether the kernel has what libvirt's interface shaping runs (<see cref="NetShaping.Required"/>), from the
/// files a host keeps about its own kernel, under a root directory (<c>/</c>, or a captured tree):
/// <list type="number">
/// <item><c>proc/config.gz</c>, the build configuration of the running kernel (CONFIG_IKCONFIG_PROC);</item>
/// <item><c>boot/config-RELEASE</c>, the one distributions install beside the kernel (RELEASE from
/// <c>proc/sys/kernel/osrelease</c>);</item>
/// <item>failing both, the modules: <c>sys/module/NAME</c> (loaded, or built in), <c>lib/modules/RELEASE/modules.builtin</c>
/// and the <c>.ko</c> files under <c>lib/modules/RELEASE/kernel/net/sched</c>.</item>
/// </list>
/// A feature built in (<c>=y</c>) or as a module (<c>=m</c>) counts as there: libvirt's tc loads a module on first use.
/// When none of these can be read the answer is <see cref="NetShaping.Unknown"/>, and nothing is concluded.
/// </summary>
/// <param name="root">The directory holding <c>proc</c>, <c>sys</c>, <c>boot</c> and <c>lib</c>.</param>
public sealed class KernelShapingReader(string root)
{
    /// <summary>The reader of this host.</summary>
    public static KernelShapingReader Host { get; } = new("/");

    /// <summary>What the kernel under the root offers libvirt's shaping.</summary>
    public NetShaping Read()
    {
        string? release = KernelFiles.ReadIfPresent(Path.Combine(root, "proc", "sys", "kernel", "osrelease")) is { } text
            ? KernelFiles.Clean(text)
            : null;

        string procConfig = Path.Combine(root, "proc", "config.gz");
        if (ReadGzipIfPresent(procConfig) is { } gz)
        {
            return FromConfig(ParseConfig(gz), "/proc/config.gz");
        }

        if (release is not null && KernelFiles.ReadIfPresent(Path.Combine(root, "boot", $"config-{release}")) is { } boot)
        {
            return FromConfig(ParseConfig(boot), $"/boot/config-{release}");
        }

        string modules = Path.Combine(root, "lib", "modules", release ?? "");
        if (release is null || !Directory.Exists(modules))
        {
            return NetShaping.Unknown;
        }

        HashSet<string> builtin = ParseBuiltin(KernelFiles.ReadIfPresent(Path.Combine(modules, "modules.builtin")) ?? "");
        string sched = Path.Combine(modules, "kernel", "net", "sched");
        bool Has(KernelFeature f) =>
            Directory.Exists(Path.Combine(root, "sys", "module", f.Module))
            || builtin.Contains(f.Module)
            || (Directory.Exists(sched) && Directory.EnumerateFiles(sched, f.Module + ".ko*").Any());
        return new NetShaping([.. NetShaping.Required.Where(f => !Has(f))], $"/sys/module and /lib/modules/{release}");
    }

    private static NetShaping FromConfig(IReadOnlyDictionary<string, string> config, string source) =>
        new([.. NetShaping.Required.Where(f => config.GetValueOrDefault("CONFIG_" + f.ConfigSymbol) is not ("y" or "m"))], source);

    /// <summary>
    /// A kernel build configuration: one option per line, comments and blank lines between them.
    /// <code>
    /// CONFIG_NET_SCH_HTB=y              set: y built in, m a module, or a number or "string"
    /// # CONFIG_NET_SCH_SFQ is not set   not built
    /// </code>
    /// </summary>
    /// <returns>Every set option with its value; an option not set is absent.</returns>
    public static IReadOnlyDictionary<string, string> ParseConfig(string text)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith("CONFIG_", StringComparison.Ordinal) && equals > 0)
            {
                options[line[..equals]] = line[(equals + 1)..];
            }
        }

        return options;
    }

    /// <summary>
    /// <c>modules.builtin</c>: the modules compiled into the kernel, one path per line,
    /// <c>kernel/net/sched/sch_htb.ko</c>; the result holds their names (<c>sch_htb</c>).
    /// </summary>
    public static HashSet<string> ParseBuiltin(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(path => Path.GetFileName(path))
            .Where(file => file.EndsWith(".ko", StringComparison.Ordinal))
            .Select(file => file[..^3])
            .ToHashSet(StringComparer.Ordinal);

    // /proc/config.gz: gzip of the text; read up to the cap every kernel file read has.
    private static string? ReadGzipIfPresent(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip);
            var buffer = new char[KernelFiles.MostBytes / 2];
            int read = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, read);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // A config.gz that cannot be read or is not gzip tells nothing: the other sources are asked.
            return null;
        }
    }
}
