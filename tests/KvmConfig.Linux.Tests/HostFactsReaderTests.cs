using KvmConfig.Core;
using KvmConfig.Core.Host;
using KvmConfig.TestSupport;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// <see cref="HostFactsReader"/> on the host trees of tests/data/hosts and on small trees written here for one file's
/// format each: what each file says, and a fact unknown (naming the file) where the file is missing or not as documented.
/// </summary>
public sealed class HostFactsReaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvmconfig-facts-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    // The facts of the tree at root, for the online CPUs of its topology (none when it has no topology).
    private static HostFacts Read(string root) =>
        new HostFactsReader(root).Read(Directory.Exists(Path.Join(root, "sys/devices/system/cpu")) ? SysfsTopologyReader.ForSysroot(root).Read().Online : CpuSet.Empty);

    private void Write(string absolute, string text)
    {
        string path = Path.Join(_root, absolute);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    [Fact]
    public void The_ready_host_tree_reads_as_written()
    {
        HostFacts f = Read(TestData.Path("hosts", "ready-intel-apparmor"));

        Assert.Contains("vmx", f.CpuFlags.Value);
        Assert.True(f.KvmDevice.Value);
        Assert.Equal(["dmar0"], f.Iommus.Value);
        Assert.Equal("on", f.CommandLine.Value.Value("intel_iommu"));
        Assert.Equal("managed_irq,domain,1,5", f.CommandLine.Value.Value("isolcpus"));
        Assert.Equal(["lockdown", "capability", "landlock", "yama", "apparmor"], f.Lsms.Value);
        Assert.Contains(("libvirtd", "enforce"), f.AppArmorProfiles.Value);
        Assert.False(f.SelinuxEnforce.Known);
        Assert.Equal((2, "madvise", 0), (f.CgroupVersion.Value, f.ThpMode.Value, f.KsmRun.Value));
        Assert.Equal((10L, 0L, 4096L), (f.Sysctls["vm.swappiness"].Value, f.Sysctls["vm.overcommit_memory"].Value, f.Sysctls["net.core.somaxconn"].Value));
        Assert.Equal(CpuSet.Parse("1,5"), f.IrqBalanceBanned.Value);
        Assert.Equal(8L * 1024 * 1024, f.MemTotalKiB.Value);
        Assert.Equal(8, f.CpuFreqPolicies.Value.Count);
        Assert.All(f.CpuFreqPolicies.Value, p => Assert.Equal(("performance", 2800000L, 4700000L), (p.Governor, p.ScalingMaxKHz!.Value, p.MaxKHz!.Value)));
    }

    [Fact]
    public void Before_cpufreq_policies_each_cpus_own_cpufreq_directory_is_read()
    {
        string root = TestData.Path("sysfs", "old-kernel-percpu-cpufreq");
        HostFacts f = Read(root);

        Assert.True(f.CpuFreqPolicies.Known, f.CpuFreqPolicies.Unknown);
        Assert.All(f.CpuFreqPolicies.Value, p => Assert.Matches("^/sys/devices/system/cpu/cpu[0-9]+/cpufreq$", p.Directory));
        Assert.All(f.CpuFreqPolicies.Value, p => Assert.NotNull(p.Governor));
        Assert.Equal(SysfsTopologyReader.ForSysroot(root).Read().Online, f.CpuFreqPolicies.Value.Aggregate(CpuSet.Empty, (a, p) => a | p.Cpus));
    }

    [Theory]
    [InlineData("IRQBALANCE_BANNED_CPULIST=\"2-3,6\"\n", "2-3,6")]
    [InlineData("IRQBALANCE_BANNED_CPUS=0000000c\n", "2-3")]
    [InlineData("IRQBALANCE_BANNED_CPUS=ff\nIRQBALANCE_BANNED_CPULIST=1\n", "1")]
    [InlineData("#IRQBALANCE_BANNED_CPULIST=2-3\nIRQBALANCE_ONESHOT=\n", "")]
    public void Irqbalance_bans_the_cpu_list_or_the_mask_the_list_first(string file, string banned)
    {
        Write("/etc/default/irqbalance", file);

        Assert.Equal(banned.Length == 0 ? CpuSet.Empty : CpuSet.Parse(banned), Read(_root).IrqBalanceBanned.Value);
    }

    [Fact]
    public void A_file_not_as_documented_makes_only_its_fact_unknown_naming_it()
    {
        // Given an AppArmor list with a line without its mode, and a swappiness that is not a number
        Write("/sys/kernel/security/apparmor/profiles", "libvirtd (enforce)\nbroken line\n");
        Write("/proc/sys/vm/swappiness", "ten\n");
        Write("/proc/sys/vm/overcommit_memory", "1\n");

        HostFacts f = Read(_root);

        Assert.Contains("apparmor/profiles could not be read", f.AppArmorProfiles.Unknown, StringComparison.Ordinal);
        Assert.Contains("'broken line' is not NAME (MODE)", f.AppArmorProfiles.Unknown, StringComparison.Ordinal);
        Assert.Contains("vm/swappiness could not be read", f.Sysctls["vm.swappiness"].Unknown, StringComparison.Ordinal);
        Assert.Equal(1, f.Sysctls["vm.overcommit_memory"].Value);
        Assert.Contains($"{_root}/proc/cmdline not found", f.CommandLine.Unknown, StringComparison.Ordinal);
    }

    [Fact]
    public void The_kernel_command_line_keeps_quoted_values_whole_and_the_last_value_wins()
    {
        var line = new KernelCommandLine("root=/dev/sda1 quiet isolcpus=2 dyndbg=\"file x.c +p\" isolcpus=domain,4-7 nosmt\n");

        Assert.Equal("domain,4-7", line.Value("isolcpus"));
        Assert.Equal("file x.c +p", line.Value("dyndbg"));
        Assert.True(line.Has("nosmt"));
        Assert.Null(line.Value("nosmt"));
        Assert.False(line.Has("nohz_full"));
    }

    [Fact]
    public void This_host_reads_without_throwing_and_says_why_for_what_it_lacks()
    {
        HostFacts f = HostFactsReader.ForHost().Read(SysfsTopologyReader.ForHost().Read().Online);

        Assert.Equal(File.Exists("/dev/kvm"), f.KvmDevice.Value);
        Assert.True(f.CommandLine.Known, f.CommandLine.Unknown);
        Assert.Equal(File.ReadAllText("/proc/cmdline").Trim(), f.CommandLine.Value.Text);
        Assert.True(f.Sysctls["vm.swappiness"].Known);
        Assert.True(f.SelinuxEnforce.Known || f.SelinuxEnforce.Unknown!.Contains("/sys/fs/selinux/enforce", StringComparison.Ordinal));
    }
}
