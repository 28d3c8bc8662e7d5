#!/usr/bin/env python3
"""Writes proc/100/smaps and proc/200/smaps (see ../README.md) after the format of the kernel's
Documentation/filesystems/proc.rst ("smaps"): a maps header line, then "Key: N kB" lines, then VmFlags.
Run from this folder; the output is committed, the tests only read it."""

def mapping(start, size_kib, perms, path, rss, flags, anon=None, shared_hugetlb=0, dev="00:00", inode="0"):
    end = start + size_kib * 1024
    head = f"{start:08x}-{end:08x} {perms} 00000000 {dev} {inode}"
    if path:
        head = head.ljust(73) + path
    anon = rss if anon is None else anon
    page = 2048 if shared_hugetlb else 4
    fields = [("Size", size_kib), ("KernelPageSize", page), ("MMUPageSize", page), ("Rss", rss), ("Pss", rss),
              ("Shared_Clean", 0), ("Shared_Dirty", 0), ("Private_Clean", 0), ("Private_Dirty", rss),
              ("Referenced", rss), ("Anonymous", anon), ("LazyFree", 0), ("AnonHugePages", 0), ("ShmemPmdMapped", 0),
              ("FilePmdMapped", 0), ("Shared_Hugetlb", shared_hugetlb), ("Private_Hugetlb", 0), ("Swap", 0),
              ("SwapPss", 0), ("Locked", 0)]
    lines = [head] + [f"{(k + ':').ljust(16)}{v:8d} kB" for k, v in fields] + ["THPeligible:    0", f"VmFlags: {flags}"]
    return "\n".join(lines) + "\n"

G = 1024 * 1024
qemu = mapping(0x08048000, 1084, "r-xp", "/usr/bin/qemu-system-x86_64", 892, "rd ex mr mw me dw", anon=0, dev="03:02", inode="13130")

# 100: a 2 GiB guest with two NUMA cells of 1 GiB on memfd (shared) backends, 16 MiB of video RAM, the 256 KiB BIOS,
# a 64 MiB glibc malloc arena (no dc flag) and the main thread's stack.
with open("proc/100/smaps", "w") as f:
    f.write(qemu
        + mapping(0x7f0000000000, 65536, "rw-p", "", 30000, "rd wr mr mw me ac")
        + mapping(0x7f1000000000, G, "rw-s", "/memfd:ram-node0 (deleted)", 524288, "rd wr sh mr mw me ms dc dd hg mg", anon=0, dev="00:01", inode="2050")
        + mapping(0x7f1040200000, G, "rw-s", "/memfd:ram-node1 (deleted)", 262144, "rd wr sh mr mw me ms dc dd hg mg", anon=0, dev="00:01", inode="2051")
        + mapping(0x7f1080400000, 16384, "rw-p", "", 4096, "rd wr mr mw me dc ac dd hg mg")
        + mapping(0x7f1081600000, 256, "rw-p", "", 256, "rd wr mr mw me dc ac dd hg mg")
        + mapping(0x7ffd00000000, 132, "rw-p", "[stack]", 40, "rd wr mr mw me gd ac"))

# 200: a 4 GiB guest on 2 MiB hugepages (a hugetlbfs file, all of it faulted in): its pages count in Shared_Hugetlb,
# not in Rss; plus a 64 MiB arena.
with open("proc/200/smaps", "w") as f:
    f.write(qemu
        + mapping(0x7f2000000000, 4 * G, "rw-s", "/dev/hugepages/libvirt/qemu/1-vm/qemu_back_mem.pc.ram.K3xT2z (deleted)", 0, "rd wr sh mr mw me ms de dc dd ht", anon=0, shared_hugetlb=4 * G, dev="00:2c", inode="31")
        + mapping(0x7f2100000000, 65536, "rw-p", "", 61000, "rd wr mr mw me ac"))
