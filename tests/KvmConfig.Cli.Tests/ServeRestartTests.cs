using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The real <c>kvmconfig serve</c> process (the built binary, as systemd would run it) while the real libvirtd is
/// stopped and started again under it. Stopping the shared daemon would fail every other test that uses it, so this
/// carries the "Serial" trait (scripts/test.sh runs it after the others, alone) and holds <see cref="DaemonRestart"/>,
/// which always leaves the daemon running. Synchronisation is on /healthz, polled with a deadline.
/// </summary>
[Trait("Category", "Serial")]
[Collection(DaemonRestart.Collection)]
public sealed class ServeRestartTests : IDisposable
{
    // libvirtd takes up to about 10 s to answer again after a start here, and serve's backoff doubles from 1 s.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Serve_survives_a_libvirtd_stop_and_restart_and_still_exits_0_on_SIGTERM()
    {
        // Given kvmconfig serve running against the real daemon, healthy
        using DaemonRestart daemon = DaemonRestart.Acquire();
        using var serve = new ServeProcess(FreeLoopbackAddress());
        Task<string> listening = serve.NextLine("kvmconfig serve: http://", Timeout);
        serve.Start();
        await listening;
        await UntilHealthz(serve, HttpStatusCode.OK);

        // When libvirtd stops under it
        daemon.Stop();

        // Then the process runs on, degraded: /healthz 503 with the reason, /metrics 200 with kvmconfig_libvirt_up 0
        string reason = await UntilHealthz(serve, HttpStatusCode.ServiceUnavailable);
        Assert.StartsWith("degraded: ", reason, StringComparison.Ordinal);
        (HttpStatusCode metrics, string metricsBody) = await Get(serve, "metrics");
        Assert.Equal(HttpStatusCode.OK, metrics);
        Assert.Contains("\nkvmconfig_libvirt_up 0\n", metricsBody, StringComparison.Ordinal);

        // When libvirtd starts again
        daemon.Start();

        // Then serve is healthy again without a restart, said so on stderr, and SIGTERM still stops it cleanly
        await UntilHealthz(serve, HttpStatusCode.OK);
        (_, metricsBody) = await Get(serve, "metrics");
        Assert.Contains("\nkvmconfig_libvirt_up 1\n", metricsBody, StringComparison.Ordinal);
        int exit = await serve.Terminate(Timeout);
        string stderr = serve.Stderr;
        Assert.True(exit == 0, $"serve exited {exit} on SIGTERM\n{stderr}");
        Assert.Contains(" degraded: ", stderr, StringComparison.Ordinal);
        Assert.Contains("recovered: libvirt reachable again", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _http.Dispose();

    // A loopback port free a moment ago (serve refuses port 0); a clash would fail the start with KVC097, not hide.
    private static IPEndPoint FreeLoopbackAddress()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return (IPEndPoint)probe.LocalEndpoint;
    }

    // /healthz polled every 100 ms until it answers `expected` (serve logs nothing on its first successful sweep, and
    // one line per outage, which a sweep that raced a domain's exit could have used up); returns the body.
    private async Task<string> UntilHealthz(ServeProcess serve, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        (HttpStatusCode Status, string Body) last;
        while ((last = await Get(serve, "healthz")).Status != expected)
        {
            Assert.True(clock.Elapsed < Timeout, $"/healthz still {(int)last.Status} after {Timeout.TotalSeconds:0} s: {last.Body}\n{serve.Stderr}");
            Assert.False(serve.HasExited, $"serve exited\n{serve.Stderr}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }

        return last.Body;
    }

    private async Task<(HttpStatusCode Status, string Body)> Get(ServeProcess serve, string path)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri($"http://{serve.Listen}/{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// <c>dotnet kvmconfig.dll serve</c> with a 1 s interval, no history and the default thresholds, its stderr
    /// collected line by line (started by <see cref="Start"/>, so that a first line can be waited for); killed on
    /// dispose if still running.
    /// </summary>
    private sealed class ServeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Lock _gate = new();
        private readonly List<string> _lines = [];
        private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiting = [];
        private bool _started;

        // An empty configuration directory: the default [alerts] thresholds, whatever /etc/kvmconfig.d holds here.
        private readonly string _configDir = Directory.CreateTempSubdirectory("kvmconfig-serve-").FullName;

        public ServeProcess(IPEndPoint listen)
        {
            Listen = listen;
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            start.Environment["NO_COLOR"] = "1";
            foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll"), "serve",
                         "--listen", listen.ToString(), "--interval", "1s", "--no-history", "--config-dir", _configDir])
            {
                start.ArgumentList.Add(arg);
            }

            _process = new Process { StartInfo = start };
            _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
            _process.OutputDataReceived += (_, _) => { };
        }

        public IPEndPoint Listen { get; }

        public bool HasExited => _process.HasExited;

        public string Stderr
        {
            get
            {
                lock (_gate)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        /// <summary>Starts the process and the reading of its output.</summary>
        public void Start()
        {
            _started = true;
            _process.Start();
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        /// <summary>
        /// The next stderr line holding <paramref name="text"/> written after this call (call it before acting, so
        /// that the line cannot come first); throws when none comes within <paramref name="timeout"/> or serve exits.
        /// </summary>
        public async Task<string> NextLine(string text, TimeSpan timeout)
        {
            TaskCompletionSource<string> seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _waiting.Add((text, seen));
            }

            Task done = await Task.WhenAny(seen.Task, Task.Delay(timeout));
            return done == seen.Task
                ? await seen.Task
                : throw new TimeoutException($"serve wrote no line with \"{text}\" within {timeout.TotalSeconds:0} s; exited: {HasExited}\n{Stderr}");
        }

        /// <summary>Sends SIGTERM (systemctl stop) and returns the exit code.</summary>
        public async Task<int> Terminate(TimeSpan timeout)
        {
            DaemonRestart.Terminate(_process.Id);
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (_started && !_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
            Directory.Delete(_configDir, recursive: true);
        }

        // Null marks the end of stderr (the process exited): nothing else will come for whoever still waits.
        private void OnLine(string? line)
        {
            lock (_gate)
            {
                if (line is not null)
                {
                    _lines.Add(line);
                }

                foreach ((string text, TaskCompletionSource<string> seen) in _waiting.ToArray())
                {
                    if (line is null)
                    {
                        seen.TrySetException(new InvalidOperationException($"serve exited before writing \"{text}\"\n{string.Join('\n', _lines)}"));
                    }
                    else if (line.Contains(text, StringComparison.Ordinal))
                    {
                        seen.TrySetResult(line);
                    }
                    else
                    {
                        continue;
                    }

                    _waiting.Remove((text, seen));
                }
            }
        }
    }
}

/// <summary>Restart tests run one at a time, after this assembly's parallel tests: each stops the shared daemon.</summary>
[CollectionDefinition(DaemonRestart.Collection, DisableParallelization = true)]
public sealed class DaemonRestartCollection;
