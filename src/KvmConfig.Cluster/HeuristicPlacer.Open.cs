namespace KvmConfig.Cluster;

/// <summary>Starting a placer on nodes that already run VMs (what-if placements).</summary>
internal sealed partial class HeuristicPlacer
{
    /// <summary>
    /// Makes the nodes <paramref name="open"/> names candidates as if VMs had been placed on them by this placer: under
    /// pack they are the nodes in use that VMs are fitted into first.
    /// </summary>
    public void Open(IEnumerable<int> open)
    {
        foreach (int n in open)
        {
            Index(n);
        }
    }
}
