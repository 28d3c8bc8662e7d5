using KvmConfig.Cluster;
using KvmConfig.Core.Apply;
using KvmConfig.Core.Planning;

namespace KvmConfig.Libvirt.Cluster;

/// <summary>One node's part of <c>cluster status</c>: its reading, its share of the plan, and how its domains stand against it.</summary>
/// <param name="Reading">The node as read (reachable or not).</param>
/// <param name="Assignment">Its share of the cluster plan, when it was read.</param>
/// <param name="Status">Its domains against its share of the plan, as <c>status</c> compares them; null without a libvirt to ask.</param>
/// <param name="Error">Why its domains could not be compared, or null.</param>
public sealed record NodeStatus(NodeReading Reading, NodeAssignment? Assignment, StatusReport? Status, string? Error);

/// <summary><c>kvmconfig cluster status</c> as a library call: every node's domains against its share of the plan.</summary>
public static class ClusterStatus
{
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
