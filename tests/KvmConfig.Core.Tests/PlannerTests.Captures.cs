using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;
using Xunit.Sdk;

namespace KvmConfig.Core.Tests;

/// <summary>
/// The planner on every tree of tests/data/sysfs as the reader sees it (real captures, and the shapes whose sockets
/// come from core_siblings, whose CPUs have no topology/, whose nodes are missing): random strict declarations, the
/// same properties as on the random machines. No CPU is owned twice, and a VM that one node could hold stays on one.
/// </summary>
public sealed partial class PlannerTests
{
    private const int CasesPerTree = 60;

    public static TheoryData<string> SysfsTrees() => new(TestData.SysfsTrees());

    [Theory]
    [MemberData(nameof(SysfsTrees))]
    public void Strict_declarations_plan_on_every_real_tree(string tree)
    {
        HostTopology host = Captures.Host(tree);

        // A seed of the tree's own, stable across runs (string.GetHashCode is not).
        var seeds = new Random(PlannerMasterSeed + tree.Sum(c => c));
        int planned = 0;
        for (int i = 0; i < CasesPerTree; i++)
        {
            int seed = seeds.Next();
            Declaration random = RandomDeclaration(new Random(seed), host);
            // The strict VMs only, and on small trees (3 to 8 CPUs) only as many as the host has CPUs to give.
            int most = Math.Max(1, host.OnlineCpuCount / 4);
            Declaration strict = random with { Vms = random.Vms.Where(v => v.Pinning == PinningMode.Strict).Take(most).ToList() };
            if (strict.Vms.Count == 0)
            {
                continue;
            }

            var sample = new RandomCase(seed, tree, host, strict);
            PlanResult result = HostPlanner.Plan(host, strict);
            try
            {
                if (result.Plan is not { } plan)
                {
                    CheckErrors(sample, result);
                    continue;
                }

                planned++;
                CheckOwnership(sample, plan);
                CheckPins(plan);
                CheckSmt(host, plan);
                CheckTurns(sample, plan);
                CheckMemory(plan);
            }
            catch (XunitException e)
            {
                string outcome = result.Plan is { } plan ? $"plan:\n{Render(plan)}" : $"errors:\n{Describe(result.Errors)}";
                throw new XunitException($"{sample}\n{outcome}\n{e.Message}");
            }
        }

        Assert.True(planned >= CasesPerTree / 6, $"{tree}: only {planned} of {CasesPerTree} random strict declarations were planned");
    }
}
