using System.Globalization;
using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;

namespace KvmConfig.Monitoring;

/// <summary>
/// Reads the device counters out of one domain's bulk statistics (<c>virConnectGetAllDomainStats</c>): the
/// <c>block.N.*</c> and <c>net.N.*</c> groups, as the libvirt documentation of that call names them. A device whose
/// counters are absent (an empty CD-ROM drive, an interface libvirt cannot read) is left out.
/// </summary>
public sealed class LibvirtStatistics
{
    private readonly Dictionary<string, TypedParameter> _byName;

    /// <summary>Indexes <paramref name="stats"/>'s parameters by name.</summary>
    public LibvirtStatistics(DomainStats stats)
    {
        _byName = new Dictionary<string, TypedParameter>(stats.Parameters.Count, StringComparer.Ordinal);
        foreach (TypedParameter parameter in stats.Parameters)
        {
            _byName[parameter.Name] = parameter;
        }
    }

    /// <summary>The guest block devices: <c>block.count</c>, then per N <c>name</c>, <c>rd.*</c>, <c>wr.*</c>, <c>fl.*</c>.</summary>
    public IReadOnlyList<BlockDeviceCounters> Disks()
    {
        var disks = new List<BlockDeviceCounters>();
        for (int n = 0; n < Count("block.count"); n++)
        {
            string prefix = $"block.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Text(prefix + "name") is not { } name
                || Number(prefix + "rd.reqs") is not { } readReqs
                || Number(prefix + "wr.reqs") is not { } writeReqs)
            {
                continue;
            }

            disks.Add(new BlockDeviceCounters(
                name,
                readReqs,
                Number(prefix + "rd.bytes") ?? 0,
                Number(prefix + "rd.times") ?? 0,
                writeReqs,
                Number(prefix + "wr.bytes") ?? 0,
                Number(prefix + "wr.times") ?? 0,
                Number(prefix + "fl.reqs") ?? 0,
                Number(prefix + "fl.times") ?? 0));
        }

        return disks;
    }

    /// <summary>
    /// The network interfaces, from the guest's point of view (libvirt already swaps a tap device's receive and
    /// transmit): <c>net.count</c>, then per N <c>name</c>, <c>rx.*</c>, <c>tx.*</c>.
    /// </summary>
    public IReadOnlyList<InterfaceCounters> Interfaces()
    {
        var interfaces = new List<InterfaceCounters>();
        for (int n = 0; n < Count("net.count"); n++)
        {
            string prefix = $"net.{n.ToString(CultureInfo.InvariantCulture)}.";
            if (Text(prefix + "name") is not { } name
                || Number(prefix + "rx.bytes") is not { } received
                || Number(prefix + "tx.bytes") is not { } sent)
            {
                continue;
            }

            interfaces.Add(new InterfaceCounters(
                name,
                received,
                Number(prefix + "rx.pkts") ?? 0,
                Number(prefix + "rx.drop") ?? 0,
                sent,
                Number(prefix + "tx.pkts") ?? 0,
                Number(prefix + "tx.drop") ?? 0));
        }

        return interfaces;
    }

    /// <summary>The named counter, or null when the statistics do not have it.</summary>
    public ulong? Number(string name) => _byName.TryGetValue(name, out TypedParameter? p) ? p.AsUInt64() : null;

    /// <summary>The named string, or null.</summary>
    public string? Text(string name) => _byName.TryGetValue(name, out TypedParameter? p) && p.Value is string s ? s : null;

    private int Count(string name) => (int)Math.Min(Number(name) ?? 0, 4096);
}
