using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Tuning;
using KvmConfig.Linux.Tuning;
using KvmConfig.TestSupport;

namespace KvmConfig.Config.Tests;

/// <summary>
/// <c>tune</c> as a library call on a writable copy of <c>tune-intel-pstate-2node</c> (2 nodes of 4 CPUs, intel_pstate
/// with HWP: performance and powersave, 400..4700 MHz, base 2800 MHz, no_turbo 0; empty 2 MiB and 1 GiB pools; the
/// sysctl files at a distribution's defaults): what it decides, writes, journals and puts back.
/// </summary>
public sealed class HostTuningTests : IDisposable
{
    private const string Machine = "tune-intel-pstate-2node";
    private readonly TempTree _root = TestData.CopyToTemp(TestData.Path("sysfs", Machine));

    public void Dispose() => _root.Dispose();

    private TuneOptions Options => new() { SysRoot = _root.Dir, JournalRoot = _root.Path("journal") };

    private string Read(string hostPath) => File.ReadAllText(HostPaths.Under(_root.Dir, hostPath)).Trim();

    private const string Governor1 = "/sys/devices/system/cpu/cpufreq/policy1/scaling_governor";
    private const string Cap1 = "/sys/devices/system/cpu/cpufreq/policy1/scaling_max_freq";
    private const string NoTurbo = "/sys/devices/system/cpu/intel_pstate/no_turbo";
    private const string Pages2M0 = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages";

    // A host policy that asks for everything tune owns, and one VM of 2 vCPUs with 1 GiB in 2 MiB pages (512 pages).
    private static ConfigDir Declaration(string host = "cpufreq = performance\ncpufreq_max = base\n") =>
        new(("00-cpu.conf", "[host]\nreserved = 0,4\n" + host + "\n[vm db1]\nvcpus = 2\nmemory = 1G\nhugepages = 2M\n"));

    private static TunePreparation.Ready Ready(TunePreparation prepared) =>
        prepared as TunePreparation.Ready ?? throw new Xunit.Sdk.XunitException(
            "refused: " + string.Join("; ", prepared.Report.Diagnostics.Select(d => $"{d.Descriptor.Code} {d.Message}")));

    [Fact]
    public void Plans_the_governor_cap_turbo_pages_and_sysctl_of_the_VMs_CPUs_only()
    {
        using ConfigDir dir = Declaration();

        TunePlan tune = Ready(HostTuning.Prepare(dir.Dir, Options)).Tune;

        // db1 gets CPUs 1,5 (one core of node 0, CPU 0 and its sibling 4 reserved): their policies, nobody else's
        CpuSet vm = Ready(HostTuning.Prepare(dir.Dir, Options)).Plan.Vm("db1")!.Cpus;
        Assert.Equal("1,5", vm.ToString());
        Assert.Equal(
            ["/sys/devices/system/cpu/cpufreq/policy1/scaling_governor", "/sys/devices/system/cpu/cpufreq/policy5/scaling_governor"],
            tune.Changes.Where(c => c.Kind == TuneKind.Governor).Select(c => c.Path));
        TuneSetting cap = Assert.Single(tune.Changes, c => c.Path == Cap1);
        Assert.Equal(("4700000", "2800000"), (cap.Current, cap.Wanted));
        TuneSetting turbo = Assert.Single(tune.Changes, c => c.Kind == TuneKind.Turbo);
        Assert.Equal((NoTurbo, "0", "1"), (turbo.Path, turbo.Current, turbo.Wanted));
        TuneSetting pages = Assert.Single(tune.Changes, c => c.Kind == TuneKind.HugePages);
        Assert.Equal((Pages2M0, "0", "512"), (pages.Path, pages.Current, pages.Wanted));
        Assert.Equal(("60", "10"), (tune.Changes.Single(c => c.Path == "/proc/sys/vm/swappiness").Current, tune.Changes.Single(c => c.Path == "/proc/sys/vm/swappiness").Wanted));
        Assert.DoesNotContain(tune.Changes, c => c.Path == "/proc/sys/net/core/somaxconn");
    }

    [Fact]
    public void Writes_after_journaling_then_reverts_to_the_tree_as_it_was()
    {
        using ConfigDir dir = Declaration();
        string before = Snapshot();

        // Given a tune written and journaled
        TuneOutcome outcome = HostTuning.Commit(Ready(HostTuning.Prepare(dir.Dir, Options)), Options);

        Assert.True(outcome.Succeeded);
        Assert.Empty(outcome.Shortfalls);
        Assert.Equal(("performance", "2800000", "1", "512", "10"), (Read(Governor1), Read(Cap1), Read(NoTurbo), Read(Pages2M0), Read("/proc/sys/vm/swappiness")));
        Assert.Equal(SysctlRecommendations.DropIn(), File.ReadAllText(HostPaths.Under(_root.Dir, SysctlRecommendations.DropInPath)));
        string journal = File.ReadAllText(outcome.Journal.Path);
        Assert.Contains("\"status\": \"applied\"", journal);
        Assert.Contains("\"old\": \"powersave\"", journal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outcome.Journal.Path));

        // When it is reverted
        TuneJournal latest = HostTuning.LatestJournal(Options);
        Assert.Empty(HostTuning.Revert(latest, Options));

        // Then every file is as before, the drop-in tune created is gone, and the journal is spent
        Assert.Equal(before, Snapshot());
        Assert.False(File.Exists(HostPaths.Under(_root.Dir, SysctlRecommendations.DropInPath)));
        Assert.Equal(Rules.NoTuneJournal, Assert.Throws<KvmConfigException>(() => HostTuning.LatestJournal(Options)).Descriptor);
    }

    [Fact]
    public void A_drop_in_that_was_there_is_restored_as_it_was()
    {
        using ConfigDir dir = Declaration();
        string dropIn = HostPaths.Under(_root.Dir, SysctlRecommendations.DropInPath);
        Directory.CreateDirectory(Path.GetDirectoryName(dropIn)!);
        File.WriteAllText(dropIn, "vm.swappiness = 30\n");

        HostTuning.Commit(Ready(HostTuning.Prepare(dir.Dir, Options)), Options);
        HostTuning.Revert(HostTuning.LatestJournal(Options), Options);

        Assert.Equal("vm.swappiness = 30\n", File.ReadAllText(dropIn));
    }

    /// <summary>
    /// The one fake: the kernel reserves huge pages only where it finds free contiguous memory and reports the count it
    /// reached in <c>nr_hugepages</c>, which a copied tree cannot do. This writer stands in for it, storing
    /// <see cref="Granted"/> whatever is asked there; every other write goes to the tree as it is.
    /// </summary>
    private sealed class PartialGrant(KernelSettingFiles tree, long granted) : IKernelSettingFiles
    {
        public long Granted { get; } = granted;

        public string? Read(string hostPath) => tree.Read(hostPath);

        public void Write(TuneKind kind, string hostPath, string value) =>
            tree.Write(kind, hostPath, kind == TuneKind.HugePages ? Math.Min(long.Parse(value, System.Globalization.CultureInfo.InvariantCulture), Granted).ToString(System.Globalization.CultureInfo.InvariantCulture) : value);

        public void Remove(string hostPath) => tree.Remove(hostPath);
    }

    [Fact]
    public void A_pool_the_kernel_grants_in_part_is_a_shortfall_and_the_rest_is_set()
    {
        using ConfigDir dir = Declaration();
        TuneOptions options = Options with { Files = new PartialGrant(new KernelSettingFiles(_root.Dir), 300) };

        TuneOutcome outcome = HostTuning.Commit(Ready(HostTuning.Prepare(dir.Dir, options)), options);

        Assert.True(outcome.Succeeded);
        HugePageShortfall shortfall = Assert.Single(outcome.Shortfalls);
        Assert.Equal((Pages2M0, 512L, 300L), (shortfall.Path, shortfall.Asked, shortfall.Granted));
        Assert.Equal(("performance", "300"), (Read(Governor1), Read(Pages2M0)));
        Assert.Equal("short", HostTuning.LatestJournal(options).Status);

        // the revert puts back what was there before, whatever the kernel granted
        HostTuning.Revert(HostTuning.LatestJournal(options), options);
        Assert.Equal(("powersave", "0"), (Read(Governor1), Read(Pages2M0)));
    }

    [Theory]
    [InlineData("a governor intel_pstate does not offer (it has performance and powersave)", "cpufreq = ondemand\n", "KVC034")]
    [InlineData("a cap above cpuinfo_max_freq (4700 MHz)", "cpufreq_max = 5GHz\n", "KVC035")]
    [InlineData("a cap below cpuinfo_min_freq (400 MHz)", "cpufreq_max = 300MHz\n", "KVC035")]
    public void A_declaration_check_refuses_is_not_tuned(string description, string host, string code)
    {
        using ConfigDir dir = Declaration(host);

        TunePreparation prepared = HostTuning.Prepare(dir.Dir, Options);

        TunePreparation.Refused refused = Assert.IsType<TunePreparation.Refused>(prepared);
        Assert.True(refused.Report.Diagnostics.Any(d => d.Descriptor.Code == code && d.Severity == Severity.Error), description);
    }

    [Fact]
    public void Without_root_this_hosts_own_files_are_refused_before_anything_is_written()
    {
        using ConfigDir dir = Declaration();
        TunePreparation.Ready ready = Ready(HostTuning.Prepare(dir.Dir, Options));
        TuneOptions asUser = Options with { SysRoot = "/", EffectiveUid = () => 1000 };

        var refused = Assert.Throws<KvmConfigException>(() => HostTuning.Commit(ready, asUser));

        Assert.Equal(Rules.TuneNeedsRoot, refused.Descriptor);
        Assert.Contains("uid 1000", refused.Message);
        Assert.False(Directory.Exists(_root.Path("journal")), "no journal was written");
    }

    [Fact]
    public void Revert_without_a_journal_says_so()
    {
        var missing = Assert.Throws<KvmConfigException>(() => HostTuning.LatestJournal(Options));
        Directory.CreateDirectory(_root.Path("journal"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var empty = Assert.Throws<KvmConfigException>(() => HostTuning.LatestJournal(Options));

        Assert.Equal((Rules.NoTuneJournal, Rules.NoTuneJournal), (missing.Descriptor, empty.Descriptor));
        Assert.Contains(_root.Path("journal"), missing.Message);
    }

    [Fact]
    public void A_journal_naming_a_file_tune_never_writes_is_refused()
    {
        using ConfigDir dir = Declaration();
        TuneOutcome outcome = HostTuning.Commit(Ready(HostTuning.Prepare(dir.Dir, Options)), Options);
        File.WriteAllText(outcome.Journal.Path, File.ReadAllText(outcome.Journal.Path).Replace("/proc/sys/vm/swappiness", "/etc/shadow"));

        var refused = Assert.Throws<KvmConfigException>(() => HostTuning.LatestJournal(Options));

        Assert.Contains("/etc/shadow, which tune never writes", refused.Message);
    }

    [Fact]
    public void A_write_the_kernel_refuses_restores_what_was_written_before_it()
    {
        using ConfigDir dir = Declaration();
        string before = Snapshot();
        // Given policy5's scaling_max_freq a link to nowhere (as a driver that never opens the file for writing):
        // the last cpufreq write fails, after the drop-in, two sysctl values, turbo, policy1 and policy5's governor
        string cap5 = HostPaths.Under(_root.Dir, "/sys/devices/system/cpu/cpufreq/policy5/scaling_max_freq");
        File.Delete(cap5);
        File.CreateSymbolicLink(cap5, _root.Path("nowhere", "scaling_max_freq"));

        TuneOutcome outcome = HostTuning.Commit(Ready(HostTuning.Prepare(dir.Dir, Options)), Options);

        Assert.Equal(Rules.TuneRefused, outcome.Error!.Descriptor);
        Assert.Empty(outcome.RestoreErrors!);
        Assert.Equal(7, outcome.Written.Count);
        Assert.Contains("policy5/scaling_max_freq", outcome.Error.Message);
        Assert.Equal(before.Replace("/sys/devices/system/cpu/cpufreq/policy5/scaling_max_freq=4700000\n", ""), Snapshot());
        Assert.False(File.Exists(HostPaths.Under(_root.Dir, SysctlRecommendations.DropInPath)));
        Assert.Equal("restored", File.ReadAllText(outcome.Journal.Path).Split("\"status\": \"")[1].Split('"')[0]);
    }

    // Every file tune may touch, as path=content lines. Links are not followed: the tree's cpuN/nodeM and nodeM/cpuN
    // links make cycles.
    private string Snapshot() => string.Concat(Directory.EnumerateFiles(_root.Dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
        .Select(f => "/" + Path.GetRelativePath(_root.Dir, f))
        .Where(HostPaths.Owned)
        .Order(StringComparer.Ordinal)
        .Select(p => $"{p}={File.ReadAllText(HostPaths.Under(_root.Dir, p)).Trim()}\n"));
}
