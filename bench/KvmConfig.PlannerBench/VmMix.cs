using KvmConfig.Core;
using KvmConfig.Core.Specs;

namespace KvmConfig.PlannerBench;

/// <summary>A VM mix: how many VMs of each vCPU count. Every other attribute is drawn the same way for every mix.</summary>
/// <param name="Name">Short name, used on the command line (<c>--mix</c>) and in the output.</param>
/// <param name="Sizes">vCPU count and how many VMs have it; the counts add up to <see cref="VmMix.Vms"/>.</param>
internal sealed record MixSpec(string Name, IReadOnlyList<(int Vcpus, int Count)> Sizes)
{
    /// <summary>vCPUs over all VMs, shared ones included.</summary>
    public int TotalVcpus => Sizes.Sum(s => s.Vcpus * s.Count);

    /// <summary>The sizes as <c>32 x 1, 24 x 2, ...</c>.</summary>
    public string Describe() => string.Join(", ", Sizes.Select(s => $"{s.Count} x {s.Vcpus}"));
}

/// <summary>
/// Builds the benchmark's declaration in code: the host policy and 80 VMs, all <c>cpus = auto</c>, from a fixed seed.
/// </summary>
/// <remarks>
/// Counts are quotas, not independent draws, so the mix is exact for every seed; the seed decides which VM gets
/// which value (one shuffle per attribute) and the memory per vCPU.
/// <list type="bullet">
/// <item>Sizes: see <see cref="Fit"/>, <see cref="Tight"/> and <see cref="Overload"/>.</item>
/// <item>Pinning: 64 <c>strict</c>, 8 <c>float</c>, 8 <c>cpuspinlock = none</c> (shared pool).</item>
/// <item>SMT: 24 of 80 <c>isolate</c> (30 %), the rest <c>prefer</c> (the value is ignored for shared VMs).</item>
/// <item>Memory: 2 or 4 GiB per vCPU (even odds), clamped to 2..64 GiB; <c>numa = strict</c>, no huge pages.</item>
/// <item>Emulator threads on the reserved CPUs (the policy default), so no VM takes an extra CPU for them.</item>
/// </list>
/// Host policy: the defaults, with <c>reserved = 0,128</c> (core 0, on node 0) and <c>overcommit = 1:3</c>;
/// <c>memory_reserved</c> keeps its 2 GiB default.
/// </remarks>
internal static class VmMix
{
    public const int Vms = 80;

    /// <summary>
    /// The headline mix: the brief's shares (40/30/20/10 %) on sizes that fit the host, with a 16-vCPU tail.
    /// 224 vCPUs, about 85 % of the 254 usable CPUs once the shared VMs leave and isolate rounds up.
    /// </summary>
    public static MixSpec Fit { get; } = new("fit", [(1, 32), (2, 24), (4, 16), (8, 6), (16, 2)]);

    /// <summary>
    /// A fuller host: 246 vCPUs, about 94 % of the usable CPUs once the shared VMs leave and isolate rounds up. Where
    /// packing starts to matter, and where an allocator that keeps every VM on one node may run out of room.
    /// </summary>
    public static MixSpec Tight { get; } = new("tight", [(1, 30), (2, 24), (4, 16), (8, 7), (16, 3)]);

    /// <summary>
    /// The brief's example mix taken literally: 40 % 2 vCPUs, 30 % 4, 20 % 8, 10 % 16. That is 416 vCPUs for 254
    /// usable CPUs, so no allocator can place every VM: it measures the error path and the unplaced count.
    /// </summary>
    public static MixSpec Overload { get; } = new("overload", [(2, 32), (4, 24), (8, 16), (16, 8)]);

    /// <summary>
    /// Sizes as clouds sell them, odd ones included (3, 6 and 12 vCPUs): 218 vCPUs, about 85 % of the usable CPUs.
    /// Power-of-two sizes pack without gaps whatever the allocator; odd sizes are where choosing a node well pays.
    /// </summary>
    public static MixSpec Odd { get; } = new("odd", [(1, 28), (2, 22), (3, 12), (4, 8), (6, 7), (12, 3)]);

    public static HostPolicy Policy { get; } = new()
    {
        Reserved = CpuSet.Of(0, 128),
        Overcommit = new Ratio(1, 3),
    };

    public static Declaration Build(MixSpec mix, int seed)
    {
        if (mix.Sizes.Sum(s => s.Count) != Vms)
        {
            throw new InvalidOperationException($"mix '{mix.Name}' has {mix.Sizes.Sum(s => s.Count)} VMs, not {Vms}");
        }

        return Declare(Draw(mix, new Random(seed), Vms, "vm"));
    }

    /// <summary>A declaration of <paramref name="vms"/> under the benchmark's <see cref="Policy"/>.</summary>
    public static Declaration Declare(IReadOnlyList<VmSpec> vms) =>
        new(Policy, vms, new Dictionary<string, ProfileSpec>(), new CostSpec());

    /// <summary>
    /// <paramref name="count"/> VMs named <c>{prefix}01</c>.. from the mix's quotas: each attribute's quota list (80
    /// entries) is shuffled and its first <paramref name="count"/> entries are used, so a draw of 80 is the mix exactly
    /// and a smaller draw is a sample of it without replacement. <see cref="Build"/> draws 80 with the seed; the churn
    /// step (<see cref="Arrival"/>) draws 16 more with another seed.
    /// </summary>
    public static List<VmSpec> Draw(MixSpec mix, Random random, int count, string prefix)
    {
        int[] sizes = Shuffle(Expand(mix.Sizes), random);
        PinningMode[] pinning = Shuffle(Expand([(PinningMode.Strict, 64), (PinningMode.Float, 8), (PinningMode.None, 8)]), random);
        SmtPolicy[] smt = Shuffle(Expand([(SmtPolicy.Isolate, 24), (SmtPolicy.Prefer, 56)]), random);
        var vms = new List<VmSpec>(count);
        for (int i = 0; i < count; i++)
        {
            long perVcpuGiB = random.Next(2) == 0 ? 2 : 4;
            long memoryGiB = Math.Clamp(sizes[i] * perVcpuGiB, 2, 64);
            vms.Add(new VmSpec
            {
                Name = $"{prefix}{i + 1:D2}",
                Vcpus = sizes[i],
                Cpus = null,
                Pinning = pinning[i],
                Scheduling = Policy.Scheduling,
                Smt = smt[i],
                Emulator = Policy.Emulator,
                Numa = Policy.Numa,
                HugePages = Policy.HugePages,
                MemoryMiB = memoryGiB * 1024,
            });
        }

        return vms;
    }

    /// <summary>Dedicated CPUs a VM takes: its vCPUs, rounded up to whole cores under <c>isolate</c> and <c>require</c>.</summary>
    public static int CpusNeeded(VmSpec vm, int threadsPerCore) =>
        vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + threadsPerCore - 1) / threadsPerCore * threadsPerCore : vm.Vcpus;

    /// <summary>
    /// The order every allocator places dedicated VMs in, the planner's step 3: CPUs needed (descending), memory
    /// (descending), name (ordinal).
    /// </summary>
    public static IReadOnlyList<VmSpec> LargestFirst(IEnumerable<VmSpec> vms, int threadsPerCore) =>
        [.. vms.OrderByDescending(v => CpusNeeded(v, threadsPerCore))
            .ThenByDescending(v => v.MemoryMiB ?? 0)
            .ThenBy(v => v.Name, StringComparer.Ordinal)];

    private static T[] Expand<T>(IEnumerable<(T Value, int Count)> quotas) =>
        [.. quotas.SelectMany(q => Enumerable.Repeat(q.Value, q.Count))];

    // Fisher-Yates with the benchmark's Random, so that one seed always gives the same declaration.
    private static T[] Shuffle<T>(T[] items, Random random)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }
}
