using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Validation;

// The rule about interface shaping: net_bandwidth on a kernel that cannot do what libvirt runs for it.
public static partial class DeclarationRules
{
    // libvirt shapes with tc when it sets <bandwidth> live and when it starts a domain whose definition has one: on a
    // kernel without the qdiscs, filters and actions it runs, both fail. A warning here, since the declaration cannot
    // know whether the VM has an interface; apply refuses to shape one (KVC099) before anything changes.
    private static void NetShapingUnsupported(RuleContext c, VmSpec vm)
    {
        if (vm.NetBandwidthBitsPerSec is null || !c.Host.NetShaping.Unsupported)
        {
            return;
        }

        Topology.NetShaping shaping = c.Host.NetShaping;
        c.Add(Rules.NetShapingUnsupported,
            $"VM '{vm.Name}' asks for net_bandwidth, but this host's kernel lacks {shaping.MissingText} (read from {shaping.Source}), which libvirt's interface shaping runs: apply will refuse to shape its interfaces",
            vm.Origins.Of("net_bandwidth"),
            $"load them ({shaping.ModprobeHint}) or boot a kernel built with them; or remove net_bandwidth from this VM",
            ProfileNotes(vm, "net_bandwidth"));
    }
}
