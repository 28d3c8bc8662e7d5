namespace KvmConfig.Core.Specs;

/// <summary>
/// When kvmconfig's contention figures raise an alert (<c>[alerts]</c>, usually in <c>00-cpu.conf</c>), after
/// defaults are applied. The figures are defined in DESIGN.md section 5; the defaults are the values it names.
/// </summary>
/// <remarks>
/// What each threshold is compared with, and in which direction (the words are DESIGN.md's):
/// <list type="bullet">
/// <item><b>ready</b>: a vCPU's ready %, delta(<c>vcpu.N.delay</c>) / delta(wall) x 100, i.e. the share of time its
/// thread was runnable but waited for a CPU (schedstat <c>run_delay</c>; the guest sees it as steal). Warning
/// <i>at</i> <see cref="ReadyWarningPercent"/>, critical <i>at</i> <see cref="ReadyCriticalPercent"/>: 5 % and
/// 10 % are VMware's per-vCPU guidance, and KubeVirt alerts at 5 %. Judged per vCPU, so one starved vCPU of a
/// large VM is not averaged away.</item>
/// <item><b>disk queue depth</b>: requests in flight on a VM block device (the interval's average by Little's law,
/// from QEMU's request times) or a host device (the higher of <c>/proc/diskstats</c>' average queue and its "I/Os
/// currently in progress"); warns <i>above</i> <see cref="DiskQueueDepthRequests"/> (the seed's 200).</item>
/// <item><b>TCP retransmits</b>: delta(RetransSegs) / delta(OutSegs) x 100 from <c>/proc/net/snmp</c>, host-wide;
/// warns <i>above</i> <see cref="TcpRetransmitPercent"/> (the seed's 5 %).</item>
/// <item><b>page-reclaim efficiency</b>: delta(pgsteal) / delta(pgscan) x 100 from <c>/proc/vmstat</c>, host-wide:
/// of the pages the kernel scanned to free memory, the share it could free. Warns <i>below</i>
/// <see cref="ReclaimEfficiencyPercent"/> (the seed's 85 %); a low value means reclaim works hard for little.</item>
/// <item><b>memory overhead</b>: (QEMU RSS - guest memory in use) / guest memory x 100, per VM; warns <i>above</i>
/// <see cref="MemoryOverheadPercent"/>. DESIGN.md gives no figure: see the property for why 30 %.</item>
/// <item><b>CPU pressure</b>: the <c>some avg10</c> field of <c>/proc/pressure/cpu</c> (PSI), the share of the last
/// 10 s in which at least one runnable task waited for a CPU, host-wide; warns <i>above</i>
/// <see cref="CpuPressurePercent"/>. DESIGN.md gives no figure: see the property for why 25 %.</item>
/// </list>
/// </remarks>
public sealed record AlertThresholds
{
    /// <summary>DESIGN.md section 5's thresholds, with nothing written.</summary>
    public static AlertThresholds Default { get; } = new();

    /// <summary>A vCPU's ready % from which it is a warning (default 5).</summary>
    public double ReadyWarningPercent { get; init; } = 5;

    /// <summary>
    /// A vCPU's ready % from which it is critical (default 10); above <see cref="ReadyWarningPercent"/> in any
    /// declaration that passes <c>check</c> (KVC048).
    /// </summary>
    public double ReadyCriticalPercent { get; init; } = 10;

    /// <summary>Requests in flight on one block device above which it warns (default 200).</summary>
    public int DiskQueueDepthRequests { get; init; } = 200;

    /// <summary>Host TCP retransmit % above which it warns (default 5).</summary>
    public double TcpRetransmitPercent { get; init; } = 5;

    /// <summary>Host page-reclaim efficiency % below which it warns (default 85).</summary>
    public double ReclaimEfficiencyPercent { get; init; } = 85;

    /// <summary>
    /// A VM's memory overhead % above which it warns (default 30). A VM's overhead is mostly a fixed cost:
    /// OpenShift Virtualization's sizing guide puts it (QEMU and its launcher) at about 218 MiB + 8 MiB per vCPU
    /// + 0.2 % of guest memory. For the seed's smallest profile (monitoring: 1 vCPU, 1G) that is about 22 %, so
    /// 30 % stays quiet on a healthy small VM, while a 4G database (expected about 6 %) warns only after more than
    /// 1.2G of growth that its size does not explain.
    /// </summary>
    public double MemoryOverheadPercent { get; init; } = 30;

    /// <summary>
    /// Host CPU pressure (<c>some avg10</c>, %) above which it warns (default 25). A judgement, not a published
    /// figure: <c>some</c> counts time in which any task waited, so on a busy host it sits well above one vCPU's
    /// ready %; a quarter of the time is far past the 5 % a single vCPU warns at, and rare on a host whose
    /// dedicated VMs are pinned.
    /// </summary>
    public double CpuPressurePercent { get; init; } = 25;

    /// <summary>
    /// <c>for</c>: how long a figure must stay past a threshold before its alert is raised (default 30 s), as a
    /// Prometheus rule's <c>for:</c>. Counted from the sweep that first saw it past; a figure that comes back past its
    /// clear level (<see cref="ClearMarginPercent"/>) starts again. 30 s is 15 sweeps at <c>serve</c>'s default 2 s
    /// interval: a burst of a few seconds (a backup starting, a guest booting) is not an alert; a minute of contention is.
    /// </summary>
    public TimeSpan HoldFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// <c>clear_margin</c>, in percent (default 20): a raised alert clears only once its figure has come back from the
    /// threshold toward its ideal value (0, or 100 % for reclaim efficiency) by this share of the way: a 5 % ready
    /// warning clears below 4 %, a 200-request queue below 160, an 85 % reclaim efficiency above 88 %. 0 clears as
    /// soon as the threshold is no longer crossed. A figure between the threshold and its clear level keeps its
    /// alert (or its pending hold).
    /// </summary>
    public double ClearMarginPercent { get; init; } = 20;

    /// <summary>Where each key came from.</summary>
    public Origins Origins { get; init; } = Origins.None;
}
