using System.Text.Json;
using KvmConfig.Linux.Tuning;
using KvmConfig.TestSupport;
using Xunit.Abstractions;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig tune</c> through the real entry point, on a writable copy of <c>tune-intel-pstate-2node</c>: dry run,
/// confirmation, write, revert and the refusals; this machine's own run is in TuneCommandTests.ThisHost.cs.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class TuneCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempTree _root = TestData.CopyToTemp(TestData.Path("sysfs", "tune-intel-pstate-2node"));
    private readonly ConfigDir _dir = new(("00-cpu.conf",
        "[host]\nreserved = 0,4\ncpufreq = performance\ncpufreq_max = base\n\n[vm db1]\nvcpus = 2\nmemory = 1G\nhugepages = 2M\n"));

    public void Dispose()
    {
        _root.Dispose();
        _dir.Dispose();
    }

    private string Journal => _root.Path("journal");

    private CliResult Tune(params string[] more) =>
        Run(["tune", "--sysroot", _root.Dir, "--config-dir", _dir.Dir, "--journal", Journal, .. more]);

    private string Read(string hostPath) => File.ReadAllText(HostPaths.Under(_root.Dir, hostPath)).Trim();

    [Fact]
    public void Dry_run_lists_every_setting_with_its_reason_and_writes_nothing()
    {
        CliResult r = Tune("--dry-run");

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.Contains("  set  /sys/devices/system/cpu/cpufreq/policy1/scaling_max_freq: 4700000 -> 2800000", r.Out);
        Assert.Contains("cpufreq_max = base (2800 MHz): CPUs 1 run VMs", r.Out);
        Assert.Contains("  set  /sys/devices/system/cpu/intel_pstate/no_turbo: 0 -> 1", r.Out);
        Assert.Contains("  set  /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages: 0 -> 512", r.Out);
        Assert.Contains("  ok   /proc/sys/net/core/somaxconn: 4096", r.Out);
        Assert.Contains("white paper's 0", r.Out);
        Assert.EndsWith("dry run: 9 values would change; nothing was written\n", r.Out);
        Assert.Equal("powersave", Read("/sys/devices/system/cpu/cpufreq/policy1/scaling_governor"));
        Assert.False(Directory.Exists(Journal));
    }

    [Fact]
    public void Without_a_terminal_and_without_yes_nothing_is_written()
    {
        CliResult r = Tune();

        Assert.Equal(2, r.Exit);
        Assert.Contains("refused without confirmation, because there is no terminal to ask on", r.Err);
        Assert.Equal("60", Read("/proc/sys/vm/swappiness"));
        Assert.False(Directory.Exists(Journal));
    }

    [Fact]
    public void Yes_writes_and_journals_then_revert_puts_everything_back()
    {
        CliResult tuned = Tune("--yes", "--format", "json");
        CliResult again = Tune("--dry-run");
        CliResult reverted = Run("tune", "--revert", "--yes", "--journal", Journal);
        CliResult twice = Run("tune", "--revert", "--yes", "--journal", Journal);

        Assert.True(tuned.Exit == 0, tuned.Out + tuned.Err);
        using JsonDocument json = JsonDocument.Parse(tuned.Out);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(9, json.RootElement.GetProperty("written").GetArrayLength());
        Assert.StartsWith(Journal, json.RootElement.GetProperty("journal").GetString());
        // After the tune, only the pool is asked again: a copied tree's free_hugepages stays 0 where the kernel's would
        // count the 512 new pages.
        Assert.Contains("  ok   /sys/devices/system/cpu/cpufreq/policy1/scaling_governor: performance", again.Out);
        Assert.EndsWith("dry run: 1 value would change; nothing was written\n", again.Out);
        Assert.True(reverted.Exit == 0, reverted.Out + reverted.Err);
        Assert.Contains("put back /etc/sysctl.d/90-kvmconfig.conf: remove (tune created it)", reverted.Out);
        Assert.Equal(("powersave", "4700000", "0", "60"),
            (Read("/sys/devices/system/cpu/cpufreq/policy1/scaling_governor"), Read("/sys/devices/system/cpu/cpufreq/policy1/scaling_max_freq"),
             Read("/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), Read("/proc/sys/vm/swappiness")));
        twice.CouldNotRun("KVC086");
    }

    [Fact]
    public void Revert_with_no_journal_is_KVC086()
    {
        Run("tune", "--revert", "--yes", "--journal", Journal).CouldNotRun("KVC086");
    }

    [Theory]
    [InlineData("a governor the CPUs do not offer", "cpufreq = ondemand", "error[KVC034]")]
    [InlineData("a cap above the hardware maximum", "cpufreq_max = 5GHz", "error[KVC035]")]
    [InlineData("a cap below the hardware minimum", "cpufreq_max = 300MHz", "error[KVC035]")]
    public void A_declaration_with_errors_prints_checks_findings_and_writes_nothing(string description, string line, string error)
    {
        _dir.Write("10-host.conf", line + "\n");

        CliResult r = Tune("--yes");

        Assert.True(r.Exit == 1, $"{description}: exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Contains(error, r.Out);
        Assert.Equal("powersave", Read("/sys/devices/system/cpu/cpufreq/policy1/scaling_governor"));
        Assert.False(Directory.Exists(Journal));
    }

    [Fact]
    public void Connect_is_refused_tune_is_for_the_host_itself()
    {
        CliResult r = Run("tune", "--connect", "qemu+ssh://root@kvm1/system", "--dry-run");

        Assert.Equal(2, r.Exit);
        Assert.Contains("--connect is not for it", r.Err);
    }
}
