namespace KvmConfig.TestSupport;

/// <summary>
/// Locates <c>tests/data/</c> (real machine captures) from a test's output directory by walking up to the
/// repository root, the directory holding <c>KvmConfig.slnx</c>. Nothing is copied to bin/.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The repository root.</summary>
    public static string RepositoryRoot => Root.Value;

    /// <summary><c>tests/data/</c> joined with <paramref name="parts"/>, e.g. <c>Path("sysfs", "1s-16cpu")</c>.</summary>
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([Root.Value, "tests", "data", .. parts]);

    /// <summary>
    /// The <c>sys</c> directory of a captured sysfs tree (<c>tests/data/sysfs/NAME/sys</c>), ready for
    /// <c>SysfsTopologyReader</c>.
    /// </summary>
    public static string SysfsRoot(string machine)
    {
        string sys = Path("sysfs", machine, "sys");
        return Directory.Exists(sys)
            ? sys
            : throw new DirectoryNotFoundException($"no sysfs capture named '{machine}' in {Path("sysfs")}");
    }

    /// <summary>Every tree of <c>tests/data/sysfs/</c> (captures and made shapes), by folder name, in ordinal order.</summary>
    public static IReadOnlyList<string> SysfsTrees() =>
        Directory.EnumerateDirectories(Path("sysfs"))
            .Where(dir => Directory.Exists(System.IO.Path.Combine(dir, "sys")))
            .Select(dir => System.IO.Path.GetFileName(dir))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Copies a directory tree into a fresh temporary directory and makes the copy writable (captures are read-only,
    /// as sysfs is), so a test can delete or damage files. The caller deletes <see cref="TempTree.Dir"/> by
    /// disposing. <paramref name="skip"/>, given a directory's path relative to <paramref name="source"/>, leaves
    /// that subtree out (copying thousands of small files is slow on some file systems).
    /// </summary>
    public static TempTree CopyToTemp(string source, Func<string, bool>? skip = null)
    {
        string target = Directory.CreateTempSubdirectory("kvmconfig-test-").FullName;
        CopyDirectory(source, source, target, skip ?? (_ => false));
        return new TempTree(target);
    }

    private static void CopyDirectory(string root, string source, string target, Func<string, bool> skip)
    {
        Directory.CreateDirectory(target);

        // Links stay links with the same (relative) target, as sysfs has them: following cpuN/node0 into node0/cpuN
        // would copy the tree into itself.
        var links = new HashSet<string>(StringComparer.Ordinal);
        foreach (FileSystemInfo entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is string linkTarget)
            {
                links.Add(entry.FullName);
                File.CreateSymbolicLink(System.IO.Path.Combine(target, entry.Name), linkTarget);
            }
        }

        foreach (string file in Directory.EnumerateFiles(source).Where(f => !links.Contains(f)))
        {
            string copy = System.IO.Path.Combine(target, System.IO.Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        foreach (string dir in Directory.EnumerateDirectories(source).Where(d => !links.Contains(d)))
        {
            if (!skip(System.IO.Path.GetRelativePath(root, dir)))
            {
                CopyDirectory(root, dir, System.IO.Path.Combine(target, System.IO.Path.GetFileName(dir)), skip);
            }
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "KvmConfig.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no KvmConfig.slnx above {AppContext.BaseDirectory}: cannot find tests/data");
    }
}

/// <summary>A temporary directory tree, deleted on dispose.</summary>
/// <param name="Dir">The copy's root.</param>
public sealed record TempTree(string Dir) : IDisposable
{
    /// <summary>A path inside the copy.</summary>
    public string Path(params string[] parts) => System.IO.Path.Combine([Dir, .. parts]);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }
    }
}
