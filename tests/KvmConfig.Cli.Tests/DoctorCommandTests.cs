using System.Globalization;
using System.Text.Json.Nodes;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig doctor</c> on the host trees of tests/data/hosts (each a situation, written by make-hosts.py) and on
/// this machine: every check's status, the exit code, and that a check whose files are missing is UNKNOWN, never PASS.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class DoctorCommandTests : IDisposable
{
    // CPUs 0 and 4 for the host; db dedicated on 2 MiB huge pages (the planner gives it CPUs 1 and 5), web shared.
    private readonly ConfigDir _dir = new(
        ("00-cpu.conf", "reserved = 0,4\ncpufreq = performance\ncpufreq_max = base\nmemory_reserved = 2G\n"),
        ("10-vms.conf", "[vm db]\nvcpus = 2\ncpus = auto\nmemory = 2G\nhugepages = 2M\n\n[vm web]\nvcpus = 2\ncpuspinlock = none\nmemory = 2G\n"));

    public void Dispose() => _dir.Dispose();

    private (CliResult Result, Dictionary<string, string> Status, JsonNode Root) Doctor(string host)
    {
        CliResult r = CliRunner.Run(["doctor", "--config-dir", _dir.Dir, "--sysroot", TestData.Path("hosts", host), "--format", "json"]);
        JsonNode root = JsonNode.Parse(r.Out) ?? throw new InvalidOperationException(r.Err);
        return (r, root["checks"]!.AsArray().ToDictionary(c => (string)c!["id"]!, c => (string)c!["status"]!), root);
    }

    [Fact]
    public void A_ready_host_passes_every_check_but_the_libvirt_it_was_not_given()
    {
        (CliResult r, Dictionary<string, string> status, JsonNode root) = Doctor("ready-intel-apparmor");

        Assert.Equal(0, r.Exit);
        Assert.Equal("unknown", status["libvirt"]);
        Assert.All(status.Where(s => s.Key != "libvirt"), s => Assert.True(s.Value == "pass", $"{s.Key}: {s.Value}"));
        Assert.Equal(14, status.Count);
        Assert.Equal((13, 0, 0, 1), ((int)root["summary"]!["pass"]!, (int)root["summary"]!["warn"]!, (int)root["summary"]!["fail"]!, (int)root["summary"]!["unknown"]!));
        JsonNode hugepages = root["checks"]!.AsArray().Single(c => (string)c!["id"]! == "hugepages")!;
        Assert.Equal("node 0: 1024 x 2M needed, 1024 reserved", (string)hugepages["seen"]!);
    }

    [Fact]
    public void An_unready_host_fails_and_warns_where_it_falls_short_with_the_fix()
    {
        (CliResult r, Dictionary<string, string> status, JsonNode root) = Doctor("unready-amd-selinux-permissive");

        // Then it exits 1 for the failures: no /dev/kvm, no huge pages reserved for db, the host's CPU 0 isolated
        Assert.Equal(1, r.Exit);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["hw-virt"] = "fail", ["iommu"] = "warn", ["svirt"] = "warn", ["libvirt"] = "unknown", ["cgroup"] = "warn", ["schedstats"] = "pass",
                ["thp-ksm"] = "warn", ["swappiness"] = "warn", ["overcommit"] = "warn", ["somaxconn"] = "warn", ["hugepages"] = "fail",
                ["cpufreq"] = "warn", ["isolation"] = "fail", ["host-memory"] = "pass",
            },
            status);
        string Seen(string id) => (string)root["checks"]!.AsArray().Single(c => (string)c!["id"]! == id)!["seen"]!;
        Assert.Contains("node 0 is 1024 x 2M short", Seen("hugepages"), StringComparison.Ordinal);
        Assert.Contains("the reserved CPUs 0 are isolated", Seen("isolation"), StringComparison.Ordinal);
        Assert.Contains("running powersave on CPUs 1-3,5-7", Seen("cpufreq"), StringComparison.Ordinal);
        Assert.Contains("capped at 4700000 kHz", Seen("cpufreq"), StringComparison.Ordinal);
        Assert.All(root["checks"]!.AsArray().Where(c => (string)c!["status"]! is "warn" or "fail"), c => Assert.False(string.IsNullOrEmpty((string?)c!["fix"])));

        // and the text says why swappiness 0, the white paper's advice, is risky
        CliResult text = CliRunner.Run(["doctor", "--config-dir", _dir.Dir, "--sysroot", TestData.Path("hosts", "unready-amd-selinux-permissive")]);
        Assert.Contains("vm.swappiness = 0 (risky: see why)", text.Out, StringComparison.Ordinal);
        Assert.Contains("does not turn swap off", text.Out, StringComparison.Ordinal);
        Assert.EndsWith("2 pass, 8 warn, 3 fail, 1 unknown\n", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_without_the_files_a_check_needs_makes_it_unknown_naming_the_file_never_pass()
    {
        (CliResult r, Dictionary<string, string> status, JsonNode root) = Doctor("bare-topology-only");

        // The tree holds sys/devices only: every check that reads /proc, /dev, /etc or the rest of /sys is unknown
        Assert.Equal(0, r.Exit);
        string[] needOtherFiles = ["hw-virt", "iommu", "svirt", "libvirt", "cgroup", "schedstats", "thp-ksm", "swappiness", "overcommit", "somaxconn", "isolation"];
        Assert.All(needOtherFiles, id => Assert.Equal("unknown", status[id]));
        Assert.All(root["checks"]!.AsArray().Where(c => needOtherFiles.Contains((string)c!["id"]!) && (string)c!["id"]! != "libvirt"),
            c => Assert.Contains("not found", (string)c!["seen"]!, StringComparison.Ordinal));

        // and what the topology alone answers is judged: the pools, the governors, the memory
        Assert.Equal(("pass", "pass", "pass"), (status["hugepages"], status["cpufreq"], status["host-memory"]));
    }

    [Fact]
    public void On_this_machine_each_check_agrees_with_the_files_it_reads()
    {
        // Given this machine as it is (no /dev/kvm: QEMU runs under TCG here), asked with its own libvirt
        CliResult r = CliRunner.Run(["doctor", "--config-dir", _dir.Dir, "--format", "json"]);
        JsonNode root = JsonNode.Parse(r.Out) ?? throw new InvalidOperationException(r.Err);
        Dictionary<string, string> status = root["checks"]!.AsArray().ToDictionary(c => (string)c!["id"]!, c => (string)c!["status"]!);

        // Then every check is there, and those that read one file say what that file says
        Assert.Equal(14, status.Count);
        Assert.Equal(File.Exists("/dev/kvm") ? "pass" : "fail", status["hw-virt"]);
        Assert.Equal(File.Exists("/proc/self/schedstat") ? "pass" : "fail", status["schedstats"]);
        long swappiness = long.Parse(File.ReadAllText("/proc/sys/vm/swappiness").Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(swappiness is > 0 and <= 10 ? "pass" : "warn", status["swappiness"]);
        Assert.Equal(File.Exists("/sys/fs/cgroup/cgroup.controllers") ? "pass" : "warn", status["cgroup"]);
        Assert.Equal(status.ContainsValue("fail") ? 1 : 0, r.Exit);
    }

    [Fact]
    public void A_missing_configuration_directory_is_KVC090_and_exit_2()
    {
        CliResult r = CliRunner.Run(["doctor", "--config-dir", Path.Combine(_dir.Dir, "absent"), "--sysroot", TestData.Path("hosts", "ready-intel-apparmor")]);

        r.CouldNotRun("KVC090");
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("--format", "yaml", "--format yaml: use one of text, json")]
    [InlineData("--sysroot", "", "--sysroot needs a directory")]
    public void Bad_options_are_usage_errors(string option, string value, string message)
    {
        CliResult r = CliRunner.Run(["doctor", "--config-dir", _dir.Dir, option, value]);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
    }
}
