using System.Diagnostics;
using System.Globalization;

namespace KvmConfig.TestSupport;

/// <summary>
/// An exclusive hold on the real libvirtd for a test that stops and restarts it (a daemon restart, a daemon down at
/// start). Such tests carry the "Serial" trait: scripts/test.sh runs them after every other test, assemblies one at a
/// time, because every other test on the machine needs the daemon up. Disposing always leaves the daemon running.
/// </summary>
/// <remarks>
/// <para>
/// Stopping is what <c>systemctl stop</c> does: SIGTERM to the libvirtd process, then wait until it has exited. Running
/// QEMU domains survive it; the daemon reconnects to them when it starts again.
/// </para>
/// <para>
/// An exited libvirtd stays a zombie until PID 1 reaps it (about 1.5 s on the test machines, whose PID 1 reaps on its
/// own schedule), and <c>scripts/libvirt-up.sh</c> looks for the daemon with <c>pgrep -x libvirtd</c>, which counts
/// zombies: it would see "running" and start nothing. So a stopped daemon is one that has exited (zombie or gone), and
/// <see cref="Start"/> waits for the zombie to be reaped before running the script.
/// </para>
/// <para>
/// Holds are serialised across test processes with an advisory lock on a file in the temporary directory, so that
/// restart tests of two assemblies run in parallel (<c>dotnet test</c> without <c>-m:1</c>) do not stop the daemon
/// under each other. Tests without a hold are not protected: that is what the "Serial" trait is for.
/// </para>
/// </remarks>
public sealed class DaemonRestart : IDisposable
{
    /// <summary>The xunit collection every class of restart tests belongs to; each test assembly defines it with
    /// <c>DisableParallelization = true</c>, so that no other test of the assembly runs during a restart.</summary>
    public const string Collection = "libvirtd restart";

    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReapDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LockDeadline = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(50);
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "kvmconfig-libvirtd-restart.lock");

    private readonly FileStream _lock;
    private readonly List<int> _stopped = [];
    private bool _disposed;

    private DaemonRestart(FileStream held) => _lock = held;

    /// <summary>True between <see cref="Stop"/> and <see cref="Start"/>.</summary>
    public bool IsStopped => _stopped.Count > 0;

    /// <summary>
    /// Takes the hold (waiting up to 5 minutes for another process's restart test to finish) and makes sure the daemon
    /// runs, through <c>scripts/libvirt-up.sh</c>.
    /// </summary>
    public static DaemonRestart Acquire()
    {
        FileStream held = TakeLock();
        var hold = new DaemonRestart(held);
        try
        {
            RunUpScript();
            return hold;
        }
        catch
        {
            hold.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends SIGTERM to every running libvirtd and waits (up to 30 s) until each has exited. Throws when none runs or
    /// one outlives the deadline.
    /// </summary>
    public void Stop()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        IReadOnlyList<int> pids = RunningDaemons();
        if (pids.Count == 0)
        {
            throw new InvalidOperationException("no libvirtd is running to stop");
        }

        _stopped.AddRange(pids);
        foreach (int pid in pids)
        {
            Terminate(pid);
        }

        Until(ExitDeadline, () => pids.All(pid => StateOf(pid) is null or 'Z'),
            () => $"libvirtd (pid {string.Join(", ", pids)}) still runs {ExitDeadline.TotalSeconds:0} s after SIGTERM");
    }

    /// <summary>
    /// Starts the daemon again through <c>scripts/libvirt-up.sh</c>, which returns once <c>qemu:///system</c> answers.
    /// Waits first (up to 30 s) until the stopped processes are reaped (see the remarks). Does nothing when the daemon
    /// was not stopped.
    /// </summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!IsStopped)
        {
            return;
        }

        int[] zombies = [.. _stopped];
        Until(ReapDeadline, () => zombies.All(pid => StateOf(pid) is null),
            () => $"the stopped libvirtd (pid {string.Join(", ", zombies)}) is still a zombie after {ReapDeadline.TotalSeconds:0} s: " +
                  "PID 1 does not reap it, and scripts/libvirt-up.sh counts it as running");
        _stopped.Clear();
        RunUpScript();
    }

    /// <summary>Starts the daemon again if a test left it stopped, then releases the hold.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            Start();
        }
        finally
        {
            _disposed = true;
            _lock.Dispose();
        }
    }

    /// <summary>Sends SIGTERM to <paramref name="pid"/> (<c>kill -TERM</c>), as <c>systemctl stop</c> would.</summary>
    public static void Terminate(int pid)
    {
        (int exit, string output) = Run("kill", "-TERM", pid.ToString(CultureInfo.InvariantCulture));
        if (exit != 0)
        {
            throw new InvalidOperationException($"kill -TERM {pid} exited {exit}: {output}");
        }
    }

    // The pids of the libvirtd processes that have not exited, from /proc/PID/stat (not pgrep -x, which counts
    // zombies).
    private static List<int> RunningDaemons() =>
    [
        .. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : 0)
            .Where(pid => pid > 0 && StateOf(pid) is { } state && state != 'Z'),
    ];

    // The state letter of a libvirtd process (R, S, D, Z ...), or null when pid is gone or is no longer libvirtd.
    // /proc/PID/stat: "1234 (libvirtd) S 1 1233 ..."; field 1 the pid, 2 the command name in parentheses (it may
    // itself hold spaces and parentheses, so the last ')' ends it), 3 the state.
    private static char? StateOf(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }

        int open = stat.IndexOf('(', StringComparison.Ordinal);
        int close = stat.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.Length || stat[(open + 1)..close] != "libvirtd")
        {
            return null;
        }

        return stat[close + 2];
    }

    // Polls `done` every 50 ms until it holds, or throws with `failure` once the deadline has passed.
    private static void Until(TimeSpan deadline, Func<bool> done, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException(failure());
            }

            Thread.Sleep(PollEvery);
        }
    }

    private static FileStream TakeLock()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix; another process's hold makes this throw.
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < LockDeadline)
            {
                Thread.Sleep(PollEvery);
            }
        }
    }

    private static void RunUpScript()
    {
        (int exit, string output) = Run(Path.Combine(TestData.RepositoryRoot, "scripts", "libvirt-up.sh"));
        if (exit != 0)
        {
            throw new InvalidOperationException($"scripts/libvirt-up.sh exited {exit}: {output}");
        }
    }

    private static (int Exit, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr + stdout.Result);
    }
}
