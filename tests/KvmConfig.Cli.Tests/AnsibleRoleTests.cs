using System.Text.Json;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;
using Xunit.Abstractions;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// The role of <c>deploy/ansible/</c> for real: ansible-lint's production profile, then <c>site.yml</c> against this
/// machine (<c>localhost</c>, the local connection) with the package scripts/package.sh builds, twice, the second run
/// changing nothing; then a declaration that fails check, which stops the host before apply. It installs and purges
/// a package and writes /etc/kvmconfig.d, so it runs alone (Category Serial) and puts back what was there.
/// </summary>
[Trait("Category", "Serial")]
[Collection(AnsibleRoleCollection.Name)]
public sealed class AnsibleRoleTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan PlaybookDeadline = TimeSpan.FromMinutes(10);
    private static readonly string Deploy = Path.Combine(TestData.RepositoryRoot, "deploy", "ansible");

    private readonly ConfigDir _controller = new();

    [Fact]
    public void The_role_passes_ansible_lint_with_the_production_profile()
    {
        AnsibleResult lint = AnsibleRun.Run("ansible-lint", Deploy, TimeSpan.FromMinutes(5), "--profile", "production", "site.yml", "roles/kvmconfig");

        Assert.True(lint.Exit == 0, lint.Output);
        Assert.Contains("Passed with production profile: 0 failure(s), 0 warning(s)", lint.Output, StringComparison.Ordinal);
    }

    [PackageFact]
    public void The_playbook_installs_checks_applies_and_a_second_run_changes_nothing()
    {
        if (MachineState.PackageInstalled())
        {
            output.WriteLine("skipped: kvmconfig is installed on this machine; the test would replace and purge it (dpkg --purge kvmconfig first)");
            return;
        }

        // Given the package, a running domain, and this machine's kvmconfig.d on the controller declaring it as
        // ApplyCommandTests does (CPU 0 for the host, CPU 1 for the VM, a weight and a cap libvirt does not have yet)
        string deb = PackageFactAttribute.Build(output);
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "ansible", vcpus: 1, start: true);
        Directory.CreateDirectory(Path.Combine(_controller.Dir, "localhost"));
        _controller.Write("localhost/00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n");
        _controller.Write("localhost/10-vm.conf", $"[vm {vm.Name}]\nvcpus = 1\ncpu_weight = 200\ncpu_limit = 0.5\n");
        using var machine = MachineState.Save();

        // When the playbook runs twice
        AnsibleResult first = Playbook(deb);
        AnsibleResult second = Playbook(deb);

        // Then the first installs, ships and applies; the second reports no change at all, apply included
        output.WriteLine(first.Output);
        IReadOnlyDictionary<string, int> once = AnsibleRun.Recap(first.Output, "localhost");
        IReadOnlyDictionary<string, int> twice = AnsibleRun.Recap(second.Output, "localhost");
        Assert.True(first.Exit == 0 && once["failed"] == 0, first.Output);
        Assert.Equal("changed", AnsibleRun.TaskStatus(first.Output, "kvmconfig : Apply the plan to libvirt", "localhost"));
        Assert.Equal("changed", AnsibleRun.TaskStatus(first.Output, "kvmconfig : Install the kvmconfig package", "localhost"));
        Assert.True(second.Exit == 0 && twice["failed"] == 0 && twice["changed"] == 0, second.Output);
        Assert.Equal("ok", AnsibleRun.TaskStatus(second.Output, "kvmconfig : Apply the plan to libvirt", "localhost"));

        // And kvmconfig and the shipped files are there, the domain has its weight, and the status saved on the
        // controller says the VM is in sync
        Assert.True(File.Exists("/usr/bin/kvmconfig"));
        Assert.Equal(File.ReadAllText(Path.Combine(_controller.Dir, "localhost", "10-vm.conf")), File.ReadAllText("/etc/kvmconfig.d/10-vm.conf"));
        Assert.Contains("<shares>200</shares>", LibvirtDaemon.Virsh("dumpxml", vm.Name, "--inactive").Stdout, StringComparison.Ordinal);
        using JsonDocument status = JsonDocument.Parse(File.ReadAllText(Path.Combine(_controller.Dir, "status", "localhost.json")));
        Assert.True(status.RootElement.GetProperty("inSync").GetBoolean(), status.RootElement.ToString());
        Assert.Equal(vm.Name, status.RootElement.GetProperty("vms")[0].GetProperty("name").GetString());

        // When the declaration turns bad (an unknown key) and the playbook runs again
        _controller.Write("localhost/20-typo.conf", "[vm typo]\nvcpus = 1\ncpu_pinning = strict\n");
        AnsibleResult bad = Playbook(deb);

        // Then the host fails at the check with check's own findings, and apply never ran
        Assert.True(bad.Exit != 0 && AnsibleRun.Recap(bad.Output, "localhost")["failed"] == 1, bad.Output);
        Assert.Contains("KVC", bad.Output, StringComparison.Ordinal);
        Assert.Contains("cpu_pinning", bad.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("TASK [kvmconfig : Apply the plan to libvirt]", bad.Output, StringComparison.Ordinal);
    }

    public void Dispose() => _controller.Dispose();

    // site.yml against localhost as root: no become (sudo is not needed, and not installed here); the package is kept
    // between runs in the controller's directory, not in /var/cache.
    private AnsibleResult Playbook(string deb)
    {
        string inventory = _controller.Write("inventory.ini", "localhost ansible_connection=local ansible_become=false ansible_python_interpreter=/usr/bin/python3\n");
        return AnsibleRun.Run("ansible-playbook", _controller.Dir, PlaybookDeadline,
            "-i", inventory, Path.Combine(Deploy, "site.yml"),
            "-e", $"kvmconfig_deb={deb}",
            "-e", $"kvmconfig_config_root={_controller.Dir}",
            "-e", $"kvmconfig_deb_cache={Path.Combine(_controller.Dir, "cache")}",
            "-e", $"kvmconfig_status_dir={Path.Combine(_controller.Dir, "status")}",
            // apply's journal and lock beside the controller's files, not in /var/lib/kvmconfig and /run/kvmconfig.
            "-e", JsonSerializer.Serialize(new { kvmconfig_apply_args = new[] { "--journal", Path.Combine(_controller.Dir, "journal"), "--lock", Path.Combine(_controller.Dir, "apply.lock") } }),
            // tune sets kernel settings for the whole machine (governor, hugepages, sysctl): its own tests run it here.
            "-e", "kvmconfig_tune=false");
    }
}

/// <summary>The role's test installs a package: it shares the machine with nothing.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AnsibleRoleCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Ansible role";
}
