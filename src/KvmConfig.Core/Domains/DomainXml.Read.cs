using System.Globalization;
using System.Xml.Linq;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Domains;

/// <summary>Reading what a domain's XML says about the owned elements (<see cref="DomainTuning"/> remarks list them).</summary>
public static partial class DomainXml
{
    /// <summary>Interface types libvirt can shape with tc (its <c>virNetDevSupportsBandwidth</c>); the others refuse <c>&lt;bandwidth&gt;</c> at start.</summary>
    private static readonly HashSet<string> ShapedInterfaceTypes = new(StringComparer.Ordinal) { "network", "bridge", "direct", "ethernet" };

    /// <summary>
    /// The owned fields of <paramref name="domainXml"/>, normalized as <see cref="DomainTuning.ToOwnedState"/> prints
    /// the desired ones; device fields name each throttled disk and shaped interface.
    /// </summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    /// <exception cref="ArgumentException">The root element is not <c>&lt;domain&gt;</c>.</exception>
    public static OwnedState ReadOwned(string domainXml)
    {
        XElement domain = Load(domainXml).Root!;
        return new OwnedState(OwnedFields.Of(Read(domain), DeviceFields(domain)));
    }

    /// <summary>
    /// The tuning <paramref name="domainXml"/> already carries: merging it back into the same XML changes nothing.
    /// Device settings become values only when every throttled disk (every shaped interface) agrees on them, and
    /// disk throttles only when the disks are in kvmconfig's throttle group; otherwise they are null (unmanaged).
    /// </summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    /// <exception cref="ArgumentException">The root element is not <c>&lt;domain&gt;</c>.</exception>
    public static DomainTuning ReadTuning(string domainXml) => Read(Load(domainXml).Root!);

    /// <summary>The domain's <c>&lt;name&gt;</c> and <c>&lt;uuid&gt;</c> (lower case), each null when absent.</summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    /// <exception cref="ArgumentException">The root element is not <c>&lt;domain&gt;</c>.</exception>
    public static (string? Name, string? Uuid) ReadIdentity(string domainXml)
    {
        XElement domain = Load(domainXml).Root!;
        return (domain.Element("name")?.Value.Trim(), domain.Element("uuid")?.Value.Trim().ToLowerInvariant());
    }

    internal static DomainTuning Read(XElement domain)
    {
        XElement? cputune = domain.Element("cputune");
        XElement? numatune = domain.Element("numatune");
        XElement? cpu = domain.Element("cpu");
        (int max, int vcpus, DomainPlacement placement, CpuSet? cpuset) = ReadVcpu(domain);
        CpuSet inherited = placement == DomainPlacement.Static ? cpuset ?? CpuSet.Empty : CpuSet.Empty;
        Dictionary<int, CpuSet> pins = ExplicitPins(cputune);

        return new DomainTuning
        {
            Vcpus = vcpus,
            VcpusMax = max,
            VcpuPlacement = placement,
            VcpuCpus = cpuset,
            VcpuPins = Enumerable.Range(0, vcpus).Select(i => pins.GetValueOrDefault(i) ?? inherited).ToList(),
            EmulatorCpus = ParseCpus(Attr(cputune?.Element("emulatorpin"), "cpuset")) ?? inherited,
            CpuShares = (int?)ParseLong(cputune?.Element("shares")?.Value),
            CpuCap = new CpuBandwidth(ParseLong(cputune?.Element("global_period")?.Value), ParseLong(cputune?.Element("global_quota")?.Value)),
            VcpuSchedulers = ReadSchedulers(cputune, max),
            MemoryKiB = ParseKiB(domain.Element("memory")?.Value, Attr(domain.Element("memory"), "unit")),
            NumaMemory = numatune?.Element("memory") is { } memory
                ? new NumaMemoryPolicy(ParseMode(Attr(memory, "mode")), Attr(memory, "placement") == "auto" ? null : ParseCpus(Attr(memory, "nodeset")))
                : null,
            MemNodes = (numatune?.Elements("memnode") ?? [])
                .Select(m => (Cell: ParseLong(Attr(m, "cellid")), Mode: ParseMode(Attr(m, "mode")), Nodes: ParseCpus(Attr(m, "nodeset"))))
                .Where(m => m.Cell is not null)
                .Select(m => new MemNode((int)m.Cell!.Value, m.Mode, m.Nodes ?? CpuSet.Empty))
                .ToList(),
            Topology = ReadTopology(cpu?.Element("topology")),
            Cells = ReadCells(cpu?.Element("numa")),
            HugePages = ReadHugePages(domain.Element("memoryBacking")?.Element("hugepages")),
            BlkioWeight = (int?)ParseLong(domain.Element("blkiotune")?.Element("weight")?.Value),
            DiskThrottle = AgreedThrottle(domain),
            InterfaceBandwidth = AgreedBandwidth(domain),
        };
    }

    /// <summary>
    /// <c>&lt;vcpu placement cpuset current&gt;N&lt;/vcpu&gt;</c>: N is the maximum, <c>current</c> (N when absent or
    /// larger) the vCPUs online at boot. Without a placement attribute libvirt takes <c>auto</c> when there is no
    /// cpuset and numatune's memory is placed <c>auto</c>, else <c>static</c>; without the element, one vCPU.
    /// </summary>
    private static (int Max, int Current, DomainPlacement Placement, CpuSet? CpuSet) ReadVcpu(XElement domain)
    {
        XElement? vcpu = domain.Element("vcpu");
        int count = (int?)ParseLong(vcpu?.Value) ?? 1;
        int current = ParseLong(Attr(vcpu, "current")) is { } online and > 0 && online < count ? (int)online : count;
        CpuSet? cpuset = ParseCpus(Attr(vcpu, "cpuset"));
        DomainPlacement placement = Attr(vcpu, "placement") switch
        {
            "auto" => DomainPlacement.Auto,
            "static" => DomainPlacement.Static,
            _ when cpuset is null && Attr(domain.Element("numatune")?.Element("memory"), "placement") == "auto" => DomainPlacement.Auto,
            _ => DomainPlacement.Static,
        };
        return (count, current, placement, cpuset);
    }

    private static Dictionary<int, CpuSet> ExplicitPins(XElement? cputune)
    {
        var pins = new Dictionary<int, CpuSet>();
        foreach (XElement pin in cputune?.Elements("vcpupin") ?? [])
        {
            if (ParseLong(Attr(pin, "vcpu")) is { } vcpu && ParseCpus(Attr(pin, "cpuset")) is { } cpus)
            {
                pins.TryAdd((int)vcpu, cpus);
            }
        }

        return pins;
    }

    private static List<VcpuScheduler> ReadSchedulers(XElement? cputune, int vcpus)
    {
        var schedulers = new List<VcpuScheduler>();
        foreach (XElement sched in cputune?.Elements("vcpusched") ?? [])
        {
            SchedulerClass? cls = Attr(sched, "scheduler") switch
            {
                "fifo" => SchedulerClass.Fifo,
                "rr" => SchedulerClass.RoundRobin,
                "batch" => SchedulerClass.Batch,
                "idle" => SchedulerClass.Idle,
                _ => null,
            };
            if (cls is not null)
            {
                // No vcpus attribute: every vCPU.
                CpuSet which = ParseCpus(Attr(sched, "vcpus")) ?? (vcpus > 0 ? CpuSet.Range(0, vcpus - 1) : CpuSet.Empty);
                int priority = cls is SchedulerClass.Fifo or SchedulerClass.RoundRobin ? (int)(ParseLong(Attr(sched, "priority")) ?? 0) : 0;
                schedulers.Add(new VcpuScheduler(which, cls.Value, priority));
            }
        }

        return schedulers;
    }

    private static CpuTopology? ReadTopology(XElement? topology)
    {
        if (topology is null
            || ParseLong(Attr(topology, "sockets")) is not { } sockets
            || ParseLong(Attr(topology, "cores")) is not { } cores
            || ParseLong(Attr(topology, "threads")) is not { } threads)
        {
            return null;
        }

        return new CpuTopology((int)sockets, (int)(ParseLong(Attr(topology, "dies")) ?? 1), (int)(ParseLong(Attr(topology, "clusters")) ?? 1), (int)cores, (int)threads);
    }

    /// <summary>Cells in document order; a cell without an id has its position, as libvirt numbers it.</summary>
    private static List<NumaCell> ReadCells(XElement? numa) =>
        (numa?.Elements("cell") ?? [])
            .Select((cell, i) => new NumaCell(
                (int)(ParseLong(Attr(cell, "id")) ?? i),
                ParseCpus(Attr(cell, "cpus")) ?? CpuSet.Empty,
                ParseKiB(Attr(cell, "memory"), Attr(cell, "unit"))))
            .ToList();

    /// <summary>No <c>&lt;hugepages&gt;</c>: ordinary pages. An empty one: the default huge page size.</summary>
    private static List<HugePage> ReadHugePages(XElement? hugepages)
    {
        if (hugepages is null)
        {
            return [];
        }

        List<HugePage> pages = hugepages.Elements("page")
            .Select(p => new HugePage(ParseKiB(Attr(p, "size"), Attr(p, "unit")), ParseCpus(Attr(p, "nodeset"))))
            .ToList();
        return pages.Count == 0 ? [new HugePage(null, null)] : pages;
    }

    /// <summary>
    /// Disks kvmconfig throttles, named by target dev: <c>device='disk'</c> (the default), and not vhost-user (served
    /// outside QEMU's block layer, where libvirt refuses iotune). CD-ROMs and floppies carry no workload worth
    /// throttling; a <c>lun</c> is SCSI passthrough.
    /// </summary>
    internal static IEnumerable<(string Name, XElement Disk)> ThrottledDisks(XElement domain) =>
        (domain.Element("devices")?.Elements("disk") ?? [])
            .Where(d => (Attr(d, "device") ?? "disk") == "disk" && Attr(d, "type") != "vhostuser")
            .Select((d, i) => (Attr(d.Element("target"), "dev") ?? $"#{i}", d));

    /// <summary>
    /// The target devices (<c>vda</c>) of the disks kvmconfig throttles in <paramref name="domainXml"/>, a running
    /// domain's live XML: the names libvirt's block I/O tuning calls take.
    /// </summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    public static IReadOnlyList<string> ThrottledDiskTargets(string domainXml) =>
        [.. ThrottledDisks(Load(domainXml).Root!).Select(d => Attr(d.Disk.Element("target"), "dev")).OfType<string>()];

    /// <summary>Interfaces libvirt can shape, named by MAC address (or <c>#N</c>, the position among them).</summary>
    internal static IEnumerable<(string Name, XElement Interface)> ShapedInterfaces(XElement domain) =>
        (domain.Element("devices")?.Elements("interface") ?? [])
            .Where(n => ShapedInterfaceTypes.Contains(Attr(n, "type") ?? ""))
            .Select((n, i) => (Attr(n.Element("mac"), "address") ?? $"#{i}", n));

    private static IEnumerable<OwnedField> DeviceFields(XElement domain)
    {
        var fields = new List<OwnedField>();
        foreach ((string name, XElement disk) in ThrottledDisks(domain).DistinctBy(d => d.Name))
        {
            XElement? iotune = disk.Element("iotune");
            foreach (string value in (string[])["read_bytes_sec", "write_bytes_sec", "total_iops_sec"])
            {
                fields.Add(new(OwnedFields.Disk(name, value), OwnedValues.Optional(ParseLong(iotune?.Element(value)?.Value))));
            }

            fields.Add(new(OwnedFields.Disk(name, "group_name"), iotune?.Element("group_name")?.Value ?? OwnedValues.None));
        }

        foreach ((string name, XElement iface) in ShapedInterfaces(domain).DistinctBy(n => n.Name))
        {
            XElement? bandwidth = iface.Element("bandwidth");
            fields.Add(new(OwnedFields.Interface(name, "inbound"), OwnedFields.KBytesPerSec(ParseLong(Attr(bandwidth?.Element("inbound"), "average")))));
            fields.Add(new(OwnedFields.Interface(name, "outbound"), OwnedFields.KBytesPerSec(ParseLong(Attr(bandwidth?.Element("outbound"), "average")))));
        }

        return fields;
    }

    private static DiskThrottle? AgreedThrottle(XElement domain)
    {
        List<XElement?> iotunes = ThrottledDisks(domain).Select(d => d.Disk.Element("iotune")).ToList();
        if (iotunes.Count == 0 || iotunes.Any(t => t?.Element("group_name")?.Value != DiskThrottle.GroupName))
        {
            return null;
        }

        long? Agreed(string element) => Agree(iotunes.Select(t => ParseLong(t?.Element(element)?.Value)));
        var throttle = new DiskThrottle(Agreed("read_bytes_sec"), Agreed("write_bytes_sec"), Agreed("total_iops_sec"));
        return throttle is { ReadBytesPerSec: null, WriteBytesPerSec: null, TotalIopsPerSec: null } ? null : throttle;
    }

    private static InterfaceBandwidth? AgreedBandwidth(XElement domain)
    {
        List<XElement?> bandwidths = ShapedInterfaces(domain).Select(n => n.Interface.Element("bandwidth")).ToList();
        long? Agreed(string direction) => Agree(bandwidths.Select(b => ParseLong(Attr(b?.Element(direction), "average"))));
        var bandwidth = new InterfaceBandwidth(Agreed("inbound"), Agreed("outbound"));
        return bandwidth is { InboundAverageKBytesPerSec: null, OutboundAverageKBytesPerSec: null } ? null : bandwidth;
    }

    /// <summary>The one value every device has, or null when they differ (or there are none).</summary>
    private static long? Agree(IEnumerable<long?> values)
    {
        List<long?> distinct = values.Distinct().ToList();
        return distinct.Count == 1 ? distinct[0] : null;
    }

    internal static string? Attr(XElement? element, string name) => element?.Attribute(name)?.Value;

    internal static long? ParseLong(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : null;

    /// <summary>A libvirt cpuset or nodeset (<c>0-3,^2</c>); null when absent or malformed.</summary>
    internal static CpuSet? ParseCpus(string? text) =>
        text is not null && CpuSet.TryParse(text, out CpuSet? set, out _) ? set : null;

    internal static MemoryMode ParseMode(string? mode) => mode switch
    {
        "preferred" => MemoryMode.Preferred,
        "interleave" => MemoryMode.Interleave,
        "restrictive" => MemoryMode.Restrictive,
        _ => MemoryMode.Strict,
    };

    /// <summary>
    /// A libvirt scaled size in KiB (<c>virScaleInteger</c>): no unit means KiB; <c>b</c>/<c>bytes</c> bytes;
    /// <c>k</c>, <c>KiB</c>, <c>M</c>, <c>MiB</c>... powers of 1024; <c>KB</c>, <c>MB</c>... powers of 1000. Bytes round
    /// up to whole KiB, as libvirt does. Null when absent or malformed.
    /// </summary>
    internal static long? ParseKiB(string? value, string? unit)
    {
        if (ParseLong(value) is not { } number || number < 0)
        {
            return null;
        }

        string u = (unit ?? "KiB").Trim().ToLowerInvariant();
        if (u is "b" or "byte" or "bytes")
        {
            return (number + 1023) / 1024;
        }

        // k/m/g/t/p/e: KiB is power 1, so a binary unit is 1024^(power-1) KiB.
        int power = u.Length == 0 ? 0 : "kmgtpe".IndexOf(u[0], StringComparison.Ordinal) + 1;
        string rest = u.Length > 0 ? u[1..] : "";
        if (power > 0 && rest is "" or "ib")
        {
            return checked(number * (1L << (10 * (power - 1))));
        }

        if (power > 0 && rest == "b")
        {
            decimal bytes = number * (decimal)Math.Pow(1000, power);
            return (long)Math.Ceiling(bytes / 1024);
        }

        return null;
    }
}
