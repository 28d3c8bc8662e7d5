using System.ComponentModel;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Capabilities;
using KvmConfig.Linux;
using Spectre.Console;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary><c>--connect</c>, declared once for every command that may talk to libvirt.</summary>
internal abstract class ConnectSettings : CommandSettings
{
    /// <summary>The URI when <c>--connect</c> is not given: the local system daemon, as virsh's default as root.</summary>
    public const string DefaultUri = "qemu:///system";

    [CommandOption("--connect <URI>")]
    [Description("The host's libvirt URI: qemu:///system, qemu+ssh://root@kvm1/system. Commands that read the host (topology, check, plan, status, apply) then read it through libvirt's capabilities instead of /sys, which carry no isolcpus or cpufreq, so those rules cannot see them remotely; the others work on that host's domains. Each command's help says its default.")]
    public string? Connect { get; init; }

    public override ValidationResult Validate() =>
        Connect is not null && OptionValue.IsMissing(Connect)
            ? ValidationResult.Error("--connect needs a libvirt URI, e.g. --connect qemu+ssh://root@kvm1/system")
            : ValidationResult.Success();
}

/// <summary>Options every host-reading command shares: where the host is read, and the output format.</summary>
internal abstract class HostSettings : ConnectSettings
{
    [CommandOption("--sysroot <DIR>")]
    [Description("Read the host from DIR/sys (and DIR/proc, if there) instead of /sys, like lscpu --sysroot. For captured trees.")]
    public string? SysRoot { get; init; }

    /// <summary>The output format; each command declares the option with the formats it knows.</summary>
    public abstract string Format { get; init; }

    protected abstract IReadOnlyList<string> AllowedFormats { get; }

    /// <summary>How the host is named in reports.</summary>
    public string HostLabel => Connect is { } uri ? $"libvirt {uri}" : SysRoot is null ? "this host" : $"sysroot {SysRoot}";

    /// <summary>Where the JSON documents say the host was read: the sysroot given, else <c>/sys</c>.</summary>
    public string HostSource => SysRoot ?? "/sys";

    public override ValidationResult Validate()
    {
        ValidationResult connect = base.Validate();
        return !connect.Successful ? connect
            : SysRoot is not null && OptionValue.IsMissing(SysRoot) ? ValidationResult.Error("--sysroot needs a directory, e.g. --sysroot /captures/host1 (a directory holding sys/)")
            : Connect is not null && SysRoot is not null ? ValidationResult.Error("--connect and --sysroot both name the host: give one of them")
            : OptionValue.IsMissing(Format) ? ValidationResult.Error($"--format needs a value: one of {string.Join(", ", AllowedFormats)}")
            : AllowedFormats.Contains(Format) ? ValidationResult.Success()
            : ValidationResult.Error($"--format {Format}: use one of {string.Join(", ", AllowedFormats)}");
    }
}

/// <summary>
/// The host as the options name it, and the one libvirt connection of the run: a host read through
/// <c>--connect</c> keeps its connection open for the domains to be read and changed through.
/// </summary>
internal sealed class HostSession : IDisposable
{
    private readonly bool _readOnly;
    private LibvirtConnection? _connection;

    private HostSession(HostTopology host, string label, LibvirtConnection? connection, bool readOnly)
    {
        Host = host;
        Label = label;
        ReadThroughLibvirt = connection is not null;
        _connection = connection;
        _readOnly = readOnly;
    }

    /// <summary>The host.</summary>
    public HostTopology Host { get; }

    /// <summary>How the host is named in reports.</summary>
    public string Label { get; }

    /// <summary>True when the host was read through libvirt (<c>--connect</c>).</summary>
    public bool ReadThroughLibvirt { get; }

    /// <summary>Reads the host <paramref name="settings"/> name; through libvirt, read-only unless told otherwise.</summary>
    public static HostSession Open(HostSettings settings, bool readOnly = true)
    {
        if (settings.Connect is { } uri)
        {
            LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly);
            try
            {
                return new HostSession(LibvirtHost.Read(connection), settings.HostLabel, connection, readOnly);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        HostTopology host = (settings.SysRoot is null ? SysfsTopologyReader.ForHost() : SysfsTopologyReader.ForSysroot(settings.SysRoot)).Read();
        return new HostSession(host, settings.HostLabel, null, readOnly);
    }

    /// <summary>The connection the host was read through, or, when it was read from sysfs, one to <paramref name="uri"/>.</summary>
    public LibvirtConnection Libvirt(string uri) => _connection ??= LibvirtConnection.Open(uri, _readOnly);

    public void Dispose() => _connection?.Dispose();
}

/// <summary>Terminal facts used for colour.</summary>
internal static class Terminal
{
    /// <summary>True when stdout is a terminal and NO_COLOR is unset.</summary>
    public static bool Color => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
}
