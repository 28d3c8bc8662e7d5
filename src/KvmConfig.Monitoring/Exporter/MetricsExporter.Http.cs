using System.Net.Sockets;
using System.Text;
using KvmConfig.Monitoring.Prometheus;

namespace KvmConfig.Monitoring.Exporter;

public sealed partial class MetricsExporter
{
    // A request head (request line and headers) longer than this is refused with 431; Prometheus sends about 300 bytes.
    private const int MaxHeadBytes = 8192;

    // A client gets this long to send its request and read the answer; a stalled one is dropped.
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);

    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();

    private async Task AcceptAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A connection reset before it was accepted, or a transient EMFILE: the next accept goes on.
                continue;
            }

            _ = ServeAsync(client, stop);
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(ClientTimeout);
                await using var stream = new NetworkStream(client, ownsSocket: false);
                Response response = await ReadRequestAsync(stream, timeout.Token).ConfigureAwait(false) is { } request
                    ? Route(request)
                    : Response.Text(400, "Bad Request", "bad request\n");
                await stream.WriteAsync(response.Encode(), timeout.Token).ConfigureAwait(false);

                // Lingering close: half-close, then read what the client still sends (a request body, its own close)
                // until it closes. Closing with unread bytes would make the kernel answer with a reset, which a client
                // may see before the response.
                client.Shutdown(SocketShutdown.Send);
                byte[] drain = new byte[4096];
                while (await stream.ReadAsync(drain, timeout.Token).ConfigureAwait(false) > 0)
                {
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or stalled; nothing to answer.
            }
        }
    }

    private Response Route(Request request)
    {
        bool known = request.Path is "/metrics" or "/healthz";
        if (!known)
        {
            return Response.Text(404, "Not Found", "not found: kvmconfig serves /metrics and /healthz\n");
        }

        if (request.Method != "GET")
        {
            return Response.Text(405, "Method Not Allowed", $"method {request.Method} not allowed: use GET\n") with { Allow = "GET" };
        }

        ExporterStatus status = _status;
        if (request.Path == "/metrics")
        {
            return new Response(200, "OK", PrometheusTextWriter.ContentType, status.Metrics);
        }

        return status switch
        {
            { Degraded: { } reason } => Response.Text(503, "Service Unavailable", $"degraded: {reason}\n"),
            { Sweeps: 0 } => Response.Text(503, "Service Unavailable", "starting: no sweep yet\n"),
            _ => Response.Text(200, "OK", "ok\n"),
        };
    }

    // Reads the request head: "METHOD SP TARGET SP HTTP/1.x CRLF", headers, an empty line. Null when it is not HTTP/1.x.
    private static async Task<Request?> ReadRequestAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[MaxHeadBytes];
        int length = 0;
        int end;
        while ((end = buffer.AsSpan(0, length).IndexOf(HeadEnd)) < 0)
        {
            if (length == buffer.Length)
            {
                return null;
            }

            int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            length += read;
        }

        string head = Encoding.ASCII.GetString(buffer, 0, end);
        string requestLine = head.Split("\r\n", 2)[0];
        string[] parts = requestLine.Split(' ');
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal) || parts[0].Length == 0 || !parts[1].StartsWith('/'))
        {
            return null;
        }

        int query = parts[1].IndexOf('?', StringComparison.Ordinal);
        return new Request(parts[0], query < 0 ? parts[1] : parts[1][..query]);
    }

    private sealed record Request(string Method, string Path);

    private sealed record Response(int Status, string Reason, string ContentType, byte[] Body)
    {
        public string? Allow { get; init; }

        public static Response Text(int status, string reason, string text) =>
            new(status, reason, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));

        public byte[] Encode()
        {
            var head = new StringBuilder()
                .Append($"HTTP/1.1 {Status} {Reason}\r\n")
                .Append($"Content-Type: {ContentType}\r\n")
                .Append($"Content-Length: {Body.Length}\r\n")
                .Append("Connection: close\r\n");
            if (Allow is not null)
            {
                head.Append($"Allow: {Allow}\r\n");
            }

            head.Append("\r\n");
            byte[] headBytes = Encoding.ASCII.GetBytes(head.ToString());
            return [.. headBytes, .. Body];
        }
    }
}
