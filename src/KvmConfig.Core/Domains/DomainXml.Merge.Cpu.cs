using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>The writers of <c>&lt;cpu&gt;</c>: the guest's NUMA cells and its topology.</summary>
public static partial class DomainXml
{
    /// <summary>
    /// <c>&lt;cpu&gt;&lt;numa&gt;</c>. Several cells: exactly the tuning's, keeping each kept cell's other attributes
    /// and children. One node: no <c>&lt;numa&gt;</c> is created; a single existing cell (often there only for
    /// <c>memAccess='shared'</c>, which virtiofs needs) is kept and follows the vCPU count and memory, because libvirt
    /// takes the guest's memory from the cells when there are any; several existing cells are removed.
    /// </summary>
    private static void WriteCells(XElement domain, DomainTuning t)
    {
        if (t.Cells is not { } cells)
        {
            return;
        }

        XElement? cpu = domain.Element("cpu");
        XElement? numa = cpu?.Element("numa");
        List<(long Id, XElement Cell)> existing = (numa?.Elements("cell") ?? [])
            .Select((c, i) => (ParseLong(Attr(c, "id")) ?? i, c))
            .ToList();

        if (cells.Count <= 1)
        {
            if (existing.Count > 1)
            {
                numa!.Remove();
                RemoveIfEmpty(cpu);
            }
            else if (existing.Count == 1)
            {
                NumaCell only = cells.Count == 1 ? cells[0] : new NumaCell(0, CpuSet.Range(0, (t.VcpusMax ?? t.Vcpus) - 1), t.MemoryKiB);
                UpdateCell(existing[0].Cell, only.Vcpus, only.MemoryKiB);
            }

            return;
        }

        List<NumaCell> wanted = cells.DistinctBy(c => c.Id).ToList();
        var wantedIds = wanted.Select(c => (long)c.Id).ToHashSet();
        var gone = new HashSet<long>();
        var kept = new Dictionary<long, XElement>();
        foreach ((long id, XElement cell) in existing)
        {
            if (!wantedIds.Contains(id) || !kept.TryAdd(id, cell))
            {
                cell.Remove();
                gone.Add(id);
            }
        }

        // Without a size of its own, a cell keeps the one it has; when the layout changes, the domain's memory is
        // split over the cells in proportion to their vCPUs (whole MiB; the last cell takes the rest).
        bool sameLayout = kept.Count == wanted.Count && gone.Count == 0;
        Dictionary<int, long>? split = wanted.Any(c => c.MemoryKiB is null) && !sameLayout ? SplitMemory(domain, wanted) : null;

        cpu ??= ElementOrder.Domain.Insert(domain, new XElement("cpu"));
        numa ??= ElementOrder.Cpu.Insert(cpu, new XElement("numa"));
        foreach (NumaCell want in wanted)
        {
            long? memory = want.MemoryKiB ?? split?.GetValueOrDefault(want.Id);
            if (kept.TryGetValue(want.Id, out XElement? cell))
            {
                // A cell without an id is numbered by its position, which removing a cell before it shifts.
                if (UpdateCell(cell, want.Vcpus, memory) || (Attr(cell, "id") is null && gone.Count > 0))
                {
                    cell.SetAttributeValue("id", want.Id);
                    OrderAttributes(cell, "id", "cpus", "memory", "unit");
                }
            }
            else
            {
                ElementOrder.Numa.Insert(numa, new XElement("cell",
                    new XAttribute("id", want.Id),
                    new XAttribute("cpus", want.Vcpus.ToString()),
                    new XAttribute("memory", OwnedValues.Number(memory ?? 0)),
                    new XAttribute("unit", "KiB")));
            }
        }

        // A distance to a cell that is gone would name a node the guest no longer has.
        if (gone.Count > 0)
        {
            foreach (XElement distances in numa.Elements("cell").Elements("distances").ToList())
            {
                distances.Elements("sibling").Where(s => ParseLong(Attr(s, "id")) is { } id && gone.Contains(id)).Remove();
                RemoveIfEmpty(distances);
            }
        }
    }

    /// <summary>Sets a cell's vCPUs and (when managed) memory; true when either changed.</summary>
    private static bool UpdateCell(XElement cell, CpuSet vcpus, long? memoryKiB)
    {
        bool changed = false;
        if (ParseCpus(Attr(cell, "cpus")) != vcpus)
        {
            cell.SetAttributeValue("cpus", vcpus.ToString());
            changed = true;
        }

        if (memoryKiB is { } kib && ParseKiB(Attr(cell, "memory"), Attr(cell, "unit")) != kib)
        {
            cell.SetAttributeValue("memory", OwnedValues.Number(kib));
            cell.SetAttributeValue("unit", "KiB");
            changed = true;
        }

        return changed;
    }

    private static Dictionary<int, long> SplitMemory(XElement domain, List<NumaCell> cells)
    {
        long total = ParseKiB(domain.Element("memory")?.Value, Attr(domain.Element("memory"), "unit"))
            ?? throw new ArgumentException("guest NUMA cells need a size and the domain has no <memory> to split over them: declare memory for the VM", nameof(domain));
        int vcpus = Math.Max(1, cells.Sum(c => c.Vcpus.Count));
        var split = new Dictionary<int, long>();
        long given = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            long share = i == cells.Count - 1 ? total - given : total * cells[i].Vcpus.Count / vcpus / 1024 * 1024;
            split[cells[i].Id] = share;
            given += share;
        }

        return split;
    }

    /// <summary><c>&lt;cpu&gt;&lt;topology&gt;</c>; dies and clusters are written only when not 1 or already there (libvirt before 6.1 and 10.1 has no such attribute).</summary>
    private static void WriteTopology(XElement domain, DomainTuning t)
    {
        if (t.Topology is not { } want || ReadTopology(domain.Element("cpu")?.Element("topology")) == want)
        {
            return;
        }

        XElement topology = ElementOrder.Cpu.Ensure(ElementOrder.Domain.Ensure(domain, "cpu"), "topology");
        topology.SetAttributeValue("sockets", want.Sockets);
        if (want.Dies != 1 || topology.Attribute("dies") is not null)
        {
            topology.SetAttributeValue("dies", want.Dies);
        }

        if (want.Clusters != 1 || topology.Attribute("clusters") is not null)
        {
            topology.SetAttributeValue("clusters", want.Clusters);
        }

        topology.SetAttributeValue("cores", want.Cores);
        topology.SetAttributeValue("threads", want.Threads);
        OrderAttributes(topology, "sockets", "dies", "clusters", "cores", "threads");
    }
}
