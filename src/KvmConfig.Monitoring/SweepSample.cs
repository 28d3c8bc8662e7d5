using KvmConfig.Core.Monitoring;

namespace KvmConfig.Monitoring;

/// <summary>Everything one sweep read: every running domain and the host.</summary>
/// <param name="Domains">One sample per running domain, by name.</param>
/// <param name="Host">The host's counters.</param>
public sealed record SweepSample(IReadOnlyList<DomainSample> Domains, HostSample Host);

/// <summary>The figures between two sweeps.</summary>
/// <param name="Domains">Per domain present in both sweeps (with the same QEMU process), sorted by ready % max, highest first.</param>
/// <param name="Host">The host's figures.</param>
public sealed record SweepFigures(IReadOnlyList<DomainFigures> Domains, HostFigures? Host)
{
    /// <summary>Figures between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static SweepFigures Between(SweepSample before, SweepSample after)
    {
        var previous = before.Domains.ToDictionary(d => d.Domain, StringComparer.Ordinal);
        List<DomainFigures> domains = [.. after.Domains
            .Select(d => previous.TryGetValue(d.Domain, out DomainSample? was) ? DomainFigures.Between(was, d) : null)
            .OfType<DomainFigures>()
            .OrderByDescending(d => d.ReadyPercentMax)
            .ThenBy(d => d.Domain, StringComparer.Ordinal)];
        return new SweepFigures(domains, HostFigures.Between(before.Host, after.Host));
    }
}
