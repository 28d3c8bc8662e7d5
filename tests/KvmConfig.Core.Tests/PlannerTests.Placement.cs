using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Tests;

/// <summary>What one VM of a placement row must get; null members are not checked. CPU sets are cpulists.</summary>
/// <param name="Vm">VM name.</param>
/// <param name="Cpus">Host CPUs of its vCPUs (the pool for shared VMs).</param>
internal sealed record Expect(string Vm, string Cpus)
{
    /// <summary>Host nodes holding its CPUs.</summary>
    public string? Nodes { get; init; }

    /// <summary>One cpulist per vCPU, space separated (<c>"1 9 2 10"</c>).</summary>
    public string? Pins { get; init; }

    /// <summary>Emulator thread CPUs.</summary>
    public string? Emulator { get; init; }

    /// <summary>Sibling threads held idle.</summary>
    public string? Idle { get; init; }

    /// <summary>Host nodes holding its memory.</summary>
    public string? MemoryNodes { get; init; }

    /// <summary>Guest cells as <c>vcpus@hostnode:MiB</c> (see <see cref="PlannerTests.Cells"/>).</summary>
    public string? Cells { get; init; }

    /// <summary>Guest topology <c>SxCxT</c>.</summary>
    public string? Guest { get; init; }

    /// <summary>Huge pages taken.</summary>
    public long? HugePages { get; init; }
}

/// <summary>A declaration on a named machine and what the plan must say.</summary>
internal sealed record PlacementCase(string Description, string Machine, IReadOnlyList<VmSpec> Vms, IReadOnlyList<Expect> Expected)
{
    /// <summary><c>[host]</c>, or the defaults (reserved = CPU 0 and its siblings).</summary>
    public HostPolicy? Policy { get; init; }

    /// <summary>The shared pool, when the row checks it.</summary>
    public string? SharedPool { get; init; }

    /// <summary>The free CPUs the plan counts as stranded, over every node (its fragmentation), when the row checks it.</summary>
    public string? Stranded { get; init; }

    /// <inheritdoc />
    public override string ToString() => Description;
}

/// <summary>Placement rows: where VMs land, how their vCPUs map, where emulator threads and memory go.</summary>
public sealed partial class PlannerTests
{
    private static readonly PlacementCase[] PlacementCases =
    [
        // ---- single-socket-smt: CPUs 0-15, core n = n,n+8, host on 0,8, 32 GiB.
        new("explicit cpus are taken as written; sibling threads run consecutive vCPUs and the guest sees threads=2",
            "single-socket-smt",
            [Explicit("db", "2-3,10-11")],
            [new("db", "2-3,10-11") { Nodes = "0", Pins = "2 10 3 11", Guest = "1x2x2", Emulator = "0,8" }]),
        new("an auto VM takes whole cores in CPU order after the host's core; emulator threads on the node's reserved CPUs",
            "single-socket-smt",
            [Auto("web", 4)],
            [new("web", "1-2,9-10") { Nodes = "0", Pins = "1 9 2 10", Guest = "1x2x2", Emulator = "0,8", Cells = "0-3@0" }]),
        new("smt = prefer: 4 vCPUs on SMT2 take 2 whole cores, not the free thread of a core another VM split",
            "single-socket-smt",
            [Explicit("pin", "1"), Auto("web", 4)],
            [new("pin", "1"), new("web", "2-3,10-11") { Pins = "2 10 3 11" }]),
        new("smt = prefer: an odd vCPU takes the free thread of an already split core rather than break a whole one",
            "single-socket-smt",
            [Explicit("pin", "1"), Auto("web", 3)],
            [new("web", "2,9-10") { Pins = "2 10 9", Guest = "1x3x1" }]),
        new("largest first: a VM declared after a smaller one is placed before it",
            "single-socket-smt",
            [Auto("small", 2), Auto("big", 6)],
            [new("big", "1-3,9-11"), new("small", "4,12")]),
        new("explicit lists are placed before auto VMs, whatever the declaration order",
            "single-socket-smt",
            [Auto("auto", 2), Explicit("pinned", "1-2")],
            [new("pinned", "1-2"), new("auto", "3,11")]),
        new("smt = isolate: the unused sibling stays idle and neither another VM nor the shared pool gets it",
            "single-socket-smt",
            [Auto("rt", 3) with { Smt = SmtPolicy.Isolate }, Auto("web", 2), Shared("batch", 2)],
            [
                new("rt", "1-2,9") { Idle = "10", Pins = "1 9 2", Guest = "1x3x1" },
                new("web", "3,11"),
                new("batch", "4-7,12-15") { Pins = "4-7,12-15 4-7,12-15" },
            ])
        { SharedPool = "4-7,12-15" },
        new("smt = require: 3 vCPUs take two whole cores and hold the fourth thread idle",
            "single-socket-smt",
            [Explicit("pin", "1"), Auto("db", 3) with { Smt = SmtPolicy.Require }],
            [new("db", "2-3,10") { Idle = "11", Pins = "2 10 3" }]),
        new("cpuspinlock = float: every vCPU may run on the VM's whole set; the guest gets no SMT threads",
            "single-socket-smt",
            [Auto("web", 4) with { Pinning = PinningMode.Float }],
            [new("web", "1-2,9-10") { Pins = "1-2,9-10 1-2,9-10 1-2,9-10 1-2,9-10", Guest = "1x4x1" }]),
        new("emulator = isolate takes the free thread of the core the VM split",
            "single-socket-smt",
            [Auto("db", 3) with { Emulator = EmulatorPlacement.Isolate }],
            [new("db", "1-2,9") { Emulator = "10" }]),
        new("emulator = isolate after whole cores takes the next free CPU of the VM's node, and the pool loses it",
            "single-socket-smt",
            [Auto("db", 4) with { Emulator = EmulatorPlacement.Isolate }, Shared("web", 1)],
            [new("db", "1-2,9-10") { Emulator = "3" }, new("web", "4-7,11-15")])
        { SharedPool = "4-7,11-15" },
        new("emulator = shared runs the emulator threads on the shared pool",
            "single-socket-smt",
            [Auto("db", 4) with { Emulator = EmulatorPlacement.Shared }, Shared("web", 2)],
            [new("db", "1-2,9-10") { Emulator = "3-7,11-15" }])
        { SharedPool = "3-7,11-15" },
        new("shared VMs float over what dedicated VMs leave, up to one vCPU per CPU at overcommit 1:1",
            "single-socket-smt",
            [Auto("db", 8), Shared("a", 4), Shared("b", 2)],
            [new("db", "1-4,9-12"), new("a", "5-7,13-15"), new("b", "5-7,13-15") { Pins = "5-7,13-15 5-7,13-15" }])
        { SharedPool = "5-7,13-15" },
        new("overcommit 1:2 lets 10 shared vCPUs float over 6 CPUs",
            "single-socket-smt",
            [Auto("db", 8), Shared("a", 6), Shared("b", 4)],
            [new("a", "5-7,13-15")])
        { Policy = new HostPolicy { Overcommit = new Ratio(1, 2) }, SharedPool = "5-7,13-15" },
        new("an explicit float VM with fewer vCPUs than CPUs: one pin per vCPU, each the whole set",
            "single-socket-smt",
            [Explicit("f", "4-7", vcpus: 2) with { Pinning = PinningMode.Float }],
            [new("f", "4-7") { Pins = "4-7 4-7", Cells = "0-1@0" }]),
        new("an explicit strict VM with fewer vCPUs than CPUs pins one vCPU per CPU, in core order, and leaves the rest idle",
            "single-socket-smt",
            [Explicit("s", "4-5,12-13", vcpus: 2)],
            [new("s", "4-5,12-13") { Pins = "4 12", Cells = "0-1@0" }]),

        // ---- dual-socket-smt: node0 = 0-7,16-23, node1 = 8-15,24-31, host on 0,16, 16 GiB per node.
        new("an auto VM that fits lands on one node: the best fit is node 0, which the host's core made smaller",
            "dual-socket-smt",
            [Auto("web", 4, 4096)],
            [new("web", "1-2,17-18") { Nodes = "0", MemoryNodes = "0", Cells = "0-3@0:4096", Guest = "1x2x2" }]),
        new("an explicit list across both sockets keeps its CPUs and gets one guest cell per node",
            "dual-socket-smt",
            [Explicit("wide", "6-9", memoryMiB: 4096)],
            [new("wide", "6-9") { Nodes = "0-1", MemoryNodes = "0-1", Cells = "0-1@0:2048 2-3@1:2048", Pins = "6 7 8 9", Guest = "2x2x1" }]),
        new("a VM larger than either node splits into even halves, one cell per node with half the memory each",
            "dual-socket-smt",
            [Auto("big", 20, 8192)],
            [new("big", "1-5,8-12,17-21,24-28")
            {
                Nodes = "0-1", MemoryNodes = "0-1", Cells = "0-9@0:4096 10-19@1:4096", Guest = "2x5x2",
                Pins = "1 17 2 18 3 19 4 20 5 21 8 24 9 25 10 26 11 27 12 28",
            }]),
        new("emulator = reserved uses the reserved CPUs of the VM's own node",
            "dual-socket-smt",
            [Explicit("east", "9-15") with { Pinning = PinningMode.Float }, Auto("west", 8)],
            [new("east", "9-15") { Emulator = "8,24" }, new("west", "1-4,17-20") { Emulator = "0,16" }])
        { Policy = new HostPolicy { Reserved = CpuSet.Parse("0,8,16,24") } },
        new("emulator = reserved falls back to every reserved CPU when the VM's node has none",
            "dual-socket-smt",
            [Auto("west", 14), Auto("east", 8)],
            [new("west", "1-7,17-23"), new("east", "8-11,24-27") { Emulator = "0,16" }]),

        // ---- two-nodes-per-socket: node0 = 0-3,16-19 (host on 0,16), node1 = 4-7,20-23, node2 = 8-11,24-27, node3 = 12-15,28-31.
        new("best fit: the node whose two free cores the VM fills exactly beats lower nodes with more room",
            "two-nodes-per-socket",
            [Explicit("pin", "8-9,24-25"), Auto("app", 4)],
            [new("app", "10-11,26-27") { Nodes = "2" }]),
        new("best fit: 6 vCPUs fill the node that lost a core to the host",
            "two-nodes-per-socket",
            [Auto("app", 6)],
            [new("app", "1-3,17-19") { Nodes = "0" }]),
        new("best fit tie on whole cores left: the node with less memory left wins",
            "two-nodes-per-socket",
            [Explicit("pin", "12", memoryMiB: 8192), Auto("app", 6, 4096)],
            [new("app", "13-15,29-31") { Nodes = "3", MemoryNodes = "3" }]),
        new("a VM larger than any node splits over the two nodes of one socket (distance 11), not across sockets",
            "two-nodes-per-socket",
            [Auto("big", 12, 8192)],
            [new("big", "1-6,17-22") { Nodes = "0-1", Cells = "0-5@0:4096 6-11@1:4096", Guest = "2x3x2", Pins = "1 17 2 18 3 19 4 20 5 21 6 22" }]),
        new("an uneven split gives the extra vCPU to the node with room for it: 6 on node 0, 7 on node 1; memory follows the vCPUs",
            "two-nodes-per-socket",
            [Auto("big", 13, 13312)],
            [new("big", "1-7,17-22") { Nodes = "0-1", Cells = "0-5@0:6144 6-12@1:7168", Guest = "1x13x1" }]),
        new("best fit for a split: of two equally close node pairs, the one whose lone threads it fills (nodes 2+3), not the lower one it would fragment",
            "two-nodes-per-socket",
            [Explicit("a", "9"), Explicit("b", "13"), Auto("big", 11)],
            [new("big", "8,10-12,14,24,26-30") { Nodes = "2-3" }]),
        new("numa = preferred does not bind memory: a VM with more memory than a node still lands on one node",
            "two-nodes-per-socket",
            [Auto("fat", 2, 20480) with { Numa = MemoryMode.Preferred }],
            [new("fat", "1,17") { Nodes = "0", Cells = "0-1@0:20480" }]),
        new("2M huge pages come from the chosen node's pool; the next VM moves on when that pool is short",
            "two-nodes-per-socket-hugepages",
            [Auto("a", 2, 1536) with { HugePages = HugePageBacking.TwoMiB }, Auto("b", 2, 1536) with { HugePages = HugePageBacking.TwoMiB }],
            [new("a", "1,17") { HugePages = 768, MemoryNodes = "0" }, new("b", "4,20") { HugePages = 768, MemoryNodes = "1" }]),
        new("huge pages larger than one node's pool split the VM over two nodes",
            "two-nodes-per-socket-hugepages",
            [Auto("db", 4, 3072) with { HugePages = HugePageBacking.TwoMiB }],
            [new("db", "1,4,17,20") { Nodes = "0-1", Cells = "0-1@0:1536 2-3@1:1536", HugePages = 1536 }]),

        // ---- eight-small-nodes: node k = 4k..4k+3 and +32; two CCX (L3) of 2 cores per node; host on 0,32.
        new("one L3 group (CCX) when one can hold the VM, even though CPU order would cross groups",
            "eight-small-nodes",
            [Explicit("pin", "4"), Auto("app", 4)],
            [new("app", "6-7,38-39")])
        { Policy = new HostPolicy { CpuSet = CpuSet.Parse("4-7,36-39") } },
        new("the best-fitting L3 group is the one with the fewest free CPUs that suffices: the CCX beside the host's core",
            "eight-small-nodes",
            [Auto("two", 2)],
            [new("two", "1,33") { Nodes = "0" }]),
        new("a 12-vCPU VM takes the fewest nodes, two of one socket, 6 vCPUs each",
            "eight-small-nodes",
            [Auto("big", 12)],
            [new("big", "1-6,33-38") { Nodes = "0-1", Cells = "0-5@0 6-11@1", Guest = "2x3x2" }]),
        new("a 20-vCPU VM takes three nodes of one socket: 6 on node 0 (a core short), 7 and 7 on nodes 1 and 2",
            "eight-small-nodes",
            [Auto("big", 20)],
            [new("big", "1-11,33-38,40-42") { Nodes = "0-2", Cells = "0-5@0 6-12@1 13-19@2" }]),

        // ---- no-smt: node0 = 0-7, node1 = 8-15, host on 0.
        new("without SMT every CPU is a core: 7 vCPUs fill node 0 and the guest has threads=1",
            "no-smt",
            [Auto("app", 7)],
            [new("app", "1-7") { Guest = "1x7x1", Pins = "1 2 3 4 5 6 7" }]),
        new("smt = require holds trivially without SMT and still prefers the best-fitting node",
            "no-smt",
            [Auto("app", 3) with { Smt = SmtPolicy.Require }],
            [new("app", "1-3") { Idle = "" }]),

        // ---- offline-cpus: CPUs 3,11 and 13 offline; core 5 runs on CPU 5 alone.
        new("offline CPUs: an explicit list of online CPUs is taken; CPU 5 is a core of one thread",
            "offline-cpus",
            [Explicit("a", "5-7")],
            [new("a", "5-7") { Pins = "5 6 7" }]),
        new("offline CPUs: 6 vCPUs take three whole cores, skipping the offline core 3",
            "offline-cpus",
            [Auto("a", 6)],
            [new("a", "1-2,4,9-10,12") { Pins = "1 9 2 10 4 12" }]),
        new("offline CPUs: the odd vCPU takes the single-thread core 5 rather than break a two-thread core",
            "offline-cpus",
            [Auto("a", 3)],
            [new("a", "1,5,9") { Pins = "1 9 5" }]),

        // ---- isolated-cpus: isolcpus = 4-7,12-15.
        new("isolated CPUs: a strict VM listed on them is taken as written and the shared pool keeps out of them",
            "isolated-cpus",
            [Explicit("rt", "4-7,12-15"), Shared("web", 4)],
            [new("rt", "4-7,12-15") { Pins = "4 12 5 13 6 14 7 15", Guest = "1x4x2" }, new("web", "1-3,9-11")])
        { SharedPool = "1-3,9-11" },

        // ---- memory-only-node: node0 = 0-3,8-11, node1 = 4-7,12-15, node2 = 64 GiB and no CPUs.
        new("a memory-only node never receives CPUs: a 10-vCPU VM splits over the two CPU nodes",
            "memory-only-node",
            [Auto("big", 10, 4096)],
            [new("big", "1-6,9-10,12-13") { Nodes = "0-1", MemoryNodes = "0-1", Cells = "0-4@0:2048 5-9@1:2048" }]),
        new("an odd split over the only two CPU nodes: the node a core short takes 6, the other 7 (13 vCPUs on 14 free CPUs)",
            "memory-only-node",
            [Auto("big", 13)],
            [new("big", "1-7,9-14") { Nodes = "0-1", Cells = "0-5@0 6-12@1" }]),
        new("numa_nodes naming the memory-only node puts the memory there, whatever the CPU nodes hold",
            "memory-only-node",
            [Auto("db", 2, 32768) with { NumaNodes = CpuSet.Of(2) }],
            [new("db", "1,9") { Nodes = "0", MemoryNodes = "2" }]),

        // ---- captures.
        new("xeon SNC: 18 vCPUs fill node 0 exactly (its ten cores minus the host's)",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("db", 18)],
            [new("db", "1-2,5-6,10-12,15-16,41-42,45-46,50-52,55-56")
            {
                Nodes = "0", Guest = "1x9x2", Emulator = "0,40",
                Pins = "1 41 2 42 5 45 6 46 10 50 11 51 12 52 15 55 16 56",
            }]),
        new("xeon SNC: 20 vCPUs skip node 0 and fill node 1, of the full nodes the one with the least memory left",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("db", 20)],
            [new("db", "3-4,7-9,13-14,17-19,43-44,47-49,53-54,57-59") { Nodes = "1" }]),
        new("xeon SNC: 40 vCPUs split over the two nodes of package 1 (distance 11), node 0 being a core short",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("big", 40)],
            [new("big", "20-39,60-79") { Nodes = "2-3", Cells = "0-19@2 20-39@3", Guest = "2x10x2" }]),
        new("xeon SNC: 4 GiB of 2M huge pages come from the chosen node's 2560 free pages",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("db", 8, 4096) with { HugePages = HugePageBacking.TwoMiB }],
            [new("db", "1-2,5-6,41-42,45-46") { Nodes = "0", MemoryNodes = "0", HugePages = 2048 }]),
        new("xeon SNC: 8 GiB of 2M huge pages is more than a node's pool, so 4 vCPUs split over nodes 0 and 1",
            "xeon-2s-4numa-snc-80cpu",
            [Auto("db", 4, 8192) with { HugePages = HugePageBacking.TwoMiB }],
            [new("db", "1,3,41,43") { Nodes = "0-1", Cells = "0-1@0:4096 2-3@1:4096", HugePages = 4096 }]),
        new("2s-8numa: 28 vCPUs take a whole CPU node (node 3, the least memory left), never the memory-only nodes 4-7",
            "2s-8numa-112cpu",
            [Auto("db", 28)],
            [new("db", "3-111:1/4") { Nodes = "3", MemoryNodes = "3" }]),
        new("2s-8numa: a strict VM on the isolated CPUs 4-7,60-63 is taken as written, one cell per node",
            "2s-8numa-112cpu",
            [Explicit("rt", "4-7,60-63")],
            [new("rt", "4-7,60-63") { Nodes = "0-3", Cells = "0-1@0 2-3@1 4-5@2 6-7@3", Pins = "4 60 5 61 6 62 7 63", Guest = "4x1x2" }]),
        new("2s-8numa: 40 GiB is more than a CPU node holds, so memory and CPUs split over nodes 0 and 2 (distance 11)",
            "2s-8numa-112cpu",
            [Auto("db", 4, 40960)],
            [new("db", "2,4,58,60") { Nodes = "0,2", MemoryNodes = "0,2", Cells = "0-1@0:20480 2-3@2:20480" }]),
        new("desktop: 4 vCPUs take cores 1 and 2 (siblings n and n+10)",
            "desktop-1s-20cpu",
            [Auto("vm", 4)],
            [new("vm", "1-2,11-12") { Pins = "1 11 2 12" }]),
        new("desktop: a float VM and two shared VMs within overcommit 1:1",
            "desktop-1s-20cpu",
            [Auto("desk", 6) with { Pinning = PinningMode.Float }, Shared("a", 4), Shared("b", 6)],
            [new("desk", "1-3,11-13"), new("a", "4-9,14-19")])
        { SharedPool = "4-9,14-19" },
        new("look-ahead against stranding (issue 14): three 2-vCPU VMs into free CPUs of 8 / 4 / 4 (nodes 5 / 6 / 7) with a typical VM of 4 " +
            "strand nothing: the second fills half of node 6 and the third completes it, where taking the 8 each time (nothing stranded at once) left 2",
            "eight-small-nodes",
            [
                Explicit("n0", "1-3,33-35"), Explicit("n1a", "4-5,36-37"), Explicit("n1b", "6-7,38-39"), Explicit("n2a", "8-9,40-41"),
                Explicit("n2b", "10-11,42-43"), Explicit("n3a", "12-13,44-45"), Explicit("n3b", "14-15,46-47"), Explicit("n4a", "16-17,48-49"),
                Explicit("n4b", "18-19,50-51"), Explicit("n6", "24-25,56-57"), Explicit("n7", "28-29,60-61"),
                Auto("a", 2), Auto("b", 2), Auto("c", 2),
            ],
            [new("a", "20,52") { Nodes = "5" }, new("b", "26,58") { Nodes = "6" }, new("c", "27,59") { Nodes = "6" }])
        { Stranded = "" },
        new("EPYC 7402 with offline CPUs: only online CPUs are handed out, single-thread cores included",
            "cadvisor-epyc7402",
            [Auto("vm", 8)],
            [new("vm", "1-5,27-29") { Pins = "1 2 3 27 4 28 5 29", Emulator = "0" }]),
    ];

    public static TheoryData<string> PlacementNames => new(PlacementCases.Select(c => c.Description));

    [Theory]
    [MemberData(nameof(PlacementNames))]
    public void Placement(string description)
    {
        PlacementCase row = PlacementCases.Single(c => c.Description == description);
        HostTopology host = Topologies.Named(row.Machine);
        Declaration declaration = Declare(row.Policy, row.Vms);

        PlanResult result = HostPlanner.Plan(host, declaration);

        Assert.True(result.Ok, $"{description}: no plan on {row.Machine}:\n{Describe(result.Errors)}");
        Plan plan = result.Plan!;
        var wrong = new List<string>();
        void Check(string what, string? expected, string actual)
        {
            if (expected is not null && expected != actual)
            {
                wrong.Add($"{what}: expected \"{expected}\", got \"{actual}\"");
            }
        }

        void CheckSet(string what, string? expected, CpuSet actual)
        {
            if (expected is not null && CpuSet.Parse(expected) != actual)
            {
                wrong.Add($"{what}: expected \"{CpuSet.Parse(expected)}\", got \"{actual}\"");
            }
        }

        foreach (Expect expect in row.Expected)
        {
            VmPlacement? vm = plan.Vm(expect.Vm);
            if (vm is null)
            {
                wrong.Add($"{expect.Vm}: missing from the plan");
                continue;
            }

            CheckSet($"{vm.Name} cpus", expect.Cpus, vm.Cpus);
            CheckSet($"{vm.Name} nodes", expect.Nodes, vm.NumaNodes);
            CheckSet($"{vm.Name} emulator", expect.Emulator, vm.EmulatorCpus);
            CheckSet($"{vm.Name} idle siblings", expect.Idle, vm.IdleSiblings);
            CheckSet($"{vm.Name} memory nodes", expect.MemoryNodes, vm.MemoryNodes);
            Check($"{vm.Name} pins", expect.Pins, string.Join(' ', vm.VcpuPins));
            Check($"{vm.Name} cells", expect.Cells, Cells(vm));
            Check($"{vm.Name} guest", expect.Guest, Guest(vm.Guest));
            Check($"{vm.Name} huge pages", expect.HugePages?.ToString(System.Globalization.CultureInfo.InvariantCulture), vm.HugePages.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (vm.VcpuPins.Count != vm.Spec.Vcpus)
            {
                wrong.Add($"{vm.Name}: {vm.VcpuPins.Count} vCPU pins for {vm.Spec.Vcpus} vCPUs");
            }
        }

        CheckSet("shared pool", row.SharedPool, plan.SharedPool);
        CheckSet("stranded", row.Stranded, plan.Fragmentation.Aggregate(CpuSet.Empty, (all, node) => all | node.StrandedCpus));
        Assert.True(wrong.Count == 0, $"{description} ({row.Machine}):\n  {string.Join("\n  ", wrong)}\nplan:\n{Render(plan)}");
    }
}
