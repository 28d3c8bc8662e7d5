using KvmConfig.Core.Host;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;
using KvmConfig.Core.Tuning;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="Doctor"/>'s judgements on facts built here, one situation each: the boundaries of the sysctl checks, the
/// security modules, the libvirt version, isolcpus written with flags, and huge page needs split over NUMA nodes.
/// </summary>
public sealed class DoctorTests
{
    // 1 socket, 1 node, 8 cores x 2 threads (CPUs 0-15, core n is n,n+8), 32 GiB.
    private static readonly HostTopology Host = Topologies.Build(Topologies.SingleSocketSmt);

    private static HostFacts Facts(string cmdline = "", long swappiness = 10, string lsm = "capability,apparmor", IReadOnlyList<(string, string)>? profiles = null) => new()
    {
        CpuFlags = Fact<IReadOnlySet<string>>.Of(new HashSet<string> { "fpu", "tsc", "vmx" }),
        KvmDevice = Fact<bool>.Of(true),
        Iommus = Fact<IReadOnlyList<string>>.Of(["dmar0"]),
        CommandLine = Fact<KernelCommandLine>.Of(new KernelCommandLine(cmdline)),
        Lsms = Fact<IReadOnlyList<string>>.Of(lsm.Split(',')),
        SelinuxEnforce = Fact<int>.NotKnown("/sys/fs/selinux/enforce not found"),
        AppArmorProfiles = profiles is null ? Fact<IReadOnlyList<(string, string)>>.NotKnown("/sys/kernel/security/apparmor/profiles not found") : Fact<IReadOnlyList<(string, string)>>.Of(profiles),
        CgroupVersion = Fact<int>.Of(2),
        Schedstat = Fact<bool>.Of(true),
        ThpMode = Fact<string>.Of("madvise"),
        KsmRun = Fact<int>.Of(0),
        Sysctls = new Dictionary<string, Fact<long>>
        {
            ["vm.swappiness"] = Fact<long>.Of(swappiness), ["vm.overcommit_memory"] = Fact<long>.Of(0), ["net.core.somaxconn"] = Fact<long>.Of(4096),
        },
        IrqBalanceBanned = Fact<CpuSet>.NotKnown("no irqbalance configuration"),
        MemTotalKiB = Fact<long>.Of(32L * 1024 * 1024),
        CpuFreqPolicies = Fact<IReadOnlyList<CpuFreqPolicyFacts>>.Of([]),
    };

    private static DoctorReport Run(HostFacts facts, Declaration? declaration = null, ulong libvirt = 9_000_000)
    {
        declaration ??= PlannerTests.Declare(new HostPolicy(), [PlannerTests.Auto("db", 4, 4096)]);
        Plan? plan = HostPlanner.Plan(Host, declaration).Plan;
        return Doctor.Run(new DoctorInput(facts, Host, declaration, plan, plan is null ? null : HugePageNeeds.Of(plan), Fact<ulong>.Of(libvirt)));
    }

    [Theory]
    [InlineData(0, CheckStatus.Warn)]
    [InlineData(1, CheckStatus.Pass)]
    [InlineData(10, CheckStatus.Pass)]
    [InlineData(11, CheckStatus.Warn)]
    [InlineData(60, CheckStatus.Warn)]
    public void Swappiness_passes_from_1_to_10_and_warns_at_0_and_above(long value, CheckStatus expected) =>
        Assert.Equal(expected, Run(Facts(swappiness: value)).Find("swappiness")!.Status);

    [Theory]
    [InlineData(7_001_000UL, CheckStatus.Fail)]
    [InlineData(7_002_000UL, CheckStatus.Pass)]
    [InlineData(10_005_000UL, CheckStatus.Pass)]
    public void Libvirt_from_7_2_passes(ulong version, CheckStatus expected) =>
        Assert.Equal(expected, Run(Facts(), libvirt: version).Find("libvirt")!.Status);

    [Fact]
    public void Apparmor_without_an_enforcing_libvirt_profile_warns_and_no_security_module_fails()
    {
        Assert.Equal(CheckStatus.Pass, Run(Facts(profiles: [("libvirtd", "enforce")])).Find("svirt")!.Status);
        Assert.Equal(CheckStatus.Warn, Run(Facts(profiles: [("libvirtd", "complain")])).Find("svirt")!.Status);
        Assert.Equal(CheckStatus.Warn, Run(Facts(profiles: [("/usr/sbin/cupsd", "enforce")])).Find("svirt")!.Status);
        DoctorCheck none = Run(Facts(lsm: "capability,yama")).Find("svirt")!;
        Assert.Equal(CheckStatus.Fail, none.Status);
        Assert.Contains("capability,yama", none.Seen, StringComparison.Ordinal);
    }

    [Fact]
    public void Isolcpus_written_with_flags_is_read_as_its_cpu_list()
    {
        // Given db dedicated on some CPUs of the plan, and isolcpus with flags naming exactly them
        Declaration declaration = PlannerTests.Declare(new HostPolicy(), [PlannerTests.Auto("db", 4, 4096)]);
        CpuSet dedicated = HostPlanner.Plan(Host, declaration).Plan!.Vm("db")!.Cpus;

        DoctorCheck isolated = Run(Facts($"quiet isolcpus=nohz,domain,managed_irq,{dedicated} nohz_full={dedicated}"), declaration).Find("isolation")!;
        DoctorCheck missing = Run(Facts("quiet"), declaration).Find("isolation")!;
        DoctorCheck host = Run(Facts($"isolcpus=0,{dedicated}"), declaration).Find("isolation")!;

        Assert.Equal(CheckStatus.Pass, isolated.Status);
        Assert.Equal(CheckStatus.Warn, missing.Status);
        Assert.Contains($"dedicated CPUs {dedicated} also run host tasks", missing.Seen, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Fail, host.Status);
        Assert.Contains("the reserved CPUs 0 are isolated", host.Seen, StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_page_needs_split_a_vm_over_the_nodes_its_memory_is_on()
    {
        // Given two NUMA nodes with 1024 2 MiB pages each, and a VM of 3 GiB on huge pages interleaved over both
        HostTopology host = Topologies.Build(Topologies.TwoNodesPerSocketHugePages);
        VmSpec vm = PlannerTests.Auto("big", 2, 3072) with { HugePages = HugePageBacking.TwoMiB, Numa = MemoryMode.Interleave };
        Plan plan = HostPlanner.Plan(host, PlannerTests.Declare(new HostPolicy(), [vm])).Plan!;

        IReadOnlyDictionary<(int Node, long SizeKiB), long> needs = HugePageNeeds.Of(plan);

        // Then its 1536 pages are counted once, over the nodes its memory is on
        Assert.Equal(1536, needs.Values.Sum());
        Assert.All(needs.Keys, k => Assert.Contains(k.Node, plan.Vm("big")!.MemoryNodes));
    }

    [Fact]
    public void A_declaration_short_of_huge_pages_is_planned_as_if_they_were_reserved()
    {
        // Given a host without huge pages and a VM on 2 MiB pages
        Declaration declaration = PlannerTests.Declare(new HostPolicy(), [PlannerTests.Auto("db", 2, 2048) with { HugePages = HugePageBacking.TwoMiB }]);
        Assert.Null(HostPlanner.Plan(Host, declaration).Plan);

        // When it is planned with enough pages
        Plan plan = HugePageNeeds.PlanWithEnough(Host, declaration)!;

        // Then the plan asks for the VM's pages on its node, and doctor fails the pools that lack them
        Assert.Equal(1024, HugePageNeeds.Of(plan).Values.Single());
        DoctorReport report = Doctor.Run(new DoctorInput(Facts(), Host, declaration, plan, HugePageNeeds.Of(plan), Fact<ulong>.Of(9_000_000)));
        Assert.Equal(CheckStatus.Fail, report.Find("hugepages")!.Status);
        Assert.Contains("1024 x 2M needed, 0 reserved", report.Find("hugepages")!.Seen, StringComparison.Ordinal);
    }
}
