using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>
/// The order in which libvirt formats the children of an element (its <c>*Format</c> functions in
/// <c>domain_conf.c</c>, as <c>virsh dumpxml</c> prints them). The schema interleaves nearly all of these, so the
/// order is not needed for validity; new elements still go where libvirt would put them, so that a merged document
/// reads like libvirt's own and <c>apply --dry-run</c> diffs stay small.
/// </summary>
internal sealed class ElementOrder
{
    private readonly Dictionary<string, int> _rank;
    private readonly Func<XElement, long> _secondary;

    private ElementOrder(string[] names, Func<XElement, long>? secondary)
    {
        _rank = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        _secondary = secondary ?? (_ => 0);
    }

    /// <summary>Children of <c>&lt;domain&gt;</c>.</summary>
    public static ElementOrder Domain { get; } = new(
    [
        "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory", "blkiotune",
        "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "defaultiothread", "cputune", "numatune",
        "resource", "sysinfo", "bootloader", "bootloader_args", "os", "idmap", "features", "cpu", "clock", "on_poweroff",
        "on_reboot", "on_crash", "on_lockfailure", "pm", "perf", "devices", "seclabel", "keywrap", "launchSecurity",
    ], null);

    /// <summary>Children of <c>&lt;cputune&gt;</c>; pins ordered by vCPU.</summary>
    public static ElementOrder Cputune { get; } = new(
    [
        "shares", "period", "quota", "global_period", "global_quota", "emulator_period", "emulator_quota",
        "iothread_period", "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin", "vcpusched", "iothreadsched",
        "emulatorsched", "cachetune", "memorytune",
    ], e => e.Name.LocalName == "vcpupin" ? DomainXml.ParseLong(DomainXml.Attr(e, "vcpu")) ?? 0 : 0);

    /// <summary>Children of <c>&lt;numatune&gt;</c>; memnodes ordered by cell.</summary>
    public static ElementOrder Numatune { get; } = new(["memory", "memnode"],
        e => e.Name.LocalName == "memnode" ? DomainXml.ParseLong(DomainXml.Attr(e, "cellid")) ?? 0 : 0);

    /// <summary>Children of <c>&lt;cpu&gt;</c>: the guest NUMA layout comes last.</summary>
    public static ElementOrder Cpu { get; } = new(["model", "vendor", "topology", "cache", "maxphysaddr", "feature", "numa"], null);

    /// <summary>Children of <c>&lt;cpu&gt;&lt;numa&gt;</c>; cells ordered by id.</summary>
    public static ElementOrder Numa { get; } = new(["cell", "interconnects"],
        e => e.Name.LocalName == "cell" ? DomainXml.ParseLong(DomainXml.Attr(e, "id")) ?? 0 : 0);

    /// <summary>Children of <c>&lt;memoryBacking&gt;</c>.</summary>
    public static ElementOrder MemoryBacking { get; } = new(["hugepages", "nosharepages", "locked", "source", "access", "allocation", "discard"], null);

    /// <summary>Children of <c>&lt;blkiotune&gt;</c>.</summary>
    public static ElementOrder Blkiotune { get; } = new(["weight", "device"], null);

    /// <summary>Children of <c>&lt;disk&gt;</c>: iotune right after the target.</summary>
    public static ElementOrder Disk { get; } = new(
    [
        "driver", "auth", "source", "backingStore", "backenddomain", "geometry", "blockio", "mirror", "target", "iotune",
        "readonly", "shareable", "transient", "serial", "wwn", "vendor", "product", "encryption", "boot", "alias", "address",
    ], null);

    /// <summary>Children of <c>&lt;iotune&gt;</c>.</summary>
    public static ElementOrder Iotune { get; } = new(
    [
        "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec", "write_iops_sec",
        "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max", "total_iops_sec_max", "read_iops_sec_max",
        "write_iops_sec_max", "size_iops_sec", "group_name",
    ], null);

    /// <summary>Children of <c>&lt;interface&gt;</c>: bandwidth after the source and VLAN, before the IP settings and target.</summary>
    public static ElementOrder Interface { get; } = new(
    [
        "mac", "source", "virtualport", "vlan", "port", "bandwidth", "ip", "route", "script", "downscript", "backenddomain",
        "target", "guest", "model", "driver", "backend", "filterref", "tune", "teaming", "link", "mtu", "coalesce", "boot",
        "rom", "alias", "address",
    ], null);

    /// <summary>Children of <c>&lt;bandwidth&gt;</c>.</summary>
    public static ElementOrder Bandwidth { get; } = new(["inbound", "outbound"], null);

    /// <summary>
    /// Inserts <paramref name="child"/> before the first sibling libvirt formats after it; siblings this order does
    /// not know (another namespace's, a newer libvirt's) neither attract nor repel it. With no such sibling it goes last.
    /// </summary>
    public XElement Insert(XElement parent, XElement child)
    {
        (int, long) key = Key(child);
        XElement? before = parent.Elements().FirstOrDefault(e => _rank.ContainsKey(e.Name.LocalName) && e.Name.Namespace == XNamespace.None && Key(e).CompareTo(key) > 0);
        if (before is null)
        {
            parent.Add(child);
        }
        else
        {
            before.AddBeforeSelf(child);
        }

        return child;
    }

    /// <summary>The child <paramref name="name"/> of <paramref name="parent"/>, created in libvirt's place when absent.</summary>
    public XElement Ensure(XElement parent, string name) => parent.Element(name) ?? Insert(parent, new XElement(name));

    private (int, long) Key(XElement e) => (_rank.TryGetValue(e.Name.LocalName, out int rank) ? rank : int.MaxValue, _secondary(e));
}
