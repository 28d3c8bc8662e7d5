using System.Net;
using System.Net.Sockets;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt.Monitoring;
using KvmConfig.Monitoring.Exporter;
using KvmConfig.Monitoring.History;
using KvmConfig.Monitoring.Prometheus;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// <see cref="MetricsExporter"/> with its real HTTP listener on a free loopback port, sampling the real daemon every
/// 200 ms. Synchronisation is on the exporter's sweep count (<see cref="MetricsExporter.WaitForSweepsAsync"/>), never
/// on sleeps.
/// </summary>
public sealed class ExporterTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-exporter-").FullName;
    private readonly StringWriter _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private HistoryStore? _history;
    private MetricsExporter _exporter = null!;

    private Uri Base => new($"http://{_exporter.Endpoint}/");

    public Task InitializeAsync()
    {
        LibvirtDaemon.Ensure();
        _history = HistoryStore.Open(Path.Combine(_dir, "history.db"));
        _exporter = MetricsExporter.Start(Options(_history), () => HostSweeper.Connect(LibvirtDaemon.Uri, SweepSource.Auto, LibvirtMonitoredHost.Open), TextWriter.Synchronized(_log));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _exporter.DisposeAsync();
        _history?.Dispose();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Metrics_is_the_strict_text_exposition_of_the_last_sweep_with_its_content_type()
    {
        await _exporter.WaitForSweepsAsync(1, Timeout);

        using HttpResponseMessage response = await _http.GetAsync(new Uri(Base, "metrics"));
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PrometheusTextWriter.ContentType, response.Content.Headers.ContentType!.ToString());
        ParsedFamily domains = PrometheusTextParser.Family(body, "kvmconfig_scrape_domains");
        Assert.Equal("gauge", domains.Type);
        Assert.True(Assert.Single(domains.Samples).Value >= 0);
    }

    [Fact]
    public async Task A_hundred_concurrent_scrapes_all_succeed_and_parse()
    {
        await _exporter.WaitForSweepsAsync(1, Timeout);

        string[] bodies = await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using HttpResponseMessage response = await _http.GetAsync(new Uri(Base, "metrics"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }));

        Assert.All(bodies, body => Assert.Single(PrometheusTextParser.Parse(body), f => f.Name == "kvmconfig_scrape_domains"));
    }

    public static TheoryData<string, string, string, HttpStatusCode> Routes => new()
    {
        { "an unknown path", "GET", "nope", HttpStatusCode.NotFound },
        { "the root", "GET", "", HttpStatusCode.NotFound },
        { "a path under /metrics", "GET", "metrics/x", HttpStatusCode.NotFound },
        { "POST to /metrics", "POST", "metrics", HttpStatusCode.MethodNotAllowed },
        { "DELETE to /healthz", "DELETE", "healthz", HttpStatusCode.MethodNotAllowed },
        { "a query string on /metrics", "GET", "metrics?x=1", HttpStatusCode.OK },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Routes_answer_with_their_status(string description, string method, string path, HttpStatusCode expected)
    {
        _ = description;
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Base, path));
        if (method == "POST")
        {
            request.Content = new StringContent(new string('x', 20_000));
        }

        using HttpResponseMessage response = await _http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.MethodNotAllowed)
        {
            Assert.Equal("GET,HEAD", string.Join(",", response.Content.Headers.Allow));
        }
    }

    [Theory]
    [InlineData("metrics")]
    [InlineData("healthz")]
    public async Task Head_gives_the_headers_of_get_without_the_body(string path)
    {
        await _exporter.WaitForSweepsAsync(1, Timeout);

        using HttpResponseMessage get = await _http.GetAsync(new Uri(Base, path));
        using var request = new HttpRequestMessage(HttpMethod.Head, new Uri(Base, path));
        using HttpResponseMessage head = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentType, head.Content.Headers.ContentType);
        Assert.True(head.Content.Headers.ContentLength > 0);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.True(head.Headers.ConnectionClose);
    }

    [Fact]
    public async Task A_request_head_over_8_KiB_is_refused_and_the_exporter_goes_on()
    {
        await _exporter.WaitForSweepsAsync(1, Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Base, "metrics"));
        request.Headers.Add("X-Padding", new string('x', 16 * 1024));

        using HttpResponseMessage refused = await _http.SendAsync(request);
        using HttpResponseMessage after = await _http.GetAsync(new Uri(Base, "metrics"));

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Healthz_is_ok_after_the_first_sweep()
    {
        await _exporter.WaitForSweepsAsync(1, Timeout);

        using HttpResponseMessage response = await _http.GetAsync(new Uri(Base, "healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void An_address_already_in_use_is_refused_with_the_address_and_a_hint()
    {
        // Given the exporter of this test listening; when a second one asks for the same address
        KvmConfigException e = Assert.Throws<KvmConfigException>(() =>
            MetricsExporter.Start(Options(null) with { Listen = _exporter.Endpoint }, () => throw new InvalidOperationException("never connected"), TextWriter.Null));

        // then it is refused before it samples anything
        Assert.Equal(Rules.ListenUnavailable, e.Descriptor);
        Assert.Equal($"address 127.0.0.1:{_exporter.Endpoint.Port} is already in use", e.Message);
        Assert.Contains("--listen", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_held_by_another_socket_is_refused_too()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var taken = (IPEndPoint)other.LocalEndpoint;

        KvmConfigException e = Assert.Throws<KvmConfigException>(() =>
            MetricsExporter.Start(Options(null) with { Listen = taken }, () => throw new InvalidOperationException("never connected"), TextWriter.Null));

        Assert.Equal($"address {taken} is already in use", e.Message);
    }

    [Fact]
    public async Task The_history_receives_a_row_per_interval_from_the_second_sweep_on()
    {
        // Given three sweeps: two intervals, each appended once its second sweep is in
        await _exporter.WaitForSweepsAsync(3, Timeout);

        HistoryRows rows = _history!.Read(DateTimeOffset.UnixEpoch);

        Assert.True(rows.Host.Count >= 2, $"{rows.Host.Count} host rows after {_exporter.Status.Sweeps} sweeps");
        // (a domain other tests start between two sweeps has no interval yet: only figures become rows)
        int measured = _exporter.Status.Figures!.Domains.Count;
        Assert.True(measured == 0 || rows.Domains.Count >= 1, $"{rows.Domains.Count} domain rows with {measured} domains measured in the last interval");

        // with each domain's memory in bytes and the host's block devices (schema 3), as this machine has them
        Assert.All(rows.Domains, r => Assert.True(r.RssKiB > 0, $"{r.Domain} at {r.At:O}: resident memory {r.RssKiB}"));
        // (which of this machine's devices did I/O in an interval is not for the test to choose: only busy ones are kept)
        Assert.All(rows.Host.SelectMany(h => h.Host.Disks), d => Assert.True(d.LatencyMs is not null || d.QueueDepth > 0 || d.InFlight > 0, $"idle {d.Device} kept"));
    }

    [Fact]
    public void The_host_gauges_keep_the_block_devices_busy_in_the_interval_and_leave_idle_ones_out()
    {
        // Given diskstats one second apart: sda completed 10 reads of 4 ms each, loop0 nothing, sdb nothing but one
        // request stuck in flight
        HostSample Sample(long atNs, string diskstats) =>
            new(atNs, null, null, new Dictionary<PressureResource, PressureStall>()) { Disks = DiskStats.ParseAll(diskstats) };
        HostSample before = Sample(0, "8 0 sda 100 0 800 400 0 0 0 0 0 100 400\n7 0 loop0 0 0 0 0 0 0 0 0 0 0 0\n8 16 sdb 5 0 40 10 0 0 0 0 0 10 10\n");
        HostSample after = Sample(1_000_000_000, "8 0 sda 110 0 880 440 0 0 0 0 0 140 440\n7 0 loop0 0 0 0 0 0 0 0 0 0 0 0\n8 16 sdb 5 0 40 10 0 0 0 0 1 1010 1010\n");

        HostGauges gauges = MetricsExporter.Gauges(before, after)!;

        Assert.Equal(["sda", "sdb"], gauges.Disks.Select(d => d.Device));
        Assert.Equal(4, gauges.Disks[0].LatencyMs);
        Assert.Equal(1UL, gauges.Disks[1].InFlight);
    }

    private static ExporterOptions Options(HistoryStore? history) => new()
    {
        Listen = new IPEndPoint(IPAddress.Loopback, 0),
        Interval = TimeSpan.FromMilliseconds(200),
        History = history,
    };
}
