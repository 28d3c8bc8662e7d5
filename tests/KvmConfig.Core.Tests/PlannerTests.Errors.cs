using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>A declaration that cannot be planned, and the error the planner must give.</summary>
/// <param name="Description">What is wrong, in prose.</param>
/// <param name="Machine">A name from <see cref="Topologies"/>.</param>
/// <param name="Vms">The VMs, in declaration order.</param>
/// <param name="Vm">The VM the error must name.</param>
/// <param name="Constraint">The constraint it must name (<see cref="PlanError.Constraint"/>).</param>
internal sealed record ErrorCase(string Description, string Machine, IReadOnlyList<VmSpec> Vms, string Vm, string Constraint)
{
    /// <summary><c>[host]</c>, or the defaults.</summary>
    public HostPolicy? Policy { get; init; }

    /// <summary>Free CPUs per node when the VM was refused, one cpulist per node separated by <c>" | "</c>.</summary>
    public string? FreeCpus { get; init; }

    /// <inheritdoc />
    public override string ToString() => Description;
}

/// <summary>
/// Bad input (issue 3, "Bad input"): a declaration that cannot fit gives no plan at all, and an error naming the VM,
/// the constraint that failed and what each NUMA node had free.
/// </summary>
public sealed partial class PlannerTests
{
    private static readonly ErrorCase[] ErrorCases =
    [
        // The four the issue names.
        new("too many vCPUs: 15 vCPUs on a 16-CPU host whose core 0 is the host's",
            "single-socket-smt",
            [Auto("big", 15)],
            "big", "cpus")
        { FreeCpus = "1-7,9-15" },
        new("memory larger than any node under numa = strict, for a 1-vCPU VM that cannot be split",
            "two-nodes-per-socket",
            [Auto("fat", 1, 20480)],
            "fat", "memory")
        { FreeCpus = "1-3,17-19 | 4-7,20-23 | 8-11,24-27 | 12-15,28-31" },
        new("2M huge pages on a host that reserved none",
            "dual-socket-smt",
            [Auto("db", 2, 2048) with { HugePages = HugePageBacking.TwoMiB }],
            "db", "hugepages"),
        new("smt = require with no whole core left: an earlier VM took one thread of every core",
            "single-socket-smt",
            [Explicit("a", "1-7"), Auto("b", 2) with { Smt = SmtPolicy.Require }],
            "b", "whole-cores")
        { FreeCpus = "9-15" },

        // Variations on them.
        new("too many vCPUs on a capture: 19 vCPUs on the 20-CPU desktop",
            "desktop-1s-20cpu",
            [Auto("big", 19)],
            "big", "cpus"),
        new("too many vCPUs once the explicit VMs are placed",
            "dual-socket-smt",
            [Explicit("a", "1-15"), Auto("b", 16)],
            "b", "cpus")
        { FreeCpus = "17-23 | 24-31" },
        new("memory larger than any node of a capture (xeon SNC, about 42 GiB for VMs per node) for a 1-vCPU VM",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("fat", 1, 65536)],
            "fat", "memory"),
        new("memory larger than the whole host's CPU nodes even when split as widely as the vCPUs allow",
            "two-nodes-per-socket",
            [Auto("fat", 2, 40960)],
            "fat", "memory"),
        new("huge pages larger than every node's pool, for a 1-vCPU VM that cannot be split",
            "two-nodes-per-socket-hugepages",
            [Auto("db", 1, 4096) with { HugePages = HugePageBacking.TwoMiB }],
            "db", "hugepages"),
        new("1G huge pages where only 2M pages are reserved",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("db", 2, 4096) with { HugePages = HugePageBacking.OneGiB }],
            "db", "hugepages"),
        new("smt = isolate with no whole core left",
            "dual-socket-smt",
            [Explicit("a", "1-15"), Auto("b", 2) with { Smt = SmtPolicy.Isolate }],
            "b", "whole-cores"),
        new("smt = require on a capture: every core of the desktop split by an earlier VM",
            "desktop-1s-20cpu",
            [Explicit("a", "1-9"), Auto("b", 4) with { Smt = SmtPolicy.Require }],
            "b", "whole-cores"),

        new("memory: the only node with a free CPU lacks the memory, though the full node has plenty",
            "dual-socket-smt",
            [Explicit("a", "1-7,17-23"), Auto("b", 2, 16000)],
            "b", "memory")
        { FreeCpus = " | 8-15,24-31" },
        new("huge pages: the only node with free CPUs has too few 2M pages, though the full nodes have plenty",
            "two-nodes-per-socket-hugepages",
            [Explicit("a", "1-11,17-27"), Auto("b", 2, 3072) with { HugePages = HugePageBacking.TwoMiB }],
            "b", "hugepages")
        { FreeCpus = " |  |  | 12-15,28-31" },

        // The other constraints.
        new("shared VMs need more vCPUs than overcommit 1:1 allows on the pool dedicated VMs leave",
            "single-socket-smt",
            [Auto("db", 10), Shared("a", 3), Shared("b", 3)],
            "b", "overcommit"),
        new("an explicit list naming a CPU an earlier VM holds",
            "single-socket-smt",
            [Explicit("a", "1-2"), Explicit("b", "2-3")],
            "b", "explicit-cpus"),
        new("an explicit list naming the host's reserved core",
            "single-socket-smt",
            [Explicit("a", "0-1")],
            "a", "explicit-cpus"),
        new("an explicit list naming offline CPUs",
            "cadvisor-epyc7402",
            [Explicit("a", "24-25")],
            "a", "explicit-cpus"),
        new("an explicit list naming the idle sibling of an earlier smt = isolate VM",
            "single-socket-smt",
            [Explicit("rt", "1") with { Smt = SmtPolicy.Isolate }, Explicit("web", "9")],
            "web", "explicit-cpus"),
    ];

    public static TheoryData<string> ErrorNames => new(ErrorCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(ErrorNames))]
    public void BadInput(string description)
    {
        ErrorCase row = ErrorCases.Single(c => c.Description == description);
        HostTopology host = Topologies.Named(row.Machine);

        PlanResult result = HostPlanner.Plan(host, Declare(row.Policy, row.Vms));

        Assert.True(result.Plan is null, $"{description}: expected no plan, got:\n{(result.Plan is null ? "" : Render(result.Plan))}");
        Assert.False(result.Ok);
        PlanError? error = result.Errors.FirstOrDefault(e => e.Vm == row.Vm);
        Assert.True(error is not null, $"{description}: no error names '{row.Vm}':\n{Describe(result.Errors)}");
        Assert.True(error.Constraint == row.Constraint, $"{description}: constraint \"{error.Constraint}\", expected \"{row.Constraint}\": {error.Message}");
        Assert.Contains($"'{row.Vm}'", error.Message, StringComparison.Ordinal);

        // What was free: one entry per node of the host, in node order, printable for the administrator.
        Assert.Equal(host.Nodes.Select(n => n.Id), error.Free.Select(f => f.Node));
        Assert.All(error.Free, f => Assert.StartsWith($"node{f.Node}: ", f.ToString(), StringComparison.Ordinal));
        if (row.FreeCpus is not null)
        {
            Assert.Equal(row.FreeCpus, string.Join(" | ", error.Free.Select(f => f.Cpus.ToString())));
        }
    }

    [Fact]
    public void An_error_lists_free_cpus_whole_cores_and_memory_per_node()
    {
        // Given a 1-vCPU VM with more memory than any node of the two-nodes-per-socket machine (16 GiB per node,
        // 512 MiB of memory_reserved each)
        HostTopology host = Topologies.Named("two-nodes-per-socket");

        // When it is planned
        PlanResult result = HostPlanner.Plan(host, Declare(null, [Auto("fat", 1, 20480)]));

        // Then each node's entry says its free CPUs, whole cores and memory left for VMs
        PlanError error = Assert.Single(result.Errors);
        Assert.Equal(
            [
                "node0: 6 CPUs (1-3,17-19), 3 whole cores, 15.5G memory",
                "node1: 8 CPUs (4-7,20-23), 4 whole cores, 15.5G memory",
                "node2: 8 CPUs (8-11,24-27), 4 whole cores, 15.5G memory",
                "node3: 8 CPUs (12-15,28-31), 4 whole cores, 15.5G memory",
            ],
            error.Free.Select(f => f.ToString()));
    }
}
