namespace KvmConfig.Core.Topology;

/// <summary>
/// One piece of the kernel that libvirt's interface shaping needs. libvirt shapes an interface with tc on the host side
/// of the guest's NIC (<c>virNetDevBandwidthSet</c>): traffic towards the guest (<c>inbound</c>) through an HTB root
/// qdisc with an SFQ leaf and an <c>fw</c> filter, traffic from the guest (<c>outbound</c>) through the ingress
/// qdisc with a <c>u32</c> filter whose <c>police</c> action drops what exceeds the rate.
/// </summary>
/// <param name="Module">The kernel module (<c>sch_sfq</c>), as <c>modprobe</c> and <c>/sys/module</c> name it.</param>
/// <param name="ConfigSymbol">Its build option without the <c>CONFIG_</c> prefix (<c>NET_SCH_SFQ</c>).</param>
/// <param name="Direction"><c>inbound</c> or <c>outbound</c>: which half of the shaping needs it.</param>
public sealed record KernelFeature(string Module, string ConfigSymbol, string Direction)
{
    /// <inheritdoc />
    public override string ToString() => $"{Module} (CONFIG_{ConfigSymbol})";
}

/// <summary>Whether this host's kernel can do what libvirt's interface shaping asks of it.</summary>
/// <param name="Missing">The features the kernel lacks; empty when it has them all or when that is unknown.</param>
/// <param name="Source">What told: <c>/proc/config.gz</c>, <c>/boot/config-6.1.0</c>, <c>/sys/module and
/// /lib/modules/6.1.0</c>; null when nothing could (a captured tree without them, a remote host).</param>
public sealed record NetShaping(IReadOnlyList<KernelFeature> Missing, string? Source)
{
    /// <summary>What libvirt's shaping runs: <c>tc qdisc add ... htb</c>, <c>... sfq perturb 10</c>, <c>tc filter add
    /// ... fw</c> for inbound; <c>tc qdisc add ... ingress</c>, <c>tc filter add ... u32 ... police ... drop</c> for
    /// outbound.</summary>
    public static IReadOnlyList<KernelFeature> Required { get; } =
    [
        new("sch_htb", "NET_SCH_HTB", "inbound"),
        new("sch_sfq", "NET_SCH_SFQ", "inbound"),
        new("cls_fw", "NET_CLS_FW", "inbound"),
        new("sch_ingress", "NET_SCH_INGRESS", "outbound"),
        new("cls_u32", "NET_CLS_U32", "outbound"),
        new("act_police", "NET_ACT_POLICE", "outbound"),
    ];

    /// <summary>Nothing is known: no finding is made from it.</summary>
    public static NetShaping Unknown { get; } = new([], null);

    /// <summary>True when the kernel is known to lack something libvirt's shaping needs.</summary>
    public bool Unsupported => Source is not null && Missing.Count > 0;

    /// <summary>The missing features as a list for messages: <c>sch_sfq (CONFIG_NET_SCH_SFQ), act_police (...)</c>.</summary>
    public string MissingText => string.Join(", ", Missing);

    /// <summary>The <c>modprobe</c> line that would load them, where they were built as modules.</summary>
    public string ModprobeHint => $"modprobe -a {string.Join(' ', Missing.Select(f => f.Module))}";
}
