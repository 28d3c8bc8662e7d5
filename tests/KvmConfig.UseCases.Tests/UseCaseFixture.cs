using KvmConfig.Core.Monitoring;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Apply;
using KvmConfig.Linux;
using KvmConfig.Monitoring.History;
using KvmConfig.TestSupport;

namespace KvmConfig.UseCases.Tests;

/// <summary>
/// One running domain on the real daemon, declared in a configuration directory that gives it a CPU weight, a cap
/// and a pinning libvirt's defaults do not have (CPU 0 for the host, CPU 1 for the VM on this 2-CPU machine), a
/// journal and lock of its own, and a history with a known number of sweeps.
/// </summary>
public sealed class UseCaseFixture : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("kvmconfig-usecases-").FullName;

    public UseCaseFixture()
    {
        LibvirtDaemon.Ensure();
        Connection = LibvirtDaemon.Connect();
        Domain = TestDomain.Create(Connection, "lib", vcpus: 1, start: true);
        Config = new ConfigDir(
            ("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"),
            ("10-vm.conf", $"[vm {Domain.Name}]\nvcpus = 1\ncpu_weight = 200\ncpu_limit = 0.5\n"));
        Host = SysfsTopologyReader.ForHost().Read();
        Options = new ChangeOptions
        {
            JournalRoot = Path.Combine(_state, "journal"),
            LockFile = Path.Combine(_state, "apply.lock"),
        };
        History = Path.Combine(_state, "history.db");
        WriteHistory(History, DateTimeOffset.UtcNow.AddHours(-1));
    }

    /// <summary>Sweeps in <see cref="History"/>, all within the last hour.</summary>
    public const int Sweeps = 6;

    public LibvirtConnection Connection { get; }

    public TestDomain Domain { get; }

    public ConfigDir Config { get; }

    public HostTopology Host { get; }

    public ChangeOptions Options { get; }

    public string History { get; }

    /// <summary>The domain's persistent XML and live pinning, weight and cap, as virsh shows them.</summary>
    public string Fingerprint()
    {
        string xml = LibvirtDaemon.Virsh("dumpxml", "--inactive", Domain.Name).Stdout;
        string pins = LibvirtDaemon.Virsh("vcpupin", Domain.Name, "--live").Stdout;
        string sched = LibvirtDaemon.Virsh("schedinfo", Domain.Name, "--live").Stdout;
        return $"{xml}\n{pins}\n{sched}";
    }

    private static void WriteHistory(string path, DateTimeOffset from)
    {
        using HistoryStore store = HistoryStore.Open(path);
        for (int i = 0; i < Sweeps; i++)
        {
            var figures = new DomainFigures("vm1", 10_000_000_000, [new VcpuFigures(0, 20, 1.5 * i)], 20, 1.5 * i, 1.5 * i, 10);
            store.Append(from.AddMinutes(i), [figures]);
        }
    }

    public void Dispose()
    {
        Domain.Dispose();
        Connection.Dispose();
        Config.Dispose();
        Directory.Delete(_state, recursive: true);
    }
}
