using System.Text;

namespace KvmConfig.Core.Tuning;

/// <summary>A kernel parameter kvmconfig sets on a KVM host, the value and why.</summary>
/// <param name="Key">The sysctl key (<c>vm.swappiness</c>).</param>
/// <param name="Value">The value written.</param>
/// <param name="Why">One sentence an administrator reads: what the value does for VMs and what the alternatives risk.</param>
public sealed record SysctlRecommendation(string Key, string Value, string Why);

/// <summary>
/// The sysctl values of a KVM host, written by <c>tune</c> to <see cref="DropInPath"/> and into <c>/proc/sys</c>;
/// <c>doctor</c> compares the host against the same list.
/// </summary>
public static class SysctlRecommendations
{
    /// <summary>The drop-in kvmconfig owns, read by <c>sysctl --system</c> and systemd-sysctl at boot.</summary>
    public const string DropInPath = "/etc/sysctl.d/90-kvmconfig.conf";

    /// <summary>Every recommendation, in the order the drop-in lists them.</summary>
    public static IReadOnlyList<SysctlRecommendation> All { get; } =
    [
        // The white paper asks for 0. Since Linux 3.5, 0 means "never swap anonymous memory until the zone is at its
        // high watermark": on a host whose VMs together come close to its memory, the first burst then ends in the
        // OOM killer choosing a QEMU process (the biggest), a whole VM lost, where a little swap would have slowed one.
        new("vm.swappiness", "10",
            "guest memory stays in RAM and the page cache goes first; 10 (tuned's throughput-performance and virtual-host profiles) keeps swap as a safety valve, where the white paper's 0 lets the OOM killer end a whole VM under pressure instead of swapping a few pages"),
        new("vm.overcommit_memory", "0",
            "the kernel's heuristic: 2 (strict accounting) counts QEMU's large virtual reservations against CommitLimit and refuses to start VMs on a host with free memory; 1 hides real overcommit until the OOM killer acts"),
        new("vm.dirty_background_ratio", "5",
            "background writeback starts at 5 % of memory of dirty pages (tuned's virtual-host profile), so a burst of guest writes through the host's page cache does not stall every VM at the dirty limit"),
        new("net.core.somaxconn", "4096",
            "the listen backlog of libvirtd, migration and the exporter; 4096 is the kernel's default since 5.4, older kernels' 128 drops bursts of connections"),
    ];

    /// <summary>The drop-in's text: a header saying who wrote it, then each key with its reason as a comment.</summary>
    public static string DropIn()
    {
        var text = new StringBuilder();
        text.Append("# Written by kvmconfig tune: the sysctl values of a KVM host. kvmconfig tune --revert removes it.\n");
        text.Append("# Edits are overwritten by the next kvmconfig tune; put your own values in a later file (99-local.conf).\n");
        foreach (SysctlRecommendation r in All)
        {
            text.Append('\n').Append("# ").Append(r.Why).Append('\n').Append(r.Key).Append(" = ").Append(r.Value).Append('\n');
        }

        return text.ToString();
    }
}
