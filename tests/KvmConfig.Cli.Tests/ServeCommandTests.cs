using System.Net;
using System.Net.Sockets;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary><c>kvmconfig serve</c>'s bad input: each one stops before serving, with a clear message and exit 2.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmconfig-serve-").FullName;

    [Theory]
    [InlineData("0")]
    [InlineData("500ms")]
    [InlineData("never")]
    public void An_interval_under_one_second_is_a_usage_error(string interval)
    {
        CliResult r = Run("serve", "--interval", interval, "--no-history", "--listen", Listen);

        Assert.Equal(2, r.Exit);
        Assert.Contains("--interval", r.Err + r.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retention", "99999999999d", "--retention 99999999999d: give a duration from 1m to 3650d")]
    [InlineData("--retention", "20000d", "--retention 20000d: at most 3650d")]
    [InlineData("--retention", "30s", "--retention 30s: at least 1m")]
    [InlineData("--interval", "10000000d", "--interval 10000000d: give a duration from 1s to 1h")]
    [InlineData("--interval", "2h", "--interval 2h: at most 1h")]
    public void A_duration_out_of_bounds_is_a_usage_error_that_names_the_bounds(string option, string value, string message)
    {
        CliResult r = Run("serve", option, value, "--no-history", "--listen", Listen);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err + r.Out, StringComparison.Ordinal);
        r.NoStackTrace();
    }

    [Fact]
    public void An_address_already_in_use_is_KVC097()
    {
        LibvirtDaemon.Ensure();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;

        CliResult r = Run("serve", "--listen", $"127.0.0.1:{port}", "--no-history", "--interval", "1s");

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC097]: ", r.Err, StringComparison.Ordinal);
        Assert.Contains($"address 127.0.0.1:{port} is already in use", r.Err, StringComparison.Ordinal);
        r.NoStackTrace();
    }

    [Fact]
    public void A_damaged_history_file_is_refused_and_left_as_it_was()
    {
        string history = Path.Combine(_dir, "history.db");
        byte[] garbage = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))];
        File.WriteAllBytes(history, garbage);

        CliResult r = Run("serve", "--listen", Listen, "--history", history, "--interval", "1s");

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC093]: ", r.Err, StringComparison.Ordinal);
        Assert.Contains(history, r.Err, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(history));
    }

    [Fact]
    public void A_history_file_under_a_regular_file_is_refused()
    {
        string file = Path.Combine(_dir, "not-a-directory");
        File.WriteAllText(file, "");

        CliResult r = Run("serve", "--listen", Listen, "--history", Path.Combine(file, "history.db"), "--interval", "1s");

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC093]: ", r.Err, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A port free a moment ago: these runs stop before they bind, so nothing races for it.
    private static string Listen
    {
        get
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return $"127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
        }
    }
}
