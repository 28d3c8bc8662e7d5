using System.Diagnostics;
using KvmConfig.Linux;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Config.Tests;

/// <summary>
/// The ownership half of sshd's StrictModes: the configuration directory and every <c>*.conf</c> must be owned by
/// root or by the user running kvmconfig. A 0644 file owned by an ordinary user is still that user's to chmod and
/// rewrite, so it could repin VMs onto the host's CPUs. The owner is that of what a symlink points at.
/// </summary>
/// <remarks>
/// Handing a file to another uid needs root (CAP_CHOWN). The tests run as root in CI; elsewhere the chown fails,
/// and the tests that need it say so in their output and assert nothing (xunit 2 cannot skip at run time).
/// </remarks>
public sealed class ConfigDirectoryOwnerTests(ITestOutputHelper output)
{
    /// <summary>nobody: a uid that is neither root nor the test runner.</summary>
    private const uint Nobody = 65534;

    [Fact]
    public void A_file_owned_by_another_user_is_KVC091_naming_the_uid()
    {
        // Given a safe 0644 file handed to nobody
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string file = Path.Combine(dir.Dir, "00-cpu.conf");
        if (!Chown(Nobody, file))
        {
            return;
        }

        // When the directory is read
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        // Then it is refused like a writable file, naming both uids
        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal("KVC091", e.Descriptor.Code);
        Assert.Equal(file, e.Path);
        Assert.Equal($"chown root {file}", e.Hint);
        Assert.Equal(
            $"file {file} is owned by uid 65534, neither root nor you (uid {FileTrust.EffectiveUid}); kvmconfig refuses it, as sshd's StrictModes does",
            e.Message);
    }

    [Fact]
    public void A_directory_under_a_parent_others_can_write_is_KVC091_naming_the_parent()
    {
        // Given a safe configuration directory moved under a 0777 directory (no sticky bit): anyone could rename it
        // away and put their own in its place
        string open = Directory.CreateTempSubdirectory("kvmconfig-open-").FullName;
        try
        {
            File.SetUnixFileMode(open, (UnixFileMode)0b111_111_111);
            string conf = Path.Combine(open, "kvmconfig.d");
            Directory.CreateDirectory(conf);
            File.WriteAllText(Path.Combine(conf, "00-cpu.conf"), "smt = isolate\n");

            KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(conf).Read());

            Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
            Assert.Equal(open, e.Path);
            Assert.StartsWith($"configuration directory {conf} is reached through a directory others can change: {open} is writable", e.Message);
        }
        finally
        {
            Directory.Delete(open, recursive: true);
        }
    }

    [Fact]
    public void A_directory_owned_by_another_user_is_KVC091_before_any_file_is_read()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        if (!Chown(Nobody, dir.Dir))
        {
            return;
        }

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal(dir.Dir, e.Path);
        Assert.Equal($"chown root {dir.Dir}", e.Hint);
        Assert.StartsWith($"directory {dir.Dir} is owned by uid 65534, neither root nor you", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_owned_by_the_user_running_kvmconfig_is_read()
    {
        // Given files as the test runner creates them: root's when it is root, its own otherwise; both pass
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string file = Path.Combine(dir.Dir, "00-cpu.conf");
        Assert.Equal(FileTrust.EffectiveUid, FileTrust.Stat(file).Uid);

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal(file, Assert.Single(source.Documents).Path);
    }

    [Fact]
    public void A_root_owned_file_is_read()
    {
        // /etc/hostname-like: root's file, whoever runs the test. Only root can hand a file to root, so when not
        // root the test relies on the previous one, where the runner's own file plays the same part.
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        string file = Path.Combine(dir.Dir, "00-cpu.conf");
        if (!Chown(0, dir.Dir) || !Chown(0, file))
        {
            return;
        }

        Assert.Equal(0u, FileTrust.Stat(file).Uid);
        Assert.Single(new ConfigDirectoryReader(dir.Dir).Read().Documents);
    }

    [Fact]
    public void A_symlink_is_judged_by_its_target_so_a_nobody_owned_link_to_a_root_file_is_read()
    {
        // Given 50-web.conf, itself owned by nobody, pointing at a file owned by root (or the runner)
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        using var elsewhere = new ConfigDir(("shared.txt", "[vm web]\nvcpus = 2\n"));
        string link = Path.Combine(dir.Dir, "50-web.conf");
        File.CreateSymbolicLink(link, Path.Combine(elsewhere.Dir, "shared.txt"));
        if (!Chown(Nobody, link, noDereference: true))
        {
            return;
        }

        ConfigSource source = new ConfigDirectoryReader(dir.Dir).Read();

        Assert.Equal(2, source.Documents.Count);
        Assert.Equal(link, source.Documents[1].Path);
    }

    [Fact]
    public void A_symlink_to_a_file_owned_by_another_user_is_KVC091_naming_the_link()
    {
        // Given a root-owned link in the directory whose target belongs to nobody
        using var dir = new ConfigDir(("00-cpu.conf", "smt = isolate\n"));
        using var elsewhere = new ConfigDir(("shared.txt", "[vm web]\nvcpus = 2\n"));
        string target = Path.Combine(elsewhere.Dir, "shared.txt");
        string link = Path.Combine(dir.Dir, "50-web.conf");
        File.CreateSymbolicLink(link, target);
        if (!Chown(Nobody, target))
        {
            return;
        }

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => new ConfigDirectoryReader(dir.Dir).Read());

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Equal(link, e.Path);
        Assert.Contains("is owned by uid 65534", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_owner_of_a_missing_path_is_KVC093_with_the_errno_text()
    {
        using var dir = new ConfigDir();
        string missing = Path.Combine(dir.Dir, "gone.conf");

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => FileTrust.Stat(missing).Uid);

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal("KVC093", e.Descriptor.Code);
        Assert.Equal(missing, e.Path);
        Assert.Equal($"cannot stat {missing}: No such file or directory", e.Message);
    }

    [Fact]
    public void The_owner_is_read_from_the_kernel_not_guessed()
    {
        // /proc/1 belongs to init, which is root on any host and in any container's own pid namespace.
        Assert.Equal(0u, FileTrust.Stat("/").Uid);
        Assert.Equal(0u, FileTrust.Stat("/proc/1").Uid);
    }

    /// <summary>
    /// chown(1) <paramref name="path"/> to <paramref name="uid"/> (with <c>-h</c>, the symlink itself). False, with
    /// the reason written to the test output, when this process may not do it.
    /// </summary>
    private bool Chown(uint uid, string path, bool noDereference = false)
    {
        if (FileTrust.EffectiveUid != 0)
        {
            output.WriteLine($"not run: handing {path} to uid {uid} needs root (CAP_CHOWN), and these tests run as uid {FileTrust.EffectiveUid}");
            return false;
        }

        var start = new ProcessStartInfo("chown") { RedirectStandardError = true };
        if (noDereference)
        {
            start.ArgumentList.Add("-h");
        }

        start.ArgumentList.Add(uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(path);
        using Process chown = Process.Start(start)!;
        string error = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        Assert.True(chown.ExitCode == 0, $"chown {uid} {path} failed as root: {error}");
        return true;
    }
}
