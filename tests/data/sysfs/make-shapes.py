#!/usr/bin/env python3
"""Writes the small sysfs trees named after a situation (tests/data/sysfs/<shape>/sys/devices/system/...).

Each tree is built from the formats the kernel documents for these files (Documentation/ABI/testing/
sysfs-devices-system-cpu, Documentation/ABI/stable/sysfs-devices-node, Documentation/admin-guide/cputopology.rst,
Documentation/admin-guide/pm/cpufreq.rst) and what drivers/base/topology.c, drivers/base/cpu.c, drivers/base/node.c and
drivers/cpufreq/cpufreq.c print: cpulists as "%*pbl\n", masks as "%*pb\n" (32-bit groups of hex digits, the first group
only as wide as nr_cpu_ids needs), cpufreq's related_cpus/affected_cpus as the CPU numbers separated by spaces then "\n"
(cpufreq_show_cpus prints "%u " per CPU and takes the last space back), ids as "%d\n".
No file was copied from a real machine or another project. Run from anywhere: python3 make-shapes.py
(it rewrites every tree it knows and leaves the captured ones alone). tests/data/sysfs/README.md says what each holds.
"""

import os
import shutil
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))


def cpulist(cpus):
    """Kernel cpulist: ascending ranges, comma separated ("0-3,8")."""
    cpus = sorted(set(cpus))
    parts, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def cpumask(cpus, nbits):
    """Kernel %*pb: 32-bit groups, most significant first, the top group only as wide as nbits needs."""
    value = sum(1 << c for c in cpus)
    groups = []
    for g in range((nbits + 31) // 32):
        groups.append((value >> (32 * g)) & 0xFFFFFFFF)
    groups.reverse()
    top_bits = nbits - 32 * (len(groups) - 1)
    out = [f"{groups[0]:0{(top_bits + 3) // 4}x}"] + [f"{g:08x}" for g in groups[1:]]
    return ",".join(out)


def numbers(cpus):
    """cpufreq_show_cpus: the CPU numbers separated by spaces, then a newline ("0 1 2 3\n")."""
    return " ".join(str(c) for c in sorted(cpus)) + "\n"


@dataclass
class Cpu:
    id: int
    package: int | None          # physical_package_id; None: no file; -1 written as is
    core: int | None
    threads: list[int] | None    # thread_siblings; None: no file
    package_cpus: list[int] | None  # core_siblings; None: no file
    die: int | None = None
    cluster: int | None = None
    cluster_cpus: list[int] | None = None
    book: int | None = None
    drawer: int | None = None
    book_cpus: list[int] | None = None
    drawer_cpus: list[int] | None = None
    topology: bool = True        # False: no topology/ directory at all
    new_names: bool = True       # core_cpus/package_cpus/die_cpus (5.4+) beside the old names
    lists: bool = True           # the *_list files (2.6.26+) beside the hex masks
    l2: list[int] | None = None
    l3: list[int] | None = None
    online_file: str | None = None  # cpuN/online content; None: no file


@dataclass
class Machine:
    name: str
    cpus: list[Cpu]
    nr_cpu_ids: int
    pools: dict = field(default_factory=dict)      # file name under cpu/ -> content (None: leave out)
    nodes: dict = field(default_factory=dict)      # node id -> list of CPUs
    node_memory_kib: int = 8 * 1024 * 1024
    policies: dict = field(default_factory=dict)   # policy dir name -> (cpus, governors, governor, min, max)
    policy_files: dict = field(default_factory=dict)  # more files in every policy (driver-specific), name -> content
    percpu_cpufreq: bool = False                   # old kernels: cpuN/cpufreq/ directories, no cpu/cpufreq/policyN
    cpufreq_links: bool = True                     # cpuN/cpufreq -> ../cpufreq/policyM, as on a live /sys
    list_suffix: str = "\n"                        # what follows each cpulist (a NUL byte, spaces)
    node_cpumap_only: bool = False                 # node/nodeN/cpumap alone, as early capture scripts copied it
    hugepage_sizes: list = field(default_factory=lambda: [2048])  # kB of each nodeN/hugepages/hugepages-SIZEkB pool
    extra: dict = field(default_factory=dict)      # more files, path under the machine's root -> content


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="ascii", newline="") as f:
        f.write(text)


def build(m: Machine):
    root = os.path.join(HERE, m.name)
    if os.path.isdir(root):
        shutil.rmtree(root)
    cpu_dir = os.path.join(root, "sys", "devices", "system", "cpu")
    node_dir = os.path.join(root, "sys", "devices", "system", "node")
    os.makedirs(cpu_dir)
    lst = lambda cpus: cpulist(cpus) + m.list_suffix
    mask = lambda cpus: cpumask(cpus, m.nr_cpu_ids) + "\n"
    every = [c.id for c in m.cpus]
    pools = {"possible": lst(every), "present": lst(every), "online": lst(every), "offline": "\n",
             "kernel_max": "8191\n"}  # NR_CPUS - 1 of a distribution kernel
    pools.update(m.pools)
    for name, text in pools.items():
        if text is not None:
            write(os.path.join(cpu_dir, name), text)

    for c in m.cpus:
        d = os.path.join(cpu_dir, f"cpu{c.id}")
        os.makedirs(d, exist_ok=True)
        if c.online_file is not None:
            write(os.path.join(d, "online"), c.online_file)
        if c.topology:
            t = os.path.join(d, "topology")
            os.makedirs(t)
            for name, value in (("physical_package_id", c.package), ("core_id", c.core), ("die_id", c.die),
                                ("cluster_id", c.cluster), ("book_id", c.book), ("drawer_id", c.drawer)):
                if value is not None:
                    write(os.path.join(t, name), f"{value}\n")
            sets = [("thread_siblings", c.threads), ("core_siblings", c.package_cpus),
                    ("cluster_cpus", c.cluster_cpus), ("book_siblings", c.book_cpus),
                    ("drawer_siblings", c.drawer_cpus)]
            if c.new_names:
                sets += [("core_cpus", c.threads), ("package_cpus", c.package_cpus)]
                if c.die is not None:
                    sets.append(("die_cpus", c.package_cpus))
            for name, cpus in sets:
                if cpus is not None:
                    write(os.path.join(t, name), mask(cpus))
                    if c.lists:
                        write(os.path.join(t, name + "_list"), lst(cpus))
        for index, (level, kind, cpus) in enumerate(((2, "Unified", c.l2), (3, "Unified", c.l3))):
            if cpus is not None:
                i = os.path.join(d, "cache", f"index{index + 2}")
                write(os.path.join(i, "level"), f"{level}\n")
                write(os.path.join(i, "type"), f"{kind}\n")
                write(os.path.join(i, "shared_cpu_list"), lst(cpus))
                write(os.path.join(i, "shared_cpu_map"), mask(cpus))

    for pname, (cpus, governors, governor, low, high) in m.policies.items():
        files = {"related_cpus": numbers(cpus), "affected_cpus": numbers(cpus),
                 "scaling_available_governors": " ".join(governors) + " \n", "scaling_governor": governor + "\n",
                 "cpuinfo_min_freq": f"{low}\n", "cpuinfo_max_freq": f"{high}\n",
                 "scaling_min_freq": f"{low}\n", "scaling_max_freq": f"{high}\n"}
        files.update(m.policy_files)
        if m.percpu_cpufreq:
            for cpu in cpus:
                for name, text in files.items():
                    write(os.path.join(cpu_dir, f"cpu{cpu}", "cpufreq", name), text)
        else:
            for name, text in files.items():
                write(os.path.join(cpu_dir, "cpufreq", pname, name), text)
            if m.cpufreq_links:
                for cpu in cpus:
                    os.symlink(f"../cpufreq/{pname}", os.path.join(cpu_dir, f"cpu{cpu}", "cpufreq"))

    if m.nodes and m.node_cpumap_only:
        for n, cpus in m.nodes.items():
            write(os.path.join(node_dir, f"node{n}", "cpumap"), mask(cpus))
    elif m.nodes:
        ids = sorted(m.nodes)
        write(os.path.join(node_dir, "possible"), lst(ids))
        write(os.path.join(node_dir, "online"), lst(ids))
        write(os.path.join(node_dir, "has_cpu"), lst([n for n in ids if m.nodes[n]]))
        for n in ids:
            nd = os.path.join(node_dir, f"node{n}")
            write(os.path.join(nd, "cpulist"), lst(m.nodes[n]))
            write(os.path.join(nd, "cpumap"), mask(m.nodes[n]))
            write(os.path.join(nd, "distance"), " ".join("10" if o == n else "20" for o in ids) + "\n")
            free = m.node_memory_kib // 2
            write(os.path.join(nd, "meminfo"),
                  f"Node {n} MemTotal:       {m.node_memory_kib} kB\nNode {n} MemFree:        {free} kB\n"
                  f"Node {n} MemUsed:        {m.node_memory_kib - free} kB\nNode {n} HugePages_Total:     0\n"
                  f"Node {n} HugePages_Free:      0\nNode {n} HugePages_Surp:      0\n")
            for size in m.hugepage_sizes:
                hp = os.path.join(nd, "hugepages", f"hugepages-{size}kB")
                for name in ("nr_hugepages", "free_hugepages", "surplus_hugepages"):
                    write(os.path.join(hp, name), "0\n")
            for cpu in m.nodes[n]:
                os.symlink(f"../../cpu/cpu{cpu}", os.path.join(nd, f"cpu{cpu}"))
                os.symlink(f"../../node/node{n}", os.path.join(cpu_dir, f"cpu{cpu}", f"node{n}"))


    for name, text in m.extra.items():
        write(os.path.join(root, name), text)


def smt_x86(n_cores, threads, package=0, first=0, stride=None, modern=True, **extra):
    """CPUs of one x86 package: core k has threads first+k, first+k+stride, ... (Linux enumerates threads last).
    modern: die_id (5.2+) and cluster_id (5.16+) are written; an older kernel has neither."""
    stride = stride or n_cores
    ids = [[first + k + t * stride for t in range(threads)] for k in range(n_cores)]
    every = sorted(i for core in ids for i in core)
    return [Cpu(i, package, k, core, every, die=0 if modern else None, cluster=k if modern else None,
                l2=core, l3=every, new_names=modern, **extra)
            for k, core in enumerate(ids) for i in core]


ACPI_GOVERNORS = ["conservative", "ondemand", "userspace", "powersave", "performance", "schedutil"]
SHAPES = [
    # A laptop on acpi-cpufreq: one policy for the whole package, related_cpus "0 1 2 3 4 5 6 7".
    Machine("acpi-cpufreq-shared-policy", sorted(smt_x86(4, 2), key=lambda c: c.id), 8,
            nodes={0: list(range(8))},
            policies={"policy0": (list(range(8)), ACPI_GOVERNORS, "schedutil", 800000, 2600000)}),
    # A laptop on intel_pstate in active mode with HWP (Documentation/admin-guide/pm/intel_pstate.rst): a policy per
    # CPU, the two governors intel_pstate offers, cpuinfo_max_freq the top of the turbo range (4.7 GHz) and
    # base_frequency, which only HWP gives, the rated non-turbo clock (2.8 GHz), as on an 11th-generation Core i7.
    Machine("intel-pstate-hwp-base-frequency", sorted(smt_x86(4, 2), key=lambda c: c.id), 8,
            nodes={0: list(range(8))},
            policies={f"policy{cpu}": ([cpu], ["performance", "powersave"], "powersave", 400000, 4700000) for cpu in range(8)},
            policy_files={"base_frequency": "2800000\n", "scaling_driver": "intel_pstate\n"}),
    # What tune writes, on a 2-socket server on intel_pstate with HWP (Documentation/admin-guide/pm/intel_pstate.rst):
    # a policy per CPU offering performance and powersave, cpuinfo_max_freq 4.7 GHz (the turbo top), base_frequency
    # 2.8 GHz, intel_pstate/no_turbo 0 (turbo allowed); each node 8 GiB with empty 2 MiB and 1 GiB pools
    # (Documentation/admin-guide/mm/hugetlbpage.rst); the sysctl files tune sets, at a distribution's defaults
    # (Documentation/admin-guide/sysctl/vm.rst, net.rst), under proc/sys; no etc/sysctl.d drop-in yet.
    Machine("tune-intel-pstate-2node",
            sorted(smt_x86(2, 2, package=0, first=0, stride=4) + smt_x86(2, 2, package=1, first=2, stride=4), key=lambda c: c.id), 8,
            nodes={0: [0, 1, 4, 5], 1: [2, 3, 6, 7]},
            policies={f"policy{cpu}": ([cpu], ["performance", "powersave"], "powersave", 400000, 4700000) for cpu in range(8)},
            policy_files={"base_frequency": "2800000\n", "scaling_driver": "intel_pstate\n"},
            hugepage_sizes=[2048, 1048576],
            extra={"sys/devices/system/cpu/intel_pstate/no_turbo": "0\n", "sys/devices/system/cpu/intel_pstate/status": "active\n",
                   "proc/sys/vm/swappiness": "60\n", "proc/sys/vm/overcommit_memory": "0\n",
                   "proc/sys/vm/dirty_background_ratio": "10\n", "proc/sys/net/core/somaxconn": "4096\n"}),
    # A kernel before 4.6 on a 2-socket server: cpufreq/ in each cpuN (no cpu/cpufreq/policyN), only the old
    # topology names (thread_siblings, core_siblings), each socket one frequency domain.
    Machine("old-kernel-percpu-cpufreq",
            sorted(smt_x86(4, 1, package=0, first=0, modern=False) + smt_x86(4, 1, package=1, first=4, modern=False),
                   key=lambda c: c.id), 8,
            nodes={0: [0, 1, 2, 3], 1: [4, 5, 6, 7]},
            policies={"cpu0": ([0, 1, 2, 3], ["ondemand", "performance"], "ondemand", 1200000, 2400000),
                      "cpu4": ([4, 5, 6, 7], ["ondemand", "performance"], "ondemand", 1200000, 2400000)},
            percpu_cpufreq=True),
    # A POWER9 partition: physical_package_id -1 everywhere, SMT4, two chips told apart only by core_siblings,
    # cluster_id -1, no die, no cpufreq (the hypervisor owns the clock).
    Machine("package-id-minus-one",
            [Cpu(i, -1, i - i % 4, list(range(i - i % 4, i - i % 4 + 4)),
                 list(range(0, 8)) if i < 8 else list(range(8, 16)), cluster=-1) for i in range(16)], 16,
            nodes={0: list(range(8)), 1: list(range(8, 16))}),
    # A hypervisor that fills in only core_id and thread_siblings: no package id, no core_siblings, no package_cpus.
    Machine("package-id-and-siblings-missing",
            [Cpu(i, None, i, [i], None, new_names=False) for i in range(4)], 4,
            nodes={0: list(range(4))}),
    # An s390x partition: 1 drawer, 2 books, 2 sockets per book, 2 cores per socket, SMT2. Books and drawers are
    # levels above the socket; no NUMA (no node/), no cpufreq.
    Machine("s390-books-drawers",
            [Cpu(i, i // 4, i // 2, [i - i % 2, i - i % 2 + 1], list(range(i - i % 4, i - i % 4 + 4)),
                 book=i // 8, drawer=0, book_cpus=list(range(i - i % 8, i - i % 8 + 8)),
                 drawer_cpus=list(range(16)), new_names=False) for i in range(16)], 16),
    # Kernels without SMP support, some sparc and very old ones: cpuN/ without topology/ at all.
    Machine("no-topology-dir", [Cpu(i, None, None, None, None, topology=False) for i in range(8)], 8,
            nodes={0: list(range(8))}),
    # Every cpulist ends in a NUL byte instead of a newline (a buffer copied whole by a capture tool), SMT2.
    Machine("list-trailing-nul", sorted(smt_x86(2, 2), key=lambda c: c.id), 4,
            nodes={0: list(range(4))}, list_suffix="\0"),
    # Every cpulist, node/online included, ends in a blank before the newline; lscpu 2.38 refuses such a
    # cpu/possible, the kernel's own bitmap_parselist and hwloc do not.
    Machine("list-trailing-space", sorted(smt_x86(2, 2), key=lambda c: c.id), 4,
            nodes={0: list(range(4))}, list_suffix=" \n"),
    # A capture without cpu/online: each CPU's own online file decides; cpu1's is empty (says nothing: online),
    # cpu3's "0". As the kernel does for an offline CPU, cpu3 has no topology/ and no node or sibling list names it.
    Machine("cpu-online-file-empty",
            [Cpu(0, 0, 0, [0], [0, 1, 2], die=0)] +
            [Cpu(i, 0, i, [i], [0, 1, 2], die=0, online_file=text) for i, text in ((1, ""), (2, "1\n"))] +
            [Cpu(3, None, None, None, None, topology=False, online_file="0\n")], 4,
            pools={"online": None, "offline": "3\n"}, nodes={0: [0, 1, 2]}),
    # What early capture scripts kept of a 2-socket, 4-node Opteron-style server: no CPU pools, the hex
    # thread_siblings and core_siblings of each CPU (no ids, no lists), node/nodeN/cpumap alone. Sockets and nodes
    # interleave (CPU n on socket n % 2).
    Machine("masks-only-no-pools",
            [Cpu(i, None, None, [i], [c for c in range(8) if c % 2 == i % 2], new_names=False, lists=False) for i in range(8)], 8,
            pools={"possible": None, "present": None, "online": None, "offline": None, "kernel_max": None},
            nodes={0: [0, 4], 1: [1, 5], 2: [2, 6], 3: [3, 7]}, node_cpumap_only=True),
    # An arm64 server: one package of 8 cores in two clusters of 4 (cluster_cpus), no SMT, no die, one cpufreq
    # policy per cluster (related_cpus "0 1 2 3").
    Machine("arm64-clusters-no-smt",
            [Cpu(i, 0, i, [i], list(range(8)), cluster=i // 4, cluster_cpus=list(range(i - i % 4, i - i % 4 + 4)),
                 l2=list(range(i - i % 4, i - i % 4 + 4)), l3=list(range(8))) for i in range(8)], 8,
            nodes={0: list(range(8))},
            policies={"policy0": ([0, 1, 2, 3], ["performance", "schedutil"], "schedutil", 1000000, 2800000),
                      "policy4": ([4, 5, 6, 7], ["performance", "schedutil"], "schedutil", 1000000, 2800000)}),
    # An armv7 big.LITTLE board: each cluster reported as a package (physical_package_id 0 and 1), core_id 0-3 in
    # each, no NUMA, one cpufreq policy per cluster.
    Machine("armv7-big-little",
            [Cpu(i, i // 4, i % 4, [i], list(range(i - i % 4, i - i % 4 + 4)), new_names=False) for i in range(8)], 8,
            policies={"policy0": ([0, 1, 2, 3], ["ondemand", "performance", "schedutil"], "schedutil", 200000, 1400000),
                      "policy4": ([4, 5, 6, 7], ["ondemand", "performance", "schedutil"], "schedutil", 200000, 2000000)}),
]

if __name__ == "__main__":
    for shape in SHAPES:
        build(shape)
        print(f"wrote {shape.name}")
