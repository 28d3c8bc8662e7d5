using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// sshd's StrictModes for the files kvmconfig acts on as root: the file and every directory above it writable by
/// nobody but root or the caller, sticky world-writable directories (/tmp) excepted.
/// </summary>
public sealed class FileTrustTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-trust-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Make(string name, UnixFileMode mode)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Everyone = Private | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public void A_directory_under_a_sticky_world_writable_one_is_trusted()
    {
        // Given DIR/journal (0700) inside this test's directory inside /tmp (1777)
        File.SetUnixFileMode(_dir, Private);
        string journal = Make("journal", Private);

        FileTrust.RefuseUnsafeParents(journal, "journal directory");
        Assert.Equal(FileKind.Directory, FileTrust.RefuseUnsafe(journal, "journal directory", linkAllowed: false).Kind);
    }

    [Fact]
    public void A_directory_under_one_that_others_can_write_is_refused_naming_that_parent()
    {
        string open = Make("open", Everyone);
        string journal = Path.Combine(open, "journal");
        Directory.CreateDirectory(journal);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => FileTrust.RefuseUnsafeParents(journal, "journal directory"));

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal(open, e.Path);
        Assert.Contains($"journal directory {journal} is reached through a directory others can change: {open} is writable by its group (mode 0777) without the sticky bit", e.Message);
        Assert.Contains($"chmod go-w {open}", e.Hint);
    }

    [Fact]
    public void A_sticky_directory_passes_but_a_world_writable_one_itself_is_refused()
    {
        string sticky = Make("sticky", Everyone | UnixFileMode.StickyBit);

        FileTrust.RefuseUnsafeParents(Path.Combine(sticky, "x"), "file");
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => FileTrust.RefuseUnsafe(sticky, "journal directory"));

        Assert.Contains("is writable by group and others (mode 1777)", e.Message);
    }

    [Fact]
    public void A_root_owned_link_into_a_directory_another_user_owns_is_refused_by_where_it_leads()
    {
        // Given DIR/theirs owned by nobody, holding a root-owned 0700 journal root, and a root-owned link DIR/safe/journal
        // leading there: the written path's parents are all root's, the real path's are not
        File.SetUnixFileMode(_dir, Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string theirs = Make("theirs", Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string root = Path.Combine(theirs, "journal");
        Directory.CreateDirectory(root);
        string safe = Make("safe", Private);
        string link = Path.Combine(safe, "journal");
        File.CreateSymbolicLink(link, root);
        using (var chown = System.Diagnostics.Process.Start("chown", ["nobody", theirs])!)
        {
            chown.WaitForExit();
            Assert.True(chown.ExitCode == 0, "chown needs root");
        }

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => FileTrust.RefuseUnsafeParents(Path.Combine(link, "20261206T000000.000Z"), "journal directory"));

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal(theirs, e.Path);
        Assert.Contains($"{theirs} is owned by uid 65534, neither root nor you", e.Message);
    }

    [Fact]
    public void A_link_is_refused_where_links_are_not_allowed_and_followed_where_they_are()
    {
        string target = Make("target", Private);
        string link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, target);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => FileTrust.RefuseUnsafe(link, "journal", linkAllowed: false));
        FileFacts followed = FileTrust.RefuseUnsafe(link, "journal");

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Contains($"journal {link} is a symbolic link", e.Message);
        Assert.Equal(FileKind.Directory, followed.Kind);
        Assert.Equal(FileKind.Link, FileTrust.Stat(link, followLinks: false).Kind);
    }

    [Fact]
    public void Stat_gives_owner_mode_and_inode()
    {
        string file = Path.Combine(_dir, "f");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        FileFacts facts = FileTrust.Stat(file);

        Assert.Equal(FileTrust.EffectiveUid, facts.Uid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, facts.Mode);
        Assert.Equal(FileKind.Regular, facts.Kind);
        Assert.NotEqual(0UL, facts.Inode);
        Assert.NotEqual(facts.Inode, FileTrust.Stat(_dir).Inode);
    }
}
