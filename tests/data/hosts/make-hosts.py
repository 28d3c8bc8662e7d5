#!/usr/bin/env python3
"""Writes the host trees doctor and tune are tested on (tests/data/hosts/<situation>/{sys,proc,etc,dev}).

Each tree is one situation a KVM host can be in. Its topology (sys/devices/system) is a copy of the shape
tests/data/sysfs/intel-pstate-hwp-base-frequency (written by ../sysfs/make-shapes.py: 4 cores with SMT2, one NUMA
node of 8 GiB, intel_pstate with HWP, base frequency 2.8 GHz), with the situation's huge pages, governors and caps
written over it. Every other file is written here from the format its documentation gives:
  /proc/cpuinfo (the "flags" line, arch/x86/kernel/cpu/proc.c), /proc/cmdline (Documentation/admin-guide/
  kernel-parameters.rst), /proc/meminfo (Documentation/filesystems/proc.rst), /proc/self/schedstat (Documentation/
  scheduler/sched-stats.rst: "run wait timeslices"), /proc/sys/vm/* and /proc/sys/net/core/somaxconn (one number),
  /sys/class/iommu/<unit> (Documentation/ABI/testing/sysfs-class-iommu), /sys/kernel/security/lsm (Documentation/
  admin-guide/LSM/index.rst: comma-separated), /sys/kernel/security/apparmor/profiles ("name (mode)" a line),
  /sys/fs/selinux/enforce ("0" or "1"), /sys/fs/cgroup/cgroup.controllers (Documentation/admin-guide/cgroup-v2.rst),
  /sys/kernel/mm/transparent_hugepage/enabled (Documentation/admin-guide/mm/transhuge.rst: the mode in brackets),
  /sys/kernel/mm/ksm/run (Documentation/admin-guide/mm/ksm.rst), /etc/default/irqbalance (irqbalance's shell
  variables file: IRQBALANCE_BANNED_CPULIST), and /dev/kvm, an empty file standing for the device node (git keeps
  no device nodes; doctor asks only whether it exists).
Nothing was copied from a real machine or another project. Run from anywhere: python3 make-hosts.py (it rewrites
every tree below and nothing else). README.md says what each holds and what doctor says of it.
"""

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPE = os.path.join(HERE, "..", "sysfs", "intel-pstate-hwp-base-frequency", "sys", "devices")

X86_FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc nopl xtopology cpuid pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm"


def write(root, path, text):
    full = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)


def cpuinfo(extension):
    flags = X86_FLAGS + (" " + extension if extension else "")
    return "".join(
        f"processor\t: {cpu}\nvendor_id\t: GenuineIntel\nmodel name\t: Example CPU @ 2.80GHz\nflags\t\t: {flags}\n\n"
        for cpu in range(8))


def tree(name, files, governor="performance", max_khz=2800000, hugepages_2m=0, topology=True):
    root = os.path.join(HERE, name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    if topology:
        shutil.copytree(SHAPE, os.path.join(root, "sys", "devices"), symlinks=True)
        for policy in range(8):
            write(root, f"/sys/devices/system/cpu/cpufreq/policy{policy}/scaling_governor", governor + "\n")
            write(root, f"/sys/devices/system/cpu/cpufreq/policy{policy}/scaling_max_freq", f"{max_khz}\n")
        for entry, value in (("nr_hugepages", hugepages_2m), ("free_hugepages", hugepages_2m), ("surplus_hugepages", 0)):
            write(root, f"/sys/devices/system/node/node0/hugepages/hugepages-2048kB/{entry}", f"{value}\n")
    for path, text in files.items():
        if text is None:
            os.makedirs(os.path.join(root, path.lstrip("/")), exist_ok=True)
        else:
            write(root, path, text)


# The declaration the tests judge these hosts for (DoctorCommandTests): CPUs 0 and 4 reserved, a VM of 2 vCPUs
# dedicated on 2 MiB huge pages (the planner gives it CPUs 1 and 5, one whole core) and a shared VM of 2 vCPUs.
DEDICATED = "1,5"

tree("ready-intel-apparmor", {
    "/proc/cpuinfo": cpuinfo("vmx"),
    "/proc/cmdline": f"BOOT_IMAGE=/vmlinuz-6.1.0-13-amd64 root=UUID=0a1b ro quiet intel_iommu=on iommu=pt isolcpus=managed_irq,domain,{DEDICATED} nohz_full={DEDICATED}\n",
    "/proc/meminfo": "MemTotal:        8388608 kB\nMemFree:         4194304 kB\nMemAvailable:    6291456 kB\n",
    "/proc/self/schedstat": "5846165 847031 2\n",
    "/proc/sys/vm/swappiness": "10\n",
    "/proc/sys/vm/overcommit_memory": "0\n",
    "/proc/sys/net/core/somaxconn": "4096\n",
    "/sys/class/iommu/dmar0/intel-iommu/version": "1:0\n",
    "/sys/kernel/security/lsm": "lockdown,capability,landlock,yama,apparmor\n",
    "/sys/kernel/security/apparmor/profiles": "virt-aa-helper (enforce)\nlibvirtd (enforce)\nlibvirt-3a5c1e9e-8f0b-4a7e-9c61-2f4b8d0e1a77 (enforce)\n/usr/sbin/cupsd (enforce)\n",
    "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
    "/sys/kernel/mm/ksm/run": "0\n",
    "/etc/default/irqbalance": f"# irqbalance is kept off the dedicated VMs' CPUs\nIRQBALANCE_BANNED_CPULIST={DEDICATED}\n",
    "/dev/kvm": "",
}, governor="performance", max_khz=2800000, hugepages_2m=1024)

tree("unready-amd-selinux-permissive", {
    "/proc/cpuinfo": cpuinfo("svm"),
    "/proc/cmdline": "BOOT_IMAGE=/vmlinuz-5.14.0-362.el9.x86_64 root=/dev/mapper/rhel-root ro isolcpus=0-1\n",
    "/proc/meminfo": "MemTotal:        8388608 kB\nMemFree:         4194304 kB\n",
    "/proc/self/schedstat": "5846165 847031 2\n",
    "/proc/sys/vm/swappiness": "0\n",
    "/proc/sys/vm/overcommit_memory": "2\n",
    "/proc/sys/net/core/somaxconn": "128\n",
    "/sys/class/net/lo/address": "00:00:00:00:00:00\n",
    "/sys/kernel/security/lsm": "lockdown,capability,yama,selinux,bpf\n",
    "/sys/fs/selinux/enforce": "0",
    "/sys/fs/cgroup/cpu,cpuacct/tasks": "1\n",
    "/sys/kernel/mm/transparent_hugepage/enabled": "always madvise [never]\n",
    "/sys/kernel/mm/ksm/run": "1\n",
    "/dev/null": "",
}, governor="powersave", max_khz=4700000, hugepages_2m=0)

tree("bare-topology-only", {}, governor="performance", max_khz=2800000, hugepages_2m=1024)
