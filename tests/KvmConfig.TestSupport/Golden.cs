using System.Runtime.CompilerServices;
using Xunit;

namespace KvmConfig.TestSupport;

/// <summary>
/// Golden files: compares text with <c>NAME.golden.txt</c> beside the calling test's source file (in a
/// <c>Golden/</c> folder). <c>UPDATE_GOLDEN=1</c> rewrites the file instead, so a deliberate change of wording is
/// one command and a reviewed diff.
/// </summary>
public static class Golden
{
    /// <summary>Asserts <paramref name="actual"/> equals the golden file <paramref name="name"/>.</summary>
    public static void Verify(string name, string actual, [CallerFilePath] string callerFile = "")
    {
        string dir = Path.Combine(Path.GetDirectoryName(callerFile)!, "Golden");
        string file = Path.Combine(dir, name + ".golden.txt");
        string normalized = actual.Replace("\r\n", "\n");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(file, normalized);
            return;
        }

        Assert.True(File.Exists(file), $"golden file {file} is missing; run the test with UPDATE_GOLDEN=1 to create it, then review it");
        string expected = File.ReadAllText(file).Replace("\r\n", "\n");
        if (expected != normalized)
        {
            Assert.Fail($"output differs from {file} (UPDATE_GOLDEN=1 rewrites it after review)\n--- expected\n{expected}\n--- actual\n{normalized}");
        }
    }
}

/// <summary>
/// A throw-away configuration directory with safe permissions (0755 directory, 0644 files whatever the umask),
/// so tests never trip the StrictModes check by accident.
/// </summary>
public sealed class ConfigDir : IDisposable
{
    /// <summary>Creates an empty directory.</summary>
    public ConfigDir()
    {
        Dir = Directory.CreateTempSubdirectory("kvmconfig-conf-").FullName;
        File.SetUnixFileMode(Dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>Creates a directory holding <paramref name="files"/> (name, text).</summary>
    public ConfigDir(params (string Name, string Text)[] files)
        : this()
    {
        foreach ((string name, string text) in files)
        {
            Write(name, text);
        }
    }

    /// <summary>The directory.</summary>
    public string Dir { get; }

    /// <summary>Writes a file with mode 0644 and returns its path.</summary>
    public string Write(string name, string text) => WriteBytes(name, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Writes raw bytes (for encoding tests) with mode 0644.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }

    /// <summary>Replaces the directory prefix in <paramref name="text"/> with <c>&lt;dir&gt;</c>, for golden files.</summary>
    public string Scrub(string text) => text.Replace(Dir, "<dir>");

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
