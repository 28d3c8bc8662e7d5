using KvmConfig.Core;
using KvmConfig.Core.Topology;

namespace KvmConfig.PlannerBench;

/// <summary>
/// The host's levels as plain values, computed once from a <see cref="HostTopology"/>: what the baseline allocators
/// and the quality measures need (kubelet's <c>CPUDetails</c> plays the same part).
/// </summary>
internal sealed class TopologyView
{
    public TopologyView(HostTopology host)
    {
        Host = host;
        Cores = host.Cores;
        Nodes = [.. host.Nodes.Select(n => n.Cpus)];
        Sockets = [.. host.Packages.Select(host.PackageCpus)];
        ThreadsPerCore = Math.Max(1, host.ThreadsPerCore);
        CoreOfCpu = new CpuSet[host.Online.Last + 1];
        NodeOfCpu = new int[host.Online.Last + 1];
        foreach (CpuSet core in Cores)
        {
            foreach (int cpu in core)
            {
                CoreOfCpu[cpu] = core;
            }
        }

        foreach (NumaNode node in host.Nodes)
        {
            foreach (int cpu in node.Cpus)
            {
                NodeOfCpu[cpu] = node.Id;
            }
        }

        CoresOfNode = [.. Nodes.Select(node => (IReadOnlyList<CpuSet>)[.. Cores.Where(core => core.IsSubsetOf(node))])];
        NodesOfSocket = [.. Sockets.Select(socket => (IReadOnlyList<int>)[.. host.Nodes.Where(n => n.Cpus.IsSubsetOf(socket)).Select(n => n.Id)])];
    }

    public HostTopology Host { get; }

    /// <summary>Physical cores as sets of their threads, ordered by first CPU (index = core number here).</summary>
    public IReadOnlyList<CpuSet> Cores { get; }

    /// <summary>CPUs of each NUMA node, by node id.</summary>
    public IReadOnlyList<CpuSet> Nodes { get; }

    /// <summary>CPUs of each socket, by package id.</summary>
    public IReadOnlyList<CpuSet> Sockets { get; }

    /// <summary>Cores of each node, ordered by first CPU.</summary>
    public IReadOnlyList<IReadOnlyList<CpuSet>> CoresOfNode { get; }

    /// <summary>Node ids of each socket, ascending.</summary>
    public IReadOnlyList<IReadOnlyList<int>> NodesOfSocket { get; }

    public int ThreadsPerCore { get; }

    /// <summary>The core (all its online threads) of each online CPU, indexed by CPU id.</summary>
    public CpuSet[] CoreOfCpu { get; }

    /// <summary>The node of each CPU.</summary>
    public int[] NodeOfCpu { get; }

    /// <summary>Node ids holding any CPU of <paramref name="cpus"/>, ascending.</summary>
    public IReadOnlyList<int> NodesOf(CpuSet cpus) => [.. cpus.Select(cpu => NodeOfCpu[cpu]).Distinct().Order()];

    /// <summary>CPUs of <paramref name="free"/> whose whole core is in <paramref name="free"/>.</summary>
    public CpuSet WholeCores(CpuSet free) => CpuSet.Of(free.Where(cpu => CoreOfCpu[cpu].IsSubsetOf(free)));
}
