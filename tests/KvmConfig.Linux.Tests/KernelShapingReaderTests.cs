using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using KvmConfig.Core.Topology;

namespace KvmConfig.Linux.Tests;

/// <summary>
/// <see cref="KernelShapingReader"/>: whether the kernel has what libvirt's interface shaping runs. The trees are made
/// here from the documented formats (a kernel <c>.config</c> as <c>scripts/kconfig</c> writes it, gzipped as
/// <c>/proc/config.gz</c> serves it; <c>modules.builtin</c> as <c>make modules_install</c> writes it, one
/// <c>kernel/...ko</c> path per line), and this host's answer is checked against tc itself in a scratch network
/// namespace.
/// </summary>
public sealed class KernelShapingReaderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvmconfig-kernel-").FullName;

    // Every option libvirt's shaping needs, and the two this project's build machines lack marked "is not set".
    private const string AllBuilt = "CONFIG_NET_SCH_HTB=y\nCONFIG_NET_SCH_SFQ=m\nCONFIG_NET_CLS_FW=m\nCONFIG_NET_SCH_INGRESS=y\nCONFIG_NET_CLS_U32=y\nCONFIG_NET_ACT_POLICE=m\n";
    private const string NoSfqNoPolice = "# Linux/x86 6.1 Kernel Configuration\nCONFIG_NET_SCH_HTB=y\n# CONFIG_NET_SCH_SFQ is not set\nCONFIG_NET_CLS_FW=y\nCONFIG_NET_SCH_INGRESS=y\nCONFIG_NET_CLS_U32=y\nCONFIG_NET_CLS_ACT=y\n# CONFIG_NET_ACT_POLICE is not set\n";

    private void Write(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void WriteGzip(string relative, string text)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using FileStream file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.Optimal);
        gzip.Write(Encoding.ASCII.GetBytes(text));
    }

    private string Missing() => string.Join(" ", new KernelShapingReader(_root).Read().Missing.Select(f => f.Module));

    [Fact]
    public void Proc_config_gz_with_every_option_built_or_modular_is_supported()
    {
        WriteGzip("proc/config.gz", AllBuilt);

        NetShaping shaping = new KernelShapingReader(_root).Read();

        Assert.False(shaping.Unsupported);
        Assert.Equal("/proc/config.gz", shaping.Source);
    }

    [Fact]
    public void Proc_config_gz_without_sfq_and_police_names_both()
    {
        WriteGzip("proc/config.gz", NoSfqNoPolice);

        NetShaping shaping = new KernelShapingReader(_root).Read();

        Assert.True(shaping.Unsupported);
        Assert.Equal("sch_sfq act_police", string.Join(" ", shaping.Missing.Select(f => f.Module)));
        Assert.Equal("modprobe -a sch_sfq act_police", shaping.ModprobeHint);
        Assert.Equal("sch_sfq (CONFIG_NET_SCH_SFQ), act_police (CONFIG_NET_ACT_POLICE)", shaping.MissingText);
    }

    [Fact]
    public void Without_proc_config_the_boot_config_of_the_running_release_is_read()
    {
        Write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
        Write("boot/config-6.1.0-28-amd64", NoSfqNoPolice.Replace("# CONFIG_NET_SCH_SFQ is not set", "CONFIG_NET_SCH_SFQ=m", StringComparison.Ordinal));
        Write("boot/config-5.10.0-9-amd64", AllBuilt);

        Assert.Equal("act_police", Missing());
        Assert.Equal("/boot/config-6.1.0-28-amd64", new KernelShapingReader(_root).Read().Source);
    }

    [Fact]
    public void Without_any_config_the_modules_tell_loaded_builtin_and_installed()
    {
        // sch_htb, sch_ingress, cls_u32 built in; sch_sfq loaded (it has a /sys/module entry); cls_fw installed as a
        // compressed module; act_police nowhere
        Write("proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
        Write("lib/modules/6.1.0-28-amd64/modules.builtin", "kernel/net/sched/sch_htb.ko\nkernel/net/sched/sch_ingress.ko\nkernel/net/sched/cls_u32.ko\nkernel/drivers/net/loopback.ko\n");
        Directory.CreateDirectory(Path.Combine(_root, "sys", "module", "sch_sfq"));
        Write("lib/modules/6.1.0-28-amd64/kernel/net/sched/cls_fw.ko.xz", "");

        Assert.Equal("act_police", Missing());
    }

    [Fact]
    public void A_tree_that_says_nothing_about_its_kernel_is_unknown_and_never_unsupported()
    {
        Directory.CreateDirectory(Path.Combine(_root, "sys", "devices"));

        NetShaping shaping = new KernelShapingReader(_root).Read();

        Assert.Same(NetShaping.Unknown, shaping);
        Assert.False(shaping.Unsupported);
    }

    [Fact]
    public void A_config_gz_that_is_not_gzip_falls_back_to_the_next_source()
    {
        Write("proc/config.gz", "CONFIG_NET_SCH_HTB=y\n");
        Write("proc/sys/kernel/osrelease", "6.1.0\n");
        Write("boot/config-6.1.0", AllBuilt);

        Assert.Equal("/boot/config-6.1.0", new KernelShapingReader(_root).Read().Source);
    }

    /// <summary>
    /// The tc commands libvirt runs for each feature, in a scratch network namespace (its own loopback, so the host's
    /// interfaces are never touched): the kernel's own answer on whether it has it.
    /// </summary>
    private static readonly Dictionary<string, string> Probes = new(StringComparer.Ordinal)
    {
        ["sch_htb"] = "tc qdisc add dev lo root handle 1: htb default 1",
        ["sch_sfq"] = "tc qdisc add dev lo root handle 1: htb default 1 && tc class add dev lo parent 1: classid 1:1 htb rate 1000kbit && tc qdisc add dev lo parent 1:1 handle 2: sfq perturb 10",
        ["cls_fw"] = "tc qdisc add dev lo root handle 1: htb default 1 && tc filter add dev lo parent 1:0 protocol all prio 1 handle 1 fw flowid 1",
        ["sch_ingress"] = "tc qdisc add dev lo ingress",
        ["cls_u32"] = "tc qdisc add dev lo ingress && tc filter add dev lo parent ffff: protocol all u32 match u32 0 0 flowid :1",
        ["act_police"] = "tc qdisc add dev lo ingress && tc filter add dev lo parent ffff: protocol all u32 match u32 0 0 police rate 1000kbps burst 1000kb mtu 64kb drop flowid :1",
    };

    [Fact]
    public void This_hosts_answer_is_what_tc_finds_in_a_scratch_network_namespace()
    {
        NetShaping shaping = KernelShapingReader.Host.Read();
        Assert.NotNull(shaping.Source);

        foreach (KernelFeature feature in NetShaping.Required)
        {
            bool works = Run("unshare", "--net", "sh", "-c", Probes[feature.Module]) == 0;
            Assert.True(works != shaping.Missing.Contains(feature),
                $"{feature}: tc {(works ? "accepts" : "refuses")} it, the reader (from {shaping.Source}) says {(shaping.Missing.Contains(feature) ? "missing" : "there")}");
        }
    }

    private static int Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
