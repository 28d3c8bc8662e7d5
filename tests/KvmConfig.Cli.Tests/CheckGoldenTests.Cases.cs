namespace KvmConfig.Cli.Tests;

// The table of golden cases.
public sealed partial class CheckGoldenTests
{
    /// <summary>
    /// The cases, one or more per code of KVC001..KVC059. A case's name starts with the code it exists for;
    /// <see cref="CheckCase.Also"/> lists the other codes the declaration cannot avoid, so a golden file can never
    /// lock a declaration that trips something else by accident.
    /// </summary>
    public static IReadOnlyList<CheckCase> Cases { get; } =
    [
        // ---- Syntax -------------------------------------------------------------------------------------------
        new("KVC001-not-utf8",
            "a VM file saved as Latin-1 by an old editor: the 'ü' of the comment is byte 0xfc, which is not UTF-8; "
            + "the file is left out rather than read with replacement characters",
            Desktop,
            [("20-buero.conf", "# Webserver für das Büro\nvcpus = 2\nmemory = 2G\n")],
            latin1: true),

        new("KVC002-missing-equals",
            "a key and its value with the '=' forgotten",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\ncpu_weight 200\n")]),

        new("KVC003-empty-key",
            "a value left behind when the key was deleted",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\n= 200\n")]),

        new("KVC004-unterminated-header",
            "a [vm] header without its ']': its keys are skipped, the next section is read",
            Desktop,
            [("30-web.conf", "[vm web1\nvcpus = 2\nmemory = 2G\n\n[vm web2]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC004-text-after-header",
            "a key written on the header line, INI-style shortcuts do not exist",
            Desktop,
            [("30-web.conf", "[vm web1] vcpus = 2\nmemory = 2G\n")]),

        new("KVC005-unknown-section",
            "[vms web1] instead of [vm web1]: did you mean suggests the right header with the name kept",
            Desktop,
            [("30-web.conf", "[vms web1]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC006-bad-section-name",
            "a VM name with a space, which libvirt domain names do not allow unquoted",
            Desktop,
            [("30-web.conf", "[vm web server]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC006-vm-without-name",
            "[vm] with no name",
            Desktop,
            [("30-web.conf", "[vm]\nvcpus = 2\nmemory = 2G\n")]),

        new("KVC007-no-section",
            "keys at the top of a file whose name (no NN- prefix) implies no section",
            Desktop,
            [("web1.conf", "vcpus = 2\nmemory = 2G\n")]),

        new("KVC008-empty-directory",
            "a directory holding only a file with the wrong extension (.cfg): nothing is declared",
            Desktop,
            [("10-web1.cfg", "vcpus = 2\nmemory = 2G\n")]),

        new("KVC010-unknown-key",
            "cpu = 1-4 for cpus = 1-4: did you mean 'cpus'",
            Desktop,
            [("10-vm1.conf", "cpu = 1-4\nvcpus = 4\nmemory = 4G\n")]),

        new("KVC010-host-key-in-vm",
            "a [host] key written in a VM file: the hint says where it belongs",
            Desktop,
            [("20-web1.conf", "vcpus = 2\nmemory = 2G\novercommit = 1:3\n")]),

        new("KVC011-bad-value",
            "memory = 12X: X is not a size unit; the carets point at the unit",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 12X\n")]),

        new("KVC012-overcommit-out-of-range",
            "overcommit = 1:9: a ratio, but above the 1:5 the host policy allows",
            Desktop,
            [("00-cpu.conf", "overcommit = 1:9\n")]),

        new("KVC012-vcpus-zero",
            "vcpus = 0: a number, but a VM needs at least one vCPU",
            Desktop,
            [("20-web1.conf", "vcpus = 0\nmemory = 2G\n")]),

        new("KVC013-duplicate-key",
            "memory set twice in one section: the later line wins, with a warning",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 8G\n# grown for the quarter-end batch\nmemory = 16G\n")]),

        new("KVC014-duplicate-vm",
            "web1 declared by its own file and again in a file of several web VMs",
            Desktop,
            [
                ("20-web1.conf", "vcpus = 2\nmemory = 2G\n"),
                ("30-web.conf", "[vm web1]\nvcpus = 4\nmemory = 4G\n"),
            ]),

        new("KVC015-drop-in-override",
            "a later drop-in file overrides a [host] key: allowed, reported as a note with --verbose",
            Desktop,
            [
                ("00-cpu.conf", "reserved = 0,10\novercommit = 1:2\n"),
                ("90-local.conf", "# site override\n[host]\novercommit = 1:4\n"),
            ]),

        new("KVC016-unknown-profile",
            "profile = databse: did you mean 'database'",
            Desktop,
            [("20-db1.conf", "profile = databse\n")]),

        new("KVC017-missing-key",
            "a shared-pool VM (cpuspinlock = none) with no vcpus and no profile: nothing to derive vcpus from",
            Desktop,
            [("20-web1.conf", "cpuspinlock = none\nmemory = 2G\n")]),

        new("KVC018-defaulted",
            "the seed's two-line file: strict pinning on cpus = 1-4 gives vcpus = 4, reported as a note",
            Desktop,
            [("00-vm1.conf", "cpus = 1-4\nmemory = 4G\n")]),

        // ---- Semantics against the host --------------------------------------------------------------------
        new("KVC020-more-physical-cpus-than-vms",
            "21 small web VMs on the 20-CPU desktop: the seed's rule wants more physical CPUs than VMs",
            Desktop,
            [
                ("00-cpu.conf", "overcommit = 1:2\n"),
                ("30-web.conf", string.Concat(Enumerable.Range(1, 21).Select(i => $"[vm web{i:00}]\nprofile = web\ncpuspinlock = none\n\n")).TrimEnd() + "\n"),
            ]),

        new("KVC021-max-vm-share",
            "cpus = 1-9 on the 20-CPU desktop: 9 CPUs, more than a third (6)",
            Desktop,
            [("10-build.conf", "vcpus = 9\ncpus = 1-9\nmemory = 8G\n")]),

        new("KVC022-cpu-absent",
            "cpus = 18-21 on a host whose CPUs end at 19",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 18-21\nmemory = 8G\n")]),

        new("KVC023-cpu-offline",
            "cpus = 40-43 on the EPYC capture where CPUs 41 and 43 are offline",
            Epyc,
            [("20-db1.conf", "vcpus = 4\ncpus = 40-43\nmemory = 8G\n")]),

        new("KVC024-dedicated-overlap",
            "two strict VMs both claim CPUs 4-5",
            Desktop,
            [
                ("20-db1.conf", "vcpus = 4\ncpus = 2-5\nmemory = 8G\n"),
                ("21-db2.conf", "vcpus = 4\ncpus = 4-7\nmemory = 8G\n"),
            ]),

        new("KVC024-overlap-several-owners",
            "a VM pinned over five earlier VMs gets one finding naming three of them and counting the rest",
            Desktop,
            [
                ("20-a.conf", "vcpus = 1\ncpus = 1\nmemory = 1G\n"),
                ("21-b.conf", "vcpus = 1\ncpus = 2\nmemory = 1G\n"),
                ("22-c.conf", "vcpus = 1\ncpus = 3\nmemory = 1G\n"),
                ("23-d.conf", "vcpus = 1\ncpus = 4\nmemory = 1G\n"),
                ("24-e.conf", "vcpus = 1\ncpus = 5\nmemory = 1G\n"),
                ("30-big.conf", "vcpus = 5\ncpus = 1-5\nmemory = 1G\n"),
            ]),

        new("KVC025-outside-cpuset",
            "the host gives VMs 4-9,14-19 only; a VM pinned to 2-3 is outside it",
            Desktop,
            [
                ("00-cpu.conf", "cpuset = 4-9,14-19\n"),
                ("20-db1.conf", "vcpus = 2\ncpus = 2-3\nmemory = 4G\n"),
            ]),

        new("KVC026-uses-reserved",
            "cpus = 0-3 includes CPU 0, which the host keeps by default (with its sibling 10)",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 0-3\nmemory = 4G\n")]),

        new("KVC027-vcpus-exceed-set",
            "4 vCPUs pinned strictly onto 2 CPUs",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 2-3\nmemory = 4G\n")]),

        new("KVC028-spans-numa-nodes",
            "cpus = 1-4 on the SNC Xeon: 1-2 are node 0, 3-4 node 1, with numa = strict (the default)",
            Xeon,
            [("20-db1.conf", "vcpus = 4\ncpus = 1-4\nmemory = 8G\n")]),

        new("KVC029-isolate-shares-core",
            "an smt = isolate VM on 2-3 while another VM runs on 12-13, their SMT siblings",
            Desktop,
            [
                ("20-rt1.conf", "vcpus = 2\ncpus = 2-3\nsmt = isolate\nmemory = 4G\n"),
                ("21-build.conf", "vcpus = 2\ncpus = 12-13\nmemory = 4G\n"),
            ]),

        new("KVC030-host-memory",
            "two 32G databases on a 62.6G desktop that keeps 2G for itself",
            Desktop,
            [
                ("20-db1.conf", "vcpus = 4\nmemory = 32G\n"),
                ("21-db2.conf", "vcpus = 4\nmemory = 32G\n"),
            ]),

        new("KVC031-node-memory",
            "48G pinned to CPUs of node 0 on the SNC Xeon, whose nodes have ~46G each",
            Xeon,
            [("20-db1.conf", "vcpus = 4\ncpus = 1-2,41-42\nmemory = 48G\n")]),

        new("KVC032-hugepages",
            "8G of 2M pages (4096) on node 1, which has 2560 free",
            Xeon,
            [("20-risk.conf", "vcpus = 4\ncpus = 3-4,43-44\nmemory = 8G\nhugepages = 2M\n")]),

        new("KVC033-overcommit",
            "four shared-pool CI VMs of 5 vCPUs (20) on an 18-CPU pool at overcommit 1:1",
            Desktop,
            [("30-ci.conf", string.Concat(Enumerable.Range(1, 4).Select(i => $"[vm ci{i}]\ncpuspinlock = none\nvcpus = 5\nmemory = 4G\n\n")).TrimEnd() + "\n")]),

        new("KVC034-cpufreq-governor",
            "cpufreq = perfomance, a typo that is no governor at all: did you mean names the governor, and the host's governors are listed",
            Desktop,
            [("00-cpu.conf", "cpufreq = perfomance\n")]),

        new("KVC034-governor-not-offered",
            "cpufreq = schedutil, a real governor that intel_pstate does not offer",
            Desktop,
            [("00-cpu.conf", "cpufreq = schedutil\n")]),

        new("KVC035-cpufreq-max",
            "cpufreq_max = 5GHz on CPUs that top out at 4.5GHz",
            Desktop,
            [("00-cpu.conf", "cpufreq_max = 5GHz\n")]),

        new("KVC036-dedicated-capacity",
            "four auto-placed strict VMs of 6 vCPUs (24) and only 18 CPUs outside the reserved ones",
            Desktop,
            [("30-build.conf", string.Concat(Enumerable.Range(1, 4).Select(i => $"[vm build{i}]\nvcpus = 6\nmemory = 8G\n\n")).TrimEnd() + "\n")]),

        new("KVC037-host-pools",
            "cpuset and reserved both name CPU 0",
            Desktop,
            [("00-cpu.conf", "cpuset = 0-9\nreserved = 0,10\n")]),

        new("KVC037-nothing-left",
            "every CPU reserved for the host: nothing left for VMs",
            Desktop,
            [("00-cpu.conf", "reserved = 0-19\n")]),

        new("KVC038-numa-node-absent",
            "numa_nodes = 1 on a one-node desktop",
            Desktop,
            [("20-db1.conf", "vcpus = 2\nmemory = 4G\nnuma_nodes = 1\n")]),

        new("KVC039-idle-dedicated-cpus",
            "2 vCPUs pinned strictly onto 4 CPUs: two stay idle (a warning: allowed, wasteful)",
            Desktop,
            [("20-db1.conf", "vcpus = 2\ncpus = 2-5\nmemory = 4G\n")]),

        new("KVC040-smt-whole-cores",
            "smt = require on 2-5 without the siblings 12-15",
            Desktop,
            [("20-db1.conf", "vcpus = 4\ncpus = 2-5\nsmt = require\nmemory = 4G\n")]),

        new("KVC041-cpu-limit-above-vcpus",
            "cpu_limit = 4 on a 2-vCPU VM can never bind (a warning)",
            Desktop,
            [("20-web1.conf", "vcpus = 2\ncpu_limit = 4\nmemory = 4G\n")]),

        new("KVC058-net-shaping-unsupported",
            "net_bandwidth on a kernel built without sch_sfq and act_police (a warning: apply refuses to shape a VM that has interfaces)",
            KernelWithoutSfq,
            [("20-web1.conf", "vcpus = 2\nmemory = 4G\nnet_bandwidth = 1Gbit\n")]),

        new("KVC059-vcpus-above-max",
            "vcpus = 4 with vcpus_max = 2: the domain could not boot with more vCPUs online than its maximum",
            Desktop,
            [("20-app1.conf", "vcpus = 4\nvcpus_max = 2\nmemory = 4G\n")]),

        new("KVC042-realtime-shared",
            "fifo:10 vCPU threads in the shared pool (a warning)",
            Desktop,
            [("20-rt1.conf", "vcpus = 2\ncpuspinlock = none\ncpuscheduling = fifo:10\nmemory = 4G\n")]),

        new("KVC043-memory-unmanaged",
            "no memory key: kvmconfig leaves the size to libvirt and says so (a note)",
            Desktop,
            [("20-web1.conf", "vcpus = 2\n")]),

        new("KVC044-hugepage-size",
            "hugepages = 1G on the EPYC capture, which has no huge page pool at all",
            Epyc,
            [("20-db1.conf", "vcpus = 4\nmemory = 8G\nhugepages = 1G\n")]),

        new("KVC045-cpus-with-shared-pinning",
            "a shared-pool VM given its own CPU list: it would either be fenced or the list ignored",
            Desktop,
            [("30-web1.conf", "vcpus = 2\nmemory = 2G\ncpuspinlock = none\ncpus = 4-5\n")]),

        new("KVC047-cannot-plan",
            "one vCPU with 44G of strict memory: the host has the memory, but no node has 44G free after huge page pools and memory_reserved, and one vCPU cannot be split",
            Xeon,
            [("20-cache.conf", "vcpus = 1\nmemory = 44G\n")]),

        new("KVC046-float-on-isolated",
            "a float VM over CPUs the kernel isolates (isolcpus=4-7,60-63 on the 112-CPU capture)",
            "2s-8numa-112cpu",
            [
                ("00-cpu.conf", "cpuset = 4-7,60-63\n"),
                ("20-rt.conf", "vcpus = 2\ncpus = 4,60\ncpuspinlock = float\nmemory = 4G\n"),
            ]),

        new("KVC048-threshold-order",
            "ready_warning = 20% (the seed's 200 ms of waiting per second) with ready_critical left at its default 10%: "
            + "a vCPU would be critical long before it warned",
            Desktop,
            [("00-cpu.conf", "reserved = 0,10\n\n[alerts]\n# the seed: an average wait over 200 ms per second\nready_warning = 20%\n")]),

        new("KVC048-critical-lowered-in-drop-in",
            "a site drop-in lowers ready_critical to 4% under the 5% ready_warning of 00-cpu.conf: the note points at the other file",
            Desktop,
            [
                ("00-cpu.conf", "reserved = 0,10\n\n[alerts]\nready_warning = 5%\nready_critical = 10%\n"),
                ("90-local.conf", "[alerts]\nready_critical = 4%\n"),
            ],
            also: ["KVC015"]),

        new("KVC049-host-topology-assumed",
            "a machine whose kernel writes no topology/ (no SMP support, some sparc kernels): every CPU counts as its own core and socket, "
            + "so smt rules cannot see siblings; the declaration itself is fine",
            "no-topology-dir",
            [("00-cpu.conf", "reserved = 0\n"), ("20-web1.conf", "vcpus = 2\ncpus = 2-3\nmemory = 1G\n")]),

        new("KVC049-package-id-minus-one",
            "a POWER partition reports package id -1: sockets come from core_siblings, exact, so only a note",
            "package-id-minus-one",
            [("00-cpu.conf", "reserved = 0-3\n"), ("20-db1.conf", "vcpus = 4\ncpus = 8-11\nmemory = 2G\n")]),

        new("KVC050-overclock-protection",
            "the white paper's cpufreq = vtlb on an intel_pstate laptop with HWP: the VMs' CPUs capped at the 2.8 GHz base "
            + "frequency the policies give, below their 4.7 GHz turbo",
            "intel-pstate-hwp-base-frequency",
            [("00-cpu.conf", "cpufreq = vtlb\n"), ("20-web1.conf", "vcpus = 2\ncpus = 1-2\nmemory = 1G\n")]),

        new("KVC050-base-frequency-unknown",
            "cpufreq = vtlb on a capture whose intel_pstate policies have no base_frequency: the cap cannot be computed, a warning",
            Desktop,
            [("00-cpu.conf", "cpufreq = vtlb\n")]),

        // ---- The cluster inventory ([node NAME]) ----------------------------------------------------------
        new("KVC051-unknown-node",
            "a backup VM pinned with host = kvm03 in a directory whose nodes are kvm1, kvm2 and kvm3: did you mean 'kvm3'",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-backup.conf", "vcpus = 2\nmemory = 2G\nhost = kvm03\n")]),

        new("KVC052-group-too-large",
            "four PostgreSQL replicas in one anti-affinity group on three nodes: the fourth can never be placed",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-pg.conf", Members("pg", 4, ""))]),

        new("KVC052-rack-spread",
            "three etcd members spread over racks (group_spread = rack) in a cluster of two racks: kvm1 and kvm2 share r1",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-etcd.conf", Members("etcd", 3, "group_spread = rack\n"))]),

        new("KVC053-duplicate-uri",
            "kvm2's section copied from kvm1's, with the uri left as it was: one machine would count as two nodes",
            Desktop,
            [(NodesFile, "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\n\n[node kvm2]\nuri = qemu+ssh://root@kvm1/system\n")]),

        new("KVC054-node-without-source",
            "a node ordered but not yet cabled, written with its rack only: nothing to read its CPUs and memory from",
            Desktop,
            [(NodesFile, "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n\n[node kvm4]\nrack = r2\n")]),

        new("KVC055-group-spread-mismatch",
            "etcd2 spreads group etcd over racks while etcd1, declared first, keeps the default: one group, two spreads",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-etcd.conf", "[vm etcd1]\nvcpus = 2\nmemory = 2G\ngroup = etcd\n\n[vm etcd2]\nvcpus = 2\nmemory = 2G\ngroup = etcd\ngroup_spread = rack\n")]),

        new("KVC056-duplicate-node",
            "kvm2 declared with the other nodes and again in a file of its own",
            Desktop,
            [(NodesFile, ThreeNodes), ("41-kvm2.conf", "[node kvm2]\nuri = qemu+ssh://root@kvm2.example.net/system\n")]),

        new("KVC057-group-host-conflict",
            "two database replicas kept apart by a group, both pinned to kvm1 when the second was copied from the first",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-db.conf", "[vm db1]\nvcpus = 2\nmemory = 2G\ngroup = db\nhost = kvm1\n\n[vm db2]\nvcpus = 2\nmemory = 2G\ngroup = db\nhost = kvm1\n")]),

        new("KVC057-rack-spread",
            "etcd members spread over racks (group_spread = rack), pinned to kvm1 and kvm2, which share rack r1",
            Desktop,
            [(NodesFile, ThreeNodes), ("20-etcd.conf", "[vm etcd1]\nvcpus = 2\nmemory = 2G\ngroup = etcd\ngroup_spread = rack\nhost = kvm1\n\n[vm etcd2]\nvcpus = 2\nmemory = 2G\ngroup = etcd\ngroup_spread = rack\nhost = kvm2\n")]),
    ];

    // The cluster cases' inventory: three nodes, kvm1 and kvm2 in rack r1, kvm3 in r2.
    private const string NodesFile = "40-nodes.conf";

    private const string ThreeNodes =
        "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n\n"
        + "[node kvm2]\nuri = qemu+ssh://root@kvm2/system\nrack = r1\n\n"
        + "[node kvm3]\nuri = qemu+ssh://root@kvm3/system\nrack = r2\n";

    // count small VMs of one group, NAME1..NAMEcount, each with the extra lines given.
    private static string Members(string group, int count, string extra) =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"[vm {group}{i}]\nvcpus = 2\nmemory = 2G\ngroup = {group}\n{extra}\n")).TrimEnd() + "\n";
}
