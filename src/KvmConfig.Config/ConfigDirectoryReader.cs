using System.Text;
using System.Text.Unicode;
using KvmConfig.Config.Syntax;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Linux;

namespace KvmConfig.Config;

/// <summary>Every <c>*.conf</c> of a directory, parsed, with the syntax diagnostics found on the way.</summary>
/// <param name="Directory">The directory as the user named it.</param>
/// <param name="Documents">Parsed files in lexical order; a file that is not UTF-8 is kept with no sections, for display.</param>
/// <param name="Diagnostics">Syntax diagnostics, in file and line order.</param>
public sealed record ConfigSource(string Directory, IReadOnlyList<ConfigDocument> Documents, IReadOnlyList<Diagnostic> Diagnostics);

/// <summary>
/// Reads a <c>kvmconfig.d</c> directory as sysctl.d does: every <c>*.conf</c> in lexical (ordinal) order, other
/// files ignored. Refuses, like sshd's StrictModes, a directory or file that group or others may write, or that
/// is owned by neither root nor the caller: such a file could pin a VM onto the host's own CPUs. A file
/// symlinked to <c>/dev/null</c> is masked, as in systemd. Environment failures throw <see cref="KvmConfigException"/>.
/// </summary>
public sealed class ConfigDirectoryReader(string directory)
{
    /// <summary>The largest <c>*.conf</c> file read: 1 MiB, hundreds of times a real declaration.</summary>
    public const long MostBytesPerFile = 1024 * 1024;

    /// <summary>Default location.</summary>
    public const string DefaultDirectory = "/etc/kvmconfig.d";

    /// <summary>Environment variable that overrides <see cref="DefaultDirectory"/>.</summary>
    public const string EnvironmentVariable = "KVMCONFIG_DIR";

    /// <summary>
    /// The directory every command reads: <paramref name="explicitDirectory"/> (<c>--config-dir</c>) when given,
    /// else <paramref name="environmentValue"/> (<c>$KVMCONFIG_DIR</c>) when set and not empty, else
    /// <see cref="DefaultDirectory"/>. An empty variable counts as unset, as in most Unix tools.
    /// </summary>
    public static string Resolve(string? explicitDirectory, string? environmentValue) =>
        !string.IsNullOrEmpty(explicitDirectory) ? explicitDirectory
        : !string.IsNullOrWhiteSpace(environmentValue) ? environmentValue
        : DefaultDirectory;

    /// <summary>Reads and parses the directory.</summary>
    public ConfigSource Read()
    {
        // A link that leads nowhere (a loop, or a target that is gone) is said as such, not as "a file".
        if (new FileInfo(directory).LinkTarget is not null && LinkProblem(directory) is { } problem)
        {
            throw ConfigErrors.DirectoryLinkBroken(directory, problem);
        }

        if (File.Exists(directory))
        {
            throw ConfigErrors.DirectoryIsAFile(directory);
        }

        if (!Directory.Exists(directory))
        {
            throw ConfigErrors.NoDirectory(directory);
        }

        RefuseUnsafe(directory, "directory");
        FileTrust.RefuseUnsafeParents(directory, "configuration directory");
        string[] files;
        try
        {
            files = Directory.EnumerateFiles(directory, "*.conf", SearchOption.TopDirectoryOnly)
                .Where(f => f.EndsWith(".conf", StringComparison.Ordinal) && !IsMasked(f))
                .Order(StringComparer.Ordinal)
                .ToArray();
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw ConfigErrors.CannotList(directory, e);
        }

        // sysctl.d and systemd skip a directory named like a drop-in; here its VM would vanish without a word.
        if (Directory.EnumerateDirectories(directory, "*.conf").FirstOrDefault(d => d.EndsWith(".conf", StringComparison.Ordinal)) is { } misnamed)
        {
            throw ConfigErrors.DirectoryNamedConf(misnamed, directory);
        }

        var diagnostics = new List<Diagnostic>();
        var documents = new List<ConfigDocument>(files.Length);
        if (files.Length == 0)
        {
            diagnostics.Add(Diagnostic.Create(Rules.EmptyDirectory,
                $"{directory} holds no *.conf files, so nothing is declared",
                null,
                "add 00-cpu.conf for the host policy and one NN-NAME.conf per VM (see examples/seed)"));
        }

        foreach (string file in files)
        {
            RefuseUnsafe(file, "file");
            if (new FileInfo(file).LinkTarget is not null)
            {
                // A drop-in linked from elsewhere (/usr/share/...): the directories it really lives in count too.
                FileTrust.RefuseUnsafeParents(file, "file");
            }

            byte[] bytes;
            try
            {
                long length = new FileInfo(file).Length;
                if (length > MostBytesPerFile)
                {
                    throw ConfigErrors.FileTooLarge(file, length, MostBytesPerFile);
                }

                bytes = File.ReadAllBytes(file);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw ConfigErrors.CannotReadFile(file, e);
            }

            if (Decode(file, bytes, diagnostics) is { } text)
            {
                documents.Add(ConfigParser.Parse(file, text, diagnostics));
            }
            else
            {
                // Not parsed, but kept for display: the diagnostic shows the line with U+FFFD where the bad byte is.
                string shown = Encoding.UTF8.GetString(bytes).Replace("\0", "", StringComparison.Ordinal);
                documents.Add(new ConfigDocument(file, shown.Split('\n').Select(l => l.TrimEnd('\r')).ToArray(), []));
            }
        }

        return new ConfigSource(directory, documents, diagnostics);
    }

    // systemd's convention, which administrators carry over to every *.d directory: a drop-in symlinked to
    // /dev/null is masked, i.e. deliberately empty.
    // The final target decides, so a relative link (../../dev/null) masks too.
    private static bool IsMasked(string file) =>
        new FileInfo(file).LinkTarget is not null && File.ResolveLinkTarget(file, returnFinalTarget: true)?.FullName == "/dev/null";

    // "in a loop" or "to DIR, which does not exist", or null when the link leads to something.
    private static string? LinkProblem(string link)
    {
        try
        {
            FileSystemInfo? target = File.ResolveLinkTarget(link, returnFinalTarget: true);
            return target is null || target.Exists ? null : $"to {target.FullName}, which does not exist";
        }
        catch (IOException)
        {
            return "in a loop (too many levels of symbolic links)";
        }
    }

    private static void RefuseUnsafe(string path, string what)
    {
        try
        {
            _ = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            // A dangling symlink named *.conf, or a file removed while the directory was read.
            string why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file (a dangling symlink?)" : e.Message;
            throw ConfigErrors.CannotRead(what, path, why, e);
        }

        // The type comes first: a FIFO named *.conf would block the read forever, and a chmod hint for a device would
        // change the device. Then sshd's StrictModes: writable by nobody else, owned by root or the caller.
        if (what == "file" && FileTrust.Stat(path).Kind != FileKind.Regular)
        {
            throw ConfigErrors.NotARegularFile(path);
        }

        FileTrust.RefuseUnsafe(path, what);
    }

    // Decodes strictly: a Latin-1 file saved by an editor must not silently turn 'µ' into U+FFFD.
    private static string? Decode(string file, byte[] bytes, List<Diagnostic> diagnostics)
    {
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }

        var chars = new char[span.Length];
        if (Utf8.ToUtf16(span, chars, out int read, out int written, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done)
        {
            return new string(chars, 0, written);
        }

        int line = 1 + span[..read].Count((byte)'\n');
        int lineStart = span[..read].LastIndexOf((byte)'\n') + 1;
        int column = 1 + Encoding.UTF8.GetCharCount(span[lineStart..read]);

        // Windows tools save UTF-16 with a byte-order mark; everything else that fails here is most likely Latin-1.
        bool utf16 = bytes.AsSpan().StartsWith((byte[])[0xFF, 0xFE]) || bytes.AsSpan().StartsWith((byte[])[0xFE, 0xFF]);
        diagnostics.Add(Diagnostic.Create(Rules.NotUtf8,
            $"{file} is not valid UTF-8: byte 0x{span[read]:x2} at line {line}, column {column}",
            new SourceSpan(file, line, column, 1),
            $"convert it, e.g. iconv -f {(utf16 ? "utf-16" : "latin1")} -t utf-8 {file} > {file}.new && mv {file}.new {file}"));
        return null;
    }
}
