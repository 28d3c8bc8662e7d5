using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KvmConfig.Monitoring.Prometheus;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace KvmConfig.Monitoring.Exporter;

// The HTTP side: ASP.NET Core's Kestrel on the one --listen address, serving GET and HEAD of /metrics and /healthz.
public sealed partial class MetricsExporter
{
    /// <summary>
    /// How many connections are open at most. Each costs Kestrel about 10 KB once it has sent a byte, so ten thousand
    /// half-open ones would not fit the unit's 75 MiB heap; at this many, the oldest is closed for each new one (see
    /// <see cref="OldestFirstOut"/>), so a flood evicts itself and a scrape, always the newest, gets through.
    /// </summary>
    internal const int MostConnections = 1024;

    /// <summary>
    /// Kestrel's limits for an endpoint any local user can reach. A client gets 5 s to send its request head (a
    /// half-open connection is dropped after that) and 8 KiB for it (Prometheus sends about 300 bytes); nothing is
    /// accepted as a body. The number of connections is bounded by <see cref="OldestFirstOut"/> rather than by
    /// Kestrel's own cap, which refuses the newest: whoever held the slots would shut Prometheus out.
    /// </summary>
    private static void Limit(KestrelServerLimits limits)
    {
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(5);
        // Kestrel times a connection that has sent nothing yet by the keep-alive timeout, not the request-head one.
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(5);
        limits.MaxRequestHeadersTotalSize = 8 * 1024;
        limits.MaxRequestHeaderCount = 64;
        limits.MaxRequestLineSize = 4 * 1024;
        limits.MaxRequestBodySize = 0;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Builds and starts Kestrel on <paramref name="endpoint"/>, with TLS when <paramref name="web"/> names a
    /// certificate; KVC097 when the address cannot be bound, KVC093 when the certificate cannot be loaded.
    /// </summary>
    private static WebApplication Listen(IPEndPoint endpoint, WebConfig web, Func<HttpContext, Task> handle)
    {
        X509Certificate2? certificate = null;
        if (web.Tls)
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(web.CertFile!, web.KeyFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                throw MonitoringErrors.CertificateUnloadable(web.CertFile, web.KeyFile, e);
            }
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "kvmconfig" });
        builder.Logging.ClearProviders();

        // A deep accept queue: under a burst of connections a full queue drops the SYN of the next one, and the
        // client (Prometheus) retries only after a second. The kernel caps it at net.core.somaxconn.
        builder.WebHost.UseSockets(sockets => sockets.Backlog = 4096);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            Limit(kestrel.Limits);
            var bound = new OldestFirstOut(MostConnections);
            kestrel.Listen(endpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.Use(next => connection => bound.RunAsync(connection, next));
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        WebApplication app = builder.Build();
        app.Run(new RequestDelegate(handle));
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
            return app;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw MonitoringErrors.CannotListen(endpoint, e);
        }
    }

    /// <summary>The address Kestrel really listens on (the actual port when port 0 was asked for).</summary>
    private static IPEndPoint BoundEndpoint(WebApplication app, IPEndPoint asked)
    {
        string? address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        return address is not null && Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) ? new IPEndPoint(asked.Address, uri.Port) : asked;
    }

    // One request: /metrics and /healthz for GET and HEAD (same headers, no body), 405 for other methods, 404 else.
    // Every response closes its connection: a scrape every 15-60 s gains nothing from keep-alive, and an idle
    // kept-alive connection would be the oldest one, the first closed under a flood.
    private async Task HandleAsync(HttpContext context)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        response.Headers.Connection = "close";
        if (_options.Web.Authenticates && !await _users.AllowsAsync(request.Headers.Authorization, context.RequestAborted).ConfigureAwait(false))
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"kvmconfig\"";
            await Text(response, 401, "unauthorized: this exporter asks for a user and password (basic_auth_users)\n").ConfigureAwait(false);
            return;
        }

        if (request.Path != "/metrics" && request.Path != "/healthz")
        {
            await Text(response, 404, "not found: kvmconfig serves /metrics and /healthz\n").ConfigureAwait(false);
            return;
        }

        bool head = HttpMethods.IsHead(request.Method);
        if (!head && !HttpMethods.IsGet(request.Method))
        {
            response.Headers.Allow = "GET, HEAD";
            await Text(response, 405, $"method {request.Method} not allowed: use GET\n").ConfigureAwait(false);
            return;
        }

        ExporterStatus status = _status;
        (int code, string contentType, byte[] body) = request.Path == "/metrics"
            ? (200, PrometheusTextWriter.ContentType, status.Metrics)
            : status switch
            {
                { Degraded: { } reason } => (503, TextType, Utf8($"degraded: {reason}\n")),
                { HistoryProblem: { } problem } => (503, TextType, Utf8($"degraded: {problem}\n")),
                { Sweeps: 0 } => (503, TextType, Utf8("starting: no sweep yet\n")),
                _ => (200, TextType, Utf8("ok\n")),
            };
        response.StatusCode = code;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        if (!head)
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private const string TextType = "text/plain; charset=utf-8";

    private static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static Task Text(HttpResponse response, int code, string text)
    {
        byte[] body = Utf8(text);
        response.StatusCode = code;
        response.ContentType = TextType;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// Keeps at most <c>capacity</c> connections open by closing the oldest when one more arrives. A scrape takes
    /// milliseconds, so under a flood of connections that never finish their request the oldest is always one of the
    /// flood, and Prometheus, connecting last, is served.
    /// </summary>
    private sealed class OldestFirstOut(int capacity)
    {
        private readonly LinkedList<ConnectionContext> _open = new();
        private readonly Lock _gate = new();

        public async Task RunAsync(ConnectionContext connection, ConnectionDelegate next)
        {
            LinkedListNode<ConnectionContext> node;
            ConnectionContext? oldest = null;
            lock (_gate)
            {
                node = _open.AddLast(connection);
                if (_open.Count > capacity)
                {
                    oldest = _open.First!.Value;
                    _open.RemoveFirst();
                }
            }

            oldest?.Abort(new ConnectionAbortedException($"more than {capacity} connections open: the oldest is closed"));
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    if (node.List is not null)
                    {
                        _open.Remove(node);
                    }
                }
            }
        }
    }
}
