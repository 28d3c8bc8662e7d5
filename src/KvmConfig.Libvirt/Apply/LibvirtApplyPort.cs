using System.Xml.Linq;
using KvmConfig.Core;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Domains;

namespace KvmConfig.Libvirt.Apply;

/// <summary>
/// <see cref="IApplyPort"/> on a libvirt connection: each member is one or two C API calls. The domain reference of
/// the last live change is kept for the next one (an apply makes all of a domain's live changes in a row), so a
/// domain is looked up once, not once per change; dispose the port to drop it.
/// </summary>
public sealed class LibvirtApplyPort(LibvirtConnection connection) : IApplyPort, IDisposable
{
    private LibvirtDomain? _last;

    /// <inheritdoc />
    public DomainView? Find(string name)
    {
        using LibvirtDomain? domain = connection.TryLookup(name);
        if (domain is null)
        {
            return null;
        }

        bool active = domain.IsActive;
        return new DomainView(domain.Name, active, domain.Xml(inactive: true), active ? ReadLive(domain) : null);
    }

    /// <inheritdoc />
    public bool Exists(string name)
    {
        using LibvirtDomain? domain = connection.TryLookup(name);
        return domain is not null;
    }

    /// <inheritdoc />
    public bool IsPersistent(string name)
    {
        using LibvirtDomain? domain = connection.TryLookup(name);
        return domain is not null && domain.IsPersistent;
    }

    /// <inheritdoc />
    public void Define(string name, string xml)
    {
        using LibvirtDomain domain = connection.Define(xml);
    }

    /// <inheritdoc />
    public void Apply(string name, LiveOperation operation)
    {
        if (_last?.Name != name)
        {
            _last?.Dispose();
            _last = null;
            _last = connection.Lookup(name);
        }

        LibvirtDomain domain = _last;
        switch (operation)
        {
            case SetVcpus vcpus:
                domain.SetVcpuCount(vcpus.Count, DomainImpact.Live);
                break;
            case PinVcpu pin:
                domain.PinVcpu(pin.Vcpu, pin.Cpus, DomainImpact.Live);
                break;
            case PinEmulator pin:
                domain.PinEmulator(pin.Cpus, DomainImpact.Live);
                break;
            case SetScheduler scheduler:
                var parameters = new List<TypedParameter>();
                if (scheduler.Shares is { } shares)
                {
                    parameters.Add(TypedParameter.ULLong("cpu_shares", (ulong)shares));
                }

                if (scheduler.Cap is { } cap)
                {
                    parameters.Add(TypedParameter.ULLong("global_period", (ulong)(cap.PeriodUs ?? CpuBandwidth.DefaultPeriodUs)));
                    parameters.Add(TypedParameter.LLong("global_quota", cap.IsUnlimited ? -1 : cap.QuotaUs!.Value));
                }

                domain.SetSchedulerParameters(parameters, DomainImpact.Live);
                break;
            case SetNumaNodes numa:
                domain.SetNumaParameters([TypedParameter.String("numa_nodeset", numa.Nodes.ToString())], DomainImpact.Live);
                break;
            case SetBlkioWeight blkio:
                domain.SetBlkioParameters([TypedParameter.UInt("weight", (uint)blkio.Weight)], DomainImpact.Live);
                break;
            case SetDiskThrottle disk:
                domain.SetBlockIoTune(disk.Device, ThrottleParameters(disk), DomainImpact.Live);
                break;
            case SetInterfaceBandwidth shaping:
                // libvirt's interface parameters take an average of 0 as "remove the shaping".
                domain.SetInterfaceParameters(shaping.Device,
                [
                    TypedParameter.UInt("inbound.average", (uint)(shaping.Bandwidth.InboundAverageKBytesPerSec ?? 0)),
                    TypedParameter.UInt("outbound.average", (uint)(shaping.Bandwidth.OutboundAverageKBytesPerSec ?? 0)),
                ], DomainImpact.Live);
                break;
            default:
                throw new ArgumentException($"unknown live operation {operation.GetType().Name}");
        }
    }

    /// <inheritdoc />
    public void Dispose() => _last?.Dispose();

    /// <summary>The live state of a running domain, through the live API (not the XML).</summary>
    /// <remarks>Reads use <see cref="DomainImpact.Current"/>, which is the live state of a running domain and which
    /// every driver accepts (libvirt's test driver refuses an explicit live flag on some getters).</remarks>
    public static LiveState ReadLive(LibvirtDomain domain)
    {
        const DomainImpact now = DomainImpact.Current;
        IReadOnlyList<CpuSet> pins = domain.VcpuPins(now);
        CpuSet emulator = domain.EmulatorPin(now);
        (_, IReadOnlyList<TypedParameter> scheduler) = domain.SchedulerParameters(now);
        long? shares = scheduler.FirstOrDefault(p => p.Name == "cpu_shares")?.AsInt64();
        long? period = scheduler.FirstOrDefault(p => p.Name == "global_period")?.AsInt64();
        long? quota = scheduler.FirstOrDefault(p => p.Name == "global_quota")?.AsInt64();
        CpuBandwidth? cap = period is null && quota is null ? null : new CpuBandwidth(period, quota is null or <= 0 or >= long.MaxValue / 2 ? null : quota);

        IReadOnlyList<TypedParameter> numa = domain.NumaParameters(now);
        int? mode = numa.FirstOrDefault(p => p.Name == "numa_mode") is { } m ? (int)m.AsInt64() : null;
        string? nodeset = numa.FirstOrDefault(p => p.Name == "numa_nodeset")?.Value as string;
        CpuSet? nodes = string.IsNullOrEmpty(nodeset) ? null : CpuSet.Parse(nodeset);

        int? weight = null;
        try
        {
            weight = domain.BlkioParameters(now).FirstOrDefault(p => p.Name == "weight") is { } w ? (int)w.AsInt64() : null;
        }
        catch (LibvirtException e) when (e.Code is LibvirtException.OperationInvalid or LibvirtException.ConfigUnsupported)
        {
            // No blkio controller on this host: block I/O weight is simply not managed live.
        }

        string liveXml = domain.Xml();
        var disks = new Dictionary<string, DiskThrottle>(StringComparer.Ordinal);
        foreach (string device in DomainXml.ThrottledDiskTargets(liveXml))
        {
            IReadOnlyList<TypedParameter> iotune = domain.BlockIoTune(device, now);
            long? Value(string name) => iotune.FirstOrDefault(p => p.Name == name)?.AsInt64() is { } v and > 0 ? v : null;
            disks[device] = new DiskThrottle(Value("read_bytes_sec"), Value("write_bytes_sec"), Value("total_iops_sec"));
        }

        var interfaces = new Dictionary<string, InterfaceBandwidth>(StringComparer.Ordinal);
        foreach (string device in InterfaceTargets(liveXml))
        {
            IReadOnlyList<TypedParameter> shaping = domain.InterfaceParameters(device, now);
            long? inbound = shaping.FirstOrDefault(p => p.Name == "inbound.average")?.AsInt64();
            long? outbound = shaping.FirstOrDefault(p => p.Name == "outbound.average")?.AsInt64();
            interfaces[device] = new InterfaceBandwidth(inbound is null or 0 ? null : inbound, outbound is null or 0 ? null : outbound);
        }

        return new LiveState(pins, emulator, shares, cap, mode, nodes, weight, interfaces, domain.MaxVcpuCount(now), disks);
    }

    // What virsh blkdeviotune sends: the managed values, with the ones libvirt refuses beside them lifted.
    private static List<TypedParameter> ThrottleParameters(SetDiskThrottle disk)
    {
        DiskThrottle t = disk.Throttle;
        var parameters = new List<TypedParameter>();
        void Add(string name, long value) => parameters.Add(TypedParameter.ULLong(name, (ulong)value));
        if (t.ReadBytesPerSec is not null || t.WriteBytesPerSec is not null)
        {
            Add("total_bytes_sec", 0);
        }

        if (t.ReadBytesPerSec is { } read)
        {
            Add("read_bytes_sec", read);
        }

        if (t.WriteBytesPerSec is { } write)
        {
            Add("write_bytes_sec", write);
        }

        if (t.TotalIopsPerSec is { } iops)
        {
            Add("total_iops_sec", iops);
            Add("read_iops_sec", 0);
            Add("write_iops_sec", 0);
        }

        if (disk.Group is { } group)
        {
            parameters.Add(TypedParameter.String("group_name", group));
        }

        return parameters;
    }

    // <interface type='network'> ... <target dev='vnet0'/> in the live XML: the device name the live API wants.
    private static IEnumerable<string> InterfaceTargets(string liveXml) =>
        XDocument.Parse(liveXml).Root?.Element("devices")?.Elements("interface")
            .Select(i => i.Element("target")?.Attribute("dev")?.Value)
            .OfType<string>()
            .ToList() ?? [];
}
