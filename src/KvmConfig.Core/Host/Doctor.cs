using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Host;

/// <summary>What <see cref="Doctor.Run"/> judges: the host as read, and the VMs declared for it.</summary>
/// <param name="Facts">The kernel and distribution settings read.</param>
/// <param name="Host">The topology (CPUs, NUMA nodes, huge page pools, cpufreq).</param>
/// <param name="Declaration">The host policy and the VMs.</param>
/// <param name="Plan">Where the VMs go; null when the declaration could not be planned.</param>
/// <param name="HugePagesNeeded">Huge pages the VMs need per NUMA node and page size; null when unknown.</param>
/// <param name="LibvirtVersion">libvirt's version as libvirt encodes it (major x 1,000,000 + minor x 1,000 + micro).</param>
public sealed record DoctorInput(
    HostFacts Facts, HostTopology Host, Declaration Declaration, Plan? Plan, IReadOnlyDictionary<(int Node, long SizeKiB), long>? HugePagesNeeded, Fact<ulong> LibvirtVersion);

/// <summary>
/// <c>kvmconfig doctor</c>'s checks, pure: each reads only the <see cref="DoctorInput"/> and says PASS, WARN, FAIL
/// or UNKNOWN with what it saw, why it matters for the declared VMs, and the fix. A check whose facts could not be
/// read is UNKNOWN with the reason, never PASS. docs/host-tuning.md has each check's source of truth and risk.
/// </summary>
public static partial class Doctor
{
    /// <summary>The oldest libvirt whose bulk stats give each vCPU's wait time (<c>vcpu.N.delay</c>): 7.2.0.</summary>
    public const ulong OldestLibvirt = 7_002_000;

    /// <summary>Every check, in a fixed order: the machine, the kernel, the settings, then these VMs' resources.</summary>
    public static DoctorReport Run(DoctorInput input) => new(
    [
        HardwareVirtualisation(input.Facts),
        Iommu(input.Facts),
        Confinement(input.Facts),
        Libvirt(input.LibvirtVersion),
        Cgroups(input.Facts),
        Schedstat(input.Facts),
        ThpAndKsm(input),
        Swappiness(input.Facts),
        Overcommit(input.Facts),
        Somaxconn(input.Facts),
        HugePages(input),
        CpuFrequency(input),
        Isolation(input),
        HostMemory(input),
    ]);

    private static DoctorCheck HardwareVirtualisation(HostFacts f)
    {
        const string Id = "hw-virt", Title = "hardware virtualisation";
        const string Why = "without KVM, QEMU emulates every guest instruction in software (TCG), ten to a hundred times slower";
        if (!f.CpuFlags.Known && !f.KvmDevice.Known)
        {
            return Unknown(Id, Title, $"{f.CpuFlags.Unknown}; {f.KvmDevice.Unknown}", Why);
        }

        IReadOnlySet<string> flags = f.CpuFlags.Known ? f.CpuFlags.Value : new HashSet<string>();
        string? extension = flags.Contains("vmx") ? "vmx (Intel VT-x)" : flags.Contains("svm") ? "svm (AMD-V)" : null;
        bool x86 = flags.Contains("fpu") && flags.Contains("tsc");
        string seen = $"{(f.CpuFlags.Known ? extension is null ? x86 ? "no vmx or svm in /proc/cpuinfo" : "a CPU without x86 flags" : extension + " in /proc/cpuinfo" : f.CpuFlags.Unknown)}; "
            + $"{(f.KvmDevice.Known ? f.KvmDevice.Value ? "/dev/kvm present" : "no /dev/kvm" : f.KvmDevice.Unknown)}";
        if (f.CpuFlags.Known && x86 && extension is null)
        {
            return new(Id, Title, CheckStatus.Fail, seen, Why,
                "enable VT-x or AMD-V in the firmware setup; in a virtual machine, enable nested virtualisation on its host");
        }

        return f.KvmDevice is { Known: true, Value: true }
            ? new(Id, Title, CheckStatus.Pass, seen, Why, null)
            : f.KvmDevice.Known
                ? new(Id, Title, CheckStatus.Fail, seen, Why, "load the module (modprobe kvm_intel, or kvm_amd); if it refuses, enable virtualisation in the firmware setup")
                : Unknown(Id, Title, seen, Why);
    }

    private static DoctorCheck Iommu(HostFacts f)
    {
        const string Id = "iommu", Title = "IOMMU";
        const string Why = "device passthrough (VFIO) and interrupt remapping need it; none of the declared VMs passes a device through, so it is advice here";
        if (!f.Iommus.Known)
        {
            return Unknown(Id, Title, f.Iommus.Unknown!, Why);
        }

        string cmdline = f.CommandLine.Known
            ? string.Join(" ", f.CommandLine.Value.Parameters.Where(p => p.Name is "intel_iommu" or "amd_iommu" or "iommu").Select(p => p.Value is null ? p.Name : $"{p.Name}={p.Value}"))
            : "";
        string args = cmdline.Length == 0 ? "no iommu parameter on the kernel command line" : $"kernel command line: {cmdline}";
        return f.Iommus.Value.Count > 0
            ? new(Id, Title, CheckStatus.Pass, $"IOMMU on: {string.Join(", ", f.Iommus.Value)} in /sys/class/iommu; {args}", Why, null)
            : new(Id, Title, CheckStatus.Warn, $"no IOMMU registered (/sys/class/iommu is empty); {args}", Why,
                "enable VT-d (Intel) or AMD-Vi in the firmware setup and boot with intel_iommu=on iommu=pt (AMD's is on once the firmware enables it)");
    }

    private static DoctorCheck Confinement(HostFacts f)
    {
        const string Id = "svirt", Title = "sVirt confinement of QEMU";
        const string Why = "libvirt confines each QEMU with SELinux or AppArmor (sVirt), so a guest that escapes QEMU reaches only its own disks; unconfined, it gets every guest's";
        if (f.SelinuxEnforce.Known)
        {
            return f.SelinuxEnforce.Value == 1
                ? new(Id, Title, CheckStatus.Pass, "SELinux enforcing (/sys/fs/selinux/enforce is 1)", Why, null)
                : new(Id, Title, CheckStatus.Warn, "SELinux permissive (/sys/fs/selinux/enforce is 0): denials are logged, not enforced", Why,
                    "setenforce 1, and SELINUX=enforcing in /etc/selinux/config");
        }

        if (f.AppArmorProfiles.Known)
        {
            List<(string Profile, string Mode)> libvirt = [.. f.AppArmorProfiles.Value.Where(p => p.Profile.StartsWith("libvirt", StringComparison.Ordinal) || p.Profile.Contains("virt-aa-helper", StringComparison.Ordinal))];
            string list = string.Join(", ", libvirt.Take(4).Select(p => $"{p.Profile} ({p.Mode})")) + (libvirt.Count > 4 ? $" and {libvirt.Count - 4} more" : "");
            return libvirt.Count == 0
                ? new(Id, Title, CheckStatus.Warn, $"AppArmor on with {f.AppArmorProfiles.Value.Count} profiles, none of them libvirt's", Why,
                    "install libvirt's profiles (apparmor-profiles, libvirt-daemon-system) and set security_driver = \"apparmor\" in /etc/libvirt/qemu.conf")
                : libvirt.Any(p => p.Mode == "enforce")
                    ? new(Id, Title, CheckStatus.Pass, $"AppArmor with libvirt's profiles: {list}", Why, null)
                    : new(Id, Title, CheckStatus.Warn, $"AppArmor with libvirt's profiles, none enforcing: {list}", Why, "aa-enforce /etc/apparmor.d/usr.sbin.libvirtd /etc/apparmor.d/usr.lib.libvirt.virt-aa-helper");
        }

        if (f.Lsms is { Known: true, Value: var lsms })
        {
            return new(Id, Title, CheckStatus.Fail, $"neither SELinux nor AppArmor is active (/sys/kernel/security/lsm: {string.Join(",", lsms)})", Why,
                "boot with AppArmor (Debian, Ubuntu: apparmor=1 security=apparmor) or SELinux (RHEL, Fedora), and install libvirt's profiles or policy");
        }

        return Unknown(Id, Title, $"{f.SelinuxEnforce.Unknown}; {f.AppArmorProfiles.Unknown}; {f.Lsms.Unknown}", Why);
    }

    private static DoctorCheck Libvirt(Fact<ulong> version)
    {
        const string Id = "libvirt", Title = "libvirt version";
        const string Why = "from libvirt 7.2 its statistics give each vCPU's wait time (vcpu.N.delay), which CPU ready is measured from on a host read through libvirt";
        if (!version.Known)
        {
            return Unknown(Id, Title, version.Unknown!, Why);
        }

        string seen = $"libvirt {version.Value / 1_000_000}.{version.Value / 1000 % 1000}.{version.Value % 1000}";
        return version.Value >= OldestLibvirt
            ? new(Id, Title, CheckStatus.Pass, seen, Why, null)
            : new(Id, Title, CheckStatus.Fail, seen + ", older than 7.2.0", Why, "upgrade libvirt to 7.2 or later (Debian 12 ships 9.0, RHEL 9 ships 8.0 and later)");
    }

    private static DoctorCheck Cgroups(HostFacts f)
    {
        const string Id = "cgroup", Title = "cgroup version";
        const string Why = "libvirt puts each VM in a cgroup for its CPU shares, quota and cpuset, and kvmconfig reads its throttling and I/O there; both work on v1 and v2, but v1 is on its way out (systemd 256 no longer boots on it by default)";
        return f.CgroupVersion switch
        {
            { Known: false } => Unknown(Id, Title, f.CgroupVersion.Unknown!, Why),
            { Value: 2 } => new(Id, Title, CheckStatus.Pass, "cgroup v2 (unified: /sys/fs/cgroup/cgroup.controllers)", Why, null),
            _ => new(Id, Title, CheckStatus.Warn, "cgroup v1 or hybrid (no /sys/fs/cgroup/cgroup.controllers)", Why,
                "boot with systemd.unified_cgroup_hierarchy=1 (the default since Debian 11 and RHEL 9), then restart the VMs so libvirt places them in the v2 tree"),
        };
    }

    private static DoctorCheck Schedstat(HostFacts f)
    {
        const string Id = "schedstats", Title = "scheduler statistics";
        const string Why = "CPU ready (the time a vCPU waited for a CPU) is read from each vCPU thread's schedstat; top, serve and the alerts depend on it";
        return f.Schedstat switch
        {
            { Known: false } => Unknown(Id, Title, f.Schedstat.Unknown!, Why),
            { Value: true } => new(Id, Title, CheckStatus.Pass, "/proc/self/schedstat present (per-task run and wait times)", Why, null),
            _ => new(Id, Title, CheckStatus.Fail, "no /proc/self/schedstat: the kernel was built without CONFIG_SCHED_INFO", Why, "boot a kernel with CONFIG_SCHED_INFO=y (every distribution kernel has it)"),
        };
    }

    private static DoctorCheck Unknown(string id, string title, string seen, string why) =>
        new(id, title, CheckStatus.Unknown, seen, why, "run doctor where these files can be read (as root, on the host itself, or on a complete capture)");
}
