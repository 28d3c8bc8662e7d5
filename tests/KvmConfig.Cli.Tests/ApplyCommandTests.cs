using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig apply</c> and <c>rollback</c> end to end on the real daemon: one declared VM (the rules allow one VM
/// on this 2-CPU host), one running domain of that name, one undeclared domain that must never change.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ApplyCommandTests : IDisposable
{
    private readonly LibvirtConnection _connection;
    private readonly TestDomain _declared;
    private readonly TestDomain _bystander;
    private readonly ConfigDir _config;
    private readonly string _state = Directory.CreateTempSubdirectory("kvmconfig-apply-").FullName;

    public ApplyCommandTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
        _declared = TestDomain.Create(_connection, "cli", vcpus: 1, start: true);
        _bystander = TestDomain.Create(_connection, "bystander", vcpus: 1, start: true);

        // CPU 0 for the host, CPU 1 for the VM: a weight and a cap that differ from libvirt's defaults.
        _config = new ConfigDir(
            ("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"),
            ("10-vm.conf", $"[vm {_declared.Name}]\nvcpus = 1\ncpu_weight = 200\ncpu_limit = 0.5\n"));
    }

    private string Journal => Path.Combine(_state, "journal");

    private string Lock => Path.Combine(_state, "kvmconfig.lock");

    [Fact]
    public void Dry_run_shows_the_diff_and_the_live_changes_and_changes_nothing()
    {
        string before = Fingerprint(_declared.Name);

        CliResult r = Apply("--dry-run");

        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains($"--- {_declared.Name} (libvirt, persistent)", r.Out, StringComparison.Ordinal);
        Assert.Contains("+    <shares>200</shares>", r.Out, StringComparison.Ordinal);
        Assert.Contains($"live: virsh vcpupin {_declared.Name} 0 1 --live", r.Out, StringComparison.Ordinal);
        Assert.Contains("dry run: 1 VM would change; nothing was changed", r.Out, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
        Assert.False(Directory.Exists(Journal));
    }

    [Fact]
    public void Without_a_terminal_and_without_yes_it_refuses_and_changes_nothing()
    {
        string before = Fingerprint(_declared.Name);

        CliResult r = Apply();

        Assert.Equal(2, r.Exit);
        Assert.Contains("refused without confirmation", r.Err, StringComparison.Ordinal);
        Assert.Contains("--yes", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
    }

    [Fact]
    public void Apply_yes_changes_the_vm_then_a_second_apply_changes_nothing_then_rollback_restores_it()
    {
        // Given the VM and a domain nobody declared
        string before = Fingerprint(_declared.Name);
        string bystander = Fingerprint(_bystander.Name);

        // When kvmconfig applies
        CliResult applied = Apply("--yes");

        // Then the VM is pinned, weighted and capped, live and persistently, as virsh sees it
        Assert.True(applied.Exit == 0, applied.Err + applied.Out);
        Assert.Contains($"applied: 1 VM changed ({_declared.Name})", applied.Out, StringComparison.Ordinal);
        Assert.Contains(" 0      1", LibvirtDaemon.Virsh("vcpupin", _declared.Name, "--live").Stdout, StringComparison.Ordinal);
        Assert.Contains(" 0      1", LibvirtDaemon.Virsh("vcpupin", _declared.Name, "--config").Stdout, StringComparison.Ordinal);
        Assert.Contains("*: 0", LibvirtDaemon.Virsh("emulatorpin", _declared.Name, "--live").Stdout.Replace("       ", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        string schedinfo = LibvirtDaemon.Virsh("schedinfo", _declared.Name, "--live").Stdout;
        Assert.Contains("cpu_shares     : 200", schedinfo, StringComparison.Ordinal);
        Assert.Contains("global_quota   : 50000", schedinfo, StringComparison.Ordinal);
        Assert.Contains("numa_nodeset   : 0", LibvirtDaemon.Virsh("numatune", _declared.Name, "--config").Stdout, StringComparison.Ordinal);
        Assert.Contains("numa_nodeset   : 0", LibvirtDaemon.Virsh("numatune", _declared.Name, "--live").Stdout, StringComparison.Ordinal);
        Assert.Equal(bystander, Fingerprint(_bystander.Name));

        // When it applies again, nothing changes and it says so
        string after = Fingerprint(_declared.Name);
        CliResult again = Apply("--yes");
        Assert.True(again.Exit == 0, again.Err);
        Assert.Contains("nothing to change: the VM already matches the plan", again.Out, StringComparison.Ordinal);
        Assert.Equal(after, Fingerprint(_declared.Name));
        Assert.Single(Directory.GetDirectories(Journal));

        // When the apply is rolled back, the VM is exactly as before and the bystander untouched
        CliResult rolledBack = Run("rollback", "--journal", Journal, "--lock", Lock, "--yes");
        Assert.True(rolledBack.Exit == 0, rolledBack.Err);
        Assert.Contains($"restored: 1 VM ({_declared.Name})", rolledBack.Out, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
        Assert.Equal(bystander, Fingerprint(_bystander.Name));
    }

    [Fact]
    public void Json_output_names_every_vm_and_its_changes()
    {
        CliResult r = Apply("--dry-run", "--format", "json");

        Assert.True(r.Exit == 0, r.Err);
        JsonNode document = JsonNode.Parse(r.Out)!;
        Assert.True(document["dryRun"]!.GetValue<bool>());
        JsonNode vm = Assert.Single(document["vms"]!.AsArray())!;
        Assert.Equal(_declared.Name, vm["name"]!.GetValue<string>());
        Assert.True(vm["changes"]!.GetValue<bool>());
        Assert.Contains(vm["live"]!.AsArray(), l => l!.GetValue<string>().StartsWith($"virsh vcpupin {_declared.Name}", StringComparison.Ordinal));
    }

    [Fact]
    public void A_declared_vm_that_libvirt_does_not_know_stops_apply_before_any_change()
    {
        string ghost = LibvirtDaemon.NewName("ghost");
        _config.Write("10-vm.conf", $"[vm {ghost}]\nvcpus = 1\n");

        CliResult r = Apply("--yes");

        Assert.Equal(2, r.Exit);
        Assert.Contains($"knows no domain named '{ghost}'; nothing was changed", r.Err, StringComparison.Ordinal);
        Assert.Contains("virsh define", r.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Journal));
    }

    [Fact]
    public void A_live_change_the_driver_refuses_fails_the_apply_names_the_step_and_restores_with_exit_4()
    {
        // Given libvirt's built-in test driver (2 cells x 8 CPUs, one running domain named "test"), which defines
        // domains but refuses every live change (VIR_DOMAIN_AFFECT_LIVE is an unsupported flag there)
        using var config = new ConfigDir(("00-cpu.conf", "reserved = 0\n"), ("10-test.conf", "[vm test]\nvcpus = 2\ncpu_weight = 300\n"));

        // When kvmconfig applies to it
        CliResult r = Run("apply", "--connect", "test:///default", "--config-dir", config.Dir, "--yes", "--journal", Journal, "--lock", Lock);

        // Then the definition went through, the first live change failed with libvirt's own words, and the VM was
        // restored from the journal
        Assert.True(r.Exit == 4, $"exit {r.Exit}\n{r.Out}\n{r.Err}");
        Assert.StartsWith("error[KVC095]: apply failed on VM 'test' at virsh vcpupin test 0 ", r.Err, StringComparison.Ordinal);
        Assert.Contains("virDomainPinVcpuFlags", r.Err, StringComparison.Ordinal);
        Assert.Contains("unsupported flags", r.Err, StringComparison.Ordinal);
        Assert.Contains("every VM already changed was restored from the journal", r.Err, StringComparison.Ordinal);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        Assert.Equal("rolled-back", Libvirt.Apply.Journal.Open(journal).Status);
        r.NoStackTrace();
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"uri\": \"qemu:///system\"}")]
    public void A_damaged_journal_is_refused_by_rollback_naming_it_and_nothing_changes(string manifest)
    {
        string before = Fingerprint(_declared.Name);
        string journal = Path.Combine(Journal, "20261126T000000.000Z");
        Directory.CreateDirectory(journal);
        File.WriteAllText(Path.Combine(journal, "journal.json"), manifest);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.StartsWith($"error[KVC093]: cannot read the journal {journal}", r.Err, StringComparison.Ordinal);
        Assert.Contains("= hint: ", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
        r.NoStackTrace();
    }

    [Fact]
    public void A_plan_made_from_a_capture_is_not_applied_to_this_host()
    {
        // Given a plan for the captured 20-CPU desktop, applied to this 2-CPU machine's daemon
        string before = Fingerprint(_declared.Name);

        CliResult r = Apply("--yes", "--sysroot", TestData.Path("sysfs", "desktop-1s-20cpu"));

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC098]: the plan was made for sysroot ", r.Err, StringComparison.Ordinal);
        Assert.Contains("online CPUs 0-19 against 0-1; nothing was changed", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
        Assert.False(Directory.Exists(Journal));
        r.NoStackTrace();
    }

    [Fact]
    public void A_daemon_that_is_not_there_is_KVC094()
    {
        CliResult r = Run("apply", "--config-dir", _config.Dir, "--connect", "qemu:///system?socket=/nonexistent/sock", "--yes", "--journal", Journal, "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC094]: ", r.Err, StringComparison.Ordinal);
        r.NoStackTrace();
    }

    [Fact]
    public void A_uri_that_does_not_parse_is_KVC094_and_nothing_changes()
    {
        string before = Fingerprint(_declared.Name);

        CliResult r = Run("apply", "--config-dir", _config.Dir, "--connect", "::not a uri::", "--yes", "--journal", Journal, "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC094]: ", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
    }

    [Fact]
    public void An_apply_that_finds_the_lock_held_waits_then_refuses_with_KVC096()
    {
        string before = Fingerprint(_declared.Name);
        using ApplyLock held = ApplyLock.Acquire(Lock, TimeSpan.Zero);

        CliResult r = Apply("--yes", "--lock-timeout", "0");

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC096]: ", r.Err, StringComparison.Ordinal);
        Assert.Contains($"fuser -v {Lock}", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
    }

    [Fact]
    public void A_journal_directory_that_cannot_be_written_stops_apply_before_any_change()
    {
        string before = Fingerprint(_declared.Name);
        string file = Path.Combine(_state, "a-file");
        File.WriteAllText(file, "");

        CliResult r = Run("apply", "--config-dir", _config.Dir, "--yes", "--journal", Path.Combine(file, "journal"), "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC093]: cannot write the rollback journal", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
    }

    [Fact]
    public void A_user_the_daemon_refuses_gets_KVC094_and_a_one_line_cause()
    {
        // The apphost and its assemblies, copied where nobody can reach them (a checkout under /root is out of its
        // reach), run as nobody: libvirtd asks polkit, which refuses (or is absent).
        string copy = Path.Combine(_state, "app");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(AppContext.BaseDirectory))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        string kvmconfig = Path.Combine(copy, "kvmconfig");
        File.SetUnixFileMode(kvmconfig, (UnixFileMode)0b111_101_101);
        foreach (string dir in (string[])[_state, copy])
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        }

        var start = new ProcessStartInfo("runuser") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in (string[])["-u", "nobody", "--", kvmconfig, "topology", "--connect", "qemu:///system"])
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(2, process.ExitCode);
        Assert.StartsWith("error[KVC094]: virConnectOpenReadOnly (qemu:///system): ", stderr, StringComparison.Ordinal);
        Assert.Contains("= hint: a user other than root needs libvirt's permission", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _declared.Dispose();
        _bystander.Dispose();
        _connection.Dispose();
        _config.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    [Theory]
    [InlineData("n", 2, false)]
    [InlineData("", 2, false)]
    [InlineData("y", 0, true)]
    public void On_a_terminal_it_shows_the_diff_then_asks_and_only_y_applies(string answer, int exit, bool applied)
    {
        string before = Fingerprint(_declared.Name);

        // script(1) gives apply a terminal; the answer is typed on it.
        (int code, string output) = OnTerminal($"dotnet {Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll")} apply --config-dir {_config.Dir} --journal {Journal} --lock {Lock}", answer + "\n");

        Assert.True(code == exit, output);
        int diff = output.IndexOf($"--- {_declared.Name} (libvirt, persistent)", StringComparison.Ordinal);
        int question = output.IndexOf("Apply these changes to 1 VM on qemu:///system? [y/N]", StringComparison.Ordinal);
        Assert.True(diff >= 0 && question > diff, output);
        Assert.Equal(applied, before != Fingerprint(_declared.Name));
    }

    private static (int Exit, string Output) OnTerminal(string command, string typed)
    {
        var start = new ProcessStartInfo("script", ["--quiet", "--return", "--command", command, "/dev/null"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["NO_COLOR"] = "1";
        using var script = Process.Start(start)!;
        Task<string> output = script.StandardOutput.ReadToEndAsync();
        script.StandardInput.Write(typed);
        script.StandardInput.Close();
        Assert.True(script.WaitForExit(TimeSpan.FromMinutes(2)), "apply on a terminal did not finish");
        return (script.ExitCode, output.Result.Replace("\r", "", StringComparison.Ordinal));
    }

    private CliResult Apply(params string[] extra) =>
        Run(["apply", "--config-dir", _config.Dir, "--journal", Journal, "--lock", Lock, .. extra]);

    // The persistent XML and the live pinning and scheduler values, hashed: "unchanged" means equal fingerprints.
    private string Fingerprint(string name)
    {
        using LibvirtDomain domain = _connection.Lookup(name);
        string live = domain.IsActive
            ? $"{string.Join(' ', domain.VcpuPins(DomainImpact.Live))} {domain.EmulatorPin(DomainImpact.Live)} {string.Join(' ', domain.SchedulerParameters(DomainImpact.Live).Parameters)}"
            : "stopped";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(domain.Xml(inactive: true) + live)));
    }
}
