using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Validation;

/// <summary>
/// The rules of DESIGN.md section 3 that need the host, and those that judge several values together (the
/// <c>[alerts]</c> thresholds, in <c>DeclarationRules.Alerts.cs</c>): a validated <see cref="Declaration"/> and a
/// <see cref="HostTopology"/> in, diagnostics out. Pure; each rule is one method, named after its descriptor.
/// </summary>
/// <remarks>
/// CPU pools, as the rules see them:
/// <list type="bullet">
/// <item><b>reserved</b>: the host's own CPUs (OS, emulator threads); no VM may be pinned there.</item>
/// <item><b>cpuset</b>: what VMs may use, never including reserved.</item>
/// <item><b>dedicated</b>: CPUs owned by one strict or float VM, explicit (<c>cpus = LIST</c>) or to be
/// planned (<c>cpus = auto</c>, counted by size).</item>
/// <item><b>shared pool</b>: cpuset minus every dedicated CPU; <c>cpuspinlock = none</c> VMs float there, at most
/// <c>overcommit</c> vCPUs per CPU.</item>
/// </list>
/// </remarks>
public static partial class DeclarationRules
{
    /// <summary>Checks <paramref name="declaration"/> against <paramref name="host"/>.</summary>
    public static IReadOnlyList<Diagnostic> Check(Declaration declaration, HostTopology host)
    {
        var context = new RuleContext(declaration, host);
        HostTopologyAssumed(context);
        HostCpuLists(context);
        MoreCpusThanVms(context);
        foreach (VmSpec vm in declaration.Vms)
        {
            MaxVmShare(context, vm);
            CpusNeedDedicatedPinning(context, vm);

            // Rules about the shape of a CPU list only make sense once its CPUs exist and are online, and not at
            // all for a shared-pool VM, whose list KVC045 already refuses.
            if (vm.Pinning != PinningMode.None && VmCpuList(context, vm))
            {
                VcpusFitSet(context, vm);
                WholeCores(context, vm);
                SpansNodes(context, vm);
            }

            NodesExist(context, vm);
            LimitAboveVcpus(context, vm);
            RealtimeShared(context, vm);
            FloatOnIsolated(context, vm);
        }

        DedicatedOverlap(context);
        IsolateSharesCore(context);
        DedicatedCapacity(context);
        Overcommit(context);
        SharedPoolOnIsolated(context);
        Memory(context);
        HugePages(context);
        Governor(context);
        CpuFreqMax(context);
        ThresholdOrder(context);
        return context.Diagnostics;
    }

    private sealed class RuleContext(Declaration declaration, HostTopology host)
    {
        public Declaration Declaration { get; } = declaration;

        public HostTopology Host { get; } = host;

        public HostPolicy Policy => Declaration.Host;

        public CpuSet Reserved { get; } = declaration.Host.ReservedOn(host);

        /// <summary>The usable cpuset: as declared (or defaulted), minus reserved, minus what is not online.</summary>
        public CpuSet CpuSet { get; } = declaration.Host.CpuSetOn(host) & host.Online;

        public List<Diagnostic> Diagnostics { get; } = [];

        /// <summary>False when cpuset or reserved was written but refused: pool rules would judge the defaults.</summary>
        public bool PoolsKnown => !Policy.Origins.Invalid("cpuset") && !Policy.Origins.Invalid("reserved");

        public void Add(DiagnosticDescriptor rule, string message, SourceSpan? span, string? hint, params DiagnosticNote[] notes) =>
            Diagnostics.Add(Diagnostic.Create(rule, message, span, hint, notes.Length == 0 ? null : notes));

        /// <summary>Dedicated VMs with explicit CPUs, in declaration order.</summary>
        public IEnumerable<VmSpec> ExplicitDedicated => Declaration.Vms.Where(v => v.IsDedicated && v.Cpus is not null);

        /// <summary>The pools of the class remarks, counted once for every rule that needs them.</summary>
        public CpuPools Pools => _pools ??= CpuPools.Count(this);

        private CpuPools? _pools;
    }

    /// <summary>How the usable cpuset divides between dedicated VMs and the shared pool.</summary>
    /// <param name="Taken">CPUs of explicit dedicated VMs, plus the idle siblings of smt=isolate VMs' cores.</param>
    /// <param name="AutoDemand">CPUs the auto dedicated VMs will take: vCPUs, rounded up to whole cores under
    /// smt=isolate/require, plus one per VM with emulator=isolate.</param>
    /// <param name="AutoParts">The demand per VM, for messages.</param>
    /// <param name="SharedCpus">What is left for the shared pool (never negative).</param>
    private sealed record CpuPools(CpuSet Taken, int AutoDemand, IReadOnlyList<string> AutoParts, int SharedCpus)
    {
        public static CpuPools Count(RuleContext c)
        {
            var taken = new CpuSet.Builder();
            foreach (VmSpec vm in c.ExplicitDedicated)
            {
                taken.AddAll(vm.Smt == SmtPolicy.Isolate ? c.Host.CoresOf(vm.Cpus!) : vm.Cpus!);
            }

            int threads = Math.Max(1, c.Host.ThreadsPerCore);
            int demand = 0;
            var parts = new List<string>();
            foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.IsDedicated && v.Cpus is null))
            {
                int cpus = vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + threads - 1) / threads * threads : vm.Vcpus;
                demand += cpus;
                parts.Add($"{vm.Name} {cpus}");
            }

            // An isolated emulator needs a CPU of its own, except on a whole-core VM with an idle sibling to spare.
            int emulators = c.Declaration.Vms.Count(v => v.IsDedicated && v.Emulator == EmulatorPlacement.Isolate
                && !(v.Cpus is null && v.Smt is SmtPolicy.Isolate or SmtPolicy.Require && v.Vcpus % threads != 0));
            demand += emulators;
            if (emulators > 0)
            {
                parts.Add($"{Units.Plural(emulators, "CPU")} for isolated emulator threads");
            }

            CpuSet takenSet = taken.ToCpuSet() & c.CpuSet;
            return new CpuPools(takenSet, demand, parts, Math.Max(0, (c.CpuSet - takenSet).Count - demand));
        }
    }

    // cpuset and reserved must name CPUs that exist and are online, and leave something for VMs.
    private static void HostCpuLists(RuleContext c)
    {
        foreach ((string key, CpuSet? list) in new[] { ("cpuset", c.Policy.CpuSet), ("reserved", c.Policy.Reserved) })
        {
            if (list is not null)
            {
                CpusExistAndOnline(c, list, $"[host] {key}", c.Policy.Origins.Of(key), c.Host.Online);
            }
        }

        if (c.Policy.CpuSet is { } cpuset && c.Policy.Reserved is { } reserved && cpuset.Overlaps(reserved))
        {
            c.Add(Rules.HostPools,
                $"[host] cpuset {cpuset} and reserved {reserved} share {Cpus(cpuset & reserved)}",
                c.Policy.Origins.Of("reserved"),
                $"a CPU is either the host's or the VMs'; remove {Cpus(cpuset & reserved)} from cpuset or from reserved",
                new DiagnosticNote("cpuset set here", c.Policy.Origins.Of("cpuset")));
        }
        else if (c.CpuSet.IsEmpty)
        {
            c.Add(Rules.HostPools,
                $"no CPU is left for VMs: online {c.Host.Online} minus reserved {c.Reserved} leaves nothing",
                c.Policy.Origins.Of(c.Policy.CpuSet is null ? "reserved" : "cpuset"),
                "reserve fewer CPUs, or widen cpuset");
        }
    }

    // The seed's first rule: the host has more physical CPUs than declared VMs.
    private static void MoreCpusThanVms(RuleContext c)
    {
        int cpus = c.Host.OnlineCpuCount;
        int vms = c.Declaration.Vms.Count;
        if (vms == 0 || cpus > vms)
        {
            return;
        }

        VmSpec tipping = c.Declaration.Vms[Math.Max(0, cpus - 1)];
        c.Add(Rules.MoreCpusThanVms,
            $"{vms} VMs are declared but this host has only {cpus} physical CPUs; the rule 'more physical CPUs than VMs' needs at least {vms + 1} CPUs",
            tipping.Origins.Header,
            $"move {Units.Plural(vms - cpus + 1, "VM")} to another host, or run this declaration on a host with more than {vms} CPUs",
            new DiagnosticNote($"'{tipping.Name}' is VM number {Math.Max(1, cpus)} of {vms}, the first one the host's {Units.Plural(cpus, "CPU")} cannot take"));
    }

    // The seed's second rule: no VM takes more than max_vm_share of the physical CPUs.
    private static void MaxVmShare(RuleContext c, VmSpec vm)
    {
        if (c.Policy.Origins.Invalid("max_vm_share"))
        {
            return;
        }

        int cpus = c.Host.OnlineCpuCount;
        int limit = c.Policy.MaxVmShare.FloorOf(cpus);
        if (vm.CpuDemand <= limit)
        {
            return;
        }

        string key = vm.Cpus is not null ? "cpus" : "vcpus";
        c.Add(Rules.MaxVmShare,
            $"VM '{vm.Name}' takes {Units.Plural(vm.CpuDemand, "CPU")}, more than max_vm_share {c.Policy.MaxVmShare} of this host's {cpus} physical CPUs (at most {limit})",
            vm.Origins.Of(key),
            limit == 0
                ? $"this host is too small for any VM under max_vm_share {c.Policy.MaxVmShare}; use a host with at least {MinHostFor(c.Policy.MaxVmShare, 1)} CPUs"
                : $"give '{vm.Name}' at most {Units.Plural(limit, "CPU")}, or raise max_vm_share in [host] if one VM may really take {vm.CpuDemand} of {cpus}",
            [
                c.Policy.Origins.Declared("max_vm_share")
                    ? new DiagnosticNote($"max_vm_share {c.Policy.MaxVmShare} set here", c.Policy.Origins.Of("max_vm_share"))
                    : new DiagnosticNote($"max_vm_share {c.Policy.MaxVmShare} is the default"),
                .. ProfileNotes(vm, key),
            ]);
    }

    private static int MinHostFor(Fraction share, int vmCpus)
    {
        int n = vmCpus;
        while (share.FloorOf(n) < vmCpus)
        {
            n++;
        }

        return n;
    }

    // A shared-pool VM floats over the pool; a CPU list would either fence it onto dedicated CPUs or be ignored.
    private static void CpusNeedDedicatedPinning(RuleContext c, VmSpec vm)
    {
        if (vm.Cpus is { } cpus && vm.Pinning == PinningMode.None)
        {
            c.Add(Rules.CpusWithSharedPinning,
                $"VM '{vm.Name}' has cpus = {cpus} but cpuspinlock = none: shared-pool vCPUs float over the pool ({Units.OrNone(c.CpuSet - c.Pools.Taken)}) and own no CPUs",
                vm.Origins.Of("cpus"),
                $"use cpuspinlock = float to give '{vm.Name}' these CPUs of its own, or remove cpus (or cpus = auto) to share the pool",
                new DiagnosticNote("cpuspinlock set here", vm.Origins.Of("cpuspinlock")));
        }
    }

    // Returns false when the VM's CPUs are not all present and online.
    private static bool VmCpuList(RuleContext c, VmSpec vm)
    {
        if (vm.Cpus is not { } cpus)
        {
            return true;
        }

        SourceSpan? at = vm.Origins.Of("cpus");
        if (!CpusExistAndOnline(c, cpus, $"VM '{vm.Name}' cpus", at, c.CpuSet))
        {
            return false;
        }

        if (!c.PoolsKnown)
        {
            return true;
        }

        CpuSet reserved = cpus & c.Reserved;
        if (!reserved.IsEmpty)
        {
            c.Add(Rules.UsesReserved,
                $"VM '{vm.Name}' cpus {cpus} include {Cpus(reserved)}, reserved for the host ({c.Reserved})",
                at,
                $"use CPUs from {c.CpuSet}, or change [host] reserved",
                new DiagnosticNote(c.Policy.Reserved is null ? "reserved defaults to CPU 0 and its SMT siblings" : "reserved set here",
                    c.Policy.Reserved is null ? null : c.Policy.Origins.Of("reserved")));
        }

        CpuSet outside = cpus - c.CpuSet - c.Reserved;
        if (!outside.IsEmpty)
        {
            c.Add(Rules.OutsideCpuset,
                outside == cpus
                    ? $"VM '{vm.Name}' cpus {cpus} lie outside the host cpuset {c.CpuSet}"
                    : $"VM '{vm.Name}' cpus {cpus} include {Cpus(outside)}, outside the host cpuset {c.CpuSet}",
                at,
                $"use CPUs from {c.CpuSet}, or widen [host] cpuset",
                new DiagnosticNote("cpuset set here", c.Policy.Origins.Of("cpuset")));
        }

        return true;
    }

    // Returns false when some CPUs are absent or offline (later CPU rules would only repeat it).
    // `usable` is what the hint offers instead: the online CPUs for host lists, the usable cpuset for VMs.
    private static bool CpusExistAndOnline(RuleContext c, CpuSet cpus, string what, SourceSpan? at, CpuSet usable)
    {
        CpuSet known = c.Host.Present.IsEmpty ? c.Host.Online : c.Host.Present;
        CpuSet absent = cpus - known;
        CpuSet offline = (cpus & known) - c.Host.Online;
        string instead = usable.IsEmpty ? "" : $"use {Cpus(usable)}; ";
        if (!absent.IsEmpty)
        {
            c.Add(Rules.CpuAbsent,
                $"{what} = {cpus} names {Cpus(absent)}, which this host does not have (it has {Cpus(known)})",
                at,
                $"{instead}`kvmconfig topology` lists the host's CPUs");
        }

        if (!offline.IsEmpty)
        {
            c.Add(Rules.CpuOffline,
                $"{what} = {cpus} includes offline {Cpus(offline)} (online: {c.Host.Online})",
                at,
                $"bring {(offline.Count == 1 ? "it" : "them")} online (echo 1 > /sys/devices/system/cpu/cpu{offline.First}/online){(usable.IsEmpty ? "" : $", or use {Cpus(usable)}")}");
        }

        return absent.IsEmpty && offline.IsEmpty;
    }

    private static void VcpusFitSet(RuleContext c, VmSpec vm)
    {
        if (vm.Cpus is not { } cpus || vm.Pinning != PinningMode.Strict)
        {
            return;
        }

        if (vm.Vcpus > cpus.Count)
        {
            c.Add(Rules.VcpusExceedSet,
                $"VM '{vm.Name}' has {vm.Vcpus} vCPUs but cpus {cpus} holds {cpus.Count}; strict pinning needs one CPU per vCPU",
                vm.Origins.Of("vcpus"),
                $"list {vm.Vcpus} CPUs in cpus, lower vcpus to {cpus.Count}, or use cpuspinlock = float",
                new DiagnosticNote("cpus set here", vm.Origins.Of("cpus")));
        }
        else if (vm.Vcpus < cpus.Count)
        {
            c.Add(Rules.IdleCpus,
                $"VM '{vm.Name}' has {vm.Vcpus} vCPUs on {cpus.Count} dedicated CPUs ({cpus}); {cpus.Count - vm.Vcpus} will stay idle",
                vm.Origins.Of("cpus"),
                $"list {vm.Vcpus} CPUs, or raise vcpus to {cpus.Count}");
        }
    }

    private static void WholeCores(RuleContext c, VmSpec vm)
    {
        if (vm.Cpus is not { } cpus || !vm.IsDedicated || vm.Smt != SmtPolicy.Require || !cpus.IsSubsetOf(c.Host.Online))
        {
            return;
        }

        CpuSet cores = c.Host.CoresOf(cpus);
        if (cores != cpus)
        {
            c.Add(Rules.WholeCores,
                $"VM '{vm.Name}' has smt = require but cpus {cpus} split cores: the whole cores are {cores}",
                vm.Origins.Of("cpus"),
                $"add the siblings {cores - cpus}, or use smt = prefer");
        }
    }

    private static void SpansNodes(RuleContext c, VmSpec vm)
    {
        if (vm.Cpus is not { } cpus || vm.Pinning != PinningMode.Strict || vm.Numa != MemoryMode.Strict)
        {
            return;
        }

        CpuSet nodes = c.Host.NodesOf(cpus);
        if (nodes.Count <= 1 || vm.NumaNodes == nodes)
        {
            return;
        }

        string split = string.Join(", ", nodes.Select(n => $"node{n}: {cpus & c.Host.Node(n)!.Cpus}"));
        c.Add(Rules.SpansNodes,
            $"VM '{vm.Name}' has strict pinning and numa = strict, but cpus {cpus} span NUMA nodes {nodes} ({split})",
            vm.Origins.Of("cpus"),
            $"pick CPUs from one node, or say the split is meant with numa_nodes = {nodes} (the guest then gets one NUMA cell per node)");
    }

    private static void NodesExist(RuleContext c, VmSpec vm)
    {
        if (vm.NumaNodes is not { } nodes)
        {
            return;
        }

        CpuSet known = CpuSet.Of(c.Host.Nodes.Select(n => n.Id));
        CpuSet absent = nodes - known;
        if (!absent.IsEmpty)
        {
            c.Add(Rules.NodeAbsent,
                $"VM '{vm.Name}' numa_nodes {nodes} name{(absent.Count == 1 ? "s" : "")} node{(absent.Count == 1 ? "" : "s")} {absent}; this host has {(known.Count == 1 ? $"only node {known}" : $"nodes {known}")}",
                vm.Origins.Of("numa_nodes"),
                known.Count == 1 ? $"use numa_nodes = {known} or auto" : $"use nodes from {known}, or numa_nodes = auto");
        }
    }

    private static void LimitAboveVcpus(RuleContext c, VmSpec vm)
    {
        if (vm.CpuLimit is { } limit && limit > vm.Vcpus)
        {
            c.Add(Rules.LimitAboveVcpus,
                $"VM '{vm.Name}' cpu_limit {limit} is above its {vm.Vcpus} vCPUs, so it never binds",
                vm.Origins.Of("cpu_limit"),
                $"lower cpu_limit to at most {vm.Vcpus}, or remove it",
                ProfileNotes(vm, "cpu_limit"));
        }
    }

    private static void RealtimeShared(RuleContext c, VmSpec vm)
    {
        if (vm.Scheduling.IsRealtime && vm.Pinning != PinningMode.Strict)
        {
            c.Add(Rules.RealtimeShared,
                $"VM '{vm.Name}' runs vCPUs as {vm.Scheduling} with cpuspinlock = {vm.Pinning.ToString().ToLowerInvariant()}: real-time vCPU threads can starve every other thread on the CPUs they share, host threads included",
                vm.Origins.Of("cpuscheduling"),
                "use cpuspinlock = strict on dedicated CPUs for real-time VMs, or cpuscheduling = other");
        }
    }

    // isolcpus= takes CPUs out of the scheduler's load balancing: a thread stays on the CPU it was placed on. That
    // is what strict pinning wants, and the opposite of what floating vCPUs need.
    private static void FloatOnIsolated(RuleContext c, VmSpec vm)
    {
        if (vm.Pinning != PinningMode.Float || vm.Cpus is not { Count: > 1 } cpus || (cpus & c.Host.Isolated) is not { IsEmpty: false } isolated)
        {
            return;
        }

        string which = isolated == cpus ? $"{Cpus(isolated)}, which the kernel isolates" : $"{Cpus(cpus)}, of which the kernel isolates {isolated}";
        c.Add(Rules.FloatOnIsolated,
            $"VM '{vm.Name}' floats its vCPUs over {which} (isolcpus): the scheduler never balances threads onto or off isolated CPUs, so several vCPUs can queue on one CPU while others idle",
            vm.Origins.Of("cpus"),
            "use cpuspinlock = strict on isolated CPUs (one vCPU per CPU), or float over CPUs that are not isolated");
    }

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

    // Memory placed on a node: the VM's numa_nodes, else the nodes of its strict CPUs; split evenly.
    private static CpuSet? MemoryNodes(RuleContext c, VmSpec vm) =>
        vm.NumaNodes ?? (vm.Numa == MemoryMode.Strict && vm.Cpus is { } cpus && cpus.IsSubsetOf(c.Host.Online) ? c.Host.NodesOf(cpus) : null);

    private static void Memory(RuleContext c)
    {
        foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.MemoryMiB is null && !v.Origins.Declared("memory") && !v.Origins.Invalid("memory")))
        {
            c.Add(Rules.MemoryUnmanaged,
                $"VM '{vm.Name}' declares no memory: kvmconfig leaves its size as libvirt has it and cannot check that it fits",
                vm.Origins.Header,
                "add memory = SIZE (e.g. 4G) or a profile to have it checked");
        }

        if (c.Host.MemTotalKiB is not { } hostKiB || c.Policy.Origins.Invalid("memory_reserved"))
        {
            return;
        }

        // Pages reserved as huge pages are not ordinary memory: VMs backed by them are checked against the pools
        // (HugePages below), every other VM against what is left. memory_reserved comes out of each node in
        // proportion to its size.
        long reservedMiB = c.Policy.MemoryReservedMiB;
        long hostMiB = hostKiB / 1024;
        long hostPoolsMiB = c.Host.Nodes.Sum(HugePoolMiB);
        long available = hostMiB - hostPoolsMiB - reservedMiB;
        string pools = hostPoolsMiB > 0 ? $" minus {Units.MiB(hostPoolsMiB)} of huge pages" : "";
        long total = 0;
        foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.MemoryMiB is not null && v.HugePages == HugePageBacking.None))
        {
            total += vm.MemoryMiB!.Value;
            if (available <= 0)
            {
                c.Add(Rules.HostMemory,
                    $"this host has {Units.MiB(hostMiB)} of memory{pools}, no more than memory_reserved {Units.MiB(reservedMiB)}: nothing is left for VM '{vm.Name}' ({Units.MiB(vm.MemoryMiB.Value)})",
                    vm.Origins.Of("memory"),
                    "run this declaration on a bigger host, or lower memory_reserved in [host]",
                    ProfileNotes(vm, "memory"));
                break;
            }

            if (total > available)
            {
                c.Add(Rules.HostMemory,
                    $"VM memory reaches {Units.MiB(total)} at '{vm.Name}', above the host's {Units.MiB(hostMiB)}{pools} minus memory_reserved {Units.MiB(reservedMiB)} = {Units.MiB(available)}",
                    vm.Origins.Of("memory"),
                    "give VMs less memory, lower memory_reserved, or move VMs to another host",
                    ProfileNotes(vm, "memory"));
                break;
            }
        }

        var used = new Dictionary<int, long>();
        foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.MemoryMiB is not null && v.HugePages == HugePageBacking.None))
        {
            if (MemoryNodes(c, vm) is not { IsEmpty: false } nodes || !nodes.All(n => c.Host.Node(n)?.MemTotalKiB is not null))
            {
                continue;
            }

            long share = (vm.MemoryMiB!.Value + nodes.Count - 1) / nodes.Count;
            foreach (int n in nodes)
            {
                NumaNode node = c.Host.Node(n)!;
                long nodeMiB = node.MemTotalKiB!.Value / 1024;
                long poolMiB = HugePoolMiB(node);
                long nodeAvailable = nodeMiB - poolMiB - (reservedMiB * nodeMiB / Math.Max(1, hostMiB));
                used[n] = used.GetValueOrDefault(n) + share;
                if (used[n] > nodeAvailable && used[n] - share <= nodeAvailable)
                {
                    string nodePools = poolMiB > 0 ? $" minus {Units.MiB(poolMiB)} of huge pages" : "";
                    c.Add(Rules.NodeMemory,
                        $"memory on NUMA node {n} reaches {Units.MiB(used[n])} with VM '{vm.Name}' ({Units.MiB(share)} there), above the node's {Units.MiB(nodeMiB)}{nodePools} minus its share of memory_reserved = {Units.MiB(nodeAvailable)}",
                        vm.Origins.Of("memory"),
                        "give the VM less memory, spread it with numa_nodes, or pin it to CPUs of another node",
                        ProfileNotes(vm, "memory"));
                }
            }
        }
    }

    private static long HugePoolMiB(NumaNode node) => node.HugePages.Sum(p => p.Total * p.SizeKiB) / 1024;

    // When a value came from a profile, the diagnostic points at the profile; this note points at the VM using it.
    private static DiagnosticNote[] ProfileNotes(VmSpec vm, string key) =>
        vm.Origins.FromProfile(key) && vm.Origins.Of(key) != vm.Origins.Of("profile")
            ? [new DiagnosticNote($"'{vm.Name}' takes {key} from profile '{vm.Profile}'", vm.Origins.Of("profile"))]
            : [];

    private static void HugePages(RuleContext c)
    {
        var used = new Dictionary<(int Node, long SizeKiB), long>();
        var hostUsed = new Dictionary<long, long>();
        foreach (VmSpec vm in c.Declaration.Vms.Where(v => v.HugePages != HugePageBacking.None && v.MemoryMiB is not null))
        {
            long sizeKiB = vm.HugePages == HugePageBacking.TwoMiB ? 2048 : 1024 * 1024;
            string size = vm.HugePages == HugePageBacking.TwoMiB ? "2M" : "1G";
            long pages = ((vm.MemoryMiB!.Value * 1024) + sizeKiB - 1) / sizeKiB;
            SourceSpan? at = vm.Origins.Of(vm.Origins.Declared("hugepages") ? "hugepages" : "memory");
            if (!c.Host.HugePageSizesKiB.Contains(sizeKiB))
            {
                c.Add(Rules.HugePageSize,
                    $"VM '{vm.Name}' wants {size} huge pages, but this host has no {size} page pool",
                    at,
                    $"reserve them at boot (hugepagesz={size} hugepages=N on the kernel command line) or use hugepages = none");
                continue;
            }

            if (MemoryNodes(c, vm) is { IsEmpty: false } nodes)
            {
                long perNode = (pages + nodes.Count - 1) / nodes.Count;
                foreach (int n in nodes)
                {
                    HugePagePool? pool = c.Host.Node(n)?.HugePages.FirstOrDefault(p => p.SizeKiB == sizeKiB);
                    long free = pool?.Free ?? 0;
                    long earlier = used.GetValueOrDefault((n, sizeKiB));
                    used[(n, sizeKiB)] = earlier + perNode;
                    if (used[(n, sizeKiB)] > free)
                    {
                        string spread = nodes.Count == 1 ? "" : $", {Units.MiB(vm.MemoryMiB.Value)} split over nodes {nodes}";
                        string taken = earlier == 0 ? "" : $"; earlier VMs already need {earlier}";
                        long target = (pool?.Total ?? 0) + used[(n, sizeKiB)] - free;
                        c.Add(Rules.HugePages,
                            $"VM '{vm.Name}' needs {perNode} free {size} pages on node {n}{spread}; the node has {free} free{taken}",
                            at,
                            $"reserve more: echo {target} > /sys/devices/system/node/node{n}/hugepages/hugepages-{sizeKiB}kB/nr_hugepages, or use hugepages = none",
                            ProfileNotes(vm, "hugepages"));
                    }
                }
            }
            else
            {
                long free = c.Host.Nodes.Sum(nd => nd.HugePages.FirstOrDefault(p => p.SizeKiB == sizeKiB)?.Free ?? 0);
                hostUsed[sizeKiB] = hostUsed.GetValueOrDefault(sizeKiB) + pages;
                if (hostUsed[sizeKiB] > free)
                {
                    long earlier = hostUsed[sizeKiB] - pages;
                    c.Add(Rules.HugePages,
                        $"VM '{vm.Name}' needs {pages} free {size} pages; the host has {free} free{(earlier == 0 ? "" : $"; earlier VMs already need {earlier}")}",
                        at,
                        $"reserve more {size} pages (vm.nr_hugepages or per node in sysfs), or use hugepages = none",
                        ProfileNotes(vm, "hugepages"));
                }
            }
        }
    }

    // "CPU 0", "CPUs 2-3": a CPU list as a noun phrase.
    private static string Cpus(CpuSet set) => set.Count == 1 ? $"CPU {set}" : $"CPUs {set}";


    private static void Governor(RuleContext c)
    {
        string governor = c.Policy.CpuFreq;
        if (governor == "keep" || c.Host.CpuFreq.Unknown)
        {
            return;
        }

        SourceSpan? at = c.Policy.Origins.Of("cpufreq");
        IReadOnlyList<string> offered = c.Host.CpuFreq.Governors;
        if (offered.Contains(governor))
        {
            return;
        }

        string what = CpuFreqInfo.KnownGovernors.Contains(governor) ? $"governor '{governor}' is not offered by this host" : $"'{governor}' is not a cpufreq governor";
        string? near = Suggest.Closest(governor, offered);
        c.Add(Rules.Governor,
            offered.Count == 0
                ? $"cpufreq = {governor}: {what}; this host exposes no cpufreq governors at all (no cpu/cpufreq/policy*)"
                : $"cpufreq = {governor}: {what}; this host offers {string.Join(", ", offered)}",
            at,
            offered.Count == 0
                ? "write cpufreq = keep: frequency is managed by firmware or the hypervisor here"
                : $"{(near is null ? "" : $"did you mean '{near}'? ")}write one of: keep, {string.Join(", ", offered)}");
    }

    private static void CpuFreqMax(RuleContext c)
    {
        if (c.Policy.CpuFreqMax is not { } cap || c.Host.CpuFreq.Unknown)
        {
            return;
        }

        SourceSpan? at = c.Policy.Origins.Of("cpufreq_max");
        CpuFreqInfo freq = c.Host.CpuFreq;
        if (freq.MaxKHz is not { } max)
        {
            c.Add(Rules.CpuFreqMax,
                $"cpufreq_max = {cap}: this host exposes no cpufreq limits to cap",
                at,
                "remove cpufreq_max on this host");
            return;
        }

        long khz = cap.Resolve(max);
        if (khz > max || (freq.MinKHz is { } min && khz < min))
        {
            c.Add(Rules.CpuFreqMax,
                $"cpufreq_max = {cap}{(cap.Percent is null ? "" : $" ({khz / 1000} MHz)")} is outside the CPUs' range {freq.MinKHz / 1000 ?? 0}..{max / 1000} MHz",
                at,
                $"write a value from {freq.MinKHz / 1000 ?? 0}MHz to {max / 1000}MHz, or a percentage");
        }
    }
}
