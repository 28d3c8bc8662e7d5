using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Linux;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>
/// Stable plans on the real daemon: six VMs applied, a seventh file added and applied again leaves the six
/// definitions byte for byte; a VM whose place becomes invalid is the only one that moves, and status is in sync.
/// </summary>
/// <remarks>
/// This machine has 2 CPUs, where the rules allow one VM ("more physical CPUs than VMs"), so the seven-VM sequence is
/// planned for the captured 20-CPU desktop with the domains shut off (libvirt stores and returns their definitions),
/// and the live half of a move is shown on this host with its one VM.
/// </remarks>
public sealed class StablePlanTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("kvmconfig-stable-").FullName;
    private readonly LibvirtConnection _connection;
    private readonly List<TestDomain> _domains = [];
    private readonly ConfigDir _config = new(("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\n"));
    private readonly HostTopology _desktop = SysfsTopologyReader.ForSysroot(TestData.Path("sysfs", "desktop-1s-20cpu")).Read();

    public StablePlanTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
    }

    private string Add(int vcpus, string extra = "")
    {
        TestDomain domain = TestDomain.Create(_connection, "stable", vcpus: vcpus);
        _domains.Add(domain);
        _config.Write($"20-{domain.Name}.conf", $"[vm {domain.Name}]\nvcpus = {vcpus}\n{extra}");
        return domain.Name;
    }

    // plan + apply as the CLI does without --repack: the places come from the domains' definitions.
    private Plan Apply()
    {
        PlanOutcome.Planned planned = Assert.IsType<PlanOutcome.Planned>(
            DeclarationPlan.Run(_config.Dir, _desktop, names => LibvirtIncumbents.Read(_connection, names).ByName));
        var origin = new PlanOrigin(_desktop, "captured desktop", _config.Dir, ReadThroughConnection: true);
        var options = new ChangeOptions { JournalRoot = Path.Combine(_state, "journal"), LockFile = Path.Combine(_state, "lock") };
        ApplyResult.Applied applied = Assert.IsType<ApplyResult.Applied>(PendingApply.Apply(_connection, planned.Plan, origin, options));
        Assert.True(applied.Outcome.Succeeded, applied.Outcome.Error?.Message);
        return planned.Plan;
    }

    private Dictionary<string, string> Definitions() =>
        _domains.ToDictionary(d => d.Name, d => LibvirtDaemon.Virsh("dumpxml", "--inactive", d.Name).Stdout);

    [Fact]
    public void Adding_a_vm_leaves_the_others_byte_for_byte_and_an_invalid_place_is_the_only_move()
    {
        // Given six VMs applied
        string[] six = [Add(2), Add(2), Add(3), Add(1), Add(2), Add(4)];
        Apply();
        Dictionary<string, string> before = Definitions();

        // When a seventh file is added and applied
        string seventh = Add(2);
        Plan second = Apply();

        // Then the six definitions are exactly as they were, and all six were kept
        Dictionary<string, string> after = Definitions();
        Assert.All(six, name => Assert.Equal(before[name], after[name]));
        Assert.Empty(second.Moves);
        Assert.Equal(six.Order(StringComparer.Ordinal), second.Kept.Order(StringComparer.Ordinal));
        Assert.Contains("<vcpupin", after[seventh], StringComparison.Ordinal);

        // When one VM's file goes and a new VM is declared on the CPUs of another, the first VM's
        string victim = six[0];
        string doomed = six[1];
        File.Delete(Path.Combine(_config.Dir, $"20-{doomed}.conf"));
        string claimed = second.Vm(victim)!.Cpus.ToString();
        string newcomer = Add(second.Vm(victim)!.Cpus.Count, $"cpus = {claimed}\n");
        Plan third = Apply();

        // Then exactly that VM moves, elsewhere, the others stay byte for byte, and status is in sync
        PlanMove move = Assert.Single(third.Moves);
        Assert.Equal(victim, move.Vm);
        Assert.Contains("named by an explicit cpus list", move.Why, StringComparison.Ordinal);
        Assert.False(third.Vm(victim)!.Cpus.Overlaps(third.Vm(newcomer)!.Cpus));
        Dictionary<string, string> last = Definitions();
        Assert.All(six.Skip(2).Append(seventh), name => Assert.Equal(after[name], last[name]));
        Assert.NotEqual(after[victim], last[victim]);
        StatusReport status = DomainStatus.Observe(_connection, third);
        Assert.True(status.InSync, string.Join("; ", status.Vms.SelectMany(v => v.Drift)));
    }

    [Fact]
    public void A_running_vm_whose_place_becomes_invalid_moves_live_and_status_is_in_sync()
    {
        // Given a running 1-vCPU VM applied on this host with CPU 0 reserved: its vCPU runs on CPU 1
        HostTopology here = SysfsTopologyReader.ForHost().Read();
        TestDomain vm = TestDomain.Create(_connection, "moving", vcpus: 1, start: true);
        _domains.Add(vm);
        using var config = new ConfigDir(("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"), ("20-vm.conf", $"[vm {vm.Name}]\nvcpus = 1\n"));
        Plan first = ApplyHere(config, here);
        Assert.Equal(CpuSet.Of(1), first.Vm(vm.Name)!.Cpus);

        // When the host's reserved CPU becomes CPU 1
        config.Write("00-cpu.conf", "reserved = 1\nmax_vm_share = 1/2\nmemory_reserved = 1G\n");
        Plan second = ApplyHere(config, here);

        // Then the VM is the one move, to CPU 0, live as well as in its definition, and status is in sync
        PlanMove move = Assert.Single(second.Moves);
        Assert.Equal((vm.Name, CpuSet.Of(1), CpuSet.Of(0)), (move.Vm, move.From, move.To));
        Assert.Contains("reserved or outside the cpuset", move.Why, StringComparison.Ordinal);
        using LibvirtDomain domain = _connection.Lookup(vm.Name);
        Assert.Equal([CpuSet.Of(0)], domain.VcpuPins(DomainImpact.Live));
        Assert.True(DomainStatus.Observe(_connection, second).InSync);
    }

    private Plan ApplyHere(ConfigDir config, HostTopology here)
    {
        PlanOutcome.Planned planned = Assert.IsType<PlanOutcome.Planned>(
            DeclarationPlan.Run(config.Dir, here, names => LibvirtIncumbents.Read(_connection, names).ByName));
        var options = new ChangeOptions { JournalRoot = Path.Combine(_state, "journal"), LockFile = Path.Combine(_state, "lock") };
        ApplyResult.Applied applied = Assert.IsType<ApplyResult.Applied>(PendingApply.Apply(_connection, planned.Plan, new PlanOrigin(here, "this host", config.Dir), options));
        Assert.True(applied.Outcome.Succeeded, applied.Outcome.Error?.Message);
        return planned.Plan;
    }

    public void Dispose()
    {
        _domains.ForEach(d => d.Dispose());
        _config.Dispose();
        _connection.Dispose();
        Directory.Delete(_state, recursive: true);
    }
}
