using System.Xml.Linq;

namespace KvmConfig.Core.Monitoring;

/// <summary>
/// What a sampler needs to know of a running domain's devices, from its live XML: whether it has block devices (whose
/// counters only QEMU keeps) and the host-side devices of its network interfaces (whose counters the kernel keeps in
/// <c>/proc/net/dev</c>).
/// </summary>
/// <param name="Disks">The guest-side targets of its <c>&lt;disk&gt;</c> elements (<c>vda</c>, <c>sdb</c>).</param>
/// <param name="Interfaces">Each interface with a host-side device (<c>&lt;target dev&gt;</c>, set while it runs).</param>
public sealed record DomainDevices(IReadOnlyList<string> Disks, IReadOnlyList<HostInterface> Interfaces)
{
    /// <summary>Reads the devices out of a domain's live XML (<c>virDomainGetXMLDesc</c> of a running domain).</summary>
    public static DomainDevices FromXml(string liveXml)
    {
        XElement? devices = XDocument.Parse(liveXml).Root?.Element("devices");
        if (devices is null)
        {
            return new DomainDevices([], []);
        }

        List<string> disks = [.. devices.Elements("disk").Select(d => (string?)d.Element("target")?.Attribute("dev")).OfType<string>()];
        List<HostInterface> interfaces = [.. devices.Elements("interface")
            .Select(i => ((string?)i.Element("target")?.Attribute("dev"), (string?)i.Attribute("type")))
            .Where(i => i.Item1 is not null)
            .Select(i => new HostInterface(i.Item1!, SwapsWithGuest: i.Item2 != "direct"))];
        return new DomainDevices(disks, interfaces);
    }
}

/// <summary>A guest interface's device on the host.</summary>
/// <param name="Device">Its name, e.g. <c>vnet3</c>, <c>macvtap0</c>.</param>
/// <param name="SwapsWithGuest">
/// True for a tap device (bridges, networks, <c>type='ethernet'</c>), whose host transmit is the guest's receive; false
/// for a macvtap (<c>type='direct'</c>), which counts in the guest's direction already, as libvirt does.
/// </param>
public sealed record HostInterface(string Device, bool SwapsWithGuest);
