using KvmConfig.Config;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Linux;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>
/// <c>net_bandwidth</c> against this host's real kernel: where it lacks what libvirt's tc runs (this project's build
/// machines lack sch_sfq and act_police), check warns and apply, dry run or not, refuses before anything changes;
/// where it has them, apply shapes the running interface live.
/// </summary>
public sealed class ShapingTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("kvmconfig-shaping-").FullName;
    private readonly LibvirtConnection _connection;
    private readonly TestDomain _vm;
    private readonly ConfigDir _config;
    private readonly HostTopology _host = SysfsTopologyReader.ForHost().Read();

    public ShapingTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
        _vm = TestDomain.Create(_connection, "shape", vcpus: 1, start: true, devices: "<interface type='ethernet'><model type='e1000'/></interface>");
        _config = new ConfigDir(
            ("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"),
            ("10-vm.conf", $"[vm {_vm.Name}]\nvcpus = 1\nnet_bandwidth = 8Mbit\n"));
    }

    private ChangeOptions Options(bool dryRun) => new()
    {
        JournalRoot = Path.Combine(_state, "journal"),
        LockFile = Path.Combine(_state, "apply.lock"),
        DryRun = dryRun,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Apply_shapes_only_on_a_kernel_that_can(bool dryRun)
    {
        // Given a running VM with an interface, declared with net_bandwidth
        CheckReport check = DeclarationCheck.Run(_config.Dir, _host);
        PlanOutcome.Planned planned = Assert.IsType<PlanOutcome.Planned>(DeclarationPlan.Run(_config.Dir, _host));
        string before = LibvirtDaemon.Virsh("dumpxml", "--inactive", _vm.Name).Stdout;

        if (_host.NetShaping.Unsupported)
        {
            // Then check warns, and apply refuses naming the VM and the missing modules, with nothing changed
            Assert.Contains(check.Diagnostics, d => d.Code == Rules.NetShapingUnsupported.Code);
            var e = Assert.Throws<KvmConfigException>(() =>
                PendingApply.Apply(_connection, planned.Plan, new PlanOrigin(_host, "this host", _config.Dir), Options(dryRun)));
            Assert.Equal(Rules.CannotShape, e.Descriptor);
            Assert.Contains(_vm.Name, e.Message, StringComparison.Ordinal);
            Assert.Contains(_host.NetShaping.Missing[0].Module, e.Message, StringComparison.Ordinal);
            Assert.Contains("modprobe -a", e.Hint, StringComparison.Ordinal);
            Assert.Equal(before, LibvirtDaemon.Virsh("dumpxml", "--inactive", _vm.Name).Stdout);
            Assert.False(Directory.Exists(Path.Combine(_state, "journal")));
        }
        else
        {
            // Then check has nothing to say about it, and apply shapes the running interface at 1000 KB/s
            Assert.DoesNotContain(check.Diagnostics, d => d.Code == Rules.NetShapingUnsupported.Code);
            ApplyResult result = PendingApply.Apply(_connection, planned.Plan, new PlanOrigin(_host, "this host", _config.Dir), Options(dryRun));
            if (!dryRun)
            {
                ApplyResult.Applied applied = Assert.IsType<ApplyResult.Applied>(result);
                Assert.True(applied.Outcome.Succeeded, applied.Outcome.Error?.Message);
                Assert.Contains("average='1000'", LibvirtDaemon.Virsh("dumpxml", "--inactive", _vm.Name).Stdout, StringComparison.Ordinal);
            }
        }
    }

    public void Dispose()
    {
        _vm.Dispose();
        _config.Dispose();
        _connection.Dispose();
        Directory.Delete(_state, recursive: true);
    }
}
