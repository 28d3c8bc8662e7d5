using System.Diagnostics;
using KvmConfig.Libvirt;

namespace KvmConfig.TestSupport;

/// <summary>
/// The real libvirt daemon the integration tests run against: <c>scripts/libvirt-up.sh</c> installs it when missing and
/// starts virtlogd and libvirtd when they are not running (once per test process; the script is idempotent).
/// </summary>
public static class LibvirtDaemon
{
    /// <summary>The URI of the daemon the tests use.</summary>
    public const string Uri = "qemu:///system";

    /// <summary>Prefix of every domain a test defines, so that a leftover is recognisable (and removable).</summary>
    public const string Prefix = "kvmct-";

    private static readonly Lazy<string?> Started = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes sure the daemon runs; throws with the script's output when it cannot.</summary>
    public static void Ensure()
    {
        if (Started.Value is { } failure)
        {
            throw new InvalidOperationException($"libvirt is not available for the integration tests: {failure}");
        }
    }

    /// <summary>A read-write connection to the test daemon.</summary>
    public static LibvirtConnection Connect()
    {
        Ensure();
        return LibvirtConnection.Open(Uri);
    }

    /// <summary>A fresh domain name for a test: <see cref="Prefix"/>, the purpose, a random suffix.</summary>
    public static string NewName(string purpose) => $"{Prefix}{purpose}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// The smallest domain that runs here: QEMU under TCG (<c>type='qemu'</c>: no /dev/kvm), no disk, SeaBIOS halts,
    /// so its vCPUs are idle. <paramref name="extra"/> is spliced in before <c>&lt;os&gt;</c>, <paramref name="devices"/>
    /// inside <c>&lt;devices&gt;</c>.
    /// </summary>
    public static string DomainXml(string name, int vcpus = 2, int memoryMiB = 64, string extra = "", string devices = "", int? online = null) =>
        $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>{memoryMiB}</memory>
          <vcpu placement='static'{(online is { } n ? $" current='{n}'" : "")}>{vcpus}</vcpu>
          {extra}
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator>{devices}</devices>
        </domain>
        """;

    /// <summary>Runs <c>virsh -c qemu:///system ARGS</c> and returns its exit code and output (the tests' second
    /// opinion on what the binding reads and writes).</summary>
    public static (int Exit, string Stdout, string Stderr) Virsh(params string[] args)
    {
        var start = new ProcessStartInfo("virsh") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Uri);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private static string? Start()
    {
        var start = new ProcessStartInfo(Path.Combine(TestData.RepositoryRoot, "scripts", "libvirt-up.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? null : $"scripts/libvirt-up.sh exited {process.ExitCode}: {stderr}{stdout.Result}";
    }
}

/// <summary>
/// A domain defined (and optionally started) for one test, destroyed and undefined when disposed, whatever the test
/// did to it.
/// </summary>
public sealed class TestDomain : IDisposable
{
    private TestDomain(string name) => Name = name;

    /// <summary>The domain's name.</summary>
    public string Name { get; }

    /// <summary>Defines <see cref="LibvirtDaemon.DomainXml"/> under a fresh name and starts it when asked.</summary>
    public static TestDomain Create(LibvirtConnection connection, string purpose, int vcpus = 2, bool start = false, string extra = "", string devices = "", int? online = null)
    {
        string name = LibvirtDaemon.NewName(purpose);
        using LibvirtDomain domain = connection.Define(LibvirtDaemon.DomainXml(name, vcpus, extra: extra, devices: devices, online: online));
        if (start)
        {
            domain.Start();
        }

        return new TestDomain(name);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        using LibvirtConnection connection = LibvirtConnection.Open(LibvirtDaemon.Uri);
        using LibvirtDomain? domain = connection.TryLookup(Name);
        if (domain is null)
        {
            return;
        }

        // A transient domain (undefined while running) is gone once destroyed: ask about persistence first.
        bool persistent = domain.IsPersistent;
        if (domain.IsActive)
        {
            domain.Destroy();
        }

        if (persistent)
        {
            domain.Undefine();
        }
    }
}

/// <summary>
/// A guest that burns its vCPU without any OS: a one-sector raw disk whose boot sector is <c>jmp $</c> (EB FE, then the
/// 55 AA signature at offset 510), so SeaBIOS boots it and the TCG vCPU thread spins at 100 % of its CPU. Ground truth
/// for CPU-ready measurements: with another busy thread pinned on the same CPU the vCPU waits about half the time.
/// </summary>
public sealed class SpinningDomain : IDisposable
{
    private readonly TestDomain _domain;
    private readonly string _directory;

    private SpinningDomain(TestDomain domain, string directory)
    {
        _domain = domain;
        _directory = directory;
    }

    /// <summary>The domain's name.</summary>
    public string Name => _domain.Name;

    /// <summary>Defines and starts a 1-vCPU spinning guest with its vCPU pinned to host CPU <paramref name="cpu"/>.</summary>
    /// <param name="connection">The test daemon.</param>
    /// <param name="cpu">The host CPU its vCPU is pinned to.</param>
    /// <param name="cputune">More elements for <c>&lt;cputune&gt;</c>, e.g. a global quota.</param>
    public static SpinningDomain Start(LibvirtConnection connection, int cpu, string cputune = "")
    {
        // QEMU runs as libvirt-qemu: the image and its directory must be readable by others.
        string directory = Directory.CreateTempSubdirectory("kvmconfig-spin-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        string image = Path.Combine(directory, "boot.img");
        var sector = new byte[512];
        sector[0] = 0xEB;
        sector[1] = 0xFE;
        sector[510] = 0x55;
        sector[511] = 0xAA;
        File.WriteAllBytes(image, sector);
        File.SetUnixFileMode(image, (UnixFileMode)0b110_100_100);

        // QEMU's other threads (main loop, I/O) go to the other CPUs, so that the vCPU competes only with what a test
        // puts on its CPU.
        int[] rest = [.. Enumerable.Range(0, Environment.ProcessorCount).Where(c => c != cpu)];
        string others = rest.Length == 0 ? cpu.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Join(',', rest);
        var domain = TestDomain.Create(connection, "spin", vcpus: 1, start: true,
            extra: $"<cputune><vcpupin vcpu='0' cpuset='{cpu}'/><emulatorpin cpuset='{others}'/>{cputune}</cputune>",
            devices: $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='hda' bus='ide'/><boot order='1'/></disk>");
        return new SpinningDomain(domain, directory);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _domain.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>A shell busy loop pinned to one host CPU (<c>taskset -c CPU sh -c 'while :; do :; done'</c>), killed on dispose.</summary>
public sealed class BusyLoop : IDisposable
{
    private readonly Process _process;

    /// <summary>Starts the loop on <paramref name="cpu"/>.</summary>
    public BusyLoop(int cpu)
    {
        var start = new ProcessStartInfo("taskset");
        foreach (string arg in (string[])["-c", cpu.ToString(System.Globalization.CultureInfo.InvariantCulture), "sh", "-c", "while :; do :; done"])
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}

/// <summary>
/// Keeps the calling process off one CPU while it is held (restoring the old affinity on dispose), so that a truth
/// test's own threads (the test host, the sampler) do not compete with the vCPU it measures there.
/// </summary>
public sealed class AwayFromCpu : IDisposable
{
    private readonly IntPtr _before;

    /// <summary>Moves this process to every CPU but <paramref name="cpu"/>.</summary>
    public AwayFromCpu(int cpu)
    {
        using Process self = Process.GetCurrentProcess();
        _before = self.ProcessorAffinity;
        self.ProcessorAffinity = (IntPtr)((long)_before & ~(1L << cpu));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        using Process self = Process.GetCurrentProcess();
        self.ProcessorAffinity = _before;
    }
}
