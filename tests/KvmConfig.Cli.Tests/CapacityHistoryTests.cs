using System.Globalization;
using System.Text.Json.Nodes;
using KvmConfig.TestSupport;
using Microsoft.Data.Sqlite;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>capacity --from-history</c> on real history files of generated load: four VMs whose CPU use grows, with a
/// daily cycle, until together they fill the 7 CPUs a node of 8 gives VMs on a known day; the same VMs flat; and the bad input of
/// issue 16 on this path (a history too short, one of a newer schema, options that do not go together).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class CapacityHistoryTests : IDisposable
{
    // Nodes of 8 CPUs with CPU 0 reserved: 7 CPUs, 700 % of one CPU, for VMs.
    private readonly ConfigDir _dir = new(("00-cpu.conf", "[host]\nreserved = 0\nmax_vm_share = 1/1\n"));

    private readonly string _tmp = Directory.CreateTempSubdirectory("kvmconfig-capacity-history-").FullName;

    public void Dispose()
    {
        _dir.Dispose();
        Directory.Delete(_tmp, recursive: true);
    }

    // Each of the four VMs: 50 % of a CPU growing by 10 points a day, 3 points of daily cycle peaking at midnight.
    private static double Growing(double days) => 50 + (10 * days) + (3 * Math.Cos(2 * Math.PI * days));

    // Measured: the truth plus noise of 4 points, the same for a VM and a minute on every run.
    private static double Measured(string vm, double days)
    {
        var random = new Random((vm[^1] * 1_000_003) + (int)Math.Round(days * 1440));
        return Growing(days) + (4 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }

    private CliResult Run(params string[] args) => CliRunner.Run(["capacity", "--from-history", .. args, "--shape", "1x1x8x1,64G", "--config-dir", _dir.Dir]);

    private string Write(string name, Func<string, double, double> cpu, double days = ForecastCases.HistoryDays, TimeSpan? interval = null)
    {
        string path = Path.Combine(_tmp, name);
        ForecastHistory.Write(path, ForecastCases.Flat.Take(4), days, interval ?? TimeSpan.FromMinutes(5), cpu);
        return path;
    }

    [Fact]
    public void Growth_that_fills_the_node_on_a_known_day_needs_another_node_then_inside_the_interval()
    {
        string history = Write("growing.db", Measured);

        CliResult text = Run("--history", history);
        CliResult json = Run("--history", history, "--format", "json");

        // The VMs together reach 7 CPUs (700 %) first at about day 12.5: find it on the truth
        DateTimeOffset truth = Enumerable.Range(0, 14 * 1440).Select(m => ForecastCases.HistoryDays + (m / 1440.0))
            .Where(t => 4 * Growing(t) >= 700).Select(t => ForecastCases.T0 + TimeSpan.FromDays(t)).First();
        Assert.True(json.Exit == 0, json.Err);
        JsonNode root = JsonNode.Parse(json.Out)!;
        Assert.Equal(7, (int)root["cpusForVms"]!);
        Assert.Equal("holt-winters", (string)root["vmCpus"]!["method"]!);
        Assert.Equal(0.4, (double)root["vmCpus"]!["trendPerDay"]!, 1);
        JsonNode node = root["anotherNode"]!;
        Assert.Equal("expected", (string)node["status"]!);
        Assert.InRange(truth, Time((string)node["earliest"]!), Time((string)node["latest"]!));
        Assert.InRange((Time((string)node["at"]!) - truth).Duration(), TimeSpan.Zero, TimeSpan.FromDays(1));

        Assert.True(text.Exit == 0, text.Err);
        Assert.Contains("a node like shape 1x1x8x1,64G gives VMs 7 CPUs", text.Out, StringComparison.Ordinal);
        Assert.Contains($"another node is needed by {(string)node["at"]!} (CPU binds", text.Out, StringComparison.Ordinal);
        Assert.Contains("memory is not forecast: the history keeps no memory in bytes", text.Out, StringComparison.Ordinal);
        Assert.Null(root["vmMemoryMiB"]);
        Assert.Equal("cpu", (string)root["binds"]!);
    }

    [Fact]
    public void Two_nodes_histories_are_added_up_against_both_nodes_cpus()
    {
        // Given two nodes' histories: one with the growing VMs, one whose four VMs hold 150 % of a CPU together
        string growing = Write("node1.db", Measured);
        string flat = Write("node2.db", (_, t) => 37.5 + (0.5 * Math.Cos(2 * Math.PI * t)));

        // When the cluster of the two is asked about, 30 days ahead
        CliResult json = Run("--history", growing, "--history", flat, "--horizon", "30d", "--format", "json");
        CliResult text = Run("--history", growing, "--history", flat, "--horizon", "30d");
        CliResult alone = Run("--history", growing, "--horizon", "30d", "--format", "json");

        // Then the VMs of both (4 x growing + 150 %) are forecast against 14 CPUs: they reach them first at about
        // day 26, inside the interval and later than the growing node alone fills its own 7
        DateTimeOffset truth = Enumerable.Range(0, 30 * 1440).Select(m => ForecastCases.HistoryDays + (m / 1440.0))
            .Where(t => (4 * Growing(t)) + 150 >= 1400).Select(t => ForecastCases.T0 + TimeSpan.FromDays(t)).First();
        Assert.True(json.Exit == 0, json.Err);
        JsonNode root = JsonNode.Parse(json.Out)!;
        Assert.Equal((2, 14), (root["nodes"]!.AsArray().Count, (int)root["cpusForVms"]!));
        Assert.Equal([growing, flat], root["histories"]!.AsArray().Select(h => (string)h!));
        Assert.InRange((double)root["vmCpus"]!["current"]!, 6.0, 7.0);
        JsonNode node = root["anotherNode"]!;
        Assert.Equal("expected", (string)node["status"]!);
        Assert.InRange(truth, Time((string)node["earliest"]!), Time((string)node["latest"]!));
        Assert.True(alone.Exit == 0, alone.Err);
        Assert.True(Time((string)JsonNode.Parse(alone.Out)!["anotherNode"]!["at"]!) < Time((string)node["at"]!));
        Assert.True(text.Exit == 0, text.Err);
        Assert.Contains("capacity from 2 nodes' histories", text.Out, StringComparison.Ordinal);
        Assert.Contains("the 2 nodes give VMs 14 CPUs", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Flat_use_needs_no_other_node()
    {
        string history = Write("flat.db", (_, t) => 150 + (3 * Math.Cos(2 * Math.PI * t)));

        CliResult r = Run("--history", history, "--format", "json");

        Assert.True(r.Exit == 0, r.Err);
        JsonNode root = JsonNode.Parse(r.Out)!;
        Assert.Equal("not-within-horizon", (string)root["anotherNode"]!["status"]!);
        Assert.Null(root["anotherNode"]!["at"]);
        Assert.Equal(6, (double)root["vmCpus"]!["current"]!, 0);
    }

    [Fact]
    public void A_history_too_short_is_KVC084_saying_how_much_is_needed()
    {
        string history = Write("short.db", (_, _) => 50, days: 5.0 / 1440, interval: TimeSpan.FromSeconds(10));

        CliResult r = Run("--history", history);

        r.CouldNotRun("KVC084");
        Assert.Contains("are too few to forecast: a trend needs at least 24 sweeps over 10m, a daily season at least 2d", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void A_history_of_a_newer_schema_is_refused_and_left_as_it_was()
    {
        string history = Write("newer.db", (_, t) => Growing(t), days: 1);
        using (var connection = new SqliteConnection($"Data Source={history};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 7";
            command.ExecuteNonQuery();
        }

        byte[] before = File.ReadAllBytes(history);

        CliResult r = Run("--history", history);

        r.CouldNotRun("KVC093");
        Assert.Contains("is a kvmconfig history of schema 7, written by a newer kvmconfig", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(history));
    }

    [Theory]
    [InlineData(new[] { "--mix", "web=1" }, "--from-history answers from the measured load: leave out --mix, --nodes and --ha")]
    [InlineData(new[] { "--horizon", "0" }, "--horizon 0: at least 1h")]
    public void Options_that_do_not_go_with_from_history_are_usage_errors(string[] options, string message)
    {
        CliResult r = Run(["--history", Path.Combine(_tmp, "none.db"), .. options]);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void History_without_from_history_is_a_usage_error()
    {
        CliResult r = CliRunner.Run("capacity", "--mix", "web=1", "--history", "h.db", "--config-dir", _dir.Dir);

        Assert.Equal(2, r.Exit);
        Assert.Contains("--history and --horizon are for --from-history: add --from-history", r.Err, StringComparison.Ordinal);
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
