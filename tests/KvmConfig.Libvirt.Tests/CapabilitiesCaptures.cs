using KvmConfig.Core.Topology;
using KvmConfig.TestSupport;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// A capabilities file of <c>tests/data/capabilities/</c> generated from the sysfs capture of the same name
/// (<c>tests/data/sysfs/</c>), with what it must read as, in cpulists.
/// </summary>
public sealed record CapabilitiesCapture
{
    /// <summary>The machine: the sysfs capture's folder and the capabilities file's name without <c>.xml</c>.</summary>
    public required string Name { get; init; }

    /// <summary>What makes this machine worth a row.</summary>
    public required string Description { get; init; }

    public CapabilitiesFormat Format { get; init; } = CapabilitiesFormat.V9;

    public OfflineCpuForm OfflineCpus { get; init; } = OfflineCpuForm.Omitted;

    public required string Present { get; init; }

    public required string Online { get; init; }

    /// <summary>Online CPUs of each cell, in cell id order.</summary>
    public required string[] CellCpus { get; init; }

    /// <summary>Online CPUs of each L3 group, by first CPU; empty when the capture has no caches.</summary>
    public required string[] L3Groups { get; init; }

    /// <summary>The path of the committed file.</summary>
    public string File => TestData.Path("capabilities", Name + ".xml");

    /// <summary>The sysfs reader's topology of the same machine (read once per run).</summary>
    public HostTopology Sysfs => Captures.Host(Name);

    /// <summary>What the writer makes of the sysfs capture: the committed file must equal it.</summary>
    public string Render() =>
        CapabilitiesWriter.Render(Sysfs, new CapabilitiesWriter.Options
        {
            Name = Name,
            Format = Format,
            OfflineCpus = OfflineCpus,
            CacheBanks = CapabilitiesWriter.ReadCacheBanks(TestData.SysfsRoot(Name), Sysfs.Online),
        });

    public override string ToString() => Name;
}

/// <summary>The table of generated captures, shared by the reader tests.</summary>
public static class CapabilitiesCaptures
{
    public static readonly CapabilitiesCapture XeonSnc = new()
    {
        Name = "xeon-2s-4numa-snc-80cpu",
        Description = "two Xeon sockets in sub-NUMA clustering: 4 cells of interleaved CPU runs, siblings N and N+40, "
            + "one L3 bank per socket spanning two cells, 2560 2M pages per cell, distances 10/11/21",
        Present = "0-79",
        Online = "0-79",
        CellCpus =
        [
            "0-2,5-6,10-12,15-16,40-42,45-46,50-52,55-56",
            "3-4,7-9,13-14,17-19,43-44,47-49,53-54,57-59",
            "20-22,25-26,30-32,35-36,60-62,65-66,70-72,75-76",
            "23-24,27-29,33-34,37-39,63-64,67-69,73-74,77-79",
        ],
        L3Groups = ["0-19,40-59", "20-39,60-79"],
    };

    public static readonly CapabilitiesCapture EightNodes = new()
    {
        Name = "2s-8numa-112cpu",
        Description = "two sockets (even CPUs package 0), 4 CPU cells striped every 4th CPU and 4 memory-only cells "
            + "written <cpus num='0'/>; the host has isolcpus=4-7,60-63, which capabilities cannot show",
        Present = "0-111",
        Online = "0-111",
        CellCpus =
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
    };

    public static readonly CapabilitiesCapture Epyc = new()
    {
        Name = "cadvisor-epyc7402",
        Description = "EPYC 7402 with six CPUs offline, written <cpu id='N'/>; online siblings still name their offline "
            + "threads ('0,24'); memory unknown in the capture, so no <memory> or <pages>; no caches",
        OfflineCpus = OfflineCpuForm.Bare,
        Present = "0-47",
        Online = "0-23,27-40,42,44,46-47",
        CellCpus = ["0-23,27-40,42,44,46-47"],
        L3Groups = [],
    };

    public static readonly CapabilitiesCapture Hybrid = new()
    {
        Name = "1s-16cpu",
        Description = "hybrid part in libvirt 10's format: cluster_id per CPU (two clusters of four one-thread cores "
            + "sharing an L2, which capabilities do not report)",
        Format = CapabilitiesFormat.V10,
        Present = "0-15",
        Online = "0-15",
        CellCpus = ["0-15"],
        L3Groups = ["0-15"],
    };

    public static readonly CapabilitiesCapture Desktop = new()
    {
        Name = "desktop-1s-20cpu",
        Description = "desktop, 10 cores x 2 with core id gaps (0-4, 8-12), one cell",
        Present = "0-19",
        Online = "0-19",
        CellCpus = ["0-19"],
        L3Groups = ["0-19"],
    };

    public static readonly CapabilitiesCapture Xeon4214 = new()
    {
        Name = "cadvisor-xeon4214_2socket",
        Description = "2x Xeon 4214 on a kernel without die_id: libvirt writes die_id='0'; no memory, no caches",
        Present = "0-47",
        Online = "0-47",
        CellCpus = ["0-47"],
        L3Groups = [],
    };

    public static readonly CapabilitiesCapture ManyPackages = new()
    {
        Name = "cadvisor-single_socket_many_NUMAs",
        Description = "16 packages of one two-thread core each, in one cell",
        Present = "0-31",
        Online = "0-31",
        CellCpus = ["0-31"],
        L3Groups = [],
    };

    public static IReadOnlyList<CapabilitiesCapture> All { get; } =
        [XeonSnc, EightNodes, Epyc, Hybrid, Desktop, Xeon4214, ManyPackages];

    /// <summary>Capture names for <c>[MemberData]</c>: one theory row per machine.</summary>
    public static TheoryData<string> Names
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (CapabilitiesCapture c in All)
            {
                data.Add(c.Name);
            }

            return data;
        }
    }

    public static CapabilitiesCapture ByName(string name) => All.Single(c => c.Name == name);
}
