using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using Xunit.Sdk;

namespace KvmConfig.Core.Tests;

/// <summary>
/// Properties of every plan, over random machines (1-2 sockets, 1-4 nodes per socket, 2-16 cores per node, SMT 1
/// or 2, random memory, sometimes huge pages, a memory-only node, offline CPUs) and random declarations (explicit,
/// auto and shared VMs, every SMT, pinning, emulator and memory policy). The seeds are fixed: a failure prints the
/// case seed, the machine and the declaration, and <c>NewCase(seed)</c> rebuilds them.
/// </summary>
public sealed partial class PlannerTests
{
    private const int PlannerMasterSeed = 20_250_803;
    private const int PlannerCases = 400;

    /// <summary>One random case: the machine (its shape, or the captured tree's name), the declaration, and its seed.</summary>
    private sealed record RandomCase(int Seed, string Machine, HostTopology Host, Declaration Declaration)
    {
        public override string ToString() => $"case seed {Seed}\nmachine: {Machine}\n{Describe(Declaration)}";
    }

    [Fact]
    public void Every_plan_keeps_the_planners_promises()
    {
        int planned = 0, refused = 0, split = 0;
        ForAllPlans(PlannerMasterSeed, (sample, result) =>
        {
            if (result.Plan is not { } plan)
            {
                refused++;
                CheckErrors(sample, result);
                return;
            }

            planned++;
            split += plan.Vms.Count(v => v.Cells.Count > 1);
            CheckOwnership(sample, plan);
            CheckPins(plan);
            CheckSmt(sample.Host, plan);
            CheckSharedPool(sample, plan);
            CheckTurns(sample, plan);
            CheckMemory(plan);
        });

        // The generator must exercise both outcomes and the split path, or the properties prove little.
        Assert.True(planned >= PlannerCases / 2, $"only {planned} of {PlannerCases} random declarations were planned");
        Assert.True(refused > 0, "no random declaration was refused");
        Assert.True(split > 0, "no random VM was split over nodes");
    }

    [Fact]
    public void The_same_input_gives_the_same_plan() => ForAllPlans(PlannerMasterSeed + 1, (sample, result) =>
    {
        PlanResult again = HostPlanner.Plan(sample.Host, sample.Declaration);

        Assert.Equal(result.Ok, again.Ok);
        if (result.Plan is { } plan)
        {
            Assert.Equal(Render(plan), Render(again.Plan!));
        }
        else
        {
            Assert.Equal(Describe(result.Errors), Describe(again.Errors));
        }
    });

    // A refusal is never partial: no plan, and each error names a declared VM and lists every node.
    private static void CheckErrors(RandomCase sample, PlanResult result)
    {
        Assert.NotEmpty(result.Errors);
        foreach (PlanError error in result.Errors)
        {
            Assert.Contains(sample.Declaration.Vms, v => v.Name == error.Vm);
            Assert.Contains(error.Constraint, (string[])["cpus", "whole-cores", "memory", "hugepages", "overcommit", "explicit-cpus", "split"]);
            Assert.Equal(sample.Host.Nodes.Select(n => n.Id), error.Free.Select(f => f.Node));
        }
    }

    // No CPU owned twice; dedicated CPUs inside the usable cpuset and outside reserved.
    private static void CheckOwnership(RandomCase sample, Plan plan)
    {
        HostPolicy policy = sample.Declaration.Host;
        CpuSet usable = policy.CpuSetOn(sample.Host) & sample.Host.Online;
        CpuSet reserved = policy.ReservedOn(sample.Host);
        Assert.Equal(reserved, plan.Reserved);

        CpuSet owned = CpuSet.Empty;
        foreach (VmPlacement vm in plan.Vms.Where(v => v.Spec.IsDedicated))
        {
            CpuSet mine = Owned(vm);
            Assert.True(mine.IsSubsetOf(usable), $"{vm.Name} owns {mine - usable} outside the usable cpuset {usable}");
            Assert.False(mine.Overlaps(reserved), $"{vm.Name} owns reserved CPUs {mine & reserved}");
            Assert.False(mine.Overlaps(owned), $"{vm.Name} owns {mine & owned}, which another VM owns already");
            owned |= mine;
        }

        Assert.False(plan.SharedPool.Overlaps(owned), $"the shared pool {plan.SharedPool} holds dedicated CPUs {plan.SharedPool & owned}");
        Assert.True(plan.SharedPool.IsSubsetOf(usable), $"the shared pool {plan.SharedPool} leaves the cpuset");
    }

    // vcpus honoured; strict = one distinct CPU per vCPU of the VM's set, float = the set, shared = the pool.
    private static void CheckPins(Plan plan)
    {
        foreach (VmPlacement vm in plan.Vms)
        {
            Assert.True(vm.VcpuPins.Count == vm.Spec.Vcpus, $"{vm.Name}: {vm.VcpuPins.Count} pins for {vm.Spec.Vcpus} vCPUs");
            Assert.Equal(Enumerable.Range(0, vm.Spec.Vcpus), vm.Cells.SelectMany(c => c.Vcpus));
            if (vm.Spec.MemoryMiB is { } memory)
            {
                Assert.Equal(memory, vm.Cells.Sum(c => c.MemoryMiB ?? 0));
            }

            Assert.Equal(vm.Spec.Vcpus, vm.Guest.Sockets * vm.Guest.Cores * vm.Guest.Threads);
            switch (vm.Spec.Pinning)
            {
                case PinningMode.Strict:
                    Assert.All(vm.VcpuPins, pin => Assert.True(pin.Count == 1 && pin.IsSubsetOf(vm.Cpus), $"{vm.Name}: strict pin {pin} is not one CPU of {vm.Cpus}"));
                    Assert.Equal(vm.VcpuPins.Count, vm.VcpuPins.Distinct().Count());
                    break;
                case PinningMode.Float:
                    Assert.All(vm.VcpuPins, pin => Assert.Equal(vm.Cpus, pin));
                    break;
                default:
                    Assert.All(vm.VcpuPins, pin => Assert.Equal(plan.SharedPool, pin));
                    break;
            }

            if (vm.Spec.IsDedicated && vm.Spec.Emulator == EmulatorPlacement.Reserved && !plan.Reserved.IsEmpty)
            {
                Assert.True(vm.EmulatorCpus.IsSubsetOf(plan.Reserved), $"{vm.Name}: emulator = reserved on {vm.EmulatorCpus}");
            }

            if (vm.Spec.Cpus is { } declared)
            {
                Assert.Equal(declared, vm.Cpus);
            }
        }
    }

    // isolate: no other VM (nor the pool) on its cores; require: its cores whole. Both: every core it touches is
    // its own: vCPU threads, idle siblings, and an isolated emulator CPU that took one of those siblings.
    // No node gives more memory than it has, and every VM's cells account for all of its memory.
    private static void CheckMemory(Plan plan)
    {
        Assert.All(plan.Fragmentation, f => Assert.True(f.FreeMemoryMiB is null or >= 0, $"node{f.Node} is {f.FreeMemoryMiB} MiB over"));
        foreach (VmPlacement vm in plan.Vms.Where(v => v.Spec.MemoryMiB is not null))
        {
            Assert.True(vm.Cells.Sum(c => c.MemoryMiB ?? 0) == vm.Spec.MemoryMiB, $"{vm.Name}: cells hold {vm.Cells.Sum(c => c.MemoryMiB ?? 0)} MiB of {vm.Spec.MemoryMiB}");
            Assert.All(vm.Cells, c => Assert.True(c.MemoryNodes.IsSubsetOf(vm.MemoryNodes), $"{vm.Name}: cell {c.Id} draws on {c.MemoryNodes}, outside its memory nodes {vm.MemoryNodes}"));
        }
    }

    private static void CheckSmt(HostTopology host, Plan plan)
    {
        foreach (VmPlacement vm in plan.Vms.Where(v => v.Spec.IsDedicated && v.Spec.Smt is SmtPolicy.Isolate or SmtPolicy.Require))
        {
            CpuSet mine = Owned(vm);
            foreach (int cpu in vm.Cpus)
            {
                CpuSet core = host.CoreOf(cpu);
                Assert.True(core.IsSubsetOf(mine), $"{vm.Name} (smt = {vm.Spec.Smt}) runs on CPU {cpu} but not on all of its core {core}: holds {mine}");
            }
        }
    }

    private static void CheckSharedPool(RandomCase sample, Plan plan)
    {
        int vcpus = plan.Vms.Where(v => !v.Spec.IsDedicated).Sum(v => v.Spec.Vcpus);
        Assert.True(
            vcpus <= plan.SharedPool.Count * sample.Declaration.Host.Overcommit.VcpusPerCpu,
            $"shared VMs have {vcpus} vCPUs on a pool of {plan.SharedPool.Count} CPUs at overcommit {sample.Declaration.Host.Overcommit}");
    }

    /// <summary>
    /// Replays the planner's order (explicit VMs as declared, then auto VMs by CPUs needed, memory, name) and checks
    /// each auto VM against what was free at its turn: its CPUs were free, its memory and huge pages fitted the nodes
    /// they went to, it was kept on one node whenever one node could have held it, and a split was even.
    /// </summary>
    private static void CheckTurns(RandomCase sample, Plan plan)
    {
        HostTopology host = sample.Host;
        HostPolicy policy = sample.Declaration.Host;
        int threads = Math.Max(1, host.ThreadsPerCore);
        bool regularCores = host.Cores.All(c => c.Count == threads);
        CpuSet free = policy.CpuSetOn(host) & host.Online;
        Dictionary<int, long> memory = host.Nodes.ToDictionary(n => n.Id, n => NodeMemoryForVms(host, policy, n));
        Dictionary<int, long> pages = host.Nodes.ToDictionary(n => n.Id, n => n.HugePages.FirstOrDefault(p => p.SizeKiB == 2048)?.Free ?? 0);

        int Needed(VmSpec vm) => vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require ? (vm.Vcpus + threads - 1) / threads * threads : vm.Vcpus;
        IEnumerable<VmPlacement> order = plan.Vms.Where(v => v.Spec.IsDedicated && v.Spec.Cpus is not null)
            .Concat(plan.Vms.Where(v => v.Spec.IsDedicated && v.Spec.Cpus is null)
                .OrderByDescending(v => Needed(v.Spec))
                .ThenByDescending(v => v.Spec.MemoryMiB ?? 0)
                .ThenBy(v => v.Name, StringComparer.Ordinal));

        foreach (VmPlacement vm in order)
        {
            VmSpec spec = vm.Spec;
            bool binds = spec.Numa is MemoryMode.Strict or MemoryMode.Restrictive && spec.HugePages == HugePageBacking.None && spec.MemoryMiB is not null;
            bool huge = spec.HugePages == HugePageBacking.TwoMiB && spec.MemoryMiB is not null;
            if (spec.Cpus is null)
            {
                Assert.True(Owned(vm).IsSubsetOf(free), $"{vm.Name} took {Owned(vm) - free}, which was not free at its turn");

                // Could one node alone have held it? CPUs (whole cores under isolate/require, counted generously
                // when offline siblings make cores uneven), the emulator's extra CPU, memory, huge pages.
                int extra = spec.Emulator == EmulatorPlacement.Isolate ? 1 : 0;
                bool OneNodeCould(NumaNode node)
                {
                    CpuSet nodeFree = free & node.Cpus;
                    bool cpusFit = spec.Smt == SmtPolicy.Prefer
                        ? nodeFree.Count >= spec.Vcpus + extra
                        : host.Cores.Count(c => c.Count == threads && c.IsSubsetOf(nodeFree)) * threads >= Needed(spec)
                            && nodeFree.Count - (regularCores ? Needed(spec) : spec.Vcpus + threads - 1) >= extra;
                    return !node.Cpus.IsEmpty && cpusFit
                        && (!binds || memory[node.Id] >= spec.MemoryMiB)
                        && (!huge || pages[node.Id] >= PagesOf(spec.MemoryMiB!.Value));
                }

                // numa_nodes naming CPU nodes confines the VM's CPUs to them; memory then goes there, not to the CPU node.
                List<NumaNode> allowed = host.Nodes.Where(n => spec.NumaNodes?.Contains(n.Id) == true && !n.Cpus.IsEmpty).ToList();
                NumaNode? could = spec.NumaNodes is null
                    ? host.Nodes.FirstOrDefault(OneNodeCould)
                    : (allowed.Count > 0 ? allowed : host.Nodes.Where(n => !n.Cpus.IsEmpty).ToList())
                        .FirstOrDefault(n => OneNodeCouldWithMemoryElsewhere(n));
                bool OneNodeCouldWithMemoryElsewhere(NumaNode node)
                {
                    CpuSet nodeFree = free & node.Cpus;
                    return spec.Smt == SmtPolicy.Prefer
                        ? nodeFree.Count >= spec.Vcpus + extra
                        : host.Cores.Count(c => c.Count == threads && c.IsSubsetOf(nodeFree)) * threads >= Needed(spec)
                            && nodeFree.Count - (regularCores ? Needed(spec) : spec.Vcpus + threads - 1) >= extra;
                }

                Assert.True(
                    could is null || vm.Cells.Count == 1,
                    $"{vm.Name} was split over nodes {vm.NumaNodes} though node {could?.Id} had {free & (could?.Cpus ?? CpuSet.Empty)} free"
                        + $" and {(could is null ? 0 : memory[could.Id])} MiB, {(could is null ? 0 : pages[could.Id])} 2M pages");
                Assert.Equal(vm.Cells.Count, vm.NumaNodes.Count);
                int[] sizes = vm.Cells.Select(c => c.Vcpus.Count).ToArray();
                Assert.True(sizes.Max() - sizes.Min() <= 1, $"{vm.Name}: uneven split {string.Join("/", sizes)}");

                foreach ((int node, long mib) in Shares(vm))
                {
                    if (binds)
                    {
                        Assert.True(mib <= memory[node], $"{vm.Name}: {mib} MiB on node {node}, which had {memory[node]} MiB free for VMs");
                    }
                    else if (huge)
                    {
                        long need = PagesOf(mib);
                        Assert.True(need <= pages[node], $"{vm.Name}: {need} 2M pages on node {node}, which had {pages[node]} free");
                    }
                }
            }

            free -= Owned(vm);
            foreach ((int node, long mib) in Shares(vm))
            {
                if (binds)
                {
                    memory[node] -= mib;
                }
                else if (huge)
                {
                    pages[node] -= PagesOf(mib);
                }
            }
        }
    }

    // Memory a node offers VMs: its total, minus its huge page pools, minus its share of memory_reserved in proportion
    // to its size (the rule DeclarationRules applies too). A node whose memory the reader could not see (captures
    // without node/) bounds nothing: the planner cannot hold a VM to what it does not know.
    private static long NodeMemoryForVms(HostTopology host, HostPolicy policy, NumaNode node)
    {
        if (node.MemTotalKiB is null)
        {
            return long.MaxValue / 4;
        }

        long hostMiB = (host.MemTotalKiB ?? 0) / 1024;
        long total = (node.MemTotalKiB ?? 0) / 1024;
        long pools = node.HugePages.Sum(p => p.Total * p.SizeKiB) / 1024;
        return total - pools - (policy.MemoryReservedMiB * total / Math.Max(1, hostMiB));
    }

    // Memory per host node as the cells say: a cell on one node puts its memory there; a cell drawing on several
    // nodes (declared numa_nodes not paired with cells) spreads it evenly, the first nodes taking the remainder.
    private static IEnumerable<(int Node, long MiB)> Shares(VmPlacement vm)
    {
        foreach (GuestCell cell in vm.Cells.Where(c => c.MemoryMiB is not null))
        {
            long total = cell.MemoryMiB!.Value;
            int n = Math.Max(1, cell.MemoryNodes.Count);
            int i = 0;
            foreach (int node in cell.MemoryNodes.IsEmpty ? CpuSet.Of(cell.HostNode) : cell.MemoryNodes)
            {
                yield return (node, (total / n) + (i++ < total % n ? 1 : 0));
            }
        }
    }

    private static long PagesOf(long mib) => ((mib * 1024) + 2047) / 2048;

    /// <summary>CPUs a dedicated VM keeps from everyone else: its vCPU CPUs, idle siblings, an isolated emulator CPU.</summary>
    private static CpuSet Owned(VmPlacement vm) =>
        vm.Cpus | vm.IdleSiblings | (vm.Spec.Emulator == EmulatorPlacement.Isolate ? vm.EmulatorCpus : CpuSet.Empty);

    /// <summary>
    /// Plans <see cref="PlannerCases"/> random cases and runs <paramref name="property"/> on each result. On failure
    /// it reports the case seed, the machine, the declaration and the plan (or the errors).
    /// </summary>
    private static void ForAllPlans(int masterSeed, Action<RandomCase, PlanResult> property)
    {
        var seeds = new Random(masterSeed);
        for (int i = 0; i < PlannerCases; i++)
        {
            RandomCase sample = NewCase(seeds.Next());
            PlanResult result = HostPlanner.Plan(sample.Host, sample.Declaration);
            try
            {
                property(sample, result);
            }
            catch (Exception e) when (e is XunitException or InvalidOperationException or NullReferenceException or KeyNotFoundException)
            {
                string outcome = result.Plan is { } plan ? $"plan:\n{Render(plan)}" : $"errors:\n{Describe(result.Errors)}";
                throw new XunitException($"master seed {masterSeed}, {sample}\n{outcome}\n{(e is XunitException ? e.Message : e.ToString())}");
            }
        }
    }

    /// <summary>The random machine and declaration of one seed.</summary>
    private static RandomCase NewCase(int seed)
    {
        var random = new Random(seed);
        MachineShape shape = RandomShape(random);
        HostTopology host = Topologies.Build(shape);
        return new RandomCase(seed, shape.ToString(), host, RandomDeclaration(random, host));
    }

    private static MachineShape RandomShape(Random random)
    {
        int sockets = random.Next(1, 3);
        int nodesPerSocket = random.Next(1, 5);
        int coresPerNode = random.Next(2, 17);
        int threads = random.Next(1, 3);
        int[] ccx = Enumerable.Range(1, coresPerNode - 1).Where(d => coresPerNode % d == 0).ToArray();
        int coresPerL3 = random.Next(3) == 0 && ccx.Length > 1 ? ccx[random.Next(1, ccx.Length)] : 0;
        long[] sizesMiB = [2048, 4096, 8192, 16384, 32768, 65536];
        int cpuNodes = sockets * nodesPerSocket;
        int cpus = cpuNodes * coresPerNode * threads;

        // Offline CPUs (never CPU 0): sometimes whole cores, sometimes one thread of a core.
        var offline = new SortedSet<int>();
        if (random.Next(4) == 0)
        {
            for (int n = random.Next(1, 4); n > 0; n--)
            {
                int cpu = random.Next(1, cpus);
                offline.Add(cpu);
                if (threads == 2 && random.Next(2) == 0)
                {
                    int cores = cpus / 2;
                    offline.Add(cpu < cores ? cpu + cores : cpu - cores);
                }
            }

            offline.Remove(0);
        }

        return new MachineShape
        {
            Sockets = sockets,
            NodesPerSocket = nodesPerSocket,
            CoresPerNode = coresPerNode,
            Threads = threads,
            CoresPerL3 = coresPerL3,
            NodeMemoryMiB = Enumerable.Range(0, cpuNodes).Select(_ => sizesMiB[random.Next(sizesMiB.Length)]).ToArray(),
            HugePages2MPerNode = random.Next(3) == 0 ? random.Next(1, 9) * 128 : 0,
            MemoryOnlyNodes = random.Next(5) == 0 ? 1 : 0,
            Offline = CpuSet.Of(offline).ToString(),
        };
    }

    private static Declaration RandomDeclaration(Random random, HostTopology host)
    {
        var policy = new HostPolicy
        {
            Overcommit = new Ratio(1, random.Next(1, 6)),
            MemoryReservedMiB = random.Next(3) * 1024,
        };
        CpuSet usable = policy.CpuSetOn(host) & host.Online;
        bool hasPages = host.HugePageSizesKiB.Contains(2048);
        int largest = Math.Max(2, usable.Count / 2);
        T Pick<T>(params (int Weight, T Value)[] choices)
        {
            int roll = random.Next(choices.Sum(c => c.Weight));
            foreach ((int weight, T value) in choices)
            {
                if ((roll -= weight) < 0)
                {
                    return value;
                }
            }

            throw new InvalidOperationException("unreachable");
        }

        // CPUs explicit VMs have claimed, with the whole cores of smt = isolate/require ones: later explicit lists
        // stay clear of them, as the rules demand (KVC029 and the double-booking checks).
        CpuSet claimed = CpuSet.Empty;
        var vms = new List<VmSpec>();
        int count = random.Next(1, 9);
        for (int i = 0; i < count; i++)
        {
            SmtPolicy smt = Pick((6, SmtPolicy.Prefer), (2, SmtPolicy.Isolate), (2, SmtPolicy.Require));
            VmSpec vm = Auto($"vm{i}", 1) with
            {
                Pinning = Pick((6, PinningMode.Strict), (2, PinningMode.Float), (3, PinningMode.None)),
                Smt = smt,
                Emulator = Pick((6, EmulatorPlacement.Reserved), (2, EmulatorPlacement.Isolate), (2, EmulatorPlacement.Shared)),
                Numa = Pick((7, MemoryMode.Strict), (2, MemoryMode.Preferred), (1, MemoryMode.Restrictive)),
                HugePages = hasPages && random.Next(4) == 0 ? HugePageBacking.TwoMiB : HugePageBacking.None,

                // Sometimes memory on declared nodes: one, or two, of the host's (CPU-less ones included).
                NumaNodes = random.Next(6) == 0
                    ? CpuSet.Of(host.Nodes.OrderBy(_ => random.Next()).Take(random.Next(1, 3)).Select(n => n.Id))
                    : null,
            };
            vm = vm with
            {
                MemoryMiB = random.Next(5) == 0 ? null
                    : vm.HugePages != HugePageBacking.None ? random.Next(1, 9) * 128
                    : random.Next(6) == 0 ? random.Next(1, 33) * 512
                    : random.Next(1, 17) * 256,
            };

            if (vm.IsDedicated && random.Next(4) == 0)
            {
                // An explicit list: whole cores nobody claimed under isolate/require, else any unclaimed CPUs.
                bool whole = smt != SmtPolicy.Prefer;
                List<CpuSet> units = whole
                    ? host.Cores.Where(c => c.IsSubsetOf(usable - claimed)).ToList()
                    : (usable - claimed).Select(c => CpuSet.Of(c)).ToList();
                if (units.Count == 0)
                {
                    continue;
                }

                int start = random.Next(units.Count);
                CpuSet cpus = CpuSet.Empty;
                foreach (CpuSet unit in units.Skip(start).Take(random.Next(1, whole ? 3 : 5)))
                {
                    cpus |= unit;
                }

                int vcpus = vm.Pinning == PinningMode.Strict ? random.Next(1, cpus.Count + 1) : random.Next(1, cpus.Count + 2);
                claimed |= cpus;
                vms.Add(vm with { Cpus = cpus, Vcpus = vcpus, MemoryMiB = vm.MemoryMiB is null ? null : 512 });
            }
            else
            {
                int vcpus = random.Next(4) == 0 ? random.Next(1, largest + 1) : random.Next(1, 9);
                vms.Add(vm with { Vcpus = vcpus });
            }
        }

        return Declare(policy, vms);
    }
}
