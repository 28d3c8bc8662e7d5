using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Validation;

// The rules about memory and huge pages, per host and per NUMA node.
public static partial class DeclarationRules
{
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
}
