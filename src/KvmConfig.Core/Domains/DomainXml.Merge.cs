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

    /// <summary><c>&lt;vcpu placement cpuset&gt;N&lt;/vcpu&gt;</c>, explicit about its placement once kvmconfig touches it.</summary>
    private static void WriteVcpu(XElement domain, DomainTuning t)
    {
        (int oldCount, DomainPlacement oldPlacement, CpuSet? oldCpuset) = ReadVcpu(domain);
        XElement? vcpu = domain.Element("vcpu");
        bool countRight = vcpu is not null && ParseLong(vcpu.Value) == t.Vcpus;
        if (countRight && oldPlacement == t.VcpuPlacement && oldCpuset == t.VcpuCpus)
        {
            return;
        }

        vcpu ??= ElementOrder.Domain.Insert(domain, new XElement("vcpu"));
        if (!countRight)
        {
            // current = old count meant "all online": keep meaning that. A current above the new count is invalid.
            if (ParseLong(Attr(vcpu, "current")) is { } current && (current == oldCount || current > t.Vcpus))
            {
                vcpu.Attribute("current")!.Remove();
            }

            // <vcpus> lists every vCPU; libvirt refuses a list for another count.
            if (oldCount != t.Vcpus)
            {
                domain.Element("vcpus")?.Remove();
            }

            vcpu.Value = OwnedValues.Number(t.Vcpus);
        }

        vcpu.SetAttributeValue("placement", OwnedValues.Placement(t.VcpuPlacement));
        vcpu.SetAttributeValue("cpuset", t.VcpuCpus?.ToString());
        OrderAttributes(vcpu, "placement", "cpuset", "current");
    }

    private static void WriteCputune(XElement domain, DomainTuning t)
    {
        XElement? cputune = domain.Element("cputune");
        XElement Cputune() => cputune ??= ElementOrder.Domain.Insert(domain, new XElement("cputune"));
        bool removed = false;

        if (t.CpuShares is { } shares && ParseLong(cputune?.Element("shares")?.Value) != shares)
        {
            ElementOrder.Cputune.Ensure(Cputune(), "shares").Value = OwnedValues.Number(shares);
        }

        if (t.CpuCap is { } cap)
        {
            var actual = new CpuBandwidth(ParseLong(cputune?.Element("global_period")?.Value), ParseLong(cputune?.Element("global_quota")?.Value));
            if (OwnedValues.Cap(actual) != OwnedValues.Cap(cap))
            {
                if (cap.IsUnlimited)
                {
                    cputune?.Element("global_period")?.Remove();
                    cputune?.Element("global_quota")?.Remove();
                    removed = true;
                }
                else
                {
                    ElementOrder.Cputune.Ensure(Cputune(), "global_period").Value = OwnedValues.Number(cap.PeriodUs ?? CpuBandwidth.DefaultPeriodUs);
                    ElementOrder.Cputune.Ensure(Cputune(), "global_quota").Value = OwnedValues.Number(cap.QuotaUs!.Value);
                }
            }
        }

        // A thread without a pin of its own runs on <vcpu cpuset> (when placement is static): a pin that equals
        // it says nothing more and is not written.
        CpuSet? inherited = t.VcpuPlacement == DomainPlacement.Static ? t.VcpuCpus : null;
        removed |= WritePins(cputune, t, inherited, Cputune);

        XElement? emulatorpin = cputune?.Element("emulatorpin");
        CpuSet? emulator = emulatorpin is null ? inherited ?? CpuSet.Empty : ParseCpus(Attr(emulatorpin, "cpuset"));
        if (emulator != t.EmulatorCpus)
        {
            if (t.EmulatorCpus.IsEmpty)
            {
                emulatorpin?.Remove();
                removed = true;
            }
            else
            {
                ElementOrder.Cputune.Ensure(Cputune(), "emulatorpin").SetAttributeValue("cpuset", t.EmulatorCpus.ToString());
            }
        }

        if (t.VcpuSchedulers is { } schedulers)
        {
            removed |= WriteSchedulers(cputune, t.Vcpus, schedulers, Cputune);
        }

        if (removed)
        {
            RemoveIfEmpty(cputune);
        }
    }

    /// <summary>One <c>&lt;vcpupin&gt;</c> per vCPU whose pin differs from what it inherits; pins for vCPUs past the count go.</summary>
    private static bool WritePins(XElement? cputune, DomainTuning t, CpuSet? inherited, Func<XElement> ensureCputune)
    {
        bool removed = false;
        var pins = new Dictionary<int, XElement>();
        foreach (XElement pin in cputune?.Elements("vcpupin").ToList() ?? [])
        {
            if (ParseLong(Attr(pin, "vcpu")) is { } vcpu && vcpu < t.Vcpus && pins.TryAdd((int)vcpu, pin))
            {
                continue;
            }

            pin.Remove();
            removed = true;
        }

        for (int i = 0; i < t.Vcpus; i++)
        {
            CpuSet want = t.VcpuPins[i];
            XElement? pin = pins.GetValueOrDefault(i);
            CpuSet? have = pin is null ? inherited ?? CpuSet.Empty : ParseCpus(Attr(pin, "cpuset"));
            if (have == want)
            {
                continue;
            }

            if (want.IsEmpty || want == inherited)
            {
                pin?.Remove();
                removed = true;
            }
            else if (pin is null)
            {
                ElementOrder.Cputune.Insert(ensureCputune(), new XElement("vcpupin", new XAttribute("vcpu", i), new XAttribute("cpuset", want.ToString())));
            }
            else
            {
                pin.SetAttributeValue("cpuset", want.ToString());
            }
        }

        return removed;
    }

    /// <summary>
    /// Rewrites every <c>&lt;vcpusched&gt;</c> when the class of any vCPU differs or an element names a vCPU past the
    /// count; one element per scheduler entry (libvirt may print it back one per vCPU: the same setting).
    /// </summary>
    private static bool WriteSchedulers(XElement? cputune, int vcpus, IReadOnlyList<VcpuScheduler> schedulers, Func<XElement> ensureCputune)
    {
        List<XElement> existing = cputune?.Elements("vcpusched").ToList() ?? [];
        bool stale = existing.Any(e => ParseCpus(Attr(e, "vcpus")) is { } which && which.Last >= vcpus);
        if (!stale && OwnedFields.SchedulerPerVcpu(ReadSchedulers(cputune, vcpus), vcpus)
                .SequenceEqual(OwnedFields.SchedulerPerVcpu(schedulers, vcpus)))
        {
            return false;
        }

        existing.ForEach(e => e.Remove());
        foreach (VcpuScheduler s in schedulers.Where(s => s.Class is not Specs.SchedulerClass.Other && !s.Vcpus.IsEmpty))
        {
            var sched = new XElement("vcpusched",
                new XAttribute("vcpus", s.Vcpus.ToString()),
                new XAttribute("scheduler", OwnedValues.SchedulerName(s.Class)));
            if (s.Class is Specs.SchedulerClass.Fifo or Specs.SchedulerClass.RoundRobin)
            {
                sched.Add(new XAttribute("priority", s.Priority));
            }

            ElementOrder.Cputune.Insert(ensureCputune(), sched);
        }

        return existing.Count > 0;
    }

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
                NumaCell only = cells.Count == 1 ? cells[0] : new NumaCell(0, CpuSet.Range(0, t.Vcpus - 1), t.MemoryKiB);
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
