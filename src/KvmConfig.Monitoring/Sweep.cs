using KvmConfig.Core.Monitoring;
using KvmConfig.Libvirt;
using KvmConfig.Linux.Procfs;

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

/// <summary>
/// One sweep of the local host: the running domains from libvirt (names and memory sizes only), their vCPU threads and
/// RSS from <c>/proc</c> through <see cref="LocalSampler"/>, and the host's counters.
/// </summary>
public sealed class LocalSweeper(LibvirtConnection connection, LocalSampler sampler, ProcfsReader procfs)
{
    /// <summary>Reads every running domain and the host once.</summary>
    public SweepSample Sweep()
    {
        var domains = new List<DomainSample>();
        foreach (LibvirtDomain domain in connection.ListAllDomains())
        {
            using (domain)
            {
                if (domain.IsActive && sampler.Sample(domain.Name, domain.MemoryKiB) is { } sample)
                {
                    domains.Add(sample);
                }
            }
        }

        var pressure = new Dictionary<PressureResource, PressureStall>();
        foreach (PressureResource resource in Enum.GetValues<PressureResource>())
        {
            if (procfs.ReadPressure(resource) is { } stall)
            {
                pressure[resource] = stall;
            }
        }

        var host = new HostSample(LocalSampler.NowNs(), procfs.ReadTcpSegments(), procfs.ReadPageReclaim(), pressure);
        return new SweepSample(domains, host);
    }
}
