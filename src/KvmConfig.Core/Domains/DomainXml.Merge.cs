using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>
/// The writers of <see cref="Merge"/>, one per owned piece. Each compares the piece's normalized value with the
/// tuning's and touches the XML only when they differ; a container kvmconfig empties (<c>&lt;cputune&gt;</c>,
/// <c>&lt;numatune&gt;</c>, <c>&lt;memoryBacking&gt;</c>, <c>&lt;cpu&gt;</c>) goes with its last child, as libvirt
/// would not print it either.
/// </summary>
public static partial class DomainXml
{
    /// <summary>
    /// <c>&lt;memory&gt;</c>, and <c>&lt;currentMemory&gt;</c> when it was not a balloon target of its own (equal to
    /// the old size) or now exceeds the size, which libvirt would clamp anyway.
    /// </summary>
    private static void WriteMemory(XElement domain, DomainTuning t)
    {
        if (t.MemoryKiB is not { } kib)
        {
            return;
        }

        XElement? memory = domain.Element("memory");
        long? old = ParseKiB(memory?.Value, Attr(memory, "unit"));
        if (old == kib)
        {
            return;
        }

        SetKiB(ElementOrder.Domain.Ensure(domain, "memory"), kib);
        if (domain.Element("currentMemory") is { } current
            && ParseKiB(current.Value, Attr(current, "unit")) is var balloon
            && (balloon is null || balloon == old || balloon > kib))
        {
            SetKiB(current, kib);
        }
    }

    private static void WriteNumatune(XElement domain, DomainTuning t)
    {
        XElement? numatune = domain.Element("numatune");
        XElement Numatune() => numatune ??= ElementOrder.Domain.Insert(domain, new XElement("numatune"));
        bool removed = false;

        if (t.NumaMemory is { } want)
        {
            XElement? memory = numatune?.Element("memory");
            NumaMemoryPolicy? have = memory is null
                ? null
                : new NumaMemoryPolicy(ParseMode(Attr(memory, "mode")), Attr(memory, "placement") == "auto" ? null : ParseCpus(Attr(memory, "nodeset")));
            if (have != want)
            {
                memory = ElementOrder.Numatune.Ensure(Numatune(), "memory");
                memory.SetAttributeValue("mode", OwnedValues.Mode(want.Mode));
                memory.SetAttributeValue("placement", want.Nodes is null ? "auto" : null);
                memory.SetAttributeValue("nodeset", want.Nodes?.ToString());
                OrderAttributes(memory, "mode", "placement", "nodeset");
            }
        }

        if (t.MemNodes is { } memNodes)
        {
            var wanted = memNodes.DistinctBy(m => m.CellId).ToDictionary(m => (long)m.CellId);
            var kept = new Dictionary<long, XElement>();
            foreach (XElement node in numatune?.Elements("memnode").ToList() ?? [])
            {
                if (ParseLong(Attr(node, "cellid")) is { } cell && wanted.ContainsKey(cell) && kept.TryAdd(cell, node))
                {
                    continue;
                }

                node.Remove();
                removed = true;
            }

            foreach ((long cell, MemNode memNode) in wanted)
            {
                if (!kept.TryGetValue(cell, out XElement? node))
                {
                    node = ElementOrder.Numatune.Insert(Numatune(), new XElement("memnode", new XAttribute("cellid", cell)));
                }
                else if (ParseMode(Attr(node, "mode")) == memNode.Mode && ParseCpus(Attr(node, "nodeset")) == memNode.Nodes)
                {
                    continue;
                }

                node.SetAttributeValue("mode", OwnedValues.Mode(memNode.Mode));
                node.SetAttributeValue("nodeset", memNode.Nodes.ToString());
            }
        }

        if (removed)
        {
            RemoveIfEmpty(numatune);
        }
    }

    /// <summary><c>&lt;memoryBacking&gt;&lt;hugepages&gt;</c>; the other backing settings stay.</summary>
    private static void WriteHugePages(XElement domain, DomainTuning t)
    {
        XElement? backing = domain.Element("memoryBacking");
        XElement? hugepages = backing?.Element("hugepages");
        if (t.HugePages is not { } want || OwnedValues.HugePages(ReadHugePages(hugepages)) == OwnedValues.HugePages(want))
        {
            return;
        }

        if (want.Count == 0)
        {
            hugepages!.Remove();
            RemoveIfEmpty(backing);
            return;
        }

        hugepages = ElementOrder.MemoryBacking.Ensure(ElementOrder.Domain.Ensure(domain, "memoryBacking"), "hugepages");
        hugepages.RemoveNodes();
        foreach (HugePage page in want.Where(p => p.SizeKiB is not null))
        {
            var element = new XElement("page", new XAttribute("size", page.SizeKiB!.Value), new XAttribute("unit", "KiB"));
            if (page.GuestCells is { } cells)
            {
                element.Add(new XAttribute("nodeset", cells.ToString()));
            }

            hugepages.Add(element);
        }
    }

    private static void SetKiB(XElement element, long kib)
    {
        element.Value = OwnedValues.Number(kib);
        element.SetAttributeValue("unit", "KiB");
    }

    /// <summary>Puts the named attributes first, in libvirt's order; others keep their order after them.</summary>
    private static void OrderAttributes(XElement element, params string[] order)
    {
        List<XAttribute> attributes = element.Attributes().ToList();
        List<XAttribute> sorted = attributes
            .OrderBy(a => Array.IndexOf(order, a.Name.LocalName) is var i and >= 0 && a.Name.Namespace == XNamespace.None ? i : order.Length)
            .ToList();
        if (!sorted.SequenceEqual(attributes))
        {
            element.RemoveAttributes();
            element.Add(sorted);
        }
    }

    /// <summary>Removes an element left with neither attributes nor content (only ever one kvmconfig just emptied).</summary>
    private static void RemoveIfEmpty(XElement? element)
    {
        if (element?.Parent is not null && !element.HasAttributes && !element.Nodes().Any())
        {
            element.Remove();
        }
    }
}
