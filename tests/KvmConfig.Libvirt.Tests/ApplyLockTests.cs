using System.Diagnostics;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt.Apply;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// The host lock: flock(2) needs only read access, so a lock file another user can open is one they can hold to
/// block every apply. It lives 0600 in a 0700 directory, and a waiter says which process holds it.
/// </summary>
public sealed class ApplyLockTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-lock-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_lock_is_created_0600_in_a_directory_created_0700()
    {
        string path = Path.Combine(_dir, "run", "apply.lock");

        using (ApplyLock.Acquire(path, TimeSpan.Zero))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Another_user_cannot_open_the_lock_file_to_hold_it()
    {
        // Given the lock made once by root, then "nobody" trying what blocked applies before: flock on the file
        string path = Path.Combine(_dir, "run", "apply.lock");
        ApplyLock.Acquire(path, TimeSpan.Zero).Dispose();
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_101_101);

        (int exit, string error) = Run("runuser", "-u", "nobody", "--", "flock", "--nonblock", path, "true");

        Assert.NotEqual(0, exit);
        Assert.Contains("Permission denied", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_file_others_could_read_is_narrowed_to_0600()
    {
        string path = Path.Combine(_dir, "apply.lock");
        File.WriteAllText(path, "");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);

        using (ApplyLock.Acquire(path, TimeSpan.Zero))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Theory]
    [InlineData(0b111_111_111, "a lock directory anyone can write: they could replace the lock file")]
    [InlineData(0b111_111_101, "a lock directory its group can write")]
    public void A_lock_directory_others_can_write_is_KVC091(int mode, string description)
    {
        string dir = Path.Combine(_dir, "open");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)mode);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => ApplyLock.Acquire(Path.Combine(dir, "apply.lock"), TimeSpan.Zero));

        Assert.True(e.Descriptor == Rules.UnsafePermissions, $"{description}: {e.Message}");
        Assert.StartsWith($"lock directory {dir} is writable by", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_file_that_is_a_link_is_KVC091()
    {
        string target = Path.Combine(_dir, "elsewhere");
        File.WriteAllText(target, "");
        string path = Path.Combine(_dir, "apply.lock");
        File.CreateSymbolicLink(path, target);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => ApplyLock.Acquire(path, TimeSpan.Zero));

        Assert.Equal(Rules.UnsafePermissions, e.Descriptor);
        Assert.Contains($"lock file {path} is a symbolic link", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_waiter_names_the_process_holding_the_lock_and_so_does_the_refusal()
    {
        // Given another process (util-linux flock, holding it until its stdin closes) with the lock
        string path = Path.Combine(_dir, "apply.lock");
        ApplyLock.Acquire(path, TimeSpan.Zero).Dispose();
        var start = new ProcessStartInfo("flock") { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (string arg in (string[])["--exclusive", path, "sh", "-c", "echo locked; read line"])
        {
            start.ArgumentList.Add(arg);
        }

        using Process holder = Process.Start(start)!;
        try
        {
            Assert.Equal("locked", holder.StandardOutput.ReadLine());
            var heard = new List<string>();

            KvmConfigException e = Assert.Throws<KvmConfigException>(() => ApplyLock.Acquire(path, TimeSpan.FromMilliseconds(300), heard.Add));

            // flock runs sh with the lock's descriptor inherited: the kernel names the process that took it
            Assert.Equal(Rules.ApplyBusy, e.Descriptor);
            Assert.Contains($"held by PID {holder.Id} (flock)", e.Message, StringComparison.Ordinal);
            string told = Assert.Single(heard);
            Assert.StartsWith($"waiting for the lock {path}, held by PID {holder.Id} (flock)", told, StringComparison.Ordinal);
        }
        finally
        {
            holder.StandardInput.Close();
            holder.WaitForExit();
        }

        using ApplyLock free = ApplyLock.Acquire(path, TimeSpan.FromSeconds(5));
    }

    private static (int Exit, string Error) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
