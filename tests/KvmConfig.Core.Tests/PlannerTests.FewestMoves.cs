using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The fewest moves checked against brute force: on generated hosts where something must move, no set of fewer VMs
/// than the planner moves makes room, and among sets of that size none moves fewer vCPUs.
/// </summary>
public sealed class FewestMovesTests
{
    /// <summary>One generated case: incumbents scattered over the host, and a VM that must own whole cores.</summary>
    private sealed record Case(int Seed, HostTopology Host, Declaration Declaration, Dictionary<string, Incumbent> Incumbents);

    // Four nodes of 4 cores x 2 threads (node k = cores 4k to 4k+3, siblings +16), CPU 0 reserved. Ten to fourteen
    // VMs of 1 or 2 vCPUs (strict, smt prefer) on random free CPUs of one node each, and "big" (smt = require) of 4
    // to 16 vCPUs. Only cases where big does not fit around them but does in a plan from scratch are kept.
    private static IEnumerable<Case> Cases()
    {
        HostTopology host = Topologies.Named("two-nodes-per-socket");
        var policy = new HostPolicy { Reserved = CpuSet.Of(0) };
        for (int seed = 1; seed <= 400; seed++)
        {
            var random = new Random(seed);
            var taken = new HashSet<int> { 0 };
            var vms = new List<VmSpec>();
            var incumbents = new Dictionary<string, Incumbent>(StringComparer.Ordinal);
            int count = random.Next(10, 15);
            for (int i = 0; i < count; i++)
            {
                int vcpus = random.Next(1, 3);
                NumaNode node = host.Nodes[random.Next(host.Nodes.Count)];
                int[] free = [.. node.Cpus.Where(c => !taken.Contains(c)).OrderBy(_ => random.Next())];
                if (free.Length < vcpus)
                {
                    continue;
                }

                string name = $"vm{i:D2}";
                taken.UnionWith(free.Take(vcpus));
                vms.Add(PlannerTests.Auto(name, vcpus));
                incumbents[name] = new Incumbent(name, [.. free.Take(vcpus).Select(c => CpuSet.Of(c))], "generated");
            }

            vms.Add(PlannerTests.Auto("big", 2 * random.Next(2, 9)) with { Smt = SmtPolicy.Require });
            Declaration declaration = PlannerTests.Declare(policy, vms);
            if (NeedsMove(host, declaration, incumbents))
            {
                yield return new Case(seed, host, declaration, incumbents);
            }
        }
    }

    // True when big fits nowhere around every incumbent kept where it is, but does in a plan from scratch.
    private static bool NeedsMove(HostTopology host, Declaration declaration, Dictionary<string, Incumbent> incumbents) =>
        HostPlanner.Plan(host, declaration).Ok && !FitsKeeping(host, declaration, incumbents, []);

    // Whether everything fits with every incumbent but those of `moved` kept where it is and nothing else moving:
    // the VMs of `moved` are given no incumbent, so the planner places them as new.
    private static bool FitsKeeping(HostTopology host, Declaration declaration, Dictionary<string, Incumbent> incumbents, IReadOnlyCollection<string> moved)
    {
        PlanResult result = HostPlanner.Plan(host, declaration, KeepOnly(incumbents, moved));
        return result.Ok && result.Plan!.Moves.Count == 0;
    }

    private static Dictionary<string, Incumbent> KeepOnly(Dictionary<string, Incumbent> incumbents, IReadOnlyCollection<string> moved) =>
        incumbents.Where(i => !moved.Contains(i.Key)).ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);

    private static IEnumerable<string[]> SetsOf(string[] names, int size, int from = 0)
    {
        if (size == 0)
        {
            yield return [];
            yield break;
        }

        for (int i = from; i <= names.Length - size; i++)
        {
            foreach (string[] rest in SetsOf(names, size - 1, i + 1))
            {
                yield return [names[i], .. rest];
            }
        }
    }

    [Fact]
    public void No_smaller_set_of_vms_and_no_set_of_fewer_vcpus_makes_room()
    {
        int checkedCases = 0;
        int threeOrMore = 0;
        foreach (Case c in Cases())
        {
            // Given a generated host where big must move something
            // When the planner keeps what it can
            PlanResult result = HostPlanner.Plan(c.Host, c.Declaration, c.Incumbents);
            Assert.True(result.Ok, $"seed {c.Seed}: {PlannerTests.Describe(result.Errors)}");
            IReadOnlyList<PlanMove> moves = result.Plan!.Moves;
            Assert.All(moves, m => Assert.DoesNotContain("repacked", m.Why, StringComparison.Ordinal));
            int vcpusMoved = moves.Sum(m => c.Declaration.Vms.Single(v => v.Name == m.Vm).Vcpus);

            // Then no set of fewer VMs makes room, and no set of as many moves fewer vCPUs
            string[] names = [.. c.Incumbents.Keys.Order(StringComparer.Ordinal)];
            for (int size = 1; size <= moves.Count; size++)
            {
                foreach (string[] set in SetsOf(names, size))
                {
                    int vcpus = set.Sum(n => c.Declaration.Vms.Single(v => v.Name == n).Vcpus);
                    if (size < moves.Count || vcpus < vcpusMoved)
                    {
                        Assert.False(FitsKeeping(c.Host, c.Declaration, c.Incumbents, set), $"seed {c.Seed}: moving {string.Join(", ", set)} ({vcpus} vCPUs) makes room, but the planner moved {string.Join("; ", moves)}");
                    }
                }
            }

            checkedCases++;
            threeOrMore += moves.Count >= 3 ? 1 : 0;
        }

        // And the generator made enough cases that need a move to mean something, some of them needing three or more
        Assert.True(checkedCases >= 40 && threeOrMore >= 5, $"{checkedCases} generated cases needed a move, {threeOrMore} of them three or more");
    }
}
