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
    public static string DomainXml(string name, int vcpus = 2, int memoryMiB = 64, string extra = "", string devices = "") =>
        $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>{memoryMiB}</memory>
          <vcpu placement='static'>{vcpus}</vcpu>
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
    public static TestDomain Create(LibvirtConnection connection, string purpose, int vcpus = 2, bool start = false, string extra = "", string devices = "")
    {
        string name = LibvirtDaemon.NewName(purpose);
        using LibvirtDomain domain = connection.Define(LibvirtDaemon.DomainXml(name, vcpus, extra: extra, devices: devices));
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

        if (domain.IsActive)
        {
            domain.Destroy();
        }

        if (domain.IsPersistent)
        {
            domain.Undefine();
        }
    }
}
