using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig serve</c> as the shipped unit runs it (its 75 MiB GC heap limit) against clients that open a connection,
/// send half a request and wait: ten thousand of them once exhausted the heap and killed the exporter (exit 134).
/// Runs alone (Category Serial): ten thousand sockets and a busy exporter would disturb the timing of other tests.
/// </summary>
[Trait("Category", "Serial")]
public sealed partial class ServeHostileClientsTests
{
    /// <summary>DOTNET_GCHeapHardLimit of deploy/systemd/kvmconfig-exporter.service: 75 MiB.</summary>
    private const string UnitHeapLimit = "0x4B00000";

    [Fact]
    public async Task Ten_thousand_half_open_connections_neither_kill_the_exporter_nor_keep_prometheus_waiting()
    {
        LibvirtDaemon.Ensure();
        int connections = Math.Min(10_000, OpenFileLimit() - 1_000);
        Assert.True(connections >= 5_000, $"only {OpenFileLimit()} open files allowed here; raise ulimit -n");
        using var serve = new ServeUnderHeapLimit();
        IPEndPoint endpoint = await serve.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var metrics = new Uri($"http://{endpoint}/metrics");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(metrics)).StatusCode);

        // While the hostile clients connect, each sending a request head that never ends, a normal client scrapes.
        var sockets = new List<Socket>(connections);
        var latencies = new List<TimeSpan>();
        using var done = new CancellationTokenSource();
        Task scraping = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var clock = Stopwatch.StartNew();
                using HttpResponseMessage response = await http.GetAsync(metrics);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                await response.Content.ReadAsByteArrayAsync();
                lock (latencies)
                {
                    latencies.Add(clock.Elapsed);
                }

                await Task.Delay(100);
            }
        });

        byte[] half = Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: attacker\r\n");
        try
        {
            for (int i = 0; i < connections; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                await socket.ConnectAsync(endpoint);
                await socket.SendAsync(half);
            }

            // Hold them a moment longer than the exporter's head timeout (5 s), scraping on.
            await Task.Delay(TimeSpan.FromSeconds(6));
        }
        finally
        {
            await done.CancelAsync();
            await scraping;
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        // Then the exporter is alive and Prometheus was never kept waiting a second
        Assert.False(serve.HasExited, serve.HasExited ? $"serve exited with {serve.ExitCode}:\n{serve.Stderr}" : "");
        Assert.True(latencies.Count >= 10, $"only {latencies.Count} scrapes ran");
        TimeSpan worst = latencies.Max();
        Assert.True(worst < TimeSpan.FromSeconds(1), $"a scrape took {worst.TotalMilliseconds:0} ms while {connections} connections were half open");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(metrics)).StatusCode);
    }

    [Fact]
    public async Task Listening_beyond_this_host_without_tls_or_auth_says_so()
    {
        LibvirtDaemon.Ensure();
        using var serve = new ServeUnderHeapLimit("0.0.0.0");
        Task<string> warning = serve.LineAsync("warning: listening on 0.0.0.0:");
        await serve.StartAsync(TimeSpan.FromSeconds(60));

        string line = await warning.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("without TLS or basic auth: anyone who reaches the port reads every VM's figures; pass --web-config FILE", line, StringComparison.Ordinal);
    }

    private static int OpenFileLimit()
    {
        // "Max open files            20000                20000                files"
        string line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string soft = line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return soft == "unlimited" ? 1_000_000 : int.Parse(soft, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary><c>kvmconfig serve</c> on a free loopback port with the unit's heap limit; killed on dispose.</summary>
    private sealed class ServeUnderHeapLimit : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();
        private readonly TaskCompletionSource<IPEndPoint> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _configDir = Directory.CreateTempSubdirectory("kvmconfig-hostile-").FullName;

        private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiting = [];

        public ServeUnderHeapLimit(string address = "127.0.0.1")
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            start.Environment["NO_COLOR"] = "1";
            start.Environment["DOTNET_GCHeapHardLimit"] = UnitHeapLimit;
            foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll"), "serve",
                         "--listen", $"{address}:{FreePort()}", "--interval", "1s", "--no-history", "--config-dir", _configDir])
            {
                start.ArgumentList.Add(arg);
            }

            _process = new Process { StartInfo = start };
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not { } line)
                {
                    return;
                }

                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                    foreach ((string text, TaskCompletionSource<string> seen) in _waiting.Where(w => line.Contains(w.Text, StringComparison.Ordinal)))
                    {
                        seen.TrySetResult(line);
                    }
                }

                if (ListeningLine().Match(line) is { Success: true } m)
                {
                    _listening.TrySetResult(IPEndPoint.Parse(m.Groups[1].Value));
                }
            };
            _process.OutputDataReceived += (_, _) => { };
        }

        public bool HasExited => _process.HasExited;

        /// <summary>The first stderr line holding <paramref name="text"/> from now on (ask before starting).</summary>
        public Task<string> LineAsync(string text)
        {
            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_stderr)
            {
                _waiting.Add((text, seen));
            }

            return seen.Task;
        }

        // A port nobody listens on now: the kernel's pick for port 0, released for serve to take.
        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public int ExitCode => _process.ExitCode;

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public async Task<IPEndPoint> StartAsync(TimeSpan timeout)
        {
            _process.Start();
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
            return await _listening.Task.WaitAsync(timeout);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
            Directory.Delete(_configDir, recursive: true);
        }
    }

    [GeneratedRegex(@"kvmconfig serve: http://([0-9.]+:[0-9]+)/metrics")]
    private static partial Regex ListeningLine();
}
