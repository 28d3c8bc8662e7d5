using System.Collections.Concurrent;
using KvmConfig.Core.Topology;
using KvmConfig.Linux;

namespace KvmConfig.TestSupport;

/// <summary>The captured machines of <c>tests/data/sysfs/</c>, each read once per test run and shared.</summary>
public static class Captures
{
    private static readonly ConcurrentDictionary<string, HostTopology> Hosts = new(StringComparer.Ordinal);

    /// <summary>The topology of capture <paramref name="machine"/> (e.g. <c>xeon-2s-4numa-snc-80cpu</c>).</summary>
    public static HostTopology Host(string machine) =>
        Hosts.GetOrAdd(machine, m => new SysfsTopologyReader(TestData.SysfsRoot(m)).Read());
}
