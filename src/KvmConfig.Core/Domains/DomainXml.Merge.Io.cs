using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>The writers of the I/O settings: the block I/O weight, disk throttles and interface bandwidth.</summary>
public static partial class DomainXml
{
    private static void WriteBlkioWeight(XElement domain, DomainTuning t)
    {
        if (t.BlkioWeight is { } weight && ParseLong(domain.Element("blkiotune")?.Element("weight")?.Value) != weight)
        {
            ElementOrder.Blkiotune.Ensure(ElementOrder.Domain.Ensure(domain, "blkiotune"), "weight").Value = OwnedValues.Number(weight);
        }
    }

    /// <summary>
    /// <c>&lt;iotune&gt;</c> of every throttled disk. libvirt refuses <c>total_bytes_sec</c> beside
    /// <c>read/write_bytes_sec</c>, and <c>read/write_iops_sec</c> beside <c>total_iops_sec</c>: setting one removes
    /// the other.
    /// </summary>
    private static void WriteDiskThrottles(XElement domain, DomainTuning t)
    {
        if (t.DiskThrottle is not { } want)
        {
            return;
        }

        foreach ((_, XElement disk) in ThrottledDisks(domain).ToList())
        {
            XElement? iotune = disk.Element("iotune");
            XElement Iotune() => iotune ??= ElementOrder.Disk.Insert(disk, new XElement("iotune"));

            void Set(string name, long? value, params string[] conflicting)
            {
                if (value is not { } v || ParseLong(iotune?.Element(name)?.Value) == v)
                {
                    return;
                }

                foreach (string other in conflicting)
                {
                    iotune?.Element(other)?.Remove();
                }

                ElementOrder.Iotune.Ensure(Iotune(), name).Value = OwnedValues.Number(v);
            }

            Set("read_bytes_sec", want.ReadBytesPerSec, "total_bytes_sec");
            Set("write_bytes_sec", want.WriteBytesPerSec, "total_bytes_sec");
            Set("total_iops_sec", want.TotalIopsPerSec, "read_iops_sec", "write_iops_sec");
            if (iotune?.Element("group_name")?.Value != DiskThrottle.GroupName)
            {
                ElementOrder.Iotune.Ensure(Iotune(), "group_name").Value = DiskThrottle.GroupName;
            }
        }
    }

    /// <summary>The <c>average</c> of <c>&lt;bandwidth&gt;&lt;inbound/outbound&gt;</c> on every shaped interface; peak, burst and floor stay.</summary>
    private static void WriteInterfaceBandwidth(XElement domain, DomainTuning t)
    {
        if (t.InterfaceBandwidth is not { } want)
        {
            return;
        }

        foreach ((_, XElement iface) in ShapedInterfaces(domain).ToList())
        {
            XElement? bandwidth = iface.Element("bandwidth");
            (string Direction, long? Value)[] rates = [("inbound", want.InboundAverageKBytesPerSec), ("outbound", want.OutboundAverageKBytesPerSec)];
            foreach ((string direction, long? value) in rates)
            {
                if (value is not { } average || ParseLong(Attr(bandwidth?.Element(direction), "average")) == average)
                {
                    continue;
                }

                bandwidth ??= ElementOrder.Interface.Insert(iface, new XElement("bandwidth"));
                XElement rate = ElementOrder.Bandwidth.Ensure(bandwidth, direction);
                rate.SetAttributeValue("average", average);
                OrderAttributes(rate, "average", "peak", "floor", "burst");
            }
        }
    }
}
