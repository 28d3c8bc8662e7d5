using System.Text.Json;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>plan --sysroot DIR --incumbent FILE</c> and <c>plan --repack</c> end to end: an earlier plan's places are kept,
/// a repack lists what it would move, and an incumbent file that does not fit this host leaves every VM to be placed
/// as new with a note, never a crash; a file that is not JSON stops with exit 2.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PlanIncumbentTests : IDisposable
{
    private readonly ConfigDir _dir = new(Enumerable.Range(1, 12)
        .Select(i => ($"20-vm{i:00}.conf", $"[vm vm{i:00}]\nvcpus = {2 + (i % 4 * 2)}\nmemory = {2 * (1 + (i % 3))}G\n"))
        .ToArray());

    private static string Xeon => PlanCases.Sysroot(PlanCases.Xeon);

    private string PlanJsonFile(string name, string sysroot)
    {
        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", sysroot, "--format", "json");
        Assert.True(r.Exit == 0, r.Out + r.Err);
        string file = Path.Combine(_dir.Dir, name);
        File.WriteAllText(file, r.Out);
        return file;
    }

    private static Dictionary<string, string> Cpus(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("vms").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("cpus").GetString()!);

    [Fact]
    public void An_earlier_plan_keeps_every_vm_in_place_when_one_vm_file_is_added()
    {
        // Given the twelve VMs' plan saved, and a thirteenth file
        string before = PlanJsonFile("before.json", Xeon);
        _dir.Write("30-vm13.conf", "[vm vm13]\nvcpus = 6\nmemory = 4G\n");

        // When plan runs against that file
        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", before, "--format", "json");

        // Then the twelve keep their CPUs, nothing moves, and the JSON says which were kept
        Assert.True(r.Exit == 0, r.Out + r.Err);
        Dictionary<string, string> was = Cpus(File.ReadAllText(before)), now = Cpus(r.Out);
        Assert.All(was, vm => Assert.Equal(vm.Value, now[vm.Key]));
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.Empty(root.GetProperty("moves").EnumerateArray());
        Assert.Equal(12, root.GetProperty("kept").GetArrayLength());

        // And in text the plan says so
        CliResult text = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", before);
        Assert.Contains("kept where they run: 12 VMs (vm01, vm02,", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Repack_plans_from_scratch_and_lists_what_would_move()
    {
        string before = PlanJsonFile("before.json", Xeon);
        _dir.Write("30-vm13.conf", "[vm vm13]\nvcpus = 6\nmemory = 4G\n");

        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", before, "--repack", "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Dictionary<string, string> was = Cpus(File.ReadAllText(before)), now = Cpus(r.Out);
        string[] moved = [.. root.GetProperty("moves").EnumerateArray().Select(m => m.GetProperty("vm").GetString()!)];
        Assert.Equal(was.Where(v => v.Value != now[v.Key]).Select(v => v.Key).Order(StringComparer.Ordinal), moved.Order(StringComparer.Ordinal));
        Assert.Empty(root.GetProperty("kept").EnumerateArray());
    }

    [Fact]
    public void An_incumbent_file_from_another_host_places_every_vm_as_new_with_a_note()
    {
        // Given the plan of one of the VMs on the 20-CPU desktop
        using var small = new ConfigDir(("20-vm01.conf", "[vm vm01]\nvcpus = 2\nmemory = 2G\n"));
        CliResult desktop = CliRunner.Run("plan", "--config-dir", small.Dir, "--sysroot", PlanCases.Sysroot("desktop-1s-20cpu"), "--format", "json");
        Assert.True(desktop.Exit == 0, desktop.Out + desktop.Err);
        string other = _dir.Write("other-host.json", desktop.Out);

        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", other, "--format", "json");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("note: ", r.Err, StringComparison.Ordinal);
        Assert.Contains("was made for a host whose online CPUs are 0-19, not this host's 0-79: every VM is placed as new", r.Err, StringComparison.Ordinal);
        Assert.Empty(JsonDocument.Parse(r.Out).RootElement.GetProperty("kept").EnumerateArray());
    }

    [Fact]
    public void An_incumbent_file_in_an_older_format_places_every_vm_as_new_with_a_note()
    {
        string old = Path.Combine(_dir.Dir, "old.json");
        File.WriteAllText(old, """{"vms": [{"name": "vm01", "cpus": "2-5"}]}""");

        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", old);

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("is not a plan this version writes (no version, host.online or vms): every VM is placed as new", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void An_incumbent_file_that_is_not_json_stops_before_planning()
    {
        string garbage = Path.Combine(_dir.Dir, "garbage.json");
        File.WriteAllText(garbage, "vm01: 2-5\n");

        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", garbage);

        r.CouldNotRun("KVC093");
        Assert.Contains("is not JSON", r.Err, StringComparison.Ordinal);
        Assert.Contains("plan --format json", r.Err, StringComparison.Ordinal);
    }

    /// <summary>A row: an incumbent file that cannot be used at all, and what the message must say.</summary>
    public sealed record UnusableFile(string Description, Func<string, string> Make, string Says)
    {
        public override string ToString() => Description;
    }

    public static TheoryData<UnusableFile> UnusableFiles => new()
    {
        new("a path where no file is", dir => Path.Combine(dir, "missing.json"), "cannot read the incumbent file"),
        new("a directory", dir => Directory.CreateDirectory(Path.Combine(dir, "plans")).FullName, "cannot read the incumbent file"),
        new("a file larger than any plan (sparse, 65 MiB)", dir =>
        {
            string big = Path.Combine(dir, "big.json");
            using FileStream stream = File.Create(big);
            stream.SetLength(65L * 1024 * 1024);
            return big;
        }, "more than a plan file holds"),
    };

    [Theory]
    [MemberData(nameof(UnusableFiles))]
    public void An_incumbent_file_that_cannot_be_read_stops_before_planning(UnusableFile row)
    {
        string path = row.Make(_dir.Dir);

        CliResult r = CliRunner.Run("plan", "--config-dir", _dir.Dir, "--sysroot", Xeon, "--incumbent", path);

        r.CouldNotRun("KVC093");
        Assert.Contains(row.Says, r.Err, StringComparison.Ordinal);
        Assert.Contains(path, r.Err, StringComparison.Ordinal);
        Assert.Empty(r.Out);
    }

    public void Dispose() => _dir.Dispose();
}
