using KvmConfig.Config.Syntax;

namespace KvmConfig.Config.Semantics;

/// <summary>One key of the configuration contract: where it may appear, its aliases, and a line of documentation.</summary>
/// <param name="Name">Canonical name.</param>
/// <param name="Sections">Sections that accept it.</param>
/// <param name="Syntax">Value syntax, as the reference documents it.</param>
/// <param name="Description">What it means.</param>
/// <param name="Aliases">Other spellings accepted (the white paper writes <c>cpusets</c>).</param>
public sealed record KeyDefinition(string Name, IReadOnlySet<SectionKind> Sections, string Syntax, string Description, params string[] Aliases);

/// <summary>Every key DESIGN.md section 3 defines, by section, the <c>[alerts]</c> thresholds of section 5 and the <c>[node NAME]</c> inventory. The single source for "unknown key" and "did you mean".</summary>
public static class KeyCatalog
{
    // A [node NAME] takes every [host] key: the node's policy is [host] with the node's keys on top.
    private static readonly HashSet<SectionKind> Host = [SectionKind.Host, SectionKind.Node];
    private static readonly HashSet<SectionKind> HostVmProfile = [SectionKind.Host, SectionKind.Node, SectionKind.Vm, SectionKind.Profile];
    private static readonly HashSet<SectionKind> Node = [SectionKind.Node];
    private static readonly HashSet<SectionKind> VmProfile = [SectionKind.Vm, SectionKind.Profile];
    private static readonly HashSet<SectionKind> Vm = [SectionKind.Vm];
    private static readonly HashSet<SectionKind> Cost = [SectionKind.Cost];
    private static readonly HashSet<SectionKind> Alerts = [SectionKind.Alerts];

    /// <summary>All keys in documentation order.</summary>
    public static IReadOnlyList<KeyDefinition> All { get; } =
    [
        new("cpuset", Host, "cpulist", "host CPUs that VMs may use (default: all online CPUs minus reserved)", "cpusets"),
        new("reserved", Host, "cpulist", "CPUs kept for the host OS and emulator threads (default: CPU 0 and its SMT siblings)"),
        new("overcommit", Host, "ratio 1:1..1:5", "shared-pool vCPUs per physical CPU (default 1:1)"),
        new("max_vm_share", Host, "fraction", "largest share of the physical CPUs one VM may take (default 1/3)"),
        new("memory_reserved", Host, "size", "memory kept for the host (default 2G)"),
        new("cpufreq", Host, "governor|keep|vtlb", "governor for CPUs that VMs use (default keep); vtlb: overclock protection, cpufreq_max = base"),
        new("cpufreq_max", Host, "frequency|percent|base", "cap on scaling_max_freq, e.g. 3.0GHz, 90% or base (the non-turbo frequency)"),
        new("cpuspinlock", HostVmProfile, "strict|float|none", "pinning: vCPU i on one CPU, vCPUs roam the VM's set, or the shared pool (default strict)"),
        new("cpuscheduling", HostVmProfile, "other|batch|idle|fifo:PRIO|rr:PRIO", "scheduling policy of vCPU threads (default other)"),
        new("smt", HostVmProfile, "prefer|isolate|require", "SMT sibling policy for dedicated VMs (default prefer)"),
        new("emulator", HostVmProfile, "reserved|shared|isolate", "where QEMU emulator threads run (default reserved)"),
        new("numa", HostVmProfile, "strict|preferred|interleave|restrictive", "memory policy (default strict)"),
        new("hugepages", HostVmProfile, "none|2M|1G", "memory backing (default none)"),
        new("vcpus", VmProfile, "1..4096", "number of vCPUs (default: the size of cpus under strict pinning, else the profile's)"),
        new("vcpus_max", VmProfile, "1..4096", "most vCPUs the domain may have online; apply adds vCPUs up to it live (default: the domain's own)"),
        new("cpus", Vm, "cpulist|auto", "host CPUs for this VM (default auto)"),
        new("cpu_weight", VmProfile, "1..10000", "relative CPU weight (cgroup cpu.weight, libvirt shares; default 100)"),
        new("cpu_limit", VmProfile, "CPUs", "cap in CPUs, e.g. 1.5 (libvirt period/quota)"),
        new("memory", VmProfile, "size", "guest memory"),
        new("numa_nodes", Vm, "nodelist|auto", "host NUMA nodes for memory (default auto)"),
        new("disk_weight", VmProfile, "100..1000", "block I/O weight (libvirt blkiotune)"),
        new("disk_read_bps", VmProfile, "rate", "read throttle, e.g. 500MB/s"),
        new("disk_write_bps", VmProfile, "rate", "write throttle, e.g. 500MB/s"),
        new("disk_iops", VmProfile, "count", "I/O operations per second throttle"),
        new("net_bandwidth", VmProfile, "rate", "average rate per interface, e.g. 1Gbit"),
        new("profile", Vm, "name", "fill defaults from a profile (database, web, monitoring or your own)"),
        new("group", VmProfile, "name", "anti-affinity group: VMs of one group go to different nodes (or racks, with group_spread)"),
        new("group_spread", VmProfile, "node|rack", "how far apart the members of the group run: other nodes, or other racks (default node)"),
        new("host", Vm, "name", "cluster only: the [node] this VM must run on"),
        new("uri", Node, "libvirt URI", "where the node's libvirt is reached, e.g. qemu+ssh://root@kvm1/system"),
        new("rack", Node, "name", "the node's failure domain; a node without one is a rack of its own"),
        new("sysroot", Node, "directory", "a captured sysfs tree to plan the node with instead of connecting (relative to the configuration directory)"),
        new("capabilities", Node, "file", "a captured libvirt capabilities XML to plan the node with instead of connecting (relative to the configuration directory)"),
        new("currency", Cost, "ISO 4217 code", "currency of the amounts below (default USD, as the defaults are)"),
        new("host_price", Cost, "amount", "purchase price of one host, paid once (default 6250)"),
        new("amortization_years", Cost, "number", "years over which a host is written off (default 5)"),
        new("power_watts", Cost, "number", "average power draw of one host in watts"),
        new("energy_price_kwh", Cost, "amount", "price of one kWh"),
        new("pue", Cost, "number", "power usage effectiveness of the room (default 1.5)"),
        new("opex_per_host_year", Cost, "amount", "support, rack space and licences per host per year"),
        new("licence_per_node", Cost, "amount", "hypervisor and management licences per node, paid once (default 3000; 0 for KVM alone)"),
        new("energy_per_node_year", Cost, "amount", "energy per node per year (default 750, unless power_watts and energy_price_kwh give it)"),
        new("operations_per_node_year", Cost, "amount", "operations per node per year: staff, support, rack space (default 2000, or opex_per_host_year)"),
        new("ready_warning", Alerts, "percent", "a vCPU's CPU ready % from which it warns (default 5%)"),
        new("ready_critical", Alerts, "percent", "a vCPU's CPU ready % from which it is critical (default 10%)"),
        new("disk_queue_depth", Alerts, "1..1000000", "requests in flight on one block device above which it warns (default 200)"),
        new("tcp_retransmit", Alerts, "percent", "host TCP retransmit % above which it warns (default 5%)"),
        new("reclaim_efficiency", Alerts, "percent", "host page-reclaim efficiency (pgsteal/pgscan) below which it warns (default 85%)"),
        new("memory_overhead", Alerts, "percent, up to 1000%", "a VM's memory overhead % (QEMU's resident memory outside guest RAM, over guest memory) above which it warns (default 30%)"),
        new("cpu_pressure", Alerts, "percent", "host CPU pressure (PSI some avg10) above which it warns (default 25%)"),
        new("for", Alerts, "duration, 0 to 1d", "how long a figure stays past its threshold before serve raises the alert, as Prometheus's for: (default 30s)"),
        new("clear_margin", Alerts, "percent, 0 to 99%", "share of the way from the threshold to the ideal value a figure must come back before the alert clears (default 20%)"),
    ];

    private static readonly Dictionary<string, KeyDefinition> ByName =
        All.SelectMany(k => k.Aliases.Prepend(k.Name).Select(n => (n, k))).ToDictionary(p => p.n, p => p.k, StringComparer.Ordinal);

    /// <summary>The key named <paramref name="name"/> (or one of its aliases), or null.</summary>
    public static KeyDefinition? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Every spelling (names and aliases) that <paramref name="kind"/> accepts.</summary>
    public static IEnumerable<string> SpellingsFor(SectionKind kind) =>
        All.Where(k => k.Sections.Contains(kind)).SelectMany(k => k.Aliases.Prepend(k.Name));
}
