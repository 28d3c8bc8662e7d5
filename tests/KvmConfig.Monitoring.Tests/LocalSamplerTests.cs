using KvmConfig.Core;
using KvmConfig.Core.Monitoring;
using KvmConfig.Linux.Procfs;
using KvmConfig.Monitoring.Sweeping;
using KvmConfig.TestSupport;

namespace KvmConfig.Monitoring.Tests;

/// <summary>
/// The local sampler on a small procfs tree of its own: a QEMU process with two vCPU threads and an I/O thread, a
/// process that exited while libvirt's pid file still names it, and a live process whose file is malformed.
/// </summary>
public sealed class LocalSamplerTests : IDisposable
{
    private const int Pid = 4242;
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("kvmconfig-sampler-");
    private readonly LocalSampler _sampler;

    public LocalSamplerTests()
    {
        Directory.CreateDirectory(Run);
        File.WriteAllText(Path.Combine(Run, "web1.pid"), $"{Pid}\n");
        _sampler = new LocalSampler(new QemuProcesses(Run), new ProcfsReader(Proc));
    }

    private string Run => Path.Combine(_root.FullName, "run");

    private string Proc => Path.Combine(_root.FullName, "proc");

    [Fact]
    public void A_running_process_gives_its_vcpu_threads_in_order_and_its_rss()
    {
        WriteProcess(("CPU 1/KVM", "300 40 3"), ("CPU 0/KVM", "100 20 1"), ("IO mon_iothread", "9 9 9"));

        DomainSample sample = _sampler.Sample("web1", guestMemoryKiB: 1024)!;

        Assert.Equal(Pid, sample.Pid);
        Assert.Equal([(0, 100UL, 20UL), (1, 300UL, 40UL)], sample.Vcpus.Select(v => (v.Vcpu, v.Schedstat.RunNs, v.Schedstat.WaitNs)));
        Assert.Equal(2048, sample.RssKiB);
        Assert.Equal(1024, sample.GuestMemoryKiB);
    }

    [Fact]
    public void With_the_guest_size_the_memory_split_comes_from_smaps_and_is_not_read_again_while_current()
    {
        // Given the process with the smaps of the captured 64 MiB guest, and a cadence that keeps a reading for a
        // billion times what it cost
        WriteProcess(("CPU 0/KVM", "100 20 1"));
        string smaps = Path.Combine(Proc, $"{Pid}", "smaps");
        File.Copy(TestData.Path("procfs", "qemu72-tcg-smaps", "proc", "4541", "smaps"), smaps);
        using var sampler = new LocalSampler(new QemuProcesses(Run), new ProcfsReader(Proc), smaps: new SmapsCadence(budgetShare: 1e-9));

        // When it is sampled, its smaps replaced by an empty one (a process without memory), and sampled again
        DomainSample first = sampler.Sample("web1", guestMemoryKiB: 65536)!;
        File.WriteAllText(smaps, "");
        DomainSample second = sampler.Sample("web1", guestMemoryKiB: 65536)!;

        // Then both carry the split of the first reading: 44068 kB resident, 6144 kB of it in the guest's RAM
        Assert.Equal(new QemuMemory(44068, 6144, 1), first.Memory);
        Assert.Equal(first.Memory, second.Memory);

        // and a sample for another guest size reads it again: no RAM block adds up to it now
        Assert.Null(sampler.Sample("web1", guestMemoryKiB: 65536 * 2)!.Memory);
    }

    [Fact]
    public void Smaps_that_cannot_be_read_leaves_the_overhead_unknown_and_the_rest_of_the_sample()
    {
        // Given a live process without a readable smaps (as for a user without ptrace access to QEMU)
        WriteProcess(("CPU 0/KVM", "100 20 1"));

        DomainSample sample = _sampler.Sample("web1", guestMemoryKiB: 65536)!;

        Assert.Null(sample.Memory);
        Assert.Equal(2048, sample.RssKiB);
        Assert.Single(sample.Vcpus);
    }

    [Fact]
    public void A_process_gone_while_its_pid_file_remains_is_not_running_rather_than_an_error()
    {
        // No /proc/4242: the domain stopped between libvirt's list and the read, or crashed and left its pid file.
        Assert.Null(_sampler.Sample("web1"));
        Assert.Null(_sampler.Sample("not-running"));
    }

    [Fact]
    public void A_live_process_with_a_malformed_file_is_refused_with_the_path()
    {
        WriteProcess(("CPU 0/KVM", "one two three"));

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => _sampler.Sample("web1"));

        Assert.Contains(Path.Combine(Proc, $"{Pid}", "task", "1", "schedstat"), e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _root.Delete(recursive: true);

    private void WriteProcess(params (string Comm, string Schedstat)[] threads)
    {
        string process = Path.Combine(Proc, $"{Pid}");
        Directory.CreateDirectory(process);
        File.WriteAllText(Path.Combine(process, "status"), "Name:\tqemu-system-x86\nVmRSS:\t    2048 kB\n");
        for (int i = 0; i < threads.Length; i++)
        {
            string task = Path.Combine(process, "task", $"{i + 1}");
            Directory.CreateDirectory(task);
            File.WriteAllText(Path.Combine(task, "comm"), threads[i].Comm + "\n");
            File.WriteAllText(Path.Combine(task, "schedstat"), threads[i].Schedstat + "\n");
        }
    }
}
