using KvmConfig.Cluster;
using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.ClusterBench;

/// <summary>
/// The cross-check: a placement whose figures cannot be believed is a broken result (exit 2), not a missed target.
/// Counted here again, independently of the planner's counters: per node, dedicated CPUs (whole cores under
/// isolate/require) plus the shared pool (vCPUs over overcommit, rounded up) within the usable CPUs; memory within
/// the memory for VMs; fewer VMs than CPUs; at most one member of a group per node; and, for whole plans, each
/// node's dedicated CPU sets disjoint and inside its cpuset, and every VM exactly once.
/// </summary>
internal static class Checks
{
    /// <summary>
    /// Breaches of the decisions <paramref name="nodeOf"/> (per VM, its node or -1). <paramref name="vmCountRule"/>:
    /// also the rule "fewer VMs than CPUs", which the planner keeps and the plain-vector baselines do not know.
    /// </summary>
    public static List<string> Assignment(ClusterRequest request, IReadOnlyList<int> nodeOf, string who, bool vmCountRule = true)
    {
        var breaches = new List<string>();
        IReadOnlyList<VmSpec> vms = request.Declaration.Vms;
        if (nodeOf.Count != vms.Count)
        {
            breaches.Add($"{who}: {nodeOf.Count} decisions for {vms.Count} VMs");
            return breaches;
        }

        int count = request.Nodes.Count;
        var dedicated = new int[count];
        var shared = new int[count];
        var memory = new long[count];
        var vmCount = new int[count];
        var groups = new HashSet<(string Group, int Node)>();
        for (int i = 0; i < vms.Count; i++)
        {
            int n = nodeOf[i];
            if (n < 0)
            {
                continue;
            }

            if (n >= count)
            {
                breaches.Add($"{who}: {vms[i].Name} on node {n} of {count}");
                continue;
            }

            VmSpec vm = vms[i];
            int threads = request.Nodes[n].Host.ThreadsPerCore;
            if (vm.IsDedicated)
            {
                dedicated[n] += vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + threads - 1) / threads * threads : vm.Vcpus;
            }
            else
            {
                shared[n] += vm.Vcpus;
            }

            memory[n] += vm.MemoryMiB ?? 0;
            vmCount[n]++;
            if (vm.Group is { } group && !groups.Add((group, n)))
            {
                breaches.Add($"{who}: two members of group '{group}' on {request.Nodes[n].Name}");
            }
        }

        for (int n = 0; n < count; n++)
        {
            ClusterNode node = request.Nodes[n];
            Baselines.Capacity c = Baselines.Capacity.Of(node);
            int pool = shared[n] == 0 ? 0 : (int)Math.Ceiling(shared[n] / c.VcpusPerPoolCpu);
            if (dedicated[n] + pool > c.Cpus)
            {
                breaches.Add($"{who}: {node.Name} over its CPUs: {dedicated[n]} dedicated + {pool} for the pool > {c.Cpus} usable");
            }

            if (memory[n] > c.MemoryMiB)
            {
                breaches.Add($"{who}: {node.Name} over its memory: {memory[n]} MiB > {c.MemoryMiB} MiB");
            }

            if (vmCountRule && vmCount[n] > 0 && vmCount[n] >= node.Host.OnlineCpuCount)
            {
                breaches.Add($"{who}: {node.Name} runs {vmCount[n]} VMs on {node.Host.OnlineCpuCount} CPUs");
            }
        }

        return breaches;
    }

    /// <summary>Breaches of a whole plan: the decisions as above, the usage it reports, and every node's pinning.</summary>
    public static List<string> Plan(ClusterRequest request, ClusterPlan plan, string who)
    {
        var breaches = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < request.Nodes.Count; n++)
        {
            index[request.Nodes[n].Name] = n;
        }

        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (NodeAssignment a in plan.Assignments)
        {
            int n = index[a.Node.Name];
            foreach (VmSpec vm in a.Vms)
            {
                if (!byName.TryAdd(vm.Name, n))
                {
                    breaches.Add($"{who}: {vm.Name} on two nodes");
                }
            }

            if (a.Usage.CpusUsed > a.Usage.CpusTotal || a.Usage.MemoryMiBUsed > a.Usage.MemoryMiBTotal)
            {
                breaches.Add($"{who}: {a.Node.Name} reports usage over its totals ({a.Usage})");
            }

            if (a.Vms.Count > 0)
            {
                breaches.AddRange(Pinning(a, who));
            }
        }

        foreach (Unplaced u in plan.Unplaced)
        {
            if (byName.ContainsKey(u.Vm.Name))
            {
                breaches.Add($"{who}: {u.Vm.Name} both placed and unplaced");
            }
        }

        int missing = request.Declaration.Vms.Count - byName.Count - plan.Unplaced.Count;
        if (missing != 0)
        {
            breaches.Add($"{who}: {missing} VMs neither placed nor unplaced");
        }

        int[] nodeOf = [.. request.Declaration.Vms.Select(v => byName.GetValueOrDefault(v.Name, -1))];
        breaches.AddRange(Assignment(request, nodeOf, who));
        return breaches;
    }

    // The node's own plan: one per node with VMs, every VM in it, dedicated sets disjoint and inside the cpuset.
    private static IEnumerable<string> Pinning(NodeAssignment a, string who)
    {
        if (a.Plan is not { } plan)
        {
            yield return $"{who}: {a.Node.Name} runs {a.Vms.Count} VMs and has no plan";
            yield break;
        }

        if (plan.Vms.Count != a.Vms.Count)
        {
            yield return $"{who}: {a.Node.Name}'s plan has {plan.Vms.Count} VMs, the assignment {a.Vms.Count}";
        }

        CpuSet allowed = a.Node.Policy.CpuSetOn(a.Node.Host);
        CpuSet taken = CpuSet.Empty;
        foreach (VmPlacement vm in plan.Vms.Where(v => v.Spec.IsDedicated))
        {
            if (!vm.Cpus.IsSubsetOf(allowed))
            {
                yield return $"{who}: {a.Node.Name}: {vm.Name} on {vm.Cpus}, outside the cpuset {allowed}";
            }

            if (!(vm.Cpus & taken).IsEmpty)
            {
                yield return $"{who}: {a.Node.Name}: {vm.Name}'s CPUs {vm.Cpus} also belong to another VM";
            }

            taken |= vm.Cpus;
        }
    }
}
