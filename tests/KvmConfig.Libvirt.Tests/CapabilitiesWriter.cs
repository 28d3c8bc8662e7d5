using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KvmConfig.Core;
using KvmConfig.Core.Topology;

namespace KvmConfig.Libvirt.Tests;

/// <summary>Which libvirt's output to imitate.</summary>
public enum CapabilitiesFormat
{
    /// <summary>libvirt 9 (Debian 12): <c>&lt;cpu id socket_id die_id core_id siblings/&gt;</c>.</summary>
    V9,

    /// <summary>libvirt 10 and later: adds <c>cluster_id</c> to each CPU and <c>clusters='1'</c> to the host CPU topology.</summary>
    V10,
}

/// <summary>How offline CPUs appear in the cells.</summary>
public enum OfflineCpuForm
{
    /// <summary>
    /// Not listed: what libvirt 9 prints on x86, where the kernel drops an offline CPU from its node's cpumap
    /// before libvirt looks.
    /// </summary>
    Omitted,

    /// <summary>
    /// <c>&lt;cpu id='N'/&gt;</c>: the form libvirt's formatter (<c>virCapsHostNUMACellCPUFormat</c>) gives a CPU without
    /// topology. Only for single-node hosts: the topology does not say which node an offline CPU belongs to.
    /// </summary>
    Bare,
}

/// <summary>
/// Renders a <see cref="HostTopology"/> (read by the sysfs reader from a capture) as <c>virsh capabilities</c> prints
/// it, element for element in libvirt's order (<c>virCapabilitiesFormatXML</c>), so that the capabilities reader can
/// be tested on machines bigger than the one running the tests. The generated files are committed in
/// <c>tests/data/capabilities/</c>, and a test keeps them equal to this writer's output.
/// </summary>
/// <remarks>
/// What the writer cannot know is kept small and plain: the <c>&lt;host&gt;&lt;cpu&gt;</c> block holds only the
/// architecture, the topology summary and the page sizes (no model, vendor or features); the UUID is derived from
/// the machine's name; the guest section lists a few x86_64 machine types. The reader looks at none of these.
/// </remarks>
public static class CapabilitiesWriter
{
    private const long BasePageKiB = 4;

    /// <summary>One <c>&lt;bank&gt;</c> of <c>&lt;host&gt;&lt;cache&gt;</c>, as libvirt reads it from <c>cpuN/cache/indexM</c>.</summary>
    /// <param name="Id">The cache's <c>id</c> file.</param>
    /// <param name="Level">3 (libvirt reports nothing below).</param>
    /// <param name="Type">libvirt's name: <c>both</c> (kernel "Unified"), <c>data</c>, <c>code</c> ("Instruction").</param>
    /// <param name="SizeBytes">The <c>size</c> file ("28160K") in bytes.</param>
    /// <param name="Cpus">The <c>shared_cpu_list</c> file.</param>
    public sealed record CacheBank(int Id, int Level, string Type, long SizeBytes, CpuSet Cpus);

    /// <summary>How to render one machine.</summary>
    public sealed record Options
    {
        /// <summary>Machine name, seeds the UUID.</summary>
        public required string Name { get; init; }

        public CapabilitiesFormat Format { get; init; } = CapabilitiesFormat.V9;

        public OfflineCpuForm OfflineCpus { get; init; } = OfflineCpuForm.Omitted;

        /// <summary>The <c>&lt;cache&gt;</c> banks; none writes no <c>&lt;cache&gt;</c> element, as libvirt does.</summary>
        public IReadOnlyList<CacheBank> CacheBanks { get; init; } = [];
    }

    /// <summary>
    /// The capabilities XML of <paramref name="host"/> as <c>virsh capabilities</c> prints it: libvirt's document,
    /// which ends in a newline, and the newline virsh adds.
    /// </summary>
    public static string Render(HostTopology host, Options options)
    {
        var xml = new Xml();
        xml.Line(0, "<capabilities>");
        xml.Blank();
        xml.Line(1, "<host>");
        xml.Line(2, $"<uuid>{Uuid(options.Name)}</uuid>");
        WriteHostCpu(xml, host, options.Format);
        xml.Line(2, "<power_management/>");
        xml.Line(2, "<iommu support='yes'/>");
        xml.Line(2, "<migration_features>");
        xml.Line(3, "<live/>");
        xml.Line(3, "<uri_transports>");
        xml.Line(4, "<uri_transport>tcp</uri_transport>");
        xml.Line(4, "<uri_transport>rdma</uri_transport>");
        xml.Line(3, "</uri_transports>");
        xml.Line(2, "</migration_features>");
        WriteTopology(xml, host, options);
        WriteCache(xml, options.CacheBanks);
        xml.Line(2, "<secmodel>");
        xml.Line(3, "<model>none</model>");
        xml.Line(3, "<doi>0</doi>");
        xml.Line(2, "</secmodel>");
        xml.Line(2, "<secmodel>");
        xml.Line(3, "<model>dac</model>");
        xml.Line(3, "<doi>0</doi>");
        xml.Line(3, "<baselabel type='kvm'>+64055:+994</baselabel>");
        xml.Line(3, "<baselabel type='qemu'>+64055:+994</baselabel>");
        xml.Line(2, "</secmodel>");
        xml.Line(1, "</host>");
        xml.Blank();
        WriteGuest(xml);
        xml.Line(0, "</capabilities>");
        xml.Blank();
        return xml.ToString();
    }

    /// <summary>
    /// The cache banks libvirt would report for a captured tree (<c>virCapabilitiesInitCaches</c>): every level-3
    /// or higher <c>cache/indexM</c> of each online CPU, duplicates merged, ordered by level then id. libvirt gives
    /// up on all caches when any of <c>id</c>, <c>type</c>, <c>size</c> or <c>shared_cpu_list</c> is missing, and so
    /// does this (the capabilities then hold no <c>&lt;cache&gt;</c>).
    /// </summary>
    public static IReadOnlyList<CacheBank> ReadCacheBanks(string sysRoot, CpuSet online)
    {
        var banks = new List<CacheBank>();
        foreach (int cpu in online)
        {
            string cacheDir = Path.Combine(sysRoot, "devices", "system", "cpu", $"cpu{cpu}", "cache");
            if (!Directory.Exists(cacheDir))
            {
                continue;
            }

            foreach (string index in Directory.EnumerateDirectories(cacheDir, "index*"))
            {
                int level = int.Parse(File.ReadAllText(Path.Combine(index, "level")).Trim(), CultureInfo.InvariantCulture);
                if (level < 3)
                {
                    continue;
                }

                string[] files = ["id", "type", "size", "shared_cpu_list"];
                if (files.Any(f => !File.Exists(Path.Combine(index, f))))
                {
                    return [];
                }

                var bank = new CacheBank(
                    int.Parse(File.ReadAllText(Path.Combine(index, "id")).Trim(), CultureInfo.InvariantCulture),
                    level,
                    File.ReadAllText(Path.Combine(index, "type")).Trim() switch
                    {
                        "Unified" => "both",
                        "Data" => "data",
                        "Instruction" => "code",
                        string other => throw new InvalidDataException($"{index}/type: unknown cache type '{other}'"),
                    },
                    ParseScaled(File.ReadAllText(Path.Combine(index, "size")).Trim()),
                    CpuSet.Parse(File.ReadAllText(Path.Combine(index, "shared_cpu_list")).Trim()));
                if (!banks.Contains(bank))
                {
                    banks.Add(bank);
                }
            }
        }

        return banks.OrderBy(b => b.Level).ThenBy(b => b.Id).ToList();
    }

    // ---- <host><cpu> ------------------------------------------------------------------------------------------

    private static void WriteHostCpu(Xml xml, HostTopology host, CapabilitiesFormat format)
    {
        (int sockets, int cores, int threads) = HostCpuTopology(host);
        xml.Line(2, "<cpu>");
        xml.Line(3, "<arch>x86_64</arch>");
        xml.Line(3, format == CapabilitiesFormat.V9
            ? $"<topology sockets='{sockets}' dies='1' cores='{cores}' threads='{threads}'/>"
            : $"<topology sockets='{sockets}' dies='1' clusters='1' cores='{cores}' threads='{threads}'/>");
        foreach (long size in host.HugePageSizesKiB.Prepend(BasePageKiB).Distinct().Order())
        {
            xml.Line(3, $"<pages unit='KiB' size='{size}'/>");
        }

        xml.Line(2, "</cpu>");
    }

    /// <summary>
    /// The summary libvirt puts in <c>&lt;host&gt;&lt;cpu&gt;&lt;topology&gt;</c> (<c>virHostCPUGetInfo</c>): sockets per NUMA
    /// node, cores per socket, threads per core, each the largest seen; when nodes x sockets x cores x threads does
    /// not equal the CPU count, libvirt reports 1 socket of N single-thread cores instead.
    /// </summary>
    private static (int Sockets, int Cores, int Threads) HostCpuTopology(HostTopology host)
    {
        int sockets = 0, cores = 0, threads = 0;
        foreach (NumaNode node in host.Nodes)
        {
            List<LogicalCpu> cpus = node.Cpus.Select(id => host.Cpu(id)!).ToList();
            sockets = Math.Max(sockets, cpus.Select(c => c.PackageId).Distinct().Count());
            foreach (IGrouping<int, LogicalCpu> package in cpus.GroupBy(c => c.PackageId))
            {
                cores = Math.Max(cores, package.Select(c => c.CoreId).Distinct().Count());
            }

            threads = Math.Max(threads, cpus.Select(c => c.ThreadSiblings.Count).DefaultIfEmpty(0).Max());
        }

        int all = host.Present.Count;
        return host.Nodes.Count * sockets * cores * threads == all ? (sockets, cores, threads) : (1, all, 1);
    }

    // ---- <topology> -------------------------------------------------------------------------------------------

    private static void WriteTopology(Xml xml, HostTopology host, Options options)
    {
        if (options.OfflineCpus == OfflineCpuForm.Bare && !host.Offline.IsEmpty && host.Nodes.Count != 1)
        {
            throw new InvalidOperationException($"{options.Name}: offline CPUs {host.Offline} on a host of {host.Nodes.Count} nodes; the topology does not say which node holds them");
        }

        xml.Line(2, "<topology>");
        xml.Line(3, $"<cells num='{host.Nodes.Count}'>");
        foreach (NumaNode node in host.Nodes)
        {
            xml.Line(4, $"<cell id='{node.Id}'>");
            WriteMemory(xml, node);
            if (node.Distances.Count > 0)
            {
                xml.Line(5, "<distances>");
                foreach ((int to, int value) in node.Distances.OrderBy(d => d.Key))
                {
                    xml.Line(6, $"<sibling id='{to}' value='{value}'/>");
                }

                xml.Line(5, "</distances>");
            }

            CpuSet listed = options.OfflineCpus == OfflineCpuForm.Bare ? node.Cpus | host.Offline : node.Cpus;
            if (listed.IsEmpty)
            {
                xml.Line(5, "<cpus num='0'/>");
            }
            else
            {
                xml.Line(5, $"<cpus num='{listed.Count}'>");
                foreach (int id in listed)
                {
                    xml.Line(6, host.Cpu(id) is LogicalCpu cpu ? CpuLine(cpu, options.Format) : $"<cpu id='{id}'/>");
                }

                xml.Line(5, "</cpus>");
            }

            xml.Line(4, "</cell>");
        }

        xml.Line(3, "</cells>");
        xml.Line(2, "</topology>");
    }

    private static void WriteMemory(Xml xml, NumaNode node)
    {
        // libvirt prints <memory> only when the node has some, and always lists the base pages first: the node's
        // memory less its huge page pools, in 4 KiB pages (virNumaGetPages). Unknown memory (a capture without
        // node/) writes neither: the writer does not invent numbers.
        if (node.MemTotalKiB is not long total)
        {
            return;
        }

        if (total > 0)
        {
            xml.Line(5, $"<memory unit='KiB'>{total}</memory>");
        }

        long pooledKiB = node.HugePages.Sum(p => p.Total * p.SizeKiB);
        xml.Line(5, $"<pages unit='KiB' size='{BasePageKiB}'>{Math.Max(0, total - pooledKiB) / BasePageKiB}</pages>");
        foreach (HugePagePool pool in node.HugePages.OrderBy(p => p.SizeKiB))
        {
            xml.Line(5, $"<pages unit='KiB' size='{pool.SizeKiB}'>{pool.Total}</pages>");
        }
    }

    private static string CpuLine(LogicalCpu cpu, CapabilitiesFormat format)
    {
        // libvirt reads -1 (the kernel's "unknown") in physical_package_id, die_id and cluster_id as 0.
        int socket = Math.Max(0, cpu.PackageId), die = Math.Max(0, cpu.DieId), cluster = Math.Max(0, cpu.ClusterId ?? 0);
        return format == CapabilitiesFormat.V9
            ? $"<cpu id='{cpu.Id}' socket_id='{socket}' die_id='{die}' core_id='{cpu.CoreId}' siblings='{cpu.ThreadSiblings}'/>"
            : $"<cpu id='{cpu.Id}' socket_id='{socket}' die_id='{die}' cluster_id='{cluster}' core_id='{cpu.CoreId}' siblings='{cpu.ThreadSiblings}'/>";
    }

    // ---- <cache> ----------------------------------------------------------------------------------------------

    private static void WriteCache(Xml xml, IReadOnlyList<CacheBank> banks)
    {
        if (banks.Count == 0)
        {
            return;
        }

        xml.Line(2, "<cache>");
        foreach (CacheBank bank in banks)
        {
            (long size, string unit) = Pretty(bank.SizeBytes);
            xml.Line(3, $"<bank id='{bank.Id}' level='{bank.Level}' type='{bank.Type}' size='{size}' unit='{unit}' cpus='{bank.Cpus}'/>");
        }

        xml.Line(2, "</cache>");
    }

    /// <summary>libvirt's <c>virFormatIntPretty</c>: the largest binary unit that divides the size exactly.</summary>
    private static (long Value, string Unit) Pretty(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        int u = 0;
        while (u < units.Length - 1 && bytes != 0 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            u++;
        }

        return (bytes, units[u]);
    }

    /// <summary>A sysfs size with the kernel's suffix ("28160K") in bytes.</summary>
    private static long ParseScaled(string text)
    {
        long scale = text[^1] switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1 };
        string digits = scale == 1 ? text : text[..^1];
        return long.Parse(digits, CultureInfo.InvariantCulture) * scale;
    }

    // ---- <guest> and the rest ---------------------------------------------------------------------------------

    private static void WriteGuest(Xml xml)
    {
        xml.Line(1, "<guest>");
        xml.Line(2, "<os_type>hvm</os_type>");
        xml.Line(2, "<arch name='x86_64'>");
        xml.Line(3, "<wordsize>64</wordsize>");
        xml.Line(3, "<emulator>/usr/bin/qemu-system-x86_64</emulator>");
        xml.Line(3, "<machine maxCpus='255'>pc-i440fx-7.2</machine>");
        xml.Line(3, "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>");
        xml.Line(3, "<machine maxCpus='288'>pc-q35-7.2</machine>");
        xml.Line(3, "<machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>");
        xml.Line(3, "<domain type='qemu'/>");
        xml.Line(3, "<domain type='kvm'/>");
        xml.Line(2, "</arch>");
        xml.Line(2, "<features>");
        xml.Line(3, "<acpi default='on' toggle='yes'/>");
        xml.Line(3, "<apic default='on' toggle='no'/>");
        xml.Line(3, "<cpuselection/>");
        xml.Line(3, "<deviceboot/>");
        xml.Line(3, "<disksnapshot default='on' toggle='no'/>");
        xml.Line(2, "</features>");
        xml.Line(1, "</guest>");
        xml.Blank();
    }

    /// <summary>A stable UUID for a machine name, so that regenerating a capture changes nothing.</summary>
    private static string Uuid(string name)
    {
        byte[] hash = MD5.HashData(Encoding.UTF8.GetBytes("kvmconfig capture " + name));
        return new Guid(hash, bigEndian: true).ToString();
    }

    /// <summary>libvirt's virBuffer: two spaces per level, '\n' line ends.</summary>
    private sealed class Xml
    {
        private readonly StringBuilder _text = new();

        public void Line(int depth, string line) => _text.Append(' ', depth * 2).Append(line).Append('\n');

        public void Blank() => _text.Append('\n');

        public override string ToString() => _text.ToString();
    }
}
