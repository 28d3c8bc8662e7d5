namespace KvmConfig.Linux.Tests;

/// <summary>
/// What each captured tree in <c>tests/data/sysfs/</c> says, read off its files by hand (see the README there).
/// CPU sets are cpulists, as the kernel prints them.
/// </summary>
public sealed record SysfsMachine
{
    /// <summary>Folder name under tests/data/sysfs.</summary>
    public required string Name { get; init; }

    /// <summary>What makes this machine worth a row.</summary>
    public required string Description { get; init; }

    public required string Possible { get; init; }

    public required string Present { get; init; }

    public required string Online { get; init; }

    public required string Offline { get; init; }

    public required string Isolated { get; init; }

    public required int Packages { get; init; }

    /// <summary>Physical cores with at least one online thread.</summary>
    public required int Cores { get; init; }

    public required int ThreadsPerCore { get; init; }

    public required int CoresPerPackage { get; init; }

    /// <summary>Online CPUs of each node, in node id order (nodes 0..n-1 in every capture).</summary>
    public required string[] NodeCpus { get; init; }

    /// <summary>Online CPUs of each L3 group, ordered by first CPU; empty without cache/ in the capture.</summary>
    public required string[] L3Groups { get; init; }

    /// <summary>Node 0's MemTotal and MemFree in KiB; null without node/ (captures are read without a proc root).</summary>
    public required (long Total, long Free)? Node0MemoryKiB { get; init; }

    /// <summary>Node 0's huge page pools as "SIZEkB total/free", ascending by size.</summary>
    public required string[] Node0HugePages { get; init; }

    /// <summary>Node 0's row of the distance matrix.</summary>
    public required int[] Node0Distances { get; init; }

    /// <summary>Governors offered by every policy, sorted; empty without cpufreq/.</summary>
    public required string[] Governors { get; init; }

    public required long? MinKHz { get; init; }

    public required long? MaxKHz { get; init; }

    public override string ToString() => Name;
}

/// <summary>The table of captured machines, shared by the reader tests.</summary>
public static class SysfsMachines
{
    public static readonly SysfsMachine XeonSnc = new()
    {
        Name = "xeon-2s-4numa-snc-80cpu",
        Description = "two Xeon sockets in sub-NUMA-clustering mode: 4 nodes of 10 cores, siblings numbered N and N+40, "
            + "so nodes are interleaved runs; each socket's L3 spans both of its nodes; 2560 2M huge pages per node",
        Possible = "0-79",
        Present = "0-79",
        Online = "0-79",
        Offline = "",
        Isolated = "",
        Packages = 2,
        Cores = 40,
        ThreadsPerCore = 2,
        CoresPerPackage = 20,
        NodeCpus =
        [
            "0-2,5-6,10-12,15-16,40-42,45-46,50-52,55-56",
            "3-4,7-9,13-14,17-19,43-44,47-49,53-54,57-59",
            "20-22,25-26,30-32,35-36,60-62,65-66,70-72,75-76",
            "23-24,27-29,33-34,37-39,63-64,67-69,73-74,77-79",
        ],
        L3Groups = ["0-19,40-59", "20-39,60-79"],
        Node0MemoryKiB = (48005604, 24118324),
        Node0HugePages = ["2048kB 2560/2560", "1048576kB 0/0"],
        Node0Distances = [10, 11, 21, 21],
        Governors = ["performance", "powersave"],
        MinKHz = 1000000,
        MaxKHz = 3700000,
    };

    public static readonly SysfsMachine Desktop = new()
    {
        Name = "desktop-1s-20cpu",
        Description = "desktop with 10 cores x 2 threads, siblings N and N+10, core ids 0-4 and 8-12 (gaps), one node; "
            + "4 policies turbo to 4.5 GHz, the rest to 4.3 GHz",
        Possible = "0-19",
        Present = "0-19",
        Online = "0-19",
        Offline = "",
        Isolated = "",
        Packages = 1,
        Cores = 10,
        ThreadsPerCore = 2,
        CoresPerPackage = 10,
        NodeCpus = ["0-19"],
        L3Groups = ["0-19"],
        Node0MemoryKiB = (65621548, 14201900),
        Node0HugePages = ["2048kB 0/0", "1048576kB 0/0"],
        Node0Distances = [10],
        Governors = ["performance", "powersave"],
        MinKHz = 1200000,
        MaxKHz = 4500000,
    };

    public static readonly SysfsMachine Hybrid = new()
    {
        Name = "1s-16cpu",
        Description = "hybrid laptop part: 4 two-thread cores (0-7) and 8 one-thread cores in two clusters of 4 "
            + "sharing an L2 (8-11, 12-15); threads per core is the largest (2); cluster_id present",
        Possible = "0-15",
        Present = "0-15",
        Online = "0-15",
        Offline = "",
        Isolated = "",
        Packages = 1,
        Cores = 12,
        ThreadsPerCore = 2,
        CoresPerPackage = 12,
        NodeCpus = ["0-15"],
        L3Groups = ["0-15"],
        Node0MemoryKiB = (40645580, 18325028),
        Node0HugePages = ["2048kB 0/0", "1048576kB 0/0"],
        Node0Distances = [10],
        Governors = ["performance", "powersave"],
        MinKHz = 400000,
        MaxKHz = 4800000,
    };

    public static readonly SysfsMachine EightNodes = new()
    {
        Name = "2s-8numa-112cpu",
        Description = "two sockets (even CPUs package 0, odd package 1), 4 CPU nodes striped every 4th CPU and 4 "
            + "memory-only nodes (4-7, 124 GiB each); isolcpus=4-7,60-63",
        Possible = "0-111",
        Present = "0-111",
        Online = "0-111",
        Offline = "",
        Isolated = "4-7,60-63",
        Packages = 2,
        Cores = 56,
        ThreadsPerCore = 2,
        CoresPerPackage = 28,
        NodeCpus =
        [
            "0,4,8,12,16,20,24,28,32,36,40,44,48,52,56,60,64,68,72,76,80,84,88,92,96,100,104,108",
            "1,5,9,13,17,21,25,29,33,37,41,45,49,53,57,61,65,69,73,77,81,85,89,93,97,101,105,109",
            "2,6,10,14,18,22,26,30,34,38,42,46,50,54,58,62,66,70,74,78,82,86,90,94,98,102,106,110",
            "3,7,11,15,19,23,27,31,35,39,43,47,51,55,59,63,67,71,75,79,83,87,91,95,99,103,107,111",
            "",
            "",
            "",
            "",
        ],
        L3Groups =
        [
            "0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,52,54,56,58,60,62,64,66,68,70,72,74,76,78,80,82,84,86,88,90,92,94,96,98,100,102,104,106,108,110",
            "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47,49,51,53,55,57,59,61,63,65,67,69,71,73,75,77,79,81,83,85,87,89,91,93,95,97,99,101,103,105,107,109,111",
        ],
        Node0MemoryKiB = (32404120, 19828492),
        Node0HugePages = ["2048kB 0/0", "1048576kB 0/0"],
        Node0Distances = [10, 21, 11, 21, 17, 28, 28, 28],
        Governors = ["performance", "powersave"],
        MinKHz = 1000000,
        MaxKHz = 4000000,
    };

    public static readonly SysfsMachine Epyc = new()
    {
        Name = "cadvisor-epyc7402",
        Description = "EPYC 7402, 24 cores x 2, six CPUs offline (24-26,41,43,45) so six cores run one thread; "
            + "cpu subtree only: no possible/present files (the cpuN directories stand in), no node/, no caches",
        Possible = "0-47",
        Present = "0-47",
        Online = "0-23,27-40,42,44,46-47",
        Offline = "24-26,41,43,45",
        Isolated = "",
        Packages = 1,
        Cores = 24,
        ThreadsPerCore = 2,
        CoresPerPackage = 24,
        NodeCpus = ["0-23,27-40,42,44,46-47"],
        L3Groups = [],
        Node0MemoryKiB = null,
        Node0HugePages = [],
        Node0Distances = [],
        Governors = [],
        MinKHz = null,
        MaxKHz = null,
    };

    public static readonly SysfsMachine Xeon4214 = new()
    {
        Name = "cadvisor-xeon4214_2socket",
        Description = "2x Xeon Silver 4214 (12 cores x 2 each, package 0 = 0-11,24-35); an older kernel: no die_id, "
            + "no core_cpus, 448-bit hex masks; cpu subtree only",
        Possible = "0-47",
        Present = "0-47",
        Online = "0-47",
        Offline = "",
        Isolated = "",
        Packages = 2,
        Cores = 24,
        ThreadsPerCore = 2,
        CoresPerPackage = 12,
        NodeCpus = ["0-47"],
        L3Groups = [],
        Node0MemoryKiB = null,
        Node0HugePages = [],
        Node0Distances = [],
        Governors = [],
        MinKHz = null,
        MaxKHz = null,
    };

    public static readonly SysfsMachine ManyPackages = new()
    {
        Name = "cadvisor-single_socket_many_NUMAs",
        Description = "named 'single socket' by cAdvisor, but physical_package_id runs 0..15: 16 packages of one "
            + "two-thread core; no node/ captured, so one node 0",
        Possible = "0-31",
        Present = "0-31",
        Online = "0-31",
        Offline = "",
        Isolated = "",
        Packages = 16,
        Cores = 16,
        ThreadsPerCore = 2,
        CoresPerPackage = 1,
        NodeCpus = ["0-31"],
        L3Groups = [],
        Node0MemoryKiB = null,
        Node0HugePages = [],
        Node0Distances = [],
        Governors = [],
        MinKHz = null,
        MaxKHz = null,
    };

    public static IReadOnlyList<SysfsMachine> All { get; } =
        [XeonSnc, Desktop, Hybrid, EightNodes, Epyc, Xeon4214, ManyPackages];

    /// <summary>Machine names for <c>[MemberData]</c>: one theory row per machine.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (SysfsMachine m in All)
            {
                data.Add(m.Name);
            }

            return data;
        }
    }

    public static SysfsMachine ByName(string name) => All.Single(m => m.Name == name);
}
