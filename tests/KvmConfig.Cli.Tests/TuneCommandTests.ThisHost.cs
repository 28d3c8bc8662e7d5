using System.Globalization;
using KvmConfig.Core;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux.Tuning;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

// tune on this machine, for real: a dry run on /, and the writes the machine allows, each put back at once. A write
// the kernel refuses (a container's read-only /proc/sys or /sys: EROFS, EACCES) skips the test, saying so.
public sealed partial class TuneCommandTests
{
    // One VM of one vCPU and 64 MiB: valid on any machine of 2 CPUs or more (max_vm_share 1/2 lets it take one).
    private static ConfigDir Small() => new(("00-cpu.conf", "[host]\nmax_vm_share = 1/2\n\n[vm t1]\nvcpus = 1\nmemory = 64M\n"));

    [Fact]
    public void Dry_run_on_this_machine_reads_the_real_host_and_writes_nothing()
    {
        using ConfigDir dir = Small();
        string swappiness = File.ReadAllText("/proc/sys/vm/swappiness");

        CliResult r = Run("tune", "--config-dir", dir.Dir, "--dry-run");

        if (r.Exit == 1)
        {
            output.WriteLine($"skipped: the one-VM declaration does not hold on this machine:\n{r.Out}");
            return;
        }

        Assert.True(r.Exit == 0, r.Out + r.Err);
        Assert.StartsWith("tune this host: ", r.Out);
        Assert.Contains("/proc/sys/vm/swappiness", r.Out);
        Assert.Equal(swappiness, File.ReadAllText("/proc/sys/vm/swappiness"));
        Assert.False(File.Exists(SysctlRecommendations.DropInPath) && r.Out.Contains("90-kvmconfig.conf: create", StringComparison.Ordinal));
    }

    [Fact]
    public void A_real_sysctl_write_is_journaled_read_back_and_reverted()
    {
        // Given vm.swappiness as it is, and a value next to it
        var files = new KernelSettingFiles("/");
        string before = files.Read("/proc/sys/vm/swappiness")!;
        string other = before == "10" ? "11" : "10";
        TuneSetting change = new(TuneKind.Sysctl, "/proc/sys/vm/swappiness", before, other, "test");
        try
        {
            // When tune's writer sets it, journaled, and then reverts it
            TuneOutcome outcome = TuneApplier.Apply([change], files, "/", Journal, DateTimeOffset.UtcNow);
            if (outcome.Error is { } refused && IsReadOnly(refused))
            {
                output.WriteLine($"skipped: the kernel refuses writes to /proc/sys here ({refused.Message})");
                return;
            }

            Assert.True(outcome.Succeeded, outcome.Error?.Message);
            Assert.Equal(other, File.ReadAllText("/proc/sys/vm/swappiness").Trim());
            Assert.Empty(TuneApplier.Revert(TuneJournal.Latest(Journal), files));

            // Then the kernel holds the value from before
            Assert.Equal(before, File.ReadAllText("/proc/sys/vm/swappiness").Trim());
        }
        finally
        {
            if (File.ReadAllText("/proc/sys/vm/swappiness").Trim() != before)
            {
                File.WriteAllText("/proc/sys/vm/swappiness", before + "\n");
            }
        }
    }

    [Fact]
    public void A_real_huge_page_request_is_read_back_as_the_kernel_granted_it_and_reverted()
    {
        // Given node 0's 2 MiB pool as it is: one page more is asked (2 MiB), and the kernel's own count read back
        string pool = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages";
        var files = new KernelSettingFiles("/");
        if (files.Read(pool) is not { } text)
        {
            output.WriteLine($"skipped: this machine has no {pool}");
            return;
        }

        long before = long.Parse(text, CultureInfo.InvariantCulture);
        TuneSetting change = new(TuneKind.HugePages, pool, text, (before + 1).ToString(CultureInfo.InvariantCulture), "test");
        try
        {
            TuneOutcome outcome = TuneApplier.Apply([change], files, "/", Journal, DateTimeOffset.UtcNow);
            if (outcome.Error is { } refused && IsReadOnly(refused))
            {
                output.WriteLine($"skipped: the kernel refuses writes to {pool} here ({refused.Message})");
                return;
            }

            Assert.True(outcome.Succeeded, outcome.Error?.Message);
            long granted = long.Parse(files.Read(pool)!, CultureInfo.InvariantCulture);
            // The kernel grants the page or not; either way the outcome says what it reads back
            Assert.Equal(granted < before + 1 ? 1 : 0, outcome.Shortfalls.Count);
            output.WriteLine($"node0 2 MiB pool: asked {before + 1}, the kernel granted {granted}");
            Assert.Empty(TuneApplier.Revert(TuneJournal.Latest(Journal), files));
            Assert.Equal(before, long.Parse(files.Read(pool)!, CultureInfo.InvariantCulture));
        }
        finally
        {
            if (files.Read(pool) != text)
            {
                File.WriteAllText(pool, text + "\n");
            }
        }
    }

    // EROFS (a read-only mount) or EACCES/EPERM (a container's masked file): the machine's refusal, not tune's bug.
    private static bool IsReadOnly(KvmConfigException refused) =>
        refused.InnerException is UnauthorizedAccessException or IOException { HResult: 30 };
}
