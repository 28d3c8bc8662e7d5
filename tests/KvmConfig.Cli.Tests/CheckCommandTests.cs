using System.Text.Json;
using KvmConfig.Linux;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>Tests that swap <see cref="Console.Out"/> and <see cref="Console.Error"/> run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}

/// <summary>
/// <c>kvmconfig check</c> end to end through the real entry point: exit codes (0 clean, 1 errors, 2 could not
/// run), the KVC09x environment failures, the shipped examples, and the JSON report. Every example is copied
/// into a <see cref="ConfigDir"/> first, so the checkout's umask cannot trip the StrictModes check.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CheckCommandTests(ITestOutputHelper output)
{
    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0755 = Mode0644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private static string Capture(string machine) => TestData.Path("sysfs", machine);

    // ---- KVC090-093: could not run ---------------------------------------------------------------------

    [Fact]
    public void Missing_directory_exits_2_with_KVC090()
    {
        using var parent = new ConfigDir();
        string missing = Path.Combine(parent.Dir, "kvmconfig.d");

        CliResult r = Run("check", "--config-dir", missing, "--sysroot", Capture("desktop-1s-20cpu"));

        r.CouldNotRun("KVC090");
        Assert.Contains($"configuration directory {missing} does not exist", r.Err);
        Assert.Contains("mkdir -m 755", r.Err);
        Golden.Verify("KVC090-no-config-directory", parent.Scrub(r.Err));
    }

    [Fact]
    public void A_file_instead_of_a_directory_exits_2_with_KVC090()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "reserved = 0,10\n"));
        string file = Path.Combine(dir.Dir, "00-cpu.conf");

        CliResult r = Run("check", "--config-dir", file, "--sysroot", Capture("desktop-1s-20cpu"));

        r.CouldNotRun("KVC090");
        Assert.Contains($"{file} is a file, not a configuration directory", r.Err);
        Golden.Verify("KVC090-file-not-directory", dir.Scrub(r.Err));
    }

    [Fact]
    public void Group_writable_directory_is_refused_with_KVC091_and_left_alone()
    {
        // Given a directory anyone in its group could drop a file into
        using var dir = new ConfigDir(("00-vm1.conf", "cpus = 1-4\n"));
        UnixFileMode unsafeMode = Mode0755 | UnixFileMode.GroupWrite;
        File.SetUnixFileMode(dir.Dir, unsafeMode);

        // When check runs
        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"));

        // Then it refuses, says how to fix it, prints no report, and changes nothing
        r.CouldNotRun("KVC091");
        Assert.Contains($"directory {dir.Dir} is writable by its group (mode 0775)", r.Err);
        Assert.Contains($"hint: chmod go-w {dir.Dir}", r.Err);
        Assert.Equal(2, r.Err.TrimEnd('\n').Split('\n').Length);
        Assert.Equal(unsafeMode, File.GetUnixFileMode(dir.Dir));
        Assert.Equal(Mode0644, File.GetUnixFileMode(Path.Combine(dir.Dir, "00-vm1.conf")));
        Golden.Verify("KVC091-group-writable-directory", dir.Scrub(r.Err));
    }

    [Fact]
    public void World_writable_file_is_refused_with_KVC091_and_left_alone()
    {
        using var dir = new ConfigDir(("00-cpu.conf", "reserved = 0,10\n"), ("00-vm1.conf", "cpus = 1-4\n"));
        string file = Path.Combine(dir.Dir, "00-vm1.conf");
        UnixFileMode unsafeMode = Mode0644 | UnixFileMode.OtherWrite;
        File.SetUnixFileMode(file, unsafeMode);

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"));

        r.CouldNotRun("KVC091");
        Assert.Contains($"file {file} is writable by others (mode 0646)", r.Err);
        Assert.Contains($"hint: chmod go-w {file}", r.Err);
        Assert.Equal(2, r.Err.TrimEnd('\n').Split('\n').Length);
        Assert.Equal(unsafeMode, File.GetUnixFileMode(file));
        Golden.Verify("KVC091-world-writable-file", dir.Scrub(r.Err));
    }

    [Fact]
    public void A_sysroot_that_is_not_sysfs_exits_2_with_KVC092()
    {
        // Given a directory with a sys/ that holds no CPU tree (a mistyped --sysroot, a chroot without /sys mounted)
        using var root = new ConfigDir();
        Directory.CreateDirectory(Path.Combine(root.Dir, "sys"));
        using var dir = new ConfigDir(("00-vm1.conf", "cpus = 1-4\n"));

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", root.Dir);

        r.CouldNotRun("KVC092");
        Golden.Verify("KVC092-not-sysfs", root.Scrub(r.Err));
    }

    [Fact]
    public void A_sysroot_without_sys_exits_2_with_KVC092()
    {
        using var root = new ConfigDir();
        using var dir = new ConfigDir(("00-vm1.conf", "cpus = 1-4\n"));

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", root.Dir);

        r.CouldNotRun("KVC092");
    }

    [Fact]
    public void A_dangling_conf_symlink_exits_2_with_KVC093()
    {
        // Given a *.conf that points nowhere (the file it named was deleted)
        using var dir = new ConfigDir(("00-cpu.conf", "reserved = 0,10\n"));
        File.CreateSymbolicLink(Path.Combine(dir.Dir, "20-web1.conf"), Path.Combine(dir.Dir, "web1.conf.orig"));

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"));

        r.CouldNotRun("KVC093");
        Golden.Verify("KVC093-unreadable", dir.Scrub(r.Err));
    }

    [Theory]
    [InlineData("unknown --format", new[] { "--format", "yaml" }, "--format yaml")]
    [InlineData("unknown option", new[] { "--colour" }, "colour")]
    public void Bad_usage_exits_2(string what, string[] extra, string named)
    {
        using var dir = new ConfigDir(("00-vm1.conf", "cpus = 1-4\nmemory = 4G\n"));

        CliResult r = Run(["check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"), .. extra]);

        Assert.True(r.Exit == 2, $"{what}: exit {r.Exit}\n{r.Err}");
        Assert.Equal("", r.Out);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains(named, r.Err);
        r.NoStackTrace();
    }

    // ---- The shipped examples ----------------------------------------------------------------------------

    [Theory]
    [InlineData("seed", "desktop-1s-20cpu")]
    [InlineData("finance", "xeon-2s-4numa-snc-80cpu")]
    public void Examples_pass_on_the_machine_they_were_written_for(string example, string machine)
    {
        using ConfigDir dir = CopyExample(example);

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture(machine));

        Assert.True(r.Exit == 0, $"examples/{example} on {machine}: exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Contains("check ok: 0 errors", r.Out);
        Assert.Equal("", r.Err);
        r.NoStackTrace();
    }

    [Fact]
    public void A_cluster_directory_is_checked_with_its_inventory_and_passes()
    {
        // Given a directory with three nodes in two racks, groups spread over nodes and racks, and a VM pinned to a node
        using var dir = new ConfigDir(
            ("00-cpu.conf", "reserved = 0,10\n"),
            ("20-vms.conf",
                "[profile pg]\nvcpus = 2\nmemory = 2G\ngroup = pg\n\n[vm pg1]\nprofile = pg\n[vm pg2]\nprofile = pg\n[vm pg3]\nprofile = pg\n\n"
                + "[vm etcd1]\nvcpus = 1\nmemory = 1G\ngroup = etcd\ngroup_spread = rack\n"
                + "[vm etcd2]\nvcpus = 1\nmemory = 1G\ngroup = etcd\ngroup_spread = rack\n\n"
                + "[vm backup]\nvcpus = 2\nmemory = 2G\nhost = kvm3\n"),
            ("40-nodes.conf",
                "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n"
                + "[node kvm2]\nuri = qemu+ssh://root@kvm2/system\nrack = r1\nreserved = 0-1,10-11\n"
                + "[node kvm3]\nuri = qemu+tls://kvm3/system\nrack = r2\n"));

        // When check runs against one host
        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"));

        // Then the cluster rules find nothing, and the summary counts the nodes beside the VMs
        Assert.True(r.Exit == 0, $"exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Contains("check ok: 0 errors, 0 warnings", r.Out);
        Assert.Contains("6 VMs and 3 cluster nodes in 3 files", r.Out);
        r.NoStackTrace();
    }

    /// <summary>
    /// A 4-CPU host made from the desktop capture by taking CPUs 4-19 offline: small enough that the seed's two
    /// rules bite, and the same on every machine the tests run on.
    /// </summary>
    [Theory]
    [InlineData("seed", new[] { "KVC021" })]
    [InlineData("finance", new[] { "KVC020", "KVC021" })]
    public void Examples_fail_on_a_tiny_host_naming_the_seed_rules(string example, string[] codes)
    {
        using TempTree tiny = TestData.CopyToTemp(Capture("desktop-1s-20cpu"));
        File.WriteAllText(tiny.Path("sys", "devices", "system", "cpu", "online"), "0-3\n");
        using ConfigDir dir = CopyExample(example);

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", tiny.Dir);

        AssertFailsWithSeedRules(r, codes, $"examples/{example} on a 4-CPU copy of desktop-1s-20cpu");
        Assert.Contains("(4 CPUs, 1 NUMA node)", r.Out);
    }

    [Theory]
    [InlineData("seed", new[] { "KVC021" })]
    [InlineData("finance", new[] { "KVC020", "KVC021" })]
    public void Examples_fail_on_this_machine_when_it_is_tiny(string example, string[] codes)
    {
        int cpus = SysfsTopologyReader.ForHost().Read().OnlineCpuCount;
        if (cpus >= 4)
        {
            output.WriteLine($"skipped: this machine has {cpus} online CPUs; the assertion needs fewer than 4 (the 4-CPU capture test covers the rules)");
            return;
        }

        using ConfigDir dir = CopyExample(example);

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", "/");

        AssertFailsWithSeedRules(r, codes, $"examples/{example} on this {cpus}-CPU machine");
    }

    // ---- JSON --------------------------------------------------------------------------------------------

    [Fact]
    public void Json_report_of_a_clean_check_parses()
    {
        using ConfigDir dir = CopyExample("seed");

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", Capture("desktop-1s-20cpu"), "--format", "json", "--verbose");

        Assert.Equal(0, r.Exit);
        using JsonDocument json = JsonDocument.Parse(r.Out);
        JsonElement root = json.RootElement;
        Assert.True(root.GetProperty("ok").GetBoolean());
        Assert.Equal(0, root.GetProperty("errors").GetInt32());
        string[] codes = Codes(root);
        Assert.Contains("KVC018", codes); // vcpus = 4 derived from cpus = 1-4, shown because of --verbose
    }

    [Fact]
    public void Json_report_of_a_failed_check_parses_and_names_the_codes()
    {
        using ConfigDir dir = CopyExample("finance");
        using TempTree tiny = TestData.CopyToTemp(Capture("desktop-1s-20cpu"));
        File.WriteAllText(tiny.Path("sys", "devices", "system", "cpu", "online"), "0-3\n");

        CliResult r = Run("check", "--config-dir", dir.Dir, "--sysroot", tiny.Dir, "--format", "json");

        Assert.Equal(1, r.Exit);
        using JsonDocument json = JsonDocument.Parse(r.Out);
        JsonElement root = json.RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.True(root.GetProperty("errors").GetInt32() > 0);
        Assert.Contains("KVC020", Codes(root));
        Assert.Contains("KVC021", Codes(root));
        Assert.All(root.GetProperty("diagnostics").EnumerateArray(), d => Assert.NotEqual("info", d.GetProperty("severity").GetString()));
        r.NoStackTrace();
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static void AssertFailsWithSeedRules(CliResult r, string[] codes, string what)
    {
        Assert.True(r.Exit == 1, $"{what}: exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.Contains("check FAILED", r.Out);
        foreach (string code in codes)
        {
            Assert.Contains($"error[{code}]", r.Out);
        }

        if (codes.Contains("KVC020"))
        {
            Assert.Contains("= rule: more-physical-cpus-than-vms", r.Out);
        }

        Assert.Contains("= rule: max-vm-share", r.Out);
        Assert.Equal("", r.Err);
        r.NoStackTrace();
    }

    private static string[] Codes(JsonElement root) =>
        root.GetProperty("diagnostics").EnumerateArray().Select(d => d.GetProperty("code").GetString()!).ToArray();

    private static ConfigDir CopyExample(string name)
    {
        var dir = new ConfigDir();
        foreach (string file in Directory.EnumerateFiles(Path.Combine(TestData.RepositoryRoot, "examples", name)))
        {
            dir.Write(Path.GetFileName(file), File.ReadAllText(file));
        }

        return dir;
    }

    private static CliResult Run(params string[] args) => CliRunner.Run(args);
}
