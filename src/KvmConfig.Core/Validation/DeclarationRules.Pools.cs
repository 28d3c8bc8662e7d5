using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Validation;

// The rules about the CPU pools as a whole: overlaps, isolated CPUs, capacity, overcommit.
public static partial class DeclarationRules
{
    private static void SharedPoolOnIsolated(RuleContext c)
    {
        CpuSet pool = c.CpuSet - c.Pools.Taken;
        CpuSet isolated = pool & c.Host.Isolated;
        VmSpec? shared = c.Declaration.Vms.LastOrDefault(v => !v.IsDedicated);
        if (shared is null || isolated.IsEmpty || !c.PoolsKnown)
        {
            return;
        }

        c.Add(Rules.FloatOnIsolated,
            $"the shared pool ({pool}) includes isolated {Cpus(isolated)} (isolcpus): shared-pool vCPUs placed there are never balanced away, so they queue while other pool CPUs idle",
            c.Policy.Origins.Declared("cpuset") ? c.Policy.Origins.Of("cpuset") : shared.Origins.Of("cpuspinlock"),
            $"leave them out of cpuset (cpuset = {c.CpuSet - isolated}), or give them to strict VMs");
    }

    // One finding per VM that reuses CPUs, naming every earlier owner: linear in the number of CPUs declared, so a
    // directory that pins thousands of VMs onto the same cores still reports in bounded time and memory.
    private static void DedicatedOverlap(RuleContext c)
    {
        const int NamedOwners = 3;
        var ownerOf = new Dictionary<int, VmSpec>();
        foreach (VmSpec vm in c.ExplicitDedicated)
        {
            var earlier = new List<VmSpec>();
            var clash = new CpuSet.Builder();
            foreach (int cpu in vm.Cpus!)
            {
                if (ownerOf.TryGetValue(cpu, out VmSpec? owner))
                {
                    clash.Add(cpu);
                    if (!earlier.Contains(owner))
                    {
                        earlier.Add(owner);
                    }
                }
                else
                {
                    ownerOf[cpu] = vm;
                }
            }

            if (earlier.Count == 0)
            {
                continue;
            }

            CpuSet shared = clash.ToCpuSet();
            string others = earlier.Count == 1
                ? $"VM '{earlier[0].Name}' cpus {earlier[0].Cpus}"
                : $"{earlier.Count} earlier VMs ({string.Join(", ", earlier.Take(NamedOwners).Select(o => $"'{o.Name}'"))}{(earlier.Count > NamedOwners ? ", ..." : "")})";
            var notes = earlier.Take(NamedOwners)
                .Select(o => new DiagnosticNote($"'{o.Name}' claims {o.Cpus! & shared} here", o.Origins.Of("cpus")))
                .ToList();
            if (earlier.Count > NamedOwners)
            {
                notes.Add(new DiagnosticNote($"and {earlier.Count - NamedOwners} more VMs"));
            }

            c.Add(Rules.DedicatedOverlap,
                $"VM '{vm.Name}' cpus {vm.Cpus} overlap {others} on {shared}",
                vm.Origins.Of("cpus"),
                $"dedicated CPUs belong to one VM; give '{vm.Name}' other CPUs, cpus = auto, or cpuspinlock = none to share",
                [.. notes]);
        }
    }

    private static void IsolateSharesCore(RuleContext c)
    {
        List<VmSpec> owners = c.ExplicitDedicated.Where(v => v.Cpus!.IsSubsetOf(c.Host.Online)).ToList();
        foreach (VmSpec vm in owners.Where(v => v.Smt == SmtPolicy.Isolate))
        {
            CpuSet cores = c.Host.CoresOf(vm.Cpus!);
            foreach (VmSpec other in owners.Where(o => !ReferenceEquals(o, vm) && !o.Cpus!.Overlaps(vm.Cpus!) && o.Cpus!.Overlaps(cores)))
            {
                CpuSet shared = c.Host.CoresOf(other.Cpus! & cores);
                c.Add(Rules.SharesCore,
                    $"VM '{vm.Name}' has smt = isolate, but VM '{other.Name}' runs on {other.Cpus! & cores}, SMT siblings of its CPUs {vm.Cpus} (shared cores: {shared})",
                    vm.Origins.Of("cpus"),
                    $"give one of them whole cores of its own; '{vm.Name}' would own {cores}",
                    new DiagnosticNote($"'{other.Name}' cpus", other.Origins.Of("cpus")));
            }
        }
    }

    // Auto VMs are sized, not placed, by check: the planner places them. Here only: do they fit at all?
    private static void DedicatedCapacity(RuleContext c)
    {
        if (!c.PoolsKnown)
        {
            return;
        }

        CpuSet free = c.CpuSet - c.Pools.Taken;
        if (c.Pools.AutoDemand <= free.Count)
        {
            return;
        }

        VmSpec last = c.Declaration.Vms.Last(v => v.IsDedicated && (v.Cpus is null || v.Emulator == EmulatorPlacement.Isolate));
        c.Add(Rules.DedicatedCapacity,
            $"VMs on cpus = auto need {c.Pools.AutoDemand} dedicated CPUs ({string.Join(", ", c.Pools.AutoParts)}), but only {free.Count} are free ({Units.OrNone(free)})",
            last.Origins.Header,
            "shrink or remove VMs, move some to cpuspinlock = none, or widen [host] cpuset");
    }

    private static void Overcommit(RuleContext c)
    {
        List<VmSpec> shared = c.Declaration.Vms.Where(v => !v.IsDedicated).ToList();
        if (shared.Count == 0 || c.Policy.Origins.Invalid("overcommit") || !c.PoolsKnown)
        {
            return;
        }

        int poolCpus = c.Pools.SharedCpus;
        int vcpus = shared.Sum(v => v.Vcpus);
        double allowed = poolCpus * c.Policy.Overcommit.VcpusPerCpu;
        if (vcpus > allowed)
        {
            c.Add(Rules.Overcommit,
                $"shared-pool VMs have {vcpus} vCPUs, but the pool has {poolCpus} CPUs and overcommit {c.Policy.Overcommit} allows {(int)allowed}",
                shared[^1].Origins.Of("cpuspinlock"),
                poolCpus == 0
                    ? "every CPU is dedicated: free some CPUs from dedicated VMs for the shared pool"
                    : $"raise [host] overcommit (at most 1:5), dedicate fewer CPUs, or give shared VMs fewer vCPUs",
                new DiagnosticNote($"vCPUs of shared VMs: {string.Join(", ", shared.Select(v => $"{v.Name} {v.Vcpus}"))}; pool after dedicated VMs: {poolCpus} CPUs"));
        }
    }
}
