using KvmConfig.Cli.Rendering;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt.Cluster;

namespace KvmConfig.Cli.Infrastructure;

/// <summary>What the <c>cluster</c> commands say about nodes that could not be read.</summary>
internal static class ClusterReadings
{
    /// <summary>
    /// Names each unreachable node with its cause on stderr (KVC080). False when there is one and
    /// <paramref name="skip"/> does not allow going on without it: the command then stops with exit 2.
    /// </summary>
    public static bool ReportUnreachable(IReadOnlyList<NodeReading> readings, bool skip)
    {
        List<NodeReading> unreachable = [.. readings.Where(r => !r.Reachable)];
        foreach (NodeReading node in unreachable)
        {
            FailureRenderer.Write(Rules.NodeUnreachable.Code, $"node {node.Spec.Name} ({node.TopologyFrom}) cannot be read: {node.Error}",
                skip ? [("note", "--skip-unreachable: planning without it")]
                     : [("hint", "bring its libvirt back, fix its uri/sysroot/capabilities, or give --skip-unreachable to plan on the other nodes")]);
        }

        return unreachable.Count == 0 || (skip && unreachable.Count < readings.Count);
    }
}
