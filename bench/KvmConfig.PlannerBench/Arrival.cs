using KvmConfig.Core;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.PlannerBench;

/// <summary>One thing that happens to a running host: a VM arrives (is placed onto it) or a VM leaves.</summary>
internal sealed record HostEvent(VmSpec? Arrives, string? Leaves);

/// <summary>A sequence of events on one host, and the VMs it is asked to hold at the end.</summary>
/// <param name="Name">Short name in the output: <c>arrival</c> or <c>churn</c>.</param>
/// <param name="Title">What the table's first header cell says about the scenario.</param>
/// <param name="Events">In order.</param>
/// <param name="Final">The VMs still wanted at the end (arrived and not left), placed or not, under the benchmark's
/// policy: what the quality measures count against (not placed, the typical VM size for fragmentation), the same for
/// every allocator.</param>
internal sealed record Scenario(string Name, string Title, IReadOnlyList<HostEvent> Events, Declaration Final)
{
    public int Arrivals => Events.Count(e => e.Arrives is not null);
}

/// <summary>
/// The arrival and churn modes: VMs added to a running host one at a time, in the mix's shuffled (seeded) declaration
/// order, never sorted; each allocator sees only what is already on the host and the one VM arriving.
/// </summary>
/// <remarks>
/// <para><b>kvmconfig</b>: VM <c>i</c> is planned by <see cref="HostPlanner.PlanAround"/> on a declaration holding every
/// VM already on the host, each kept where it landed (its placement passed as kept), plus VM <c>i</c>. Before issue
/// 14 the bench planned VM <c>i</c> by <see cref="HostPlanner.Plan(HostTopology, Declaration)"/> with every earlier VM pinned as an explicit list
/// (below), re-placing all of them on every arrival; that mode is still run once per sequence as a cross-check. When the plan fails, VM
/// <c>i</c> is counted as not placed and dropped; the host keeps the others as they were. (The plan can only fail
/// because of VM <c>i</c>: without it the same declaration was planned in the step before. It may be VM <c>i</c>
/// itself that does not fit, or the shared pool that no longer holds the shared VMs within <c>overcommit</c> once VM
/// <c>i</c> takes its CPUs: both refuse VM <c>i</c>.)</para>
/// <para>How an earlier VM is pinned (<see cref="Pinned"/>), from what step 2 of the planner (<c>PlaceExplicit</c>)
/// does with an explicit list: it takes <c>cpus</c> as written (refusing only CPUs that are not free), and under
/// <c>smt = isolate</c> it also takes the free sibling threads of those CPUs' cores as idle siblings. So the pinned
/// spec is the original with <c>Cpus = placement.Cpus</c> (the CPUs its vCPUs run on), every other field kept:
/// vCPU count, pinning mode (strict keeps one CPU per vCPU, float the whole set), <c>smt</c>, memory, emulator. The
/// idle siblings come back through <c>smt = isolate</c>, not by listing them: listing them in <c>cpus</c> would
/// make a strict VM pin vCPUs onto them and change its <c>CpuDemand</c>, and with it the typical VM size the planner
/// uses for fragmentation. <c>smt = require</c> (not in the mixes) is pinned as <c>isolate</c>: the same cores
/// and idle siblings, whether or not step 2 reads <c>require</c> that way itself. Emulator threads: every mix keeps them on the reserved CPUs, which
/// step 7 gives back from the VM's nodes as before; <c>emulator = isolate</c> on an idle sibling would also come
/// back, but on a CPU of its own it would not (step 2 does not know it), so <see cref="Pinned"/> refuses that case
/// rather than measure a host that lost a CPU reservation. Memory comes back on the nodes of the CPUs, split in
/// proportion to them. The harness checks, step by step, that every earlier VM keeps its CPUs, idle siblings and
/// emulator CPUs exactly (<see cref="RunKvmconfig"/> with a breach list).</para>
/// <para><b>Baselines</b>: the same events; an arriving dedicated VM takes what the allocator returns from the free
/// CPUs, a leaving one gives its CPUs back. Shared VMs follow the batch rule one VM at a time: a shared VM is admitted
/// while the shared vCPUs stay within <c>overcommit</c> times the free CPUs, and a dedicated VM is refused when taking
/// its CPUs would push the shared VMs already admitted over that bound (as kvmconfig's plan would fail then). Memory
/// is not consulted, as in batch mode.</para>
/// </remarks>
internal static class Arrival
{
    /// <summary>VMs removed and added by the churn step.</summary>
    public const int ChurnEvery = 5;

    public const int ChurnArrivals = 16;

    /// <summary>The 80 VMs of the declaration arriving one by one in declaration order (the mix's seeded shuffle).</summary>
    public static Scenario Arrivals(MixSpec mix, Declaration declaration) =>
        new("arrival", $"mix `{mix.Name}`, {declaration.Vms.Count} VMs arriving one at a time, unsorted",
            [.. declaration.Vms.Select(v => new HostEvent(v, null))], declaration);

    /// <summary>
    /// The arrivals, then every <see cref="ChurnEvery"/>th VM of the arrival order leaves (vm05, vm10, .. vm80, placed
    /// or not), then <see cref="ChurnArrivals"/> new VMs (new01..new16) arrive one by one, drawn from the mix's quotas
    /// with <c>seed + 1</c> (<see cref="VmMix.Draw"/>).
    /// </summary>
    public static Scenario Churn(MixSpec mix, Declaration declaration, int seed)
    {
        List<VmSpec> leaving = [.. declaration.Vms.Where((_, i) => i % ChurnEvery == ChurnEvery - 1)];
        List<VmSpec> newcomers = VmMix.Draw(mix, new Random(seed + 1), ChurnArrivals, "new");
        var leftNames = leaving.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        List<HostEvent> events =
        [
            .. declaration.Vms.Select(v => new HostEvent(v, null)),
            .. leaving.Select(v => new HostEvent(null, v.Name)),
            .. newcomers.Select(v => new HostEvent(v, null)),
        ];
        return new("churn", $"mix `{mix.Name}`, {declaration.Vms.Count} arrivals, every {ChurnEvery}th leaves, {ChurnArrivals} more arrive",
            events, VmMix.Declare([.. declaration.Vms.Where(v => !leftNames.Contains(v.Name)), .. newcomers]));
    }

    /// <summary>
    /// Runs the scenario through <see cref="HostPlanner.PlanAround"/>, one plan per arrival, the VMs on the host kept as
    /// they landed (or, with <paramref name="pinAsLists"/>, through <see cref="HostPlanner.Plan(HostTopology, Declaration)"/> with each earlier VM
    /// pinned as an explicit list, as before issue 14: the reference the kept mode is compared with). <paramref name="placed"/>
    /// receives the placements on the host at the end. With <paramref name="breaches"/>,
    /// also checks after every plan that each earlier dedicated VM kept its CPUs, idle siblings and emulator CPUs; with
    /// <paramref name="refusals"/>, collects the planner's first error for every VM it could not place.
    /// </summary>
    public static Outcome RunKvmconfig(TopologyView topology, Scenario scenario, List<string>? breaches = null, List<(string Constraint, string Text)>? refusals = null, bool pinAsLists = false, List<VmPlacement>? placed = null)
    {
        HostTopology host = topology.Host;
        var onHost = new List<(VmSpec Spec, VmPlacement Placement)>();
        var unplaced = new List<string>();
        foreach (HostEvent e in scenario.Events)
        {
            if (e.Leaves is { } leaving)
            {
                onHost.RemoveAll(p => p.Spec.Name == leaving);
                unplaced.Remove(leaving);
                continue;
            }

            VmSpec vm = e.Arrives!;
            var vms = new List<VmSpec>(onHost.Count + 1);
            var kept = new List<VmPlacement>(onHost.Count);
            foreach ((VmSpec spec, VmPlacement placement) in onHost)
            {
                vms.Add(spec);
                kept.Add(placement);
            }

            vms.Add(vm);
            var declaration = new Declaration(scenario.Final.Host, vms, scenario.Final.Profiles, scenario.Final.Cost);
            PlanResult result = pinAsLists
                ? HostPlanner.Plan(host, declaration with { Vms = [.. onHost.Select(p => Pinned(host, p.Spec, p.Placement)), vm] })
                : HostPlanner.PlanAround(host, declaration, kept);
            if (result.Plan is not { } plan)
            {
                // A pinned VM refused means its explicit list did not reproduce its placement: a flaw of this model,
                // not a refusal of the newcomer. (Shared VMs are not pinned: an overcommit or memory error on one of
                // them is the newcomer pushing the pool too far.)
                if (breaches is not null)
                {
                    foreach (PlanError error in result.Errors.Where(err => onHost.Any(p => p.Spec.IsDedicated && p.Spec.Name == err.Vm)))
                    {
                        breaches.Add($"kvmconfig ({scenario.Name}): pinned {error.Vm} refused when {vm.Name} arrived: {error.Constraint}: {error.Message}");
                    }
                }

                unplaced.Add(vm.Name);
                if (refusals is not null)
                {
                    PlanError first = result.Errors[0];
                    refusals.Add((first.Constraint, $"{vm.Name} ({vm.Vcpus} vCPUs, {vm.Pinning.ToString().ToLowerInvariant()}, smt {vm.Smt.ToString().ToLowerInvariant()}, {(vm.MemoryMiB ?? 0) / 1024} GiB): " +
                        $"{first.Constraint}: {first.Message}{(first.Vm == vm.Name ? "" : $" (error on {first.Vm})")}"));
                }

                continue;
            }

            if (breaches is not null)
            {
                foreach ((VmSpec spec, VmPlacement before) in onHost.Where(p => p.Spec.IsDedicated))
                {
                    VmPlacement now = plan.Vm(spec.Name)!;
                    if (now.Cpus != before.Cpus || now.IdleSiblings != before.IdleSiblings || now.EmulatorCpus != before.EmulatorCpus)
                    {
                        breaches.Add($"kvmconfig ({scenario.Name}): {spec.Name} moved when {vm.Name} arrived: cpus {before.Cpus} -> {now.Cpus}, " +
                            $"idle {before.IdleSiblings} -> {now.IdleSiblings}, emulator {before.EmulatorCpus} -> {now.EmulatorCpus}");
                    }
                }
            }

            onHost.Add((vm, plan.Vm(vm.Name)!));
        }

        placed?.AddRange(onHost.Select(p => p.Placement));
        CpuSet usable = scenario.Final.Host.CpuSetOn(host) & host.Online;
        return new Outcome(
            "kvmconfig",
            [.. onHost.Where(p => p.Spec.IsDedicated).Select(p => (p.Spec, p.Placement.Cpus | p.Placement.IdleSiblings))],
            [.. onHost.Where(p => !p.Spec.IsDedicated).Select(p => p.Spec)],
            unplaced,
            usable,
            HasPlacements: true);
    }

    /// <summary>An earlier VM as an explicit <c>cpus</c> list that the planner's step 2 gives back unchanged (see remarks).</summary>
    public static VmSpec Pinned(HostTopology host, VmSpec spec, VmPlacement placement)
    {
        if (!spec.IsDedicated)
        {
            return spec;
        }

        if (spec.Emulator == EmulatorPlacement.Isolate && !placement.EmulatorCpus.IsSubsetOf(Cores(host, placement.Cpus) - placement.Cpus))
        {
            throw new NotSupportedException($"{spec.Name}: emulator = isolate on CPU {placement.EmulatorCpus}, outside its own cores: an explicit cpus list cannot keep that CPU reserved");
        }

        return spec with { Cpus = placement.Cpus, Smt = spec.Smt == SmtPolicy.Require ? SmtPolicy.Isolate : spec.Smt };
    }

    /// <summary>The scenario through a baseline allocator (see remarks).</summary>
    public static Outcome RunBaseline(string name, Baselines.Allocator allocator, TopologyView topology, Scenario scenario)
    {
        HostPolicy policy = scenario.Final.Host;
        double perCpu = policy.Overcommit.VcpusPerCpu;
        CpuSet usable = policy.CpuSetOn(topology.Host) & topology.Host.Online;
        CpuSet free = usable;
        var dedicated = new List<(VmSpec Vm, CpuSet Owned)>();
        var shared = new List<VmSpec>();
        int sharedVcpus = 0;
        var unplaced = new List<string>();
        foreach (HostEvent e in scenario.Events)
        {
            if (e.Leaves is { } leaving)
            {
                int d = dedicated.FindIndex(p => p.Vm.Name == leaving);
                if (d >= 0)
                {
                    free |= dedicated[d].Owned;
                    dedicated.RemoveAt(d);
                }

                int s = shared.FindIndex(v => v.Name == leaving);
                if (s >= 0)
                {
                    sharedVcpus -= shared[s].Vcpus;
                    shared.RemoveAt(s);
                }

                unplaced.Remove(leaving);
                continue;
            }

            VmSpec vm = e.Arrives!;
            if (!vm.IsDedicated)
            {
                if (sharedVcpus + vm.Vcpus <= free.Count * perCpu)
                {
                    shared.Add(vm);
                    sharedVcpus += vm.Vcpus;
                }
                else
                {
                    unplaced.Add(vm.Name);
                }
            }
            else if (allocator(topology, free, VmMix.CpusNeeded(vm, topology.ThreadsPerCore)) is { } cpus
                     && sharedVcpus <= (free.Count - cpus.Count) * perCpu)
            {
                dedicated.Add((vm, cpus));
                free -= cpus;
            }
            else
            {
                unplaced.Add(vm.Name);
            }
        }

        return new Outcome(name, dedicated, shared, unplaced, usable, HasPlacements: true);
    }

    private static CpuSet Cores(HostTopology host, CpuSet cpus) =>
        cpus.Aggregate(CpuSet.Empty, (all, cpu) => all | host.CoreOf(cpu));
}
