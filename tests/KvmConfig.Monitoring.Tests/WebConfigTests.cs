using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Monitoring.Exporter;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The exporter toolkit's web configuration file: TLS from PEM files and basic auth against bcrypt hashes, served by
/// a real exporter on a loopback port, and every way the file can be wrong refused with its line.
/// </summary>
public sealed class WebConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-web-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // A self-signed certificate for 127.0.0.1, as PEM files beside the configuration (referred to relatively).
    private void WriteCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kvmconfig test", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Write("exporter.crt", certificate.ExportCertificatePem());
        Write("exporter.key", key.ExportPkcs8PrivateKeyPem());
    }

    [Fact]
    public async Task Https_with_basic_auth_answers_the_right_user_only()
    {
        // Given TLS and one user "prometheus" with password "s3cret"
        WriteCertificate();
        string hash = BCrypt.Net.BCrypt.HashPassword("s3cret", workFactor: 4);
        WebConfig web = WebConfig.Load(Write("web.yml", $"tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\nbasic_auth_users:\n  prometheus: {hash}\n"));
        var options = new ExporterOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Web = web, Interval = TimeSpan.FromSeconds(1) };
        await using MetricsExporter exporter = MetricsExporter.Start(options, () => throw new InvalidOperationException("no host in this test"), TextWriter.Null);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var https = new HttpClient(handler);
        var metrics = new Uri($"https://{exporter.Endpoint}/metrics");

        async Task<HttpStatusCode> Scrape(string? user, string? password)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, metrics);
            if (user is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
            }

            using HttpResponseMessage response = await https.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                Assert.Equal("Basic realm=\"kvmconfig\"", response.Headers.WwwAuthenticate.ToString());
            }

            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Scrape(null, null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Scrape("prometheus", "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Scrape("nobody", "s3cret"));
        Assert.Equal(HttpStatusCode.OK, await Scrape("prometheus", "s3cret"));
        Assert.Equal(HttpStatusCode.OK, await Scrape("prometheus", "s3cret"));

        // And plain HTTP on the same port gets no metrics
        using var http = new HttpClient();
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://{exporter.Endpoint}/metrics")));
    }

    [Fact]
    public void An_empty_file_is_plain_http_without_auth()
    {
        WebConfig web = WebConfig.Load(Write("web.yml", "\n"));

        Assert.False(web.Tls);
        Assert.False(web.Authenticates);
    }

    [Theory]
    [InlineData("tls_server_config:\n  cert_file: a.crt\n  client_auth_type: RequireAndVerifyClientCert\n", ":3: tls_server_config.client_auth_type is not supported by kvmconfig", "a toolkit setting kvmconfig does not implement")]
    [InlineData("http_server_config:\n  http2: true\n", ":1: http_server_config is not supported", "an HTTP/2 setting")]
    [InlineData("basic_auth_users:\n  prometheus: s3cret\n", ":2: the password of user 'prometheus' is not a bcrypt hash", "a password in clear")]
    [InlineData("basic_auth_users:\n  prometheus: $2z$10$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n", ":2: the password of user 'prometheus' is not a bcrypt hash of cost 4 to 16", "an unknown bcrypt variant, which would fail every request")]
    [InlineData("basic_auth_users:\n  prometheus: $2y$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234\n", "is not a bcrypt hash of cost 4 to 16", "a cost that would hang every check")]
    [InlineData("tls_server_config:\n  cert_file: a.crt\n", "tls_server_config needs both cert_file and key_file", "a certificate without its key")]
    [InlineData("basic_auth_users: [prometheus]\n", ":1: basic_auth_users must be a mapping", "a list where a mapping belongs")]
    [InlineData("tls_server_config: {cert_file: a.crt\n", "it is not YAML", "broken YAML")]
    public void A_file_kvmconfig_cannot_honour_is_KVC093_with_its_line(string text, string message, string description)
    {
        string path = Write("web.yml", text);

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => WebConfig.Load(path));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.StartsWith($"web configuration {path}", e.Message, StringComparison.Ordinal);
        Assert.True(e.Message.Contains(message, StringComparison.Ordinal), $"{description}: {e.Message}");
        Assert.NotNull(e.Hint);
    }

    [Fact]
    public void A_certificate_that_cannot_be_loaded_stops_the_exporter_before_it_listens()
    {
        Write("exporter.crt", "not a certificate\n");
        Write("exporter.key", "not a key\n");
        WebConfig web = WebConfig.Load(Write("web.yml", "tls_server_config:\n  cert_file: exporter.crt\n  key_file: exporter.key\n"));
        var options = new ExporterOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Web = web };

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => MetricsExporter.Start(options, () => throw new InvalidOperationException(), TextWriter.Null));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Contains($"cannot load the TLS certificate {Path.Combine(_dir, "exporter.crt")}", e.Message, StringComparison.Ordinal);
    }
}
