using System.Globalization;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tuning;

/// <summary>
/// Decides what <c>tune</c> writes, from the declaration's <c>[host]</c> policy, the plan and the host's files as read.
/// A pure function: the same facts give the same plan, and nothing is read or written here.
/// </summary>
/// <remarks>
/// kvmconfig owns four things on a host, and only these:
/// <list type="number">
/// <item><b>sysctl</b>: the drop-in <see cref="SysctlRecommendations.DropInPath"/> and the values it holds, applied
/// at once as <c>sysctl --system</c> would.</item>
/// <item><b>turbo</b>: off when <c>cpufreq_max = base</c> (overclock protection). The switch is host-wide; there is
/// no per-CPU one.</item>
/// <item><b>governor and cap</b> of the cpufreq policies holding a CPU that a VM uses (its dedicated CPUs, or the
/// shared pool); the host's reserved CPUs keep theirs.</item>
/// <item><b>huge pages</b>: each node's pool raised so that the VMs planned there find their pages free. A pool is
/// never lowered: pages in use, or kept by someone else, stay.</item>
/// </list>
/// </remarks>
public static class HostTuner
{
    /// <summary>The tune plan of <paramref name="plan"/> under <paramref name="policy"/> on <paramref name="host"/> whose files say <paramref name="facts"/>.</summary>
    public static TunePlan Plan(HostPolicy policy, Plan plan, HostTopology host, TuneFacts facts)
    {
        var settings = new List<TuneSetting>();
        var notes = new List<string>();
        Sysctls(facts, settings);

        CpuSet vmCpus = plan.Vms.Aggregate(CpuSet.Empty, (all, vm) => all | vm.Cpus);
        List<CpuFreqPolicyFacts> policies = [.. facts.Policies.Where(p => p.Cpus.Overlaps(vmCpus))];
        if (policy.CpuFreqMax is { AtBase: true })
        {
            if (facts.Turbo is { } turbo)
            {
                settings.Add(new(TuneKind.Turbo, turbo.Path, turbo.Current, turbo.Off,
                    "cpufreq_max = base: overclock protection turns turbo off (host-wide: the kernel has no per-CPU switch)"));
            }
            else if (policies.Count > 0)
            {
                notes.Add("cpufreq_max = base: this driver has no turbo switch (no intel_pstate/no_turbo, no cpufreq/boost); the cap on scaling_max_freq alone keeps the clock at base");
            }
        }

        if (policies.Count == 0 && (policy.CpuFreq != "keep" || policy.CpuFreqMax is not null) && !vmCpus.IsEmpty)
        {
            notes.Add($"cpufreq: no cpufreq policy covers the VMs' CPUs {vmCpus}: the governor and cap are left to the firmware");
        }

        foreach (CpuFreqPolicyFacts p in policies)
        {
            string cpus = $"CPUs {p.Cpus & vmCpus} run VMs";
            if (policy.CpuFreq != "keep")
            {
                if (p.Governors.Contains(policy.CpuFreq))
                {
                    settings.Add(new(TuneKind.Governor, p.Directory + "/scaling_governor", p.Governor, policy.CpuFreq, $"cpufreq = {policy.CpuFreq}: {cpus}"));
                }
                else
                {
                    notes.Add($"cpufreq = {policy.CpuFreq}: {p.Directory} offers only {string.Join(", ", p.Governors)}; its governor is left as it is");
                }
            }

            if (policy.CpuFreqMax is { } cap)
            {
                Cap(cap, p, cpus, settings, notes);
            }
        }

        HugePages(plan, host, settings);
        return new TunePlan(settings, notes);
    }

    private static void Sysctls(TuneFacts facts, List<TuneSetting> settings)
    {
        string dropIn = SysctlRecommendations.DropIn();
        settings.Add(new(TuneKind.SysctlDropIn, SysctlRecommendations.DropInPath, facts.DropInContent, dropIn,
            "the sysctl values below, kept across reboots"));
        foreach (SysctlRecommendation r in SysctlRecommendations.All)
        {
            if (facts.Sysctls.FirstOrDefault(s => s.Key == r.Key) is { Current: { } now })
            {
                settings.Add(new(TuneKind.Sysctl, SysctlFacts.SysctlPath(r.Key), Normalise(now), r.Value, $"{r.Key}: {r.Why}"));
            }
        }
    }

    // The kernel prints some values with tabs between fields; sysctl compares them field by field.
    private static string Normalise(string value) => string.Join(' ', value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));

    // The cap of one policy: the declared kHz, a percentage of its own maximum, or its own base frequency.
    private static void Cap(FrequencyCap cap, CpuFreqPolicyFacts p, string cpus, List<TuneSetting> settings, List<string> notes)
    {
        var freq = new CpuFreqInfo(p.Governors, p.Governor is null ? [] : [p.Governor], p.MinKHz, p.MaxKHz) { BaseKHz = p.BaseKHz };
        if (cap.Resolve(freq) is not { } khz)
        {
            notes.Add(cap.AtBase
                ? $"cpufreq_max = base: {p.Directory} gives no base_frequency (intel_pstate writes it only with HWP); its scaling_max_freq is left as it is"
                : $"cpufreq_max = {cap}: {p.Directory} gives no cpuinfo_max_freq to take a percentage of; its scaling_max_freq is left as it is");
            return;
        }

        if ((p.MaxKHz is { } max && khz > max) || (p.MinKHz is { } min && khz < min))
        {
            notes.Add($"cpufreq_max = {cap}: {khz / 1000} MHz is outside {p.Directory}'s range {p.MinKHz / 1000 ?? 0}..{p.MaxKHz / 1000} MHz; its scaling_max_freq is left as it is");
            return;
        }

        settings.Add(new(TuneKind.MaxFrequency, p.Directory + "/scaling_max_freq", p.ScalingMaxKHz?.ToString(CultureInfo.InvariantCulture), khz.ToString(CultureInfo.InvariantCulture),
            $"cpufreq_max = {cap} ({khz / 1000} MHz): {cpus}"));
    }

    // Per node and page size, the pages the planned VMs take there (HugePageNeeds, as check's hugepages rule counts
    // them), with the VMs that take them.
    private static void HugePages(Plan plan, HostTopology host, List<TuneSetting> settings)
    {
        var need = new SortedDictionary<(int Node, long SizeKiB), (long Pages, List<string> Vms)>();
        foreach (((int node, long size), long pages) in HugePageNeeds.Of(plan))
        {
            need[(node, size)] = (pages, [.. plan.Vms.Where(v => v.HugePages > 0 && v.MemoryNodes.Contains(node) && PlannerState.HugePageSizeKiB(v.Spec) == size).Select(v => v.Name)]);
        }

        foreach (((int node, long size), (long pages, List<string> vms)) in need)
        {
            HugePagePool pool = host.Node(node)?.HugePages.FirstOrDefault(p => p.SizeKiB == size) ?? new HugePagePool(size, 0, 0);
            // Pages in use now stay in use: the pool grows by what the VMs need beyond the free pages.
            long wanted = pool.Total + Math.Max(0, pages - pool.Free);
            settings.Add(new(TuneKind.HugePages, HugePagesPath(node, size), pool.Total.ToString(CultureInfo.InvariantCulture), wanted.ToString(CultureInfo.InvariantCulture),
                $"{Units.PageSize(size)} pages on node {node}: {string.Join(", ", vms)} need {pages}, {pool.Free} are free"));
        }
    }

    /// <summary><c>/sys/devices/system/node/nodeN/hugepages/hugepages-SIZEkB/nr_hugepages</c>.</summary>
    public static string HugePagesPath(int node, long sizeKiB) =>
        $"/sys/devices/system/node/node{node}/hugepages/hugepages-{sizeKiB}kB/nr_hugepages";

    /// <summary>
    /// <paramref name="host"/> with room for every huge page the declaration could ask: each pool's free count raised
    /// by the pages the node's memory could hold. Check runs on it first, so that the hugepages rule does not refuse
    /// what tune is about to reserve; the real need is then checked again on <see cref="Tuned"/>.
    /// </summary>
    public static HostTopology Roomy(HostTopology host) => host with
    {
        Nodes = [.. host.Nodes.Select(n => n with
        {
            HugePages = [.. n.HugePages.Select(p => p with { Free = p.Free + ((n.MemTotalKiB ?? 0) / p.SizeKiB) })],
        })],
    };

    /// <summary>
    /// <paramref name="host"/> as <paramref name="tune"/> leaves it: each pool at its wanted size, the pages added free.
    /// Check on it says whether the declaration holds once the pools took their memory from the rest.
    /// </summary>
    public static HostTopology Tuned(HostTopology host, TunePlan tune) => host with
    {
        Nodes = [.. host.Nodes.Select(n => n with
        {
            HugePages = [.. n.HugePages.Select(p =>
                tune.Settings.FirstOrDefault(s => s.Kind == TuneKind.HugePages && s.Path == HugePagesPath(n.Id, p.SizeKiB)) is { } s
                    ? p with { Total = long.Parse(s.Wanted, CultureInfo.InvariantCulture), Free = p.Free + long.Parse(s.Wanted, CultureInfo.InvariantCulture) - p.Total }
                    : p)],
        })],
    };
}
