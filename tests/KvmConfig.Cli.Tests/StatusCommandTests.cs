using System.Text.Json;
using KvmConfig.Cli.Status;
using KvmConfig.Config;
using KvmConfig.Core.Apply;
using KvmConfig.Core;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Libvirt;
using KvmConfig.Linux;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig status</c> end to end on the real libvirt daemon of this machine (2 CPUs, one NUMA node): real
/// domains named as the declared VMs, the command run in-process, and <c>virsh</c> as the second opinion on what the
/// domains really say. Other test assemblies define domains at the same time, so only this class's own domains are
/// asserted on.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class StatusCommandTests : IDisposable
{
    private readonly LibvirtConnection _connection = LibvirtDaemon.Connect();
    private readonly List<TestDomain> _domains = [];

    public void Dispose()
    {
        foreach (TestDomain domain in _domains)
        {
            domain.Dispose();
        }

        _connection.Dispose();
    }

    [Fact]
    public void A_shut_off_domain_nobody_tuned_drifts_until_its_definition_is_the_plans()
    {
        // Given a shut-off domain as virt-install would leave it, and a declaration that pins its vCPU to CPU 1
        TestDomain domain = Create("status-off");
        using ConfigDir dir = Declare(domain.Name);

        // When status runs
        CliResult before = Run("status", "--config-dir", dir.Dir, "--format", "json");

        // Then it exits 3 and names the fields that differ, with the values virsh shows
        Assert.True(before.Exit == 3, Show(before));
        JsonElement vm = Vm(before, domain.Name);
        Assert.Equal("shut off", vm.GetProperty("state").GetString());
        Assert.False(vm.GetProperty("inSync").GetBoolean());
        Dictionary<string, (string Desired, string Actual)> drift = Drift(vm);
        Assert.Equal(("1", "any"), drift["vcpupin 0"]);
        Assert.Equal(("0", "any"), drift["emulatorpin"]);
        Assert.Equal(("100", OwnedState.Absent), drift["cputune shares"]);
        Assert.Equal(("strict 0", OwnedState.Absent), drift["numatune memory"]);
        Assert.Equal(("1", "any"), drift["vcpu cpuset"]);
        Assert.DoesNotContain(drift.Keys, f => f.StartsWith("live ", StringComparison.Ordinal));
        Assert.Matches(@"\n\s*0\s+0-1\s*\n", LibvirtDaemon.Virsh("vcpupin", domain.Name, "--config").Stdout);

        // When its definition becomes the plan's (what apply defines)
        DefineMerged(dir, domain.Name);
        CliResult after = Run("status", "--config-dir", dir.Dir, "--format", "json");

        // Then status exits 0 with no drift, and virsh sees the pins the plan asks
        Assert.True(after.Exit == 0, Show(after));
        vm = Vm(after, domain.Name);
        Assert.True(vm.GetProperty("inSync").GetBoolean());
        Assert.Empty(Drift(vm));
        Assert.Matches(@"\n\s*0\s+1\s*\n", LibvirtDaemon.Virsh("vcpupin", domain.Name, "--config").Stdout);
        Assert.Matches(@"\*:\s+0\s*\n", LibvirtDaemon.Virsh("emulatorpin", domain.Name, "--config").Stdout);
    }

    [Fact]
    public void A_running_domain_pinned_elsewhere_live_drifts_until_pinned_back()
    {
        // Given a running domain started from the plan's definition: in sync, persistent and live
        TestDomain domain = Create("status-live");
        using ConfigDir dir = Declare(domain.Name);
        DefineMerged(dir, domain.Name);
        using (LibvirtDomain d = _connection.Lookup(domain.Name))
        {
            d.Start();
        }

        CliResult start = Run("status", "--config-dir", dir.Dir);
        Assert.True(start.Exit == 0, Show(start));
        Assert.Matches($@"\n{domain.Name}\s+running\s+yes\s+0\n", start.Out);

        // When an administrator moves the vCPU and the emulator live, behind the declaration's back
        Assert.Equal(0, LibvirtDaemon.Virsh("vcpupin", domain.Name, "0", "0", "--live").Exit);
        Assert.Equal(0, LibvirtDaemon.Virsh("emulatorpin", domain.Name, "1", "--live").Exit);
        CliResult moved = Run("status", "--config-dir", dir.Dir, "--format", "json");

        // Then status exits 3 with exactly those two live fields, the definition still being right
        Assert.True(moved.Exit == 3, Show(moved));
        JsonElement vm = Vm(moved, domain.Name);
        Assert.Equal("running", vm.GetProperty("state").GetString());
        Assert.Equal(
            new Dictionary<string, (string, string)> { ["live vcpupin 0"] = ("1", "0"), ["live emulatorpin"] = ("0", "1") },
            Drift(vm));
        Assert.Matches(@"\n\s*0\s+0\s*\n", LibvirtDaemon.Virsh("vcpupin", domain.Name, "--live").Stdout);
        Assert.Matches(@"\*:\s+1\s*\n", LibvirtDaemon.Virsh("emulatorpin", domain.Name, "--live").Stdout);

        // And the text says the same, one line per field
        CliResult text = Run("status", "--config-dir", dir.Dir);
        Assert.Equal(3, text.Exit);
        Assert.Matches($@"\n{domain.Name}\s+running\s+no\s+2\n", text.Out);
        Assert.Contains($"{domain.Name} (running):\n  live vcpupin 0: desired 1, actual 0\n  live emulatorpin: desired 0, actual 1\n", text.Out);

        // When the threads are pinned back through the live API
        using (LibvirtDomain d = _connection.Lookup(domain.Name))
        {
            d.PinVcpu(0, CpuSet.Of(1), DomainImpact.Live);
            d.PinEmulator(CpuSet.Of(0), DomainImpact.Live);
        }

        CliResult back = Run("status", "--config-dir", dir.Dir, "--format", "json");

        // Then it is in sync again, and virsh agrees
        Assert.True(back.Exit == 0, Show(back));
        Assert.True(Vm(back, domain.Name).GetProperty("inSync").GetBoolean());
        Assert.Matches(@"\n\s*0\s+1\s*\n", LibvirtDaemon.Virsh("vcpupin", domain.Name, "--live").Stdout);
        Assert.Matches(@"\*:\s+0\s*\n", LibvirtDaemon.Virsh("emulatorpin", domain.Name, "--live").Stdout);
    }

    [Fact]
    public void A_domain_no_declaration_names_is_listed_as_unmanaged_and_does_not_count()
    {
        // Given a declared VM in sync and a domain nobody declared
        TestDomain declared = Create("status-managed");
        TestDomain stray = Create("status-stray");
        using ConfigDir dir = Declare(declared.Name);
        DefineMerged(dir, declared.Name);

        // When status runs
        CliResult json = Run("status", "--config-dir", dir.Dir, "--format", "json");
        CliResult text = Run("status", "--config-dir", dir.Dir);

        // Then the stray domain is unmanaged, with its state, and the exit is 0
        Assert.True(json.Exit == 0, Show(json));
        using JsonDocument doc = JsonDocument.Parse(json.Out);
        JsonElement unmanaged = Assert.Single(doc.RootElement.GetProperty("unmanaged").EnumerateArray(), u => u.GetProperty("name").GetString() == stray.Name);
        Assert.Equal("shut off", unmanaged.GetProperty("state").GetString());
        Assert.DoesNotContain(doc.RootElement.GetProperty("unmanaged").EnumerateArray(), u => u.GetProperty("name").GetString() == declared.Name);
        Assert.Equal(0, text.Exit);
        Assert.Contains($"{stray.Name} (shut off)", text.Out.Split('\n').Single(l => l.StartsWith("unmanaged: ", StringComparison.Ordinal)));
        Assert.Contains($"{stray.Name}", LibvirtDaemon.Virsh("list", "--all", "--name").Stdout);
    }

    [Fact]
    public void A_declared_vm_libvirt_does_not_know_is_undefined_and_exits_3()
    {
        // Given a declaration naming a domain that was never defined
        string name = LibvirtDaemon.NewName("status-missing");
        using ConfigDir dir = Declare(name);
        Assert.NotEqual(0, LibvirtDaemon.Virsh("dominfo", name).Exit);

        // When status runs
        CliResult r = Run("status", "--config-dir", dir.Dir, "--format", "json");

        // Then the VM is undefined, out of sync, with the one drift that says so
        Assert.True(r.Exit == 3, Show(r));
        JsonElement vm = Vm(r, name);
        Assert.Equal("undefined", vm.GetProperty("state").GetString());
        Assert.False(vm.GetProperty("inSync").GetBoolean());
        Assert.Equal(new Dictionary<string, (string, string)> { ["domain"] = ("defined", OwnedState.Absent) }, Drift(vm));
        CliResult text = Run("status", "--config-dir", dir.Dir);
        Assert.Matches($@"\n{name}\s+undefined\s+no\s+1\n", text.Out);
        Assert.Contains("virsh define", text.Out);
    }

    [Fact]
    public void Json_has_the_documented_contract()
    {
        TestDomain domain = Create("status-json");
        using ConfigDir dir = Declare(domain.Name);

        CliResult r = Run("status", "--config-dir", dir.Dir, "--format", "json");

        Assert.True(r.Exit == 3, Show(r));
        Assert.Equal("", r.Err);
        using JsonDocument doc = JsonDocument.Parse(r.Out);
        JsonElement root = doc.RootElement;
        Assert.Equal(["version", "inSync", "configDir", "connect", "vms", "unmanaged"], root.EnumerateObject().Select(p => p.Name));
        Assert.False(root.GetProperty("inSync").GetBoolean());
        Assert.Equal(dir.Dir, root.GetProperty("configDir").GetString());
        Assert.Equal("qemu:///system", root.GetProperty("connect").GetString());
        JsonElement vm = Assert.Single(root.GetProperty("vms").EnumerateArray());
        Assert.Equal(["name", "state", "inSync", "drift"], vm.EnumerateObject().Select(p => p.Name));
        Assert.All(vm.GetProperty("drift").EnumerateArray(), d =>
            Assert.Equal(["field", "desired", "actual"], d.EnumerateObject().Select(p => p.Name)));
        Assert.All(root.GetProperty("unmanaged").EnumerateArray(), u =>
            Assert.Equal(["name", "state"], u.EnumerateObject().Select(p => p.Name)));
    }

    [Fact]
    public void Text_shows_the_table_each_drifted_field_and_the_unmanaged_domains_with_drift_in_red()
    {
        // Given a report of one drifted, one matching and one undefined VM, and two unmanaged domains
        using ConfigDir dir = Declare("vm1");
        CheckReport check = DeclarationCheck.Run(dir.Dir, SysfsTopologyReader.ForHost().Read());
        var status = new StatusReport(
            [
                new VmStatus("db", "running", [new Drift("cputune shares", "300", "100"), new Drift("live vcpupin 0", "2", "0-3")]),
                new VmStatus("mon", VmStatus.Undefined, [new Drift("domain", "defined", OwnedState.Absent)]),
                new VmStatus("web", "shut off", []),
            ],
            [new UnmanagedDomain("build", "running"), new UnmanagedDomain("win11", "shut off")]);

        // When it is rendered without and with colour
        string plain = StatusText.Render(status, check, new StatusTextOptions("qemu:///system"));
        string color = StatusText.Render(status, check, new StatusTextOptions("qemu:///system", Color: true));

        // Then the plain text is the table, the drift per VM, the unmanaged list and the verdict
        Assert.Equal(
            $"""
            status of 3 VMs declared in {dir.Dir}, against libvirt qemu:///system

            VM    state       in sync   drift
            db    running     no        2
            mon   undefined   no        1
            web   shut off    yes       0

            db (running):
              cputune shares: desired 300, actual 100
              live vcpupin 0: desired 2, actual 0-3

            mon (undefined):
              domain: desired defined, actual (absent)

            unmanaged: build (running), win11 (shut off)

            drift: 2 VMs of 3 differ from the plan
              = hint: kvmconfig apply --dry-run shows what apply would change to bring them back; an undefined VM needs its domain first (virt-install, virsh define) or its declaration removed

            """,
            plain);

        // And in colour every drifted field and "no" are red, "yes" green, and nothing else changes
        Assert.Contains("  \e[1;31mlive vcpupin 0: desired 2, actual 0-3\e[0m\n", color);
        Assert.Contains("\e[1;31mno        \e[0m", color);
        Assert.Contains("\e[32myes       \e[0m", color);
        Assert.Equal(plain, System.Text.RegularExpressions.Regex.Replace(color, @"\e\[[0-9;]*m", ""));
    }

    [Fact]
    public void An_unreachable_libvirt_exits_2_with_KVC094()
    {
        using ConfigDir dir = Declare("vm1");

        CliResult r = Run("status", "--config-dir", dir.Dir, "--connect", "qemu:///system?socket=/nonexistent");

        r.CouldNotRun("KVC094");
        Assert.Contains("/nonexistent", r.Err);
    }

    [Fact]
    public void A_declaration_with_errors_prints_check_and_exits_1()
    {
        // Given a VM taking one of two CPUs under the default max_vm_share of 1/3
        using var dir = new ConfigDir(("10-vms.conf", "[vm vm1]\ncpus = 1\nvcpus = 1\n"));

        CliResult r = Run("status", "--config-dir", dir.Dir);

        Assert.True(r.Exit == 1, Show(r));
        Assert.Contains("= rule: max-vm-share", r.Out);
        Assert.Equal(Run("check", "--config-dir", dir.Dir).Out, r.Out);
        Assert.DoesNotContain("unmanaged", r.Out);
    }

    [Fact]
    public async Task Help_names_the_exit_codes()
    {
        // Spectre.Console writes help to the console it captured at start-up, not to Console.Out: run the real binary.
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll"), "status", "--help" })
        {
            start.ArgumentList.Add(arg);
        }

        using System.Diagnostics.Process process = System.Diagnostics.Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        // The help is wrapped to the terminal's width: compare the words, not the line breaks.
        string help = System.Text.RegularExpressions.Regex.Replace(stdout, @"\s+", " ");
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}{await stderr}");
        Assert.Contains("Exit codes: 0 every declared VM matches its plan, 1 the declaration has errors, 2 could not run", help);
        Assert.Contains("3 drift (a VM's domain differs from its plan, or libvirt does not know it)", help);
        Assert.Contains("(default qemu:///system)", help);
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private static CliResult Run(params string[] args) => CliRunner.Run(args);

    private static string Show(CliResult r) => $"exit {r.Exit}\nstdout:\n{r.Out}\nstderr:\n{r.Err}";

    /// <summary>A 1-vCPU domain (shut off), removed when the test ends.</summary>
    private TestDomain Create(string purpose)
    {
        TestDomain domain = TestDomain.Create(_connection, purpose, vcpus: 1);
        _domains.Add(domain);
        return domain;
    }

    /// <summary>
    /// A declaration of one VM that fits this 2-CPU host: vCPU 0 strictly on CPU 1, the emulator on the reserved CPU 0.
    /// One VM, because the host must have more CPUs than VMs; a share of 1/2, because one CPU of two is above the
    /// default 1/3.
    /// </summary>
    private static ConfigDir Declare(string vm) =>
        new(("00-host.conf", "[host]\nmax_vm_share = 1/2\n"), ("10-vms.conf", $"[vm {vm}]\ncpus = 1\nvcpus = 1\n"));

    /// <summary>Defines the domain's persistent XML merged with its plan, as <c>apply</c> would.</summary>
    private void DefineMerged(ConfigDir dir, string name)
    {
        CheckReport report = DeclarationCheck.Run(dir.Dir, SysfsTopologyReader.ForHost().Read());
        VmPlacement placement = report.Plan?.Vm(name) ?? throw new InvalidOperationException($"no plan for {name}: {string.Join("; ", report.Diagnostics)}");
        using LibvirtDomain domain = _connection.Lookup(name);
        using LibvirtDomain defined = _connection.Define(DomainXml.Merge(domain.Xml(inactive: true), DomainTuning.From(placement)));
    }

    private static JsonElement Vm(CliResult r, string name)
    {
        using JsonDocument doc = JsonDocument.Parse(r.Out);
        return doc.RootElement.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).Clone();
    }

    private static Dictionary<string, (string Desired, string Actual)> Drift(JsonElement vm) =>
        vm.GetProperty("drift").EnumerateArray().ToDictionary(
            d => d.GetProperty("field").GetString()!,
            d => (d.GetProperty("desired").GetString()!, d.GetProperty("actual").GetString()!));
}
