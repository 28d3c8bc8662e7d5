using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Validation;

// The rules about one VM's CPUs: its list, its share of the host, its pinning, its nodes.
public static partial class DeclarationRules
{
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

    // libvirt's <vcpu current='N'>MAX</vcpu>: N online at boot, up to MAX by hot add. N above MAX is refused by
    // libvirt at define time, which kvmconfig says before anything changes.
    private static void VcpusAboveMax(RuleContext c, VmSpec vm)
    {
        if (vm.VcpusMax is { } max && max < vm.Vcpus)
        {
            c.Add(Rules.VcpusAboveMax,
                $"VM '{vm.Name}' has vcpus_max {max} below its {vm.Vcpus} vCPUs: a domain cannot have more vCPUs online than its maximum",
                vm.Origins.Of("vcpus_max"),
                $"raise vcpus_max to at least {vm.Vcpus}, or lower vcpus to at most {max}",
                ProfileNotes(vm, "vcpus_max"));
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
}
