using KvmConfig.Cluster;

namespace KvmConfig.ClusterBench;

internal static class Dump
{
    public static void Instance(int number, int seed)
    {
        SmallInstance inst = SmallInstances.Build(number, seed);
        foreach (var v in inst.Request.Declaration.Vms)
        {
            Console.WriteLine($"{v.Name} {v.Vcpus} {(v.IsDedicated ? "ded" : "shr")} {v.MemoryMiB / 1024}G {v.Group}");
        }

        foreach (ClusterPlan p in new[] { ClusterPlanner.Plan(inst.Request), ClusterPlanner.PlanExact(inst.Request, TimeSpan.FromSeconds(2)) })
        {
            Console.WriteLine($"-- {p.Solver} nodes {p.NodesUsed} unplaced {p.Unplaced.Count} {string.Join(",", p.Unplaced.Select(u => u.Vm.Name + ":" + u.Rule + ":" + u.Reason))}");
            foreach (var a in p.Assignments.Where(a => a.Vms.Count > 0))
            {
                Console.WriteLine($"{a.Node.Name} cpu {a.Usage.CpusUsed}/{a.Usage.CpusTotal} mem {a.Usage.MemoryMiBUsed / 1024}/{a.Usage.MemoryMiBTotal / 1024} : {string.Join(" ", a.Vms.Select(v => $"{v.Name}({v.Vcpus}{(v.IsDedicated ? "d" : "s")},{v.MemoryMiB / 1024}{(v.Group is null ? "" : "," + v.Group)})"))}");
            }
        }
    }
}
