using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Core.Host;

// What these VMs take of the host: huge pages, frequency, isolation, memory.
public static partial class Doctor
{
    /// <summary>QEMU's own memory per VM, as doctor estimates it: this much plus <see cref="OverheadPercent"/> of guest RAM.</summary>
    public const long OverheadMiBPerVm = 200;

    /// <summary>The share of guest RAM QEMU's own memory is estimated at, in percent (page tables, device buffers).</summary>
    public const long OverheadPercent = 1;

    private static DoctorCheck HugePages(DoctorInput input)
    {
        const string Id = "hugepages", Title = "huge pages per NUMA node";
        const string Why = "a VM backed by huge pages takes them from its NUMA nodes' pools when it starts; a pool short of them makes it fail to start";
        HostTopology host = input.Host;
        long reservedMiB = host.Nodes.Sum(n => n.HugePages.Sum(p => p.Total * p.SizeKiB)) / 1024;
        if (!input.Declaration.Vms.Any(v => v.HugePages != HugePageBacking.None))
        {
            return reservedMiB == 0
                ? new(Id, Title, CheckStatus.Pass, "no VM asks for huge pages, and none are reserved", Why, null)
                : new(Id, Title, CheckStatus.Warn, $"{Units.MiB(reservedMiB)} reserved in huge pages that no declared VM uses", Why,
                    "free them (echo 0 > /sys/devices/system/node/nodeN/hugepages/hugepages-SIZEkB/nr_hugepages), or back VMs with them (hugepages = 2M or 1G)");
        }

        if (input.HugePagesNeeded is not { } needed)
        {
            return Unknown(Id, Title, "the declaration could not be planned, so what each node needs is not known (run kvmconfig check)", Why);
        }

        var lines = new List<string>();
        var short_ = new List<string>();
        foreach (((int node, long sizeKiB), long pages) in needed.OrderBy(n => n.Key))
        {
            long reserved = host.Node(node)?.HugePages.FirstOrDefault(p => p.SizeKiB == sizeKiB)?.Total ?? 0;
            string line = $"node {node}: {pages} x {Units.MiB(sizeKiB / 1024)} needed, {reserved} reserved";
            lines.Add(line);
            if (reserved < pages)
            {
                short_.Add($"node {node} is {pages - reserved} x {Units.MiB(sizeKiB / 1024)} short");
            }
        }

        return short_.Count == 0
            ? new(Id, Title, CheckStatus.Pass, string.Join("; ", lines), Why, null)
            : new(Id, Title, CheckStatus.Fail, $"{string.Join("; ", lines)}: {string.Join(", ", short_)}", Why,
                "kvmconfig tune reserves what the plan needs on each node (or write nr_hugepages under /sys/devices/system/node/nodeN/hugepages/; 1G pages are surest reserved at boot with hugepagesz=1G hugepages=N)");
    }

    private static DoctorCheck CpuFrequency(DoctorInput input)
    {
        const string Id = "cpufreq", Title = "CPU frequency on the VMs' CPUs";
        const string Why = "the governor decides how fast an idle-then-busy vCPU gets its clock back; the cap (cpufreq_max, overclock protection) keeps turbo from heating and throttling neighbours";
        HostPolicy policy = input.Declaration.Host;
        HostFacts f = input.Facts;
        long? cap = policy.CpuFreqMax?.Resolve(input.Host.CpuFreq);
        if (policy.CpuFreq == "keep" && cap is null)
        {
            return new(Id, Title, CheckStatus.Pass, $"cpufreq = keep and no cpufreq_max: left as the host sets it{(f.CpuFreqPolicies is { Known: true, Value.Count: > 0 } ? $" ({Governors(f.CpuFreqPolicies.Value)})" : "")}", Why, null);
        }

        if (!f.CpuFreqPolicies.Known)
        {
            return Unknown(Id, Title, f.CpuFreqPolicies.Unknown!, Why);
        }

        CpuSet vmCpus = input.Plan is { } plan ? plan.Vms.Aggregate(plan.SharedPool, (all, vm) => all | vm.Cpus) : policy.CpuSetOn(input.Host);
        List<CpuFreqPolicyFacts> policies = [.. f.CpuFreqPolicies.Value.Where(p => p.Cpus.Overlaps(vmCpus))];
        if (policies.Count == 0)
        {
            return new(Id, Title, CheckStatus.Warn, $"cpufreq = {policy.CpuFreq}{(cap is null ? "" : $", cpufreq_max {cap} kHz")} declared, but no cpufreq policy governs the VMs' CPUs {vmCpus}", Why,
                "write cpufreq = keep where firmware or the hypervisor sets the frequency");
        }

        var problems = new List<string>();
        if (policy.CpuFreq != "keep")
        {
            problems.AddRange(policies.Where(p => p.Governor != policy.CpuFreq).GroupBy(p => p.Governor ?? "an unknown governor")
                .Select(g => $"running {g.Key} on CPUs {Cpus(g)}"));
        }

        if (cap is { } wanted)
        {
            problems.AddRange(policies.Where(p => p.ScalingMaxKHz is not { } max || max > wanted).GroupBy(p => p.ScalingMaxKHz)
                .Select(g => $"{(g.Key is { } m ? $"capped at {m} kHz" : "at an unknown cap")} on CPUs {Cpus(g)}"));
        }

        string seen = $"declared {policy.CpuFreq}{(cap is null ? "" : $", at most {cap} kHz,")} on the VMs' CPUs {vmCpus}";
        return problems.Count == 0
            ? new(Id, Title, CheckStatus.Pass, $"{seen}; {Governors(policies)}", Why, null)
            : new(Id, Title, CheckStatus.Warn, $"{seen}: {string.Join("; ", problems)}", Why,
                "kvmconfig tune sets the governor and the cap on the VMs' CPUs");
    }

    private static DoctorCheck Isolation(DoctorInput input)
    {
        const string Id = "isolation", Title = "isolcpus, nohz_full and irqbalance";
        const string Why = "host tasks and interrupts on a dedicated VM's CPUs take time from its vCPUs; isolating the host's own (reserved) CPUs crowds the host onto nothing";
        HostFacts f = input.Facts;
        if (!f.CommandLine.Known)
        {
            return Unknown(Id, Title, f.CommandLine.Unknown!, Why);
        }

        if (input.Plan is not { } plan)
        {
            return Unknown(Id, Title, "the declaration could not be planned, so the dedicated and reserved CPUs are not known (run kvmconfig check)", Why);
        }

        CpuSet dedicated = plan.Vms.Where(v => v.Spec.IsDedicated).Aggregate(CpuSet.Empty, (all, vm) => all | vm.Cpus);
        CpuSet isolated = CpuListParameter(f.CommandLine.Value.Value("isolcpus"));
        CpuSet tickless = CpuListParameter(f.CommandLine.Value.Value("nohz_full"));
        var fails = new List<string>();
        var warns = new List<string>();
        if ((isolated | tickless) is { IsEmpty: false } quiet && quiet.Overlaps(plan.Reserved))
        {
            fails.Add($"the reserved CPUs {quiet & plan.Reserved} are isolated");
        }

        if (isolated.Overlaps(plan.SharedPool))
        {
            warns.Add($"the shared pool's CPUs {isolated & plan.SharedPool} are in isolcpus, where the scheduler does not balance the pool's vCPUs");
        }

        if (!dedicated.IsEmpty && !dedicated.IsSubsetOf(isolated | tickless))
        {
            warns.Add($"dedicated CPUs {dedicated - (isolated | tickless)} also run host tasks");
        }

        string irq = "irqbalance: no configuration read";
        if (f.IrqBalanceBanned.Known)
        {
            CpuSet banned = f.IrqBalanceBanned.Value;
            irq = $"irqbalance bans {(banned.IsEmpty ? "none" : banned.ToString())}";
            if (!dedicated.IsSubsetOf(banned))
            {
                warns.Add($"irqbalance may send interrupts to dedicated CPUs {dedicated - banned}");
            }

            if (banned.Overlaps(plan.Reserved))
            {
                warns.Add($"irqbalance keeps interrupts off the reserved CPUs {banned & plan.Reserved}");
            }
        }

        string seen = $"isolcpus {(isolated.IsEmpty ? "none" : isolated.ToString())}, nohz_full {(tickless.IsEmpty ? "none" : tickless.ToString())}, {irq}; "
            + $"reserved {plan.Reserved}, dedicated {(dedicated.IsEmpty ? "none" : dedicated.ToString())}";
        string fix = $"boot with isolcpus=managed_irq,domain,{(dedicated.IsEmpty ? "CPUS" : dedicated.ToString())} nohz_full={(dedicated.IsEmpty ? "CPUS" : dedicated.ToString())} and set IRQBALANCE_BANNED_CPULIST={(dedicated.IsEmpty ? "CPUS" : dedicated.ToString())} in /etc/default/irqbalance; never the reserved CPUs {plan.Reserved}";
        return fails.Count > 0 ? new(Id, Title, CheckStatus.Fail, $"{seen}: {string.Join("; ", fails.Concat(warns))}", Why, fix)
            : warns.Count > 0 ? new(Id, Title, CheckStatus.Warn, $"{seen}: {string.Join("; ", warns)}", Why, fix)
            : new(Id, Title, CheckStatus.Pass, seen, Why, null);
    }

    private static DoctorCheck HostMemory(DoctorInput input)
    {
        const string Id = "host-memory", Title = "memory left for the host";
        const string Why = "what the host keeps after the huge page pools, every VM's memory and QEMU's own: too little and the host swaps or the OOM killer ends a VM";
        long? totalKiB = input.Facts.MemTotalKiB.Known ? input.Facts.MemTotalKiB.Value : input.Host.MemTotalKiB;
        if (totalKiB is not { } kib)
        {
            return Unknown(Id, Title, input.Facts.MemTotalKiB.Unknown!, Why);
        }

        List<VmSpec> vms = [.. input.Declaration.Vms.Where(v => v.MemoryMiB is not null)];
        long total = kib / 1024;
        long pools = input.Host.Nodes.Sum(n => n.HugePages.Sum(p => p.Total * p.SizeKiB)) / 1024;
        long guests = vms.Where(v => v.HugePages == HugePageBacking.None).Sum(v => v.MemoryMiB!.Value);
        long overhead = vms.Sum(v => OverheadMiBPerVm + (v.MemoryMiB!.Value * OverheadPercent / 100));
        long left = total - pools - guests - overhead;
        long reserved = input.Declaration.Host.MemoryReservedMiB;
        string seen = $"{Units.MiB(total)} in all: {Units.MiB(pools)} in huge page pools, {Units.MiB(guests)} for VMs outside them, about {Units.MiB(overhead)} of QEMU's own "
            + $"({OverheadMiBPerVm} MiB + {OverheadPercent} % a VM); {(left < 0 ? $"{Units.MiB(-left)} short" : $"{Units.MiB(left)} left")} for the host, memory_reserved {Units.MiB(reserved)}";
        return left < 0 ? new(Id, Title, CheckStatus.Fail, seen, Why, "give the VMs less memory, free huge pages no VM uses, or move VMs to another host")
            : left < reserved ? new(Id, Title, CheckStatus.Warn, seen, Why, "give the VMs less memory or lower memory_reserved knowingly")
            : new(Id, Title, CheckStatus.Pass, seen, Why, null);
    }

    // isolcpus=[flag,...,]CPULIST and nohz_full=CPULIST: the CPU list after any flags; empty when absent or unreadable.
    private static CpuSet CpuListParameter(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return CpuSet.Empty;
        }

        string[] parts = value.Split(',');
        int first = Array.FindIndex(parts, p => p.Length > 0 && char.IsDigit(p[0]));
        return first >= 0 && CpuSet.TryParse(string.Join(",", parts[first..]), out CpuSet? cpus, out _) ? cpus! : CpuSet.Empty;
    }

    private static string Governors(IEnumerable<CpuFreqPolicyFacts> policies) =>
        string.Join(", ", policies.GroupBy(p => p.Governor ?? "an unknown governor").Select(g => $"{g.Key} on {Cpus(g)}"));

    private static CpuSet Cpus(IEnumerable<CpuFreqPolicyFacts> policies) => policies.Aggregate(CpuSet.Empty, (all, p) => all | p.Cpus);
}
