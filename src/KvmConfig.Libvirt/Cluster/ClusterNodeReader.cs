using KvmConfig.Cluster;
using KvmConfig.Core;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Libvirt.Capabilities;
using KvmConfig.Linux;

namespace KvmConfig.Libvirt.Cluster;

/// <summary>A domain of a node, as <c>virsh list --all</c> shows it, with what it asks of the node.</summary>
/// <param name="Name">Domain name.</param>
/// <param name="State">Its state in virsh's words.</param>
/// <param name="Vcpus">vCPUs of its persistent definition.</param>
/// <param name="MemoryMiB">Memory of its persistent definition.</param>
/// <param name="Pins">Its definition's vCPU pins; null when a vCPU is not pinned.</param>
public sealed record NodeDomain(string Name, string State, int Vcpus, long MemoryMiB, IReadOnlyList<CpuSet>? Pins)
{
    /// <summary>True when it runs (or is paused: it holds its CPUs and memory).</summary>
    public bool Active => State is "running" or "paused" or "idle" or "in shutdown";
}

/// <summary>One node as read: the placement's view of it, its domains, or why it could not be read.</summary>
/// <param name="Spec">The node's section.</param>
/// <param name="Node">The node for the placement; null when it could not be read.</param>
/// <param name="Domains">Its libvirt domains (none when it has no <c>uri</c>, or could not be reached).</param>
/// <param name="Error">Why it could not be read, or null.</param>
/// <param name="TopologyFrom">Where its topology came from (a capabilities file, a sysroot, its libvirt).</param>
public sealed record NodeReading(NodeSpec Spec, ClusterNode? Node, IReadOnlyList<NodeDomain> Domains, string? Error, string TopologyFrom)
{
    /// <summary>True when the node was read.</summary>
    public bool Reachable => Error is null;
}

/// <summary>
/// Reads every <c>[node]</c> of a cluster, in parallel: its topology from its captured capabilities XML, else its
/// captured sysfs tree, else its libvirt's capabilities; its domains from its libvirt when it has a <c>uri</c>
/// (read-only). libvirt's test driver (<c>test:///file.xml</c>) reports no NUMA cells, so such a node takes its
/// shape from <c>sysroot</c> or <c>capabilities</c> and its domains from the URI.
/// </summary>
public static class ClusterNodeReader
{
    /// <summary>
    /// Reads <paramref name="nodes"/>, at most <paramref name="concurrency"/> at once, each within
    /// <paramref name="timeout"/> (a node that does not answer in time is unreachable, named with the cause).
    /// <paramref name="declared"/> names the declared VMs: a domain of that name that is pinned becomes an incumbent
    /// the node's planner keeps.
    /// </summary>
    public static IReadOnlyList<NodeReading> ReadAll(IReadOnlyList<NodeSpec> nodes, IReadOnlySet<string> declared, int concurrency, TimeSpan timeout, IProgress<string>? progress = null)
    {
        var readings = new NodeReading[nodes.Count];
        using var slots = new SemaphoreSlim(Math.Max(1, concurrency));
        int done = 0;
        Task[] tasks = [.. nodes.Select((spec, i) => Task.Run(async () =>
        {
            await slots.WaitAsync().ConfigureAwait(false);
            try
            {
                Task<NodeReading> read = Task.Run(() => Read(spec, declared));
                readings[i] = await Task.WhenAny(read, Task.Delay(timeout)).ConfigureAwait(false) == read
                    ? await read.ConfigureAwait(false)
                    : new NodeReading(spec, null, [], $"no answer within {timeout.TotalSeconds:0.#} s", Where(spec));
            }
            finally
            {
                slots.Release();
                progress?.Report($"read {Interlocked.Increment(ref done)} of {nodes.Count} nodes");
            }
        }))];
        Task.WaitAll(tasks);
        return readings;
    }

    /// <summary>Reads one node; every failure becomes the reading's error, never an exception.</summary>
    public static NodeReading Read(NodeSpec spec, IReadOnlySet<string> declared)
    {
        try
        {
            using LibvirtConnection? connection = spec.Uri is { } uri ? LibvirtConnection.Open(uri, readOnly: true) : null;
            HostTopology host = spec.Capabilities is { } file ? CapabilitiesReader.Parse(File.ReadAllText(file), source: file)
                : spec.Sysroot is { } root ? SysfsTopologyReader.ForSysroot(root).Read()
                : LibvirtHost.Read(connection!);
            IReadOnlyList<NodeDomain> domains = connection is null ? [] : Domains(connection);
            var running = domains
                .Where(d => declared.Contains(d.Name))
                .ToDictionary(d => d.Name, d => d.Pins is { } pins ? new Incumbent(d.Name, pins, $"its libvirt definition on {spec.Name}") : null, StringComparer.Ordinal);
            var node = new ClusterNode(spec.Name, spec.Rack, host, spec.Policy) { Running = running };
            return new NodeReading(spec, node, domains, null, Where(spec));
        }
        catch (Exception e) when (e is LibvirtException or KvmConfigException or IOException or UnauthorizedAccessException)
        {
            return new NodeReading(spec, null, [], e.Message, Where(spec));
        }
    }

    private static string Where(NodeSpec spec) =>
        spec.Capabilities is { } file ? $"capabilities {file}" : spec.Sysroot is { } root ? $"sysroot {root}" : $"libvirt {spec.Uri}";

    private static List<NodeDomain> Domains(LibvirtConnection connection)
    {
        var domains = new List<NodeDomain>();
        IReadOnlyList<LibvirtDomain> all = connection.ListAllDomains();
        try
        {
            foreach (LibvirtDomain domain in all)
            {
                try
                {
                    DomainTuning tuning = DomainXml.ReadTuning(domain.Xml(inactive: true));
                    IReadOnlyList<CpuSet> pins = tuning.VcpuPins;
                    domains.Add(new NodeDomain(
                        domain.Name,
                        Apply.DomainStatus.StateName(domain.State),
                        domain.VcpuCount(DomainImpact.Config),
                        domain.MemoryKiB / 1024,
                        pins.Count == 0 || pins.Any(p => p.IsEmpty) ? null : pins));
                }
                catch (LibvirtException e) when (e.Code == LibvirtException.NoDomain)
                {
                    // Undefined between the listing and the reading: gone.
                }
            }
        }
        finally
        {
            foreach (LibvirtDomain domain in all)
            {
                domain.Dispose();
            }
        }

        return [.. domains.OrderBy(d => d.Name, StringComparer.Ordinal)];
    }
}
