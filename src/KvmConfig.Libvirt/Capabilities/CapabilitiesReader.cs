using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Topology;

namespace KvmConfig.Libvirt.Capabilities;

/// <summary>
/// Reads the host's CPU and NUMA topology from libvirt's capabilities XML (<c>virsh capabilities</c>,
/// <c>virConnectGetCapabilities</c>) into the same <see cref="HostTopology"/> the sysfs reader builds, so that every
/// command works over <c>--connect qemu+ssh://host/system</c> without access to the host's <c>/sys</c>.
/// </summary>
/// <remarks>
/// <para>
/// What is read, all under <c>&lt;capabilities&gt;&lt;host&gt;</c> (libvirt's <c>virCapabilitiesFormatXML</c>):
/// </para>
/// <list type="bullet">
/// <item><c>topology/cells/cell</c>: one per online NUMA node, with its memory (<c>MemTotal</c>), page pools,
/// SLIT distances and CPUs. Memory-only nodes are cells with <c>&lt;cpus num='0'/&gt;</c>.</item>
/// <item><c>cache/bank</c>: caches shared between CPUs. libvirt reports level 3 only (its
/// <c>cache_min_level</c>); a level 2 bank is read too should a driver ever write one.</item>
/// </list>
/// <para>
/// The CPU pools. A <c>&lt;cpu&gt;</c> with <c>socket_id</c>, <c>core_id</c> and <c>siblings</c> is online. A
/// <c>&lt;cpu id='N'/&gt;</c> without them is present but offline: libvirt's formatter
/// (<c>virCapsHostNUMACellCPUFormat</c>) writes the topology only for a CPU whose sibling list it could read. Be
/// aware of what libvirt 9 does on Linux: it lists the CPUs of each node's <c>cpumap</c> and reads their topology
/// files, defaulting a missing file to 0. On x86 and arm64 the kernel drops an offline CPU from its node's map, so
/// offline CPUs are simply not listed: they are then neither present nor online here. On an architecture that keeps
/// an offline CPU in its node's map and removes its topology files, libvirt 9 would report it as socket 0, core 0
/// with itself as only sibling, and no reader of the XML could tell it from a real CPU.
/// <see cref="HostTopology.Possible"/> is not in the XML: it is set to the present CPUs.
/// </para>
/// <para>
/// What capabilities never carry, so a remote host reads as if it had none: <c>isolcpus=</c>
/// (<see cref="HostTopology.Isolated"/> is empty, so rules about isolated CPUs cannot fire), <c>nohz_full=</c>
/// (<see cref="HostTopology.NohzFull"/> empty) and cpufreq (<see cref="CpuFreqInfo.NotVisible"/>, so the governor
/// and cpufreq_max rules, KVC034/KVC035, stay silent instead of reporting a host without cpufreq). Free memory and free
/// huge pages come from <see cref="HostMemoryFacts"/> instead. Without them a cell's free memory is unknown
/// (<see cref="NumaNode.MemFreeKiB"/> null) and each huge page pool counts 0 free pages: a check that needs free
/// pages then fails loudly rather than promise pages that running VMs may hold (taking the pool's total as free
/// would), and the connection layer is expected to always ask <c>virNodeGetFreePages</c>.
/// </para>
/// <para>
/// A capabilities document without <c>&lt;topology&gt;&lt;cells&gt;</c> is refused: kvmconfig does not guess CPU
/// numbering from <c>&lt;cpu&gt;&lt;topology sockets= cores= threads=/&gt;</c>, because sequential numbering
/// (threads of a core next to each other) is wrong on most SMT hosts, where a core's threads are N and N+cores,
/// and a wrong guess pins VMs onto shared cores without any error. Every failure, malformed XML included, is a
/// <see cref="KvmConfigException"/> with <see cref="Rules.Unreadable"/> (KVC093) naming the element and its line.
/// </para>
/// </remarks>
public static class CapabilitiesReader
{
    private const string DefaultSource = "libvirt capabilities XML";

    /// <summary>
    /// Parses capabilities XML into a topology. <paramref name="facts"/> adds free memory and free huge pages per
    /// cell, which the XML does not carry; <paramref name="source"/> names where the XML came from (a connection
    /// URI, a file) in error messages and as <see cref="KvmConfigException.Path"/>. Throws
    /// <see cref="KvmConfigException"/> with <see cref="Rules.Unreadable"/> when the text is not XML, is not a
    /// capabilities document, has no <c>&lt;topology&gt;&lt;cells&gt;</c>, or an element lacks or garbles a
    /// mandatory attribute.
    /// </summary>
    public static HostTopology Parse(string capabilitiesXml, HostMemoryFacts? facts = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(capabilitiesXml);
        return new Reader(source, facts ?? HostMemoryFacts.None).Read(capabilitiesXml);
    }

    /// <summary>A NUMA cell as the XML gives it, before the CPU pools are known.</summary>
    private sealed record Cell(int Id, long? MemTotalKiB, IReadOnlyList<PagePool> Pages, IReadOnlyDictionary<int, int> Distances, IReadOnlyList<CellCpu> Cpus, int Line);

    /// <summary>A <c>&lt;cpu&gt;</c> of a cell; <see cref="Topology"/> null for an offline CPU.</summary>
    private sealed record CellCpu(int Id, CpuPlace? Topology, int Line);

    private sealed record CpuPlace(int SocketId, int DieId, int? ClusterId, int CoreId, CpuSet Siblings);

    /// <summary>Pages of one size on a cell: the base page or a huge page pool, <see cref="Count"/> pages in all.</summary>
    private sealed record PagePool(long SizeKiB, long Count);

    private sealed record CacheBank(int Level, CpuSet Cpus);

    /// <summary>One parse: the source name and facts every error and node needs.</summary>
    private sealed class Reader(string? source, HostMemoryFacts facts)
    {
        private readonly string _where = source ?? DefaultSource;

        public HostTopology Read(string xml)
        {
            XDocument document = Load(xml);
            XElement root = document.Root!;
            if (root.Name != "capabilities")
            {
                throw Malformed(root, $"the root element is <{root.Name}>, not <capabilities>: this is not what virsh capabilities prints");
            }

            XElement host = root.Element("host") ?? throw Malformed(root, "<capabilities> has no <host> element");
            XElement cellsElement = host.Element("topology")?.Element("cells")
                ?? throw LibvirtErrors.CapabilitiesWithoutTopology(At(host), source);

            // 1. Cells, each with its CPUs. Ids must be unique, and a CPU belongs to one cell only.
            List<Cell> cells = cellsElement.Elements("cell").Select(ReadCell).OrderBy(c => c.Id).ToList();
            if (cells.Count == 0)
            {
                throw Malformed(cellsElement, "<cells> holds no <cell>: a host has at least one NUMA node");
            }

            CheckUniqueIds(cells);

            // 2. The pools: every listed CPU is present; those with topology are online.
            var present = new CpuSet.Builder();
            var online = new CpuSet.Builder();
            foreach (CellCpu cpu in cells.SelectMany(c => c.Cpus))
            {
                present.Add(cpu.Id);
                if (cpu.Topology is not null)
                {
                    online.Add(cpu.Id);
                }
            }

            CpuSet onlineSet = online.ToCpuSet();
            if (onlineSet.IsEmpty)
            {
                int listed = cells.Sum(c => c.Cpus.Count);
                throw Malformed(
                    cellsElement,
                    listed == 0
                        ? "no <cell> lists a <cpu>: a host has at least one CPU"
                        : $"none of the {listed} CPUs in <cells> carries socket_id, core_id and siblings, so no CPU is known to be online (an old libvirt, or a driver that does not report CPU topology)");
            }

            // 3. Each online CPU's place, with its cell and the caches it shares.
            IReadOnlyList<CacheBank> banks = ReadCacheBanks(host.Element("cache"));
            var cpus = new List<LogicalCpu>(onlineSet.Count);
            foreach (Cell cell in cells)
            {
                foreach (CellCpu cpu in cell.Cpus)
                {
                    if (cpu.Topology is CpuPlace t)
                    {
                        cpus.Add(new LogicalCpu(
                            cpu.Id,
                            t.SocketId,
                            t.DieId,
                            t.ClusterId,
                            t.CoreId,
                            t.Siblings | CpuSet.Of(cpu.Id),
                            cell.Id,
                            SharedCache(banks, 2, cpu.Id),
                            SharedCache(banks, 3, cpu.Id)));
                    }
                }
            }

            cpus.Sort((a, b) => a.Id.CompareTo(b.Id));
            CpuSet presentSet = present.ToCpuSet();
            return new HostTopology
            {
                Possible = presentSet,
                Present = presentSet,
                Online = onlineSet,
                Isolated = CpuSet.Empty,
                NohzFull = CpuSet.Empty,
                Cpus = cpus,
                Nodes = cells.Select(ToNode).ToList(),
                CpuFreq = CpuFreqInfo.NotVisible,
            };
        }

        // ---- Document ---------------------------------------------------------------------------------------

        private XDocument Load(string xml)
        {
            // The XML may come from a remote daemon: no DTD (entity expansion), no resolver (external fetches).
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
            try
            {
                using var reader = XmlReader.Create(new StringReader(xml), settings);
                return XDocument.Load(reader, LoadOptions.SetLineInfo);
            }
            catch (XmlException e)
            {
                throw LibvirtErrors.MalformedCapabilities($"{_where}: cannot be parsed as XML: {e.Message}", source, e);
            }
        }

        // ---- Cells --------------------------------------------------------------------------------------------

        private Cell ReadCell(XElement cell)
        {
            // <cell id='0'>                                 NUMA node number (nodeN)
            //   <memory unit='KiB'>5990612</memory>         MemTotal; libvirt leaves it out when the node reports 0
            //   <pages unit='KiB' size='4'>1497653</pages>  base pages: (MemTotal - huge page pools) / page size
            //   <pages unit='KiB' size='2048'>0</pages>     a huge page pool: nr_hugepages (its total, not free)
            //   <distances><sibling id='0' value='10'/></distances>
            //   <cpus num='2'>...</cpus>
            int id = RequiredId(cell, "id");
            string cellName = $"<cell id='{id}'>";
            XElement? memory = cell.Element("memory");
            string memoryName = $"<memory> of {cellName}";
            long? memTotalKiB = memory is null ? null : ToKiB(memory, memoryName, ParseLong(memory, memoryName, memory.Value), memory.Attribute("unit")?.Value);
            return new Cell(
                id,
                memTotalKiB,
                ReadPages(cell, cellName),
                ReadDistances(cell, cellName),
                cell.Element("cpus")?.Elements("cpu").Select(c => ReadCpu(c, cellName)).ToList() ?? [],
                Line(cell));
        }

        private List<PagePool> ReadPages(XElement cell, string cellName)
        {
            var pools = new List<PagePool>();
            foreach (XElement pages in cell.Elements("pages"))
            {
                XAttribute size = pages.Attribute("size") ?? throw Malformed(pages, $"<pages> in {cellName} has no 'size' attribute");
                string pagesName = $"<pages size='{size.Value}'> of {cellName}";
                long sizeKiB = ToKiB(pages, pagesName, ParseLong(pages, pagesName, size.Value), pages.Attribute("unit")?.Value);
                if (sizeKiB <= 0)
                {
                    throw Malformed(pages, $"{pagesName}: a page size is at least 1 KiB");
                }

                if (pools.Any(p => p.SizeKiB == sizeKiB))
                {
                    throw Malformed(pages, $"{cellName} lists {sizeKiB} KiB pages twice");
                }

                pools.Add(new PagePool(sizeKiB, ParseLong(pages, pagesName, pages.Value)));
            }

            pools.Sort((a, b) => a.SizeKiB.CompareTo(b.SizeKiB));
            return pools;
        }

        private Dictionary<int, int> ReadDistances(XElement cell, string cellName)
        {
            // <sibling id='2' value='21'/>   SLIT distance from this cell to cell 2; 10 is local (LOCAL_DISTANCE)
            var distances = new Dictionary<int, int>();
            foreach (XElement sibling in cell.Element("distances")?.Elements("sibling") ?? [])
            {
                int to = RequiredId(sibling, "id", $"<sibling> in {cellName}");
                XAttribute value = sibling.Attribute("value") ?? throw Malformed(sibling, $"<sibling id='{to}'> in {cellName} has no 'value' attribute");
                if (!distances.TryAdd(to, ParseInt(sibling, $"the value of <sibling id='{to}'> in {cellName}", value.Value)))
                {
                    throw Malformed(sibling, $"{cellName} gives two distances to cell {to}");
                }
            }

            return distances;
        }

        private CellCpu ReadCpu(XElement cpu, string cellName)
        {
            // <cpu id='4' socket_id='0' die_id='0' cluster_id='0' core_id='4' siblings='4,44'/>
            //      (1)    (2)          (3)       (4)            (5)         (6)
            // 1 logical CPU (cpuN)   2 physical_package_id, 0 where the kernel has none   3 die_id, absent from older
            // libvirt   4 cluster_id, only from libvirt 10   5 core_id, unique only inside its package
            // 6 thread_siblings_list: the SMT threads of the core, this CPU included; offline threads may appear
            // <cpu id='24'/>   listed without topology: present, not online
            int id = RequiredId(cpu, "id", $"<cpu> in {cellName}");
            string cpuName = $"<cpu id='{id}'> in {cellName}";
            XAttribute? socket = cpu.Attribute("socket_id"), die = cpu.Attribute("die_id"), cluster = cpu.Attribute("cluster_id");
            XAttribute? core = cpu.Attribute("core_id"), siblings = cpu.Attribute("siblings");
            if (socket is null && die is null && cluster is null && core is null && siblings is null)
            {
                return new CellCpu(id, null, Line(cpu));
            }

            string? missing = socket is null ? "socket_id" : core is null ? "core_id" : siblings is null ? "siblings" : null;
            if (missing is not null)
            {
                throw Malformed(cpu, $"{cpuName} has topology attributes but no '{missing}': libvirt writes socket_id, core_id and siblings together, or none of them for an offline CPU");
            }

            if (!CpuSet.TryParse(siblings!.Value, out CpuSet? siblingSet, out CpuListError? error))
            {
                throw Malformed(cpu, $"{cpuName}: siblings='{siblings.Value}' is not a CPU list: {error.Message}");
            }

            return new CellCpu(
                id,
                new CpuPlace(
                    TopologyId(cpu, cpuName, socket!),
                    die is null ? 0 : TopologyId(cpu, cpuName, die),
                    cluster is null ? null : TopologyId(cpu, cpuName, cluster),
                    TopologyId(cpu, cpuName, core!),
                    siblingSet),
                Line(cpu));
        }

        private void CheckUniqueIds(List<Cell> cells)
        {
            foreach (IGrouping<int, Cell> twice in cells.GroupBy(c => c.Id).Where(g => g.Count() > 1))
            {
                throw LibvirtErrors.MalformedCapabilities(
                    $"{_where}: <cell id='{twice.Key}'> appears twice (lines {string.Join(" and ", twice.Select(c => c.Line))}); NUMA node numbers are unique",
                    source);
            }

            var cellOf = new Dictionary<int, (int Cell, int Line)>();
            foreach (Cell cell in cells)
            {
                foreach (CellCpu cpu in cell.Cpus)
                {
                    if (cellOf.TryGetValue(cpu.Id, out (int Cell, int Line) first))
                    {
                        throw LibvirtErrors.MalformedCapabilities(
                            $"{_where}: CPU {cpu.Id} is listed by cell {first.Cell} (line {first.Line}) and cell {cell.Id} (line {cpu.Line}); a CPU belongs to exactly one NUMA node",
                            source);
                    }

                    cellOf[cpu.Id] = (cell.Id, cpu.Line);
                }
            }
        }

        private NumaNode ToNode(Cell cell)
        {
            // The smallest page size of a cell is the base page (4 KiB on x86, 64 KiB on some arm64 and ppc64
            // kernels): libvirt always lists it, sorted first. Every larger size is a huge page pool.
            long basePageKiB = cell.Pages.Count == 0 ? 0 : cell.Pages[0].SizeKiB;
            IReadOnlyDictionary<long, long>? freePages = facts.FreeHugePages.GetValueOrDefault(cell.Id);
            List<HugePagePool> hugePages = cell.Pages
                .Where(p => p.SizeKiB > basePageKiB)
                .Select(p => new HugePagePool(p.SizeKiB, p.Count, freePages?.GetValueOrDefault(p.SizeKiB) ?? 0))
                .ToList();
            CpuSet cpus = CpuSet.Of(cell.Cpus.Where(c => c.Topology is not null).Select(c => c.Id));
            return new NumaNode(
                cell.Id,
                cpus,
                cell.MemTotalKiB,
                facts.FreeMemoryKiB.TryGetValue(cell.Id, out long free) ? free : null,
                hugePages,
                cell.Distances);
        }

        // ---- Caches -------------------------------------------------------------------------------------------

        private List<CacheBank> ReadCacheBanks(XElement? cache)
        {
            // <bank id='0' level='3' type='both' size='28160' unit='KiB' cpus='0-19,40-59'/>
            //      (1)    (2)       (3)         (4)          (5)        (6)
            // 1 cache/indexN/id   2 level   3 'both' (Unified), 'data' or 'code' (Instruction, holds no VM memory)
            // 4-5 size   6 shared_cpu_list: the online CPUs sharing this cache
            var banks = new List<CacheBank>();
            foreach (XElement bank in cache?.Elements("bank") ?? [])
            {
                XAttribute levelText = bank.Attribute("level") ?? throw Malformed(bank, "<bank> in <cache> has no 'level' attribute");
                int level = ParseInt(bank, "the level of a <bank>", levelText.Value);
                string type = bank.Attribute("type")?.Value ?? "both";
                if (type is not ("both" or "data" or "code"))
                {
                    throw Malformed(bank, $"<bank level='{level}'> has type='{type}'; libvirt writes 'both', 'data' or 'code'");
                }

                XAttribute cpusText = bank.Attribute("cpus") ?? throw Malformed(bank, $"<bank level='{level}'> has no 'cpus' attribute");
                if (!CpuSet.TryParse(cpusText.Value, out CpuSet? cpus, out CpuListError? error))
                {
                    throw Malformed(bank, $"<bank level='{level}'>: cpus='{cpusText.Value}' is not a CPU list: {error.Message}");
                }

                if (level is 2 or 3 && type != "code")
                {
                    banks.Add(new CacheBank(level, cpus));
                }
            }

            return banks;
        }

        /// <summary>The CPUs sharing a level-<paramref name="level"/> cache with <paramref name="cpu"/>, or null.</summary>
        private static CpuSet? SharedCache(IReadOnlyList<CacheBank> banks, int level, int cpu)
        {
            // Split data and unified banks of one level can both hold a CPU: its group is their union, as in sysfs.
            CpuSet? shared = null;
            foreach (CacheBank bank in banks)
            {
                if (bank.Level == level && bank.Cpus.Contains(cpu))
                {
                    shared = shared is null ? bank.Cpus : shared | bank.Cpus;
                }
            }

            return shared;
        }

        // ---- Attributes ---------------------------------------------------------------------------------------

        /// <summary>A cell, CPU or sibling id: a number from 0 to <see cref="CpuSet.MaxCpuId"/>.</summary>
        private int RequiredId(XElement element, string attribute, string? name = null)
        {
            name ??= $"<{element.Name}>";
            XAttribute value = element.Attribute(attribute) ?? throw Malformed(element, $"{name} has no '{attribute}' attribute");
            if (!int.TryParse(value.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id > CpuSet.MaxCpuId)
            {
                throw Malformed(element, $"{name}: {attribute}='{value.Value}' is not a number from 0 to {CpuSet.MaxCpuId}");
            }

            return id;
        }

        /// <summary>socket_id, die_id, cluster_id, core_id: numbers, negative where an old libvirt passed sysfs's -1 on.</summary>
        private int TopologyId(XElement cpu, string cpuName, XAttribute attribute) =>
            int.TryParse(attribute.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id)
                ? id
                : throw Malformed(cpu, $"{cpuName}: {attribute.Name}='{attribute.Value}' is not a number");

        /// <summary>A count or size: a number from 0 up, surrounding whitespace allowed (element text).</summary>
        private long ParseLong(XElement element, string what, string text) =>
            long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n)
                ? n
                : throw Malformed(element, $"{what} is '{text.Trim()}', not a number");

        private int ParseInt(XElement element, string what, string text) =>
            int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
                ? n
                : throw Malformed(element, $"{what} is '{text.Trim()}', not a number");

        /// <summary>
        /// <paramref name="value"/> in <paramref name="unit"/> as KiB, rounded down. Units follow libvirt's
        /// <c>virScaleInteger</c>: none or <c>KiB</c>/<c>k</c> (1024), <c>b</c>/<c>bytes</c>, <c>KB</c> (1000), and
        /// the same for M, G, T, P, E. Capabilities always write <c>KiB</c>.
        /// </summary>
        private long ToKiB(XElement element, string what, long value, string? unit)
        {
            long? bytesPerUnit = BytesPerUnit(unit);
            if (bytesPerUnit is not long scale)
            {
                throw Malformed(element, $"{what} has unit='{unit}', which is not a libvirt unit (KiB, MiB, GiB, bytes, ...)");
            }

            Int128 kib = (Int128)value * scale / 1024;
            return kib <= long.MaxValue ? (long)kib : throw Malformed(element, $"{what} is {value} {unit}, too large");
        }

        private static long? BytesPerUnit(string? unit)
        {
            if (string.IsNullOrEmpty(unit))
            {
                return 1024;
            }

            string u = unit.ToLowerInvariant();
            if (u[0] == 'b')
            {
                return u is "b" or "byte" or "bytes" ? 1 : null;
            }

            long perStep = u.Length == 1 || u[1..] == "ib" ? 1024 : u[1..] == "b" ? 1000 : 0;
            int steps = "kmgtpe".IndexOf(u[0], StringComparison.Ordinal) + 1;
            if (perStep == 0 || steps == 0)
            {
                return null;
            }

            long scale = 1;
            for (int i = 0; i < steps; i++)
            {
                scale *= perStep;
            }

            return scale;
        }

        // ---- Errors -------------------------------------------------------------------------------------------

        private static int Line(XObject node) => node is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;

        private string At(XObject node) => Line(node) is > 0 and int line ? $"{_where}, line {line}" : _where;

        private KvmConfigException Malformed(XObject at, string message) =>
            LibvirtErrors.MalformedCapabilities($"{At(at)}: {message}", source);
    }
}
