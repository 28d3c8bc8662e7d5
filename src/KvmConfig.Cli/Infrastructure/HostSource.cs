using System.ComponentModel;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt;
using KvmConfig.Libvirt.Capabilities;
using KvmConfig.Linux;
using Spectre.Console.Cli;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>Options every host-reading command shares.</summary>
internal abstract class HostSettings : CommandSettings
{
    [CommandOption("--sysroot <DIR>")]
    [Description("Read the host from DIR/sys (and DIR/proc, if there) instead of /sys, like lscpu --sysroot. For captured trees.")]
    public string? SysRoot { get; init; }

    [CommandOption("--connect <URI>")]
    [Description("Read the host through libvirt at URI instead of /sys: qemu:///system, qemu+ssh://root@kvm1/system. Capabilities carry no isolcpus or cpufreq, so those rules cannot see them remotely.")]
    public string? Connect { get; init; }

    /// <summary>The output format; each command declares the option with the formats it knows.</summary>
    public abstract string Format { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (SysRoot is not null && OptionValue.IsMissing(SysRoot))
        {
            return Spectre.Console.ValidationResult.Error("--sysroot needs a directory, e.g. --sysroot /captures/host1 (a directory holding sys/)");
        }

        if (Connect is not null && OptionValue.IsMissing(Connect))
        {
            return Spectre.Console.ValidationResult.Error("--connect needs a libvirt URI, e.g. --connect qemu+ssh://root@kvm1/system");
        }

        if (Connect is not null && SysRoot is not null)
        {
            return Spectre.Console.ValidationResult.Error("--connect and --sysroot both name the host: give one of them");
        }

        if (OptionValue.IsMissing(Format))
        {
            return Spectre.Console.ValidationResult.Error($"--format needs a value: one of {string.Join(", ", AllowedFormats)}");
        }

        return AllowedFormats.Contains(Format)
            ? Spectre.Console.ValidationResult.Success()
            : Spectre.Console.ValidationResult.Error($"--format {Format}: use one of {string.Join(", ", AllowedFormats)}");
    }

    protected abstract IReadOnlyList<string> AllowedFormats { get; }

    /// <summary>Reads the host topology the options designate.</summary>
    public virtual HostTopology ReadHost()
    {
        if (Connect is { } uri)
        {
            using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
            return LibvirtHost.Read(connection);
        }

        return (SysRoot is null ? SysfsTopologyReader.ForHost() : SysfsTopologyReader.ForSysroot(SysRoot)).Read();
    }

    /// <summary>How the host is named in reports.</summary>
    public virtual string HostLabel => Connect is { } uri ? $"libvirt {uri}" : SysRoot is null ? "this host" : $"sysroot {SysRoot}";
}

/// <summary>Terminal facts used for colour.</summary>
internal static class Terminal
{
    /// <summary>True when stdout is a terminal and NO_COLOR is unset.</summary>
    public static bool Color => !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
}
