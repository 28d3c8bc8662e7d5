namespace KvmConfig.Config.Semantics;

/// <summary>
/// The seed's resource-needs matrix as profiles. A <c>[profile NAME]</c> section with the same name overrides
/// the keys it sets and keeps the others.
/// </summary>
public static class BuiltInProfiles
{
    /// <summary>Built-in profiles by name: raw values, parsed like any user value.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> All { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal)
        {
            ["database"] = Profile(vcpus: "2", cpuLimit: "1.5", memory: "4G", disk: "500MB/s", network: "1Gbit"),
            ["web"] = Profile(vcpus: "1", cpuLimit: "0.8", memory: "2G", disk: "200MB/s", network: "10Gbit"),
            ["monitoring"] = Profile(vcpus: "1", cpuLimit: "0.2", memory: "1G", disk: "50MB/s", network: "100Mbit"),
        };

    private static Dictionary<string, string> Profile(string vcpus, string cpuLimit, string memory, string disk, string network) => new(StringComparer.Ordinal)
    {
        ["vcpus"] = vcpus,
        ["cpu_limit"] = cpuLimit,
        ["memory"] = memory,
        ["disk_read_bps"] = disk,
        ["disk_write_bps"] = disk,
        ["net_bandwidth"] = network,
    };
}
