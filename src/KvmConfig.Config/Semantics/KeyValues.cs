using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Config.Semantics;

/// <summary>
/// The value syntax of every key of <see cref="KeyCatalog"/>: ranges, units and words in one place. The binder
/// reads typed values through these; <see cref="Validators"/> judges a value without binding it (profiles where
/// they are written, a second declaration of a VM). A test keeps <see cref="Validators"/> and the catalogue equal.
/// </summary>
internal static class KeyValues
{
    // ---- [host] ----

    public static Parsed<CpuSet?> CpuSet(string t) => Optional(ValueSyntax.CpuList(t, "cpuset"));

    public static Parsed<CpuSet?> Reserved(string t) => Optional(ValueSyntax.CpuList(t, "reserved"));

    // overcommit reads as "one physical CPU : N vCPUs", N from 1 to 5.
    public static Parsed<Ratio> Overcommit(string t)
    {
        Parsed<Ratio> ratio = ValueSyntax.Ratio(t, "overcommit");
        if (!ratio.Ok)
        {
            return ratio;
        }

        Ratio r = ratio.Value!;
        return r.Left == 1 && r.Right is >= 1 and <= 5
            ? r
            : new ValueError(Rules.OutOfRange, $"overcommit {t} is outside 1:1..1:5",
                "write 1:N with N from 1 (no overcommit) to 5 shared vCPUs per physical CPU");
    }

    public static Parsed<Fraction> MaxVmShare(string t) => ValueSyntax.Fraction(t, "max_vm_share");

    public static Parsed<long> MemoryReserved(string t) => ValueSyntax.SizeMiB(t, "memory_reserved");

    /// <summary>
    /// <c>cpufreq = vtlb</c>: not a governor but the white paper's word for overclock protection, which the binder
    /// reads as <c>cpufreq = keep</c> with <c>cpufreq_max = base</c>.
    /// </summary>
    public const string OverclockProtection = "vtlb";

    // The governor is checked against the host in the rules; here only its shape. sysfs names are lower case.
    public static Parsed<string> Governor(string t) =>
        t.Length > 0 && t.All(c => char.IsAsciiLetter(c) || c == '_')
            ? t.ToLowerInvariant()
            : new ValueError(Rules.BadValue, $"cpufreq '{t}' is not a governor name",
                $"write keep, {OverclockProtection} (overclock protection) or a governor: {string.Join(", ", CpuFreqInfo.KnownGovernors)}");

    // A frequency, a percentage of the hardware maximum, or base: the CPUs' base (non-turbo) frequency.
    public static Parsed<FrequencyCap?> CpuFreqMax(string t) =>
        t.Equals("base", StringComparison.OrdinalIgnoreCase) ? FrequencyCap.Base : Optional(ValueSyntax.Frequency(t, "cpufreq_max"));

    // ---- [host], [vm] and [profile] ----

    public static Parsed<PinningMode> Pinning(string t) =>
        ValueSyntax.Choice(t, "cpuspinlock", ("strict", PinningMode.Strict), ("float", PinningMode.Float), ("none", PinningMode.None));

    public static Parsed<SchedulingPolicy> Scheduling(string t) => ValueSyntax.Scheduling(t, "cpuscheduling");

    public static Parsed<SmtPolicy> Smt(string t) =>
        ValueSyntax.Choice(t, "smt", ("prefer", SmtPolicy.Prefer), ("isolate", SmtPolicy.Isolate), ("require", SmtPolicy.Require));

    public static Parsed<EmulatorPlacement> Emulator(string t) =>
        ValueSyntax.Choice(t, "emulator", ("reserved", EmulatorPlacement.Reserved), ("shared", EmulatorPlacement.Shared), ("isolate", EmulatorPlacement.Isolate));

    public static Parsed<MemoryMode> Numa(string t) =>
        ValueSyntax.Choice(t, "numa", ("strict", MemoryMode.Strict), ("preferred", MemoryMode.Preferred), ("interleave", MemoryMode.Interleave), ("restrictive", MemoryMode.Restrictive));

    public static Parsed<HugePageBacking> HugePages(string t) =>
        ValueSyntax.Choice(t, "hugepages", ("none", HugePageBacking.None), ("2M", HugePageBacking.TwoMiB), ("1G", HugePageBacking.OneGiB));

    // ---- [vm] and [profile] ----

    public static Parsed<int?> Vcpus(string t) => Nullable(ValueSyntax.Integer(t, 1, 4096, "vcpus"));

    public static Parsed<int?> VcpusMax(string t) => Nullable(ValueSyntax.Integer(t, 1, 4096, "vcpus_max"));

    public static Parsed<int> CpuWeight(string t) => ValueSyntax.Integer(t, 1, 10000, "cpu_weight");

    public static Parsed<double?> CpuLimit(string t) => Nullable(ValueSyntax.Number(t, 0, 4096, "cpu_limit"));

    public static Parsed<long?> Memory(string t)
    {
        Parsed<long> size = ValueSyntax.SizeMiB(t, "memory");
        return size.Ok && size.Value < 1
            ? new ValueError(Rules.OutOfRange, "memory must be at least 1M", "write a size such as 512M or 4G")
            : Nullable(size);
    }

    public static Parsed<int?> DiskWeight(string t) => Nullable(ValueSyntax.Integer(t, 100, 1000, "disk_weight"));

    public static Parsed<long?> DiskReadBps(string t) => Nullable(Bytes(ValueSyntax.RateBitsPerSec(t, "disk_read_bps")));

    public static Parsed<long?> DiskWriteBps(string t) => Nullable(Bytes(ValueSyntax.RateBitsPerSec(t, "disk_write_bps")));

    public static Parsed<long?> DiskIops(string t)
    {
        Parsed<int> iops = ValueSyntax.Integer(t, 1, int.MaxValue, "disk_iops");
        return new(iops.Ok ? iops.Value : null, iops.Error);
    }

    public static Parsed<long?> NetBandwidth(string t) => Nullable(ValueSyntax.RateBitsPerSec(t, "net_bandwidth"));

    public static Parsed<string?> Group(string t) => Optional(ValueSyntax.Name(t, "group"));

    public static Parsed<GroupSpread> Spread(string t) =>
        ValueSyntax.Choice(t, "group_spread", ("node", GroupSpread.Node), ("rack", GroupSpread.Rack));

    // ---- [vm] only ----

    public static Parsed<CpuSet?> Cpus(string t) => ValueSyntax.AutoOrCpuList(t, "cpus");

    public static Parsed<CpuSet?> NumaNodes(string t) => ValueSyntax.AutoOrCpuList(t, "numa_nodes");

    public static Parsed<string?> HostName(string t) => Optional(ValueSyntax.Name(t, "host"));

    public static Parsed<string?> ProfileName(string t) => Optional(ValueSyntax.Name(t, "profile"));

    // ---- [node] only ----

    public static Parsed<string?> Uri(string t) => Optional(ValueSyntax.LibvirtUri(t, "uri"));

    public static Parsed<string?> Rack(string t) => Optional(ValueSyntax.Name(t, "rack"));

    // Paths are taken as written here; the binder resolves a relative one against the configuration directory.
    // Whether they exist is for whoever reads them: binding does no I/O.
    public static Parsed<string?> Sysroot(string t) => t;

    public static Parsed<string?> Capabilities(string t) => t;

    // ---- [cost] ----

    public static Parsed<string> Currency(string t) =>
        t.Length == 3 && t.All(char.IsAsciiLetterUpper)
            ? t
            : new ValueError(Rules.BadValue, $"currency '{t}' is not an ISO 4217 code", "write three capital letters, e.g. EUR or USD");

    public static Parsed<decimal?> HostPrice(string t) => Nullable(ValueSyntax.Amount(t, "host_price"));

    public static Parsed<decimal> AmortizationYears(string t)
    {
        Parsed<decimal> p = ValueSyntax.Amount(t, "amortization_years");
        return !p.Ok || p.Value > 0 ? p : new ValueError(Rules.OutOfRange, "amortization_years must be above 0", "write a positive number of years, e.g. 5");
    }

    public static Parsed<decimal?> PowerWatts(string t) => Nullable(ValueSyntax.Amount(t, "power_watts"));

    public static Parsed<decimal?> EnergyPrice(string t) => Nullable(ValueSyntax.Amount(t, "energy_price_kwh"));

    public static Parsed<decimal> Pue(string t)
    {
        Parsed<decimal> p = ValueSyntax.Amount(t, "pue");
        return !p.Ok || p.Value is >= 1 and <= 5 ? p : new ValueError(Rules.OutOfRange, $"pue {p.Value} is outside 1..5", "a room's PUE is at least 1.0; typical values are 1.2 to 2.0");
    }

    public static Parsed<decimal?> Opex(string t) => Nullable(ValueSyntax.Amount(t, "opex_per_host_year"));

    public static Parsed<decimal?> LicencePerNode(string t) => Nullable(ValueSyntax.Amount(t, "licence_per_node"));

    public static Parsed<decimal?> EnergyPerNodeYear(string t) => Nullable(ValueSyntax.Amount(t, "energy_per_node_year"));

    public static Parsed<decimal?> OperationsPerNodeYear(string t) => Nullable(ValueSyntax.Amount(t, "operations_per_node_year"));

    // ---- [alerts] ----

    // Ready, retransmits, reclaim efficiency and pressure are shares of time or of a count: at most 100 %. Memory
    // overhead compares QEMU's own memory with the guest's, and passes 100 % on a tiny guest; 1000 % is no real VM.
    // Whether ready_warning is below ready_critical is a rule on the pair (KVC048), not a property of one value.
    public static Parsed<double> ReadyWarning(string t) => ValueSyntax.Percent(t, 100, "ready_warning");

    public static Parsed<double> ReadyCritical(string t) => ValueSyntax.Percent(t, 100, "ready_critical");

    public static Parsed<int> DiskQueueDepth(string t) => ValueSyntax.Integer(t, 1, 1_000_000, "disk_queue_depth");

    public static Parsed<double> TcpRetransmit(string t) => ValueSyntax.Percent(t, 100, "tcp_retransmit");

    public static Parsed<double> ReclaimEfficiency(string t) => ValueSyntax.Percent(t, 100, "reclaim_efficiency");

    public static Parsed<double> MemoryOverhead(string t) => ValueSyntax.Percent(t, 1000, "memory_overhead");

    public static Parsed<double> CpuPressure(string t) => ValueSyntax.Percent(t, 100, "cpu_pressure");

    // The hold time may be 0 (raise at the first crossing, as before it existed); a day is far beyond any contention
    // worth waiting for. The margin may be 0 (clear at the threshold); 100 % would clear only at the ideal (0 % ready).
    public static Parsed<TimeSpan> HoldFor(string t) => ValueSyntax.Duration(t, TimeSpan.FromDays(1), "for");

    public static Parsed<double> ClearMargin(string t) => ValueSyntax.PercentFromZero(t, 99, "clear_margin");

    /// <summary>For every canonical key name, a check of its value that binds nothing.</summary>
    public static IReadOnlyDictionary<string, Func<string, ValueError?>> Validators { get; } = new Dictionary<string, Func<string, ValueError?>>(StringComparer.Ordinal)
    {
        ["cpuset"] = t => CpuSet(t).Error,
        ["reserved"] = t => Reserved(t).Error,
        ["overcommit"] = t => Overcommit(t).Error,
        ["max_vm_share"] = t => MaxVmShare(t).Error,
        ["memory_reserved"] = t => MemoryReserved(t).Error,
        ["cpufreq"] = t => Governor(t).Error,
        ["cpufreq_max"] = t => CpuFreqMax(t).Error,
        ["cpuspinlock"] = t => Pinning(t).Error,
        ["cpuscheduling"] = t => Scheduling(t).Error,
        ["smt"] = t => Smt(t).Error,
        ["emulator"] = t => Emulator(t).Error,
        ["numa"] = t => Numa(t).Error,
        ["hugepages"] = t => HugePages(t).Error,
        ["vcpus"] = t => Vcpus(t).Error,
        ["vcpus_max"] = t => VcpusMax(t).Error,
        ["cpus"] = t => Cpus(t).Error,
        ["cpu_weight"] = t => CpuWeight(t).Error,
        ["cpu_limit"] = t => CpuLimit(t).Error,
        ["memory"] = t => Memory(t).Error,
        ["numa_nodes"] = t => NumaNodes(t).Error,
        ["disk_weight"] = t => DiskWeight(t).Error,
        ["disk_read_bps"] = t => DiskReadBps(t).Error,
        ["disk_write_bps"] = t => DiskWriteBps(t).Error,
        ["disk_iops"] = t => DiskIops(t).Error,
        ["net_bandwidth"] = t => NetBandwidth(t).Error,
        ["profile"] = t => ProfileName(t).Error,
        ["group"] = t => Group(t).Error,
        ["group_spread"] = t => Spread(t).Error,
        ["host"] = t => HostName(t).Error,
        ["uri"] = t => Uri(t).Error,
        ["rack"] = t => Rack(t).Error,
        ["sysroot"] = t => Sysroot(t).Error,
        ["capabilities"] = t => Capabilities(t).Error,
        ["currency"] = t => Currency(t).Error,
        ["host_price"] = t => HostPrice(t).Error,
        ["amortization_years"] = t => AmortizationYears(t).Error,
        ["power_watts"] = t => PowerWatts(t).Error,
        ["energy_price_kwh"] = t => EnergyPrice(t).Error,
        ["pue"] = t => Pue(t).Error,
        ["opex_per_host_year"] = t => Opex(t).Error,
        ["licence_per_node"] = t => LicencePerNode(t).Error,
        ["energy_per_node_year"] = t => EnergyPerNodeYear(t).Error,
        ["operations_per_node_year"] = t => OperationsPerNodeYear(t).Error,
        ["ready_warning"] = t => ReadyWarning(t).Error,
        ["ready_critical"] = t => ReadyCritical(t).Error,
        ["disk_queue_depth"] = t => DiskQueueDepth(t).Error,
        ["tcp_retransmit"] = t => TcpRetransmit(t).Error,
        ["reclaim_efficiency"] = t => ReclaimEfficiency(t).Error,
        ["memory_overhead"] = t => MemoryOverhead(t).Error,
        ["cpu_pressure"] = t => CpuPressure(t).Error,
        ["for"] = t => HoldFor(t).Error,
        ["clear_margin"] = t => ClearMargin(t).Error,
    };

    private static Parsed<long> Bytes(Parsed<long> bits) => bits.Ok ? bits.Value / 8 : bits.Error!;

    private static Parsed<T?> Optional<T>(Parsed<T> p)
        where T : class => new(p.Value, p.Error);

    private static Parsed<T?> Nullable<T>(Parsed<T> p)
        where T : struct => new(p.Ok ? p.Value : null, p.Error);
}
