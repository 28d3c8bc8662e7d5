using KvmConfig.Cluster;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;

namespace KvmConfig.Libvirt.Cluster;

/// <summary>One node's part of <c>cluster status</c>: its reading, its share of the plan, and how its domains stand against it.</summary>
/// <param name="Reading">The node as read (reachable or not).</param>
/// <param name="Assignment">Its share of the cluster plan, when it was read.</param>
/// <param name="Status">Its domains against its share of the plan, as <c>status</c> compares them; null without a libvirt to ask.</param>
/// <param name="Error">Why its domains could not be compared, or null.</param>
public sealed record NodeStatus(NodeReading Reading, NodeAssignment? Assignment, StatusReport? Status, string? Error);

/// <summary>A declared VM whose domain is defined on another node than the plan's.</summary>
/// <param name="Vm">The VM.</param>
/// <param name="On">The node its domain is defined on.</param>
/// <param name="Planned">The node the plan puts it on.</param>
public sealed record Misplaced(string Vm, string On, string Planned);

/// <summary>What <c>cluster status</c> shows: every node as read and compared, the plan it was compared with, and the VMs on the wrong node.</summary>
/// <param name="Nodes">Every node, in inventory order.</param>
/// <param name="Plan">The cluster plan of the nodes that could be read, keeping VMs where they run.</param>
/// <param name="Misplaced">Declared VMs defined on another node than the plan's.</param>
/// <param name="Declared">The declared VMs' names.</param>
public sealed record ClusterStatusReport(IReadOnlyList<NodeStatus> Nodes, ClusterPlan Plan, IReadOnlyList<Misplaced> Misplaced, IReadOnlySet<string> Declared)
{
    /// <summary>True when every node was read and its domains compared.</summary>
    public bool AllRead => Nodes.All(n => n.Reading.Reachable && n.Error is null);

    /// <summary>True when every declared VM is in sync on its planned node: none on the wrong node, none that fits nowhere.</summary>
    public bool InSync => Misplaced.Count == 0 && Plan.Unplaced.Count == 0 && Nodes.All(n => n.Status is not { InSync: false });
}

/// <summary><c>kvmconfig cluster status</c> as a library call: every node's domains against its share of the plan.</summary>
public static class ClusterStatus
{
    /// <summary>
    /// Plans <paramref name="declaration"/> on the nodes of <paramref name="readings"/> that could be read (keeping
    /// VMs where they run), compares each node's domains with its share (see <see cref="Observe"/>), and finds the
    /// declared VMs defined on another node than the plan's.
    /// </summary>
    public static ClusterStatusReport Run(IReadOnlyList<NodeReading> readings, Declaration declaration, int concurrency, TimeSpan timeout)
    {
        ClusterPlan plan = ClusterPlanning.Plan(readings, declaration);
        IReadOnlyList<NodeStatus> nodes = Observe(readings, plan, concurrency, timeout);
        Dictionary<string, string> plannedOn = plan.Assignments.SelectMany(a => a.Vms.Select(v => (v.Name, a.Node.Name))).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
        List<Misplaced> misplaced = [.. readings.SelectMany(r => r.Domains
            .Where(d => plannedOn.TryGetValue(d.Name, out string? on) && on != r.Spec.Name)
            .Select(d => new Misplaced(d.Name, r.Spec.Name, plannedOn[d.Name])))];
        return new ClusterStatusReport(nodes, plan, misplaced, declaration.Vms.Select(v => v.Name).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// Compares each reachable node with a <c>uri</c> against its share of <paramref name="plan"/> (read-only calls
    /// only), at most <paramref name="concurrency"/> nodes at once, each within <paramref name="timeout"/>.
    /// </summary>
    public static IReadOnlyList<NodeStatus> Observe(IReadOnlyList<NodeReading> readings, ClusterPlan plan, int concurrency, TimeSpan timeout)
    {
        var statuses = new NodeStatus[readings.Count];
        Parallel.For(0, readings.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency) }, i =>
        {
            NodeReading reading = readings[i];
            NodeAssignment? assignment = plan.Assignments.FirstOrDefault(a => a.Node.Name == reading.Spec.Name);
            if (!reading.Reachable || reading.Spec.Uri is not { } uri || assignment is null)
            {
                statuses[i] = new NodeStatus(reading, assignment, null, null);
                return;
            }

            // A node that answered when it was read may hang now: the comparison gets the same time as the reading.
            Task<NodeStatus> compare = Task.Run(() => Compare(reading, assignment, uri));
            statuses[i] = compare.Wait(timeout)
                ? compare.Result
                : new NodeStatus(reading, assignment, null, $"no answer within {timeout.TotalSeconds:0.#} s while its domains were compared");
        });
        return statuses;
    }

    private static NodeStatus Compare(NodeReading reading, NodeAssignment assignment, string uri)
    {
        try
        {
            using LibvirtConnection connection = LibvirtConnection.Open(uri, readOnly: true);
            return new NodeStatus(reading, assignment, Apply.DomainStatus.Observe(connection, assignment.Plan ?? EmptyPlan), null);
        }
        catch (LibvirtException e)
        {
            return new NodeStatus(reading, assignment, null, e.Message);
        }
    }

    private static readonly Plan EmptyPlan = new()
    {
        Vms = [],
        Reserved = Core.CpuSet.Empty,
        SharedPool = Core.CpuSet.Empty,
        Free = Core.CpuSet.Empty,
        TypicalVmCpus = 1,
        Fragmentation = [],
    };
}
