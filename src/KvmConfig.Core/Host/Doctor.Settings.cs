using System.Globalization;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Core.Host;

// The memory manager's modes and the sysctl values.
public static partial class Doctor
{
    /// <summary>The swappiness tune sets (<see cref="SysctlRecommendations"/>): doctor passes 1 up to it.</summary>
    public static long RecommendedSwappiness { get; } = Recommended("vm.swappiness");

    /// <summary>The listen backlog tune sets: doctor passes it and above.</summary>
    public static long RecommendedSomaxconn { get; } = Recommended("net.core.somaxconn");

    private static long Recommended(string key) =>
        long.Parse(SysctlRecommendations.All.Single(r => r.Key == key).Value, CultureInfo.InvariantCulture);

    private static DoctorCheck ThpAndKsm(DoctorInput input)
    {
        const string Id = "thp-ksm", Title = "transparent huge pages and KSM";
        const string Why = "guest RAM in 4 KiB pages costs TLB misses; KSM's merging costs ksmd's CPU time and lets a guest time another's pages, and it cannot merge huge pages";
        HostFacts f = input.Facts;
        if (!f.ThpMode.Known && !f.KsmRun.Known)
        {
            return Unknown(Id, Title, $"{f.ThpMode.Unknown}; {f.KsmRun.Unknown}", Why);
        }

        List<VmSpec> vms = [.. input.Declaration.Vms];
        int onHugePages = vms.Count(v => v.HugePages != HugePageBacking.None);
        int latencySensitive = vms.Count(v => v.HugePages != HugePageBacking.None || v.IsDedicated);
        var problems = new List<string>();
        var fixes = new List<string>();
        if (f.ThpMode is { Known: true, Value: "never" } && onHugePages < vms.Count)
        {
            problems.Add($"{Units.Plural(vms.Count - onHugePages, "VM")} without huge pages {(vms.Count - onHugePages == 1 ? "gets" : "get")} no transparent ones either");
            fixes.Add("echo madvise > /sys/kernel/mm/transparent_hugepage/enabled (QEMU asks for huge pages on guest RAM with madvise)");
        }

        if (f.KsmRun is { Known: true, Value: 1 } && latencySensitive > 0)
        {
            problems.Add($"KSM merging while {Units.Plural(latencySensitive, "VM")} {(latencySensitive == 1 ? "is" : "are")} dedicated or on huge pages");
            fixes.Add("echo 2 > /sys/kernel/mm/ksm/run (unmerge and stop), and disable ksmtuned");
        }

        string seen = $"THP {(f.ThpMode.Known ? f.ThpMode.Value : "unknown")}, KSM {(f.KsmRun.Known ? f.KsmRun.Value switch { 0 => "stopped", 1 => "merging", _ => "unmerging" } : "unknown")}; "
            + $"{Units.Plural(onHugePages, "VM")} of {vms.Count} on huge pages";
        return problems.Count > 0
            ? new(Id, Title, CheckStatus.Warn, $"{seen}: {string.Join("; ", problems)}", Why, string.Join("; ", fixes))
            : !f.ThpMode.Known || !f.KsmRun.Known
                ? Unknown(Id, Title, $"{seen} ({f.ThpMode.Unknown ?? f.KsmRun.Unknown})", Why)
                : new(Id, Title, CheckStatus.Pass, seen, Why, null);
    }

    private static DoctorCheck Swappiness(HostFacts f)
    {
        const string Id = "swappiness", Title = "vm.swappiness";
        const string Why = "a high value lets the host swap guest memory out, and the guest then stalls on every page it touches; "
            + "0, which tuning guides (and our white paper) advise, does not turn swap off: since Linux 3.5 it swaps only when page cache is gone, "
            + "so under pressure the OOM killer may kill a QEMU (the largest process) before idle host pages are swapped";
        if (Sysctl(f, "vm.swappiness") is not { Known: true, Value: var value })
        {
            return Unknown(Id, Title, Sysctl(f, "vm.swappiness").Unknown!, Why);
        }

        string seen = $"vm.swappiness = {value}";
        string fix = $"sysctl vm.swappiness={RecommendedSwappiness}, kept in {SysctlRecommendations.DropInPath} (kvmconfig tune writes it)";
        return value switch
        {
            0 => new(Id, Title, CheckStatus.Warn, seen + " (risky: see why)", Why, fix),
            _ when value > 0 && value <= RecommendedSwappiness => new(Id, Title, CheckStatus.Pass, seen, Why, null),
            _ => new(Id, Title, CheckStatus.Warn, $"{seen}: the host swaps guest memory readily", Why, fix),
        };
    }

    private static DoctorCheck Overcommit(HostFacts f)
    {
        const string Id = "overcommit", Title = "vm.overcommit_memory";
        const string Why = "QEMU reserves guest RAM up front; in strict mode (2) the commit limit counts all of it and a VM may fail to start while memory is free, "
            + "and with 1 nothing is ever refused, so a shortage surfaces later as the OOM killer";
        if (Sysctl(f, "vm.overcommit_memory") is not { Known: true, Value: var value })
        {
            return Unknown(Id, Title, Sysctl(f, "vm.overcommit_memory").Unknown!, Why);
        }

        string seen = $"vm.overcommit_memory = {value}";
        return value == 0
            ? new(Id, Title, CheckStatus.Pass, seen + " (heuristic)", Why, null)
            : new(Id, Title, CheckStatus.Warn, seen + (value == 2 ? " (strict)" : " (always)"), Why, $"sysctl vm.overcommit_memory=0, kept in {SysctlRecommendations.DropInPath} (kvmconfig tune writes it)");
    }

    private static DoctorCheck Somaxconn(HostFacts f)
    {
        const string Id = "somaxconn", Title = "net.core.somaxconn";
        const string Why = "the listen backlog of libvirt's, the exporter's and migration's sockets; a short one drops connections in bursts (many hosts scraped or migrating at once)";
        if (Sysctl(f, "net.core.somaxconn") is not { Known: true, Value: var value })
        {
            return Unknown(Id, Title, Sysctl(f, "net.core.somaxconn").Unknown!, Why);
        }

        string seen = $"net.core.somaxconn = {value}";
        return value >= RecommendedSomaxconn
            ? new(Id, Title, CheckStatus.Pass, seen, Why, null)
            : new(Id, Title, CheckStatus.Warn, $"{seen}, below {RecommendedSomaxconn}", Why, $"sysctl net.core.somaxconn={RecommendedSomaxconn}, kept in {SysctlRecommendations.DropInPath} (kvmconfig tune writes it)");
    }

    private static Fact<long> Sysctl(HostFacts f, string name) =>
        f.Sysctls.TryGetValue(name, out Fact<long> value) ? value : Fact<long>.NotKnown($"{name} was not read");
}
