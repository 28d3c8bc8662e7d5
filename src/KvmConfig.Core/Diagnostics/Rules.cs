namespace KvmConfig.Core.Diagnostics;

/// <summary>
/// Every diagnostic kvmconfig can report. Codes are stable: scripts and <c>docs/diagnostics.md</c> rely on
/// them. KVC001-019 are syntax (one file at a time), KVC020-059 are semantic rules checked against the host,
/// KVC090-099 stop <c>check</c> from running at all (exit 2).
/// </summary>
public static class Rules
{
    // ---- Syntax: reading the files ----------------------------------------------------------------

    /// <summary>A file is not valid UTF-8.</summary>
    public static readonly DiagnosticDescriptor NotUtf8 = new("KVC001", "not-utf8", Severity.Error, "file is not valid UTF-8");

    /// <summary>A line is neither a comment, a header nor <c>key = value</c>.</summary>
    public static readonly DiagnosticDescriptor MissingEquals = new("KVC002", "missing-equals", Severity.Error, "line has no '='");

    /// <summary><c>= value</c> with nothing before the <c>=</c>.</summary>
    public static readonly DiagnosticDescriptor EmptyKey = new("KVC003", "empty-key", Severity.Error, "key is empty");

    /// <summary><c>[vm web1</c> without the closing bracket, or text after the <c>]</c>.</summary>
    public static readonly DiagnosticDescriptor UnterminatedHeader = new("KVC004", "unterminated-header", Severity.Error, "section header must be '[...]' alone on its line");

    /// <summary>A header other than host, vm, profile, node, cost, alerts.</summary>
    public static readonly DiagnosticDescriptor UnknownSection = new("KVC005", "unknown-section", Severity.Error, "unknown section");

    /// <summary><c>[vm]</c> without a name, a name libvirt would refuse, or a name on <c>[host]</c>.</summary>
    public static readonly DiagnosticDescriptor BadSectionName = new("KVC006", "bad-section-name", Severity.Error, "section name missing or invalid");

    /// <summary>Keys before any header in a file whose name implies no section.</summary>
    public static readonly DiagnosticDescriptor NoSection = new("KVC007", "no-section", Severity.Error, "keys outside any section");

    /// <summary>The directory holds no <c>*.conf</c> file.</summary>
    public static readonly DiagnosticDescriptor EmptyDirectory = new("KVC008", "empty-directory", Severity.Error, "no *.conf files");

    /// <summary>Not a key of this section.</summary>
    public static readonly DiagnosticDescriptor UnknownKey = new("KVC010", "unknown-key", Severity.Error, "unknown key");

    /// <summary>A value of the wrong kind (<c>memory = 12X</c>).</summary>
    public static readonly DiagnosticDescriptor BadValue = new("KVC011", "bad-value", Severity.Error, "value has the wrong form");

    /// <summary>A value of the right kind but outside the allowed range (<c>overcommit = 1:9</c>, <c>vcpus = 0</c>).</summary>
    public static readonly DiagnosticDescriptor OutOfRange = new("KVC012", "out-of-range", Severity.Error, "value out of range");

    /// <summary>The same key twice in one section: the later one wins.</summary>
    public static readonly DiagnosticDescriptor DuplicateKey = new("KVC013", "duplicate-key", Severity.Warning, "key set twice in one section");

    /// <summary>A VM declared in two places (profiles, [host], [cost] and [alerts] merge instead, see <see cref="HostOverride"/>).</summary>
    public static readonly DiagnosticDescriptor DuplicateVm = new("KVC014", "duplicate-vm", Severity.Error, "VM declared twice");

    /// <summary>A [host], [cost], [alerts] or [profile] key overridden by a later section (drop-in semantics).</summary>
    public static readonly DiagnosticDescriptor HostOverride = new("KVC015", "drop-in-override", Severity.Info, "key overridden by a later drop-in");

    /// <summary><c>profile =</c> names no built-in or declared profile.</summary>
    public static readonly DiagnosticDescriptor UnknownProfile = new("KVC016", "unknown-profile", Severity.Error, "unknown profile");

    /// <summary>A key the VM needs is missing and cannot be derived.</summary>
    public static readonly DiagnosticDescriptor MissingKey = new("KVC017", "missing-key", Severity.Error, "required key missing");

    /// <summary>A value kvmconfig filled in on the user's behalf (defaults, profile values, derived vcpus).</summary>
    public static readonly DiagnosticDescriptor Defaulted = new("KVC018", "defaulted", Severity.Info, "value taken from a default");

    // ---- Semantics: the declaration against the host ---------------------------------------------

    /// <summary>The seed's first rule: more physical CPUs than VMs.</summary>
    public static readonly DiagnosticDescriptor MoreCpusThanVms = new("KVC020", "more-physical-cpus-than-vms", Severity.Error, "the host needs more physical CPUs than VMs");

    /// <summary>The seed's second rule: no VM above <c>max_vm_share</c> of the physical CPUs.</summary>
    public static readonly DiagnosticDescriptor MaxVmShare = new("KVC021", "max-vm-share", Severity.Error, "VM takes more than max_vm_share of the physical CPUs");

    /// <summary>A CPU list names a CPU the host does not have.</summary>
    public static readonly DiagnosticDescriptor CpuAbsent = new("KVC022", "cpu-absent", Severity.Error, "CPU not present on this host");

    /// <summary>A CPU list names a CPU that is offline.</summary>
    public static readonly DiagnosticDescriptor CpuOffline = new("KVC023", "cpu-offline", Severity.Error, "CPU is offline");

    /// <summary>Two VMs with dedicated (strict or float) pinning claim the same CPU.</summary>
    public static readonly DiagnosticDescriptor DedicatedOverlap = new("KVC024", "dedicated-overlap", Severity.Error, "dedicated CPU sets overlap");

    /// <summary>A VM's CPUs lie outside the host's <c>cpuset</c>.</summary>
    public static readonly DiagnosticDescriptor OutsideCpuset = new("KVC025", "outside-cpuset", Severity.Error, "CPUs outside the host cpuset");

    /// <summary>A VM's CPUs include reserved CPUs.</summary>
    public static readonly DiagnosticDescriptor UsesReserved = new("KVC026", "uses-reserved", Severity.Error, "CPUs reserved for the host");

    /// <summary>Under strict pinning, more vCPUs than CPUs in the set.</summary>
    public static readonly DiagnosticDescriptor VcpusExceedSet = new("KVC027", "vcpus-exceed-set", Severity.Error, "more vCPUs than CPUs under strict pinning");

    /// <summary>A strict VM with strict memory spans NUMA nodes without saying so.</summary>
    public static readonly DiagnosticDescriptor SpansNodes = new("KVC028", "spans-numa-nodes", Severity.Error, "strict VM spans NUMA nodes");

    /// <summary>An <c>smt = isolate</c> VM shares a core with another VM.</summary>
    public static readonly DiagnosticDescriptor SharesCore = new("KVC029", "isolate-shares-core", Severity.Error, "smt=isolate VM shares a core");

    /// <summary>Declared memory exceeds the host's memory after <c>memory_reserved</c>.</summary>
    public static readonly DiagnosticDescriptor HostMemory = new("KVC030", "host-memory", Severity.Error, "memory exceeds the host");

    /// <summary>Memory placed on a NUMA node exceeds that node after its share of <c>memory_reserved</c>.</summary>
    public static readonly DiagnosticDescriptor NodeMemory = new("KVC031", "node-memory", Severity.Error, "memory exceeds a NUMA node");

    /// <summary>Huge pages asked for exceed the free pages of that size.</summary>
    public static readonly DiagnosticDescriptor HugePages = new("KVC032", "hugepages", Severity.Error, "not enough free huge pages");

    /// <summary>Shared-pool vCPUs exceed <c>overcommit</c> times the pool.</summary>
    public static readonly DiagnosticDescriptor Overcommit = new("KVC033", "overcommit", Severity.Error, "shared pool over its overcommit ratio");

    /// <summary><c>cpufreq</c> names a governor this host does not offer.</summary>
    public static readonly DiagnosticDescriptor Governor = new("KVC034", "cpufreq-governor", Severity.Error, "governor not offered by this host");

    /// <summary><c>cpufreq_max</c> outside the CPUs' frequency range.</summary>
    public static readonly DiagnosticDescriptor CpuFreqMax = new("KVC035", "cpufreq-max", Severity.Error, "cpufreq_max outside the hardware range");

    /// <summary>Dedicated VMs on <c>auto</c> need more CPUs than are left.</summary>
    public static readonly DiagnosticDescriptor DedicatedCapacity = new("KVC036", "dedicated-capacity", Severity.Error, "not enough CPUs left for auto VMs");

    /// <summary>The host <c>cpuset</c> and <c>reserved</c> overlap, or leave no CPU for VMs.</summary>
    public static readonly DiagnosticDescriptor HostPools = new("KVC037", "host-pools", Severity.Error, "cpuset and reserved conflict");

    /// <summary><c>numa_nodes</c> names a node the host lacks.</summary>
    public static readonly DiagnosticDescriptor NodeAbsent = new("KVC038", "numa-node-absent", Severity.Error, "NUMA node not present");

    /// <summary>Under strict pinning, fewer vCPUs than CPUs: some dedicated CPUs stay idle.</summary>
    public static readonly DiagnosticDescriptor IdleCpus = new("KVC039", "idle-dedicated-cpus", Severity.Warning, "dedicated CPUs left idle");

    /// <summary><c>smt = require</c> with explicit CPUs that are not whole cores.</summary>
    public static readonly DiagnosticDescriptor WholeCores = new("KVC040", "smt-whole-cores", Severity.Error, "smt=require needs whole cores");

    /// <summary><c>cpu_limit</c> above the VM's vCPU count can never bind.</summary>
    public static readonly DiagnosticDescriptor LimitAboveVcpus = new("KVC041", "cpu-limit-above-vcpus", Severity.Warning, "cpu_limit above vcpus has no effect");

    /// <summary>Real-time scheduling (fifo/rr) on CPUs shared with other work can starve the host.</summary>
    public static readonly DiagnosticDescriptor RealtimeShared = new("KVC042", "realtime-shared", Severity.Warning, "real-time vCPUs on shared CPUs");

    /// <summary>Memory was not declared, so NUMA and memory fit are not checked for this VM.</summary>
    public static readonly DiagnosticDescriptor MemoryUnmanaged = new("KVC043", "memory-unmanaged", Severity.Info, "memory not declared");

    /// <summary>Huge pages of a size this host has no pool of.</summary>
    public static readonly DiagnosticDescriptor HugePageSize = new("KVC044", "hugepage-size", Severity.Error, "no huge pages of that size");

    /// <summary><c>cpus = LIST</c> on a VM with <c>cpuspinlock = none</c>.</summary>
    public static readonly DiagnosticDescriptor CpusWithSharedPinning = new("KVC045", "cpus-with-shared-pinning", Severity.Error, "cpus needs strict or float pinning");

    /// <summary>Floating vCPUs (float pinning or the shared pool) on CPUs isolated with isolcpus=.</summary>
    public static readonly DiagnosticDescriptor FloatOnIsolated = new("KVC046", "float-on-isolated", Severity.Warning, "floating vCPUs on isolated CPUs");

    /// <summary>The declaration passes every rule but the planner cannot place a VM.</summary>
    public static readonly DiagnosticDescriptor CannotPlan = new("KVC047", "cannot-plan", Severity.Error, "no placement exists");

    /// <summary><c>[alerts]</c> ready_warning at or above ready_critical: the warning level could never come first.</summary>
    public static readonly DiagnosticDescriptor ThresholdOrder = new("KVC048", "threshold-order", Severity.Error, "warning threshold not below the critical one");

    /// <summary>Reading the host, kvmconfig had to assume something: a file the kernel did not write, or one that could not be read, and what stands in for it.</summary>
    public static readonly DiagnosticDescriptor HostTopologyAssumed = new("KVC049", "host-topology-assumed", Severity.Warning, "something about the host was assumed");

    /// <summary>
    /// Overclock protection (<c>cpufreq = vtlb</c>, <c>cpufreq_max = base</c>): a note giving the base frequency the
    /// VMs' CPUs are capped at, or a warning when this host does not say its base frequency.
    /// </summary>
    public static readonly DiagnosticDescriptor OverclockProtection = new("KVC050", "overclock-protection", Severity.Info, "CPUs capped at their base frequency");

    // ---- The cluster inventory ([node NAME]): the declaration alone, whatever the host ------------------

    /// <summary>A VM's <c>host =</c> names no <c>[node]</c> of a directory that declares its nodes.</summary>
    public static readonly DiagnosticDescriptor UnknownNode = new("KVC051", "unknown-node", Severity.Error, "host names no [node]");

    /// <summary>An anti-affinity group with more members than nodes (or, with <c>group_spread = rack</c>, than racks): one can never be placed.</summary>
    public static readonly DiagnosticDescriptor GroupTooLarge = new("KVC052", "group-too-large", Severity.Error, "more group members than nodes or racks");

    /// <summary>Two <c>[node]</c> sections with the same <c>uri</c>: one machine counted twice.</summary>
    public static readonly DiagnosticDescriptor DuplicateUri = new("KVC053", "duplicate-uri", Severity.Error, "two nodes with one URI");

    /// <summary>A <c>[node]</c> with neither <c>uri</c> nor <c>sysroot</c> nor <c>capabilities</c>: nothing to read it from.</summary>
    public static readonly DiagnosticDescriptor NodeWithoutSource = new("KVC054", "node-without-source", Severity.Error, "node with nothing to read it from");

    /// <summary>Members of one anti-affinity group disagree on <c>group_spread</c>.</summary>
    public static readonly DiagnosticDescriptor GroupSpreadMismatch = new("KVC055", "group-spread-mismatch", Severity.Error, "group members disagree on group_spread");

    /// <summary>A <c>[node NAME]</c> declared twice (like <see cref="DuplicateVm"/>).</summary>
    public static readonly DiagnosticDescriptor DuplicateNode = new("KVC056", "duplicate-node", Severity.Error, "node declared twice");

    /// <summary>Two members of one anti-affinity group pinned with <c>host</c> to one node (or one rack).</summary>
    public static readonly DiagnosticDescriptor GroupHostConflict = new("KVC057", "group-host-conflict", Severity.Error, "group members pinned together");

    /// <summary><c>net_bandwidth</c> on a host whose kernel lacks what libvirt's interface shaping runs (tc qdiscs, filters, the police action).</summary>
    public static readonly DiagnosticDescriptor NetShapingUnsupported = new("KVC058", "net-shaping-unsupported", Severity.Warning, "the kernel cannot shape interfaces");

    /// <summary><c>vcpus_max</c> below <c>vcpus</c>: a domain cannot boot with more vCPUs online than its maximum.</summary>
    public static readonly DiagnosticDescriptor VcpusAboveMax = new("KVC059", "vcpus-above-max", Severity.Error, "vcpus above vcpus_max");

    // ---- A cluster, capacity or forecast command could not run (exit 2) ----------------------------

    /// <summary>A <c>[node]</c> could not be read: its libvirt does not answer or refuses, or its captured files are unreadable or wrong.</summary>
    public static readonly DiagnosticDescriptor NodeUnreachable = new("KVC080", "node-unreachable", Severity.Error, "a cluster node cannot be read");

    /// <summary>A <c>cluster</c> command on a directory without <c>[node]</c> sections.</summary>
    public static readonly DiagnosticDescriptor NoInventory = new("KVC081", "no-inventory", Severity.Error, "no [node] sections");

    /// <summary><c>--ha N</c> with N at least the number of nodes: no node would be left to run anything.</summary>
    public static readonly DiagnosticDescriptor HaTooLarge = new("KVC082", "ha-too-large", Severity.Error, "--ha leaves no node");

    /// <summary><c>tco --compare</c> names a cost scenario that no <c>[cost NAME]</c> section declares.</summary>
    public static readonly DiagnosticDescriptor UnknownCostScenario = new("KVC083", "unknown-cost-scenario", Severity.Error, "no such [cost NAME] scenario");

    /// <summary><c>report --forecast</c> or <c>capacity --from-history</c> on a history too short to forecast from.</summary>
    public static readonly DiagnosticDescriptor HistoryTooShort = new("KVC084", "history-too-short", Severity.Error, "the history is too short to forecast");

    // ---- tune: the host's own settings -----------------------------------------------------------

    /// <summary><c>tune</c> would write the kernel's files of this host without root: the kernel refuses every write.</summary>
    public static readonly DiagnosticDescriptor TuneNeedsRoot = new("KVC085", "tune-needs-root", Severity.Error, "tune must run as root");

    /// <summary><c>tune --revert</c> with no journal to restore from.</summary>
    public static readonly DiagnosticDescriptor NoTuneJournal = new("KVC086", "no-tune-journal", Severity.Error, "no tune journal to revert");

    /// <summary>The kernel refused a value <c>tune</c> wrote, or granted fewer huge pages than asked.</summary>
    public static readonly DiagnosticDescriptor TuneRefused = new("KVC087", "tune-refused", Severity.Error, "the kernel refused or cut a setting");

    // ---- Could not run (exit 2) ------------------------------------------------------------------

    /// <summary>The configuration directory does not exist or is not a directory.</summary>
    public static readonly DiagnosticDescriptor NoDirectory = new("KVC090", "no-config-directory", Severity.Error, "configuration directory missing");

    /// <summary>The directory or a file is writable by group or others, or owned by neither root nor the caller (sshd's StrictModes).</summary>
    public static readonly DiagnosticDescriptor UnsafePermissions = new("KVC091", "unsafe-permissions", Severity.Error, "writable by group or others, or owned by another user");

    /// <summary>The sysroot holds no Linux sysfs CPU tree.</summary>
    public static readonly DiagnosticDescriptor NotSysfs = new("KVC092", "not-sysfs", Severity.Error, "not a Linux sysfs tree");

    /// <summary>A file or directory could not be read (permissions, I/O error).</summary>
    public static readonly DiagnosticDescriptor Unreadable = new("KVC093", "unreadable", Severity.Error, "cannot read");

    /// <summary>libvirt could not be reached: library missing, daemon not running, URI that does not parse, access denied.</summary>
    public static readonly DiagnosticDescriptor LibvirtUnavailable = new("KVC094", "libvirt-unavailable", Severity.Error, "cannot connect to libvirt");

    /// <summary>libvirt refused or failed an operation on a reachable daemon (unknown domain, XML rejected, ...).</summary>
    public static readonly DiagnosticDescriptor LibvirtError = new("KVC095", "libvirt-error", Severity.Error, "libvirt operation failed");

    /// <summary>Another apply or rollback holds the host's lock.</summary>
    public static readonly DiagnosticDescriptor ApplyBusy = new("KVC096", "apply-busy", Severity.Error, "another apply is running");

    /// <summary><c>serve</c> cannot listen on its address: already in use, not an address of this host, or a privileged port.</summary>
    public static readonly DiagnosticDescriptor ListenUnavailable = new("KVC097", "listen-unavailable", Severity.Error, "cannot listen on the address");

    /// <summary><c>apply</c> with a plan made for other CPUs or NUMA nodes than those of the host libvirt reaches (a <c>--sysroot</c> capture, another machine).</summary>
    public static readonly DiagnosticDescriptor PlanForAnotherHost = new("KVC098", "plan-for-another-host", Severity.Error, "the plan was made for another host");

    /// <summary><c>apply</c> would shape the interfaces of VMs on a host whose kernel cannot: libvirt would fail, and a domain defined with shaping would no longer start.</summary>
    public static readonly DiagnosticDescriptor CannotShape = new("KVC099", "cannot-shape", Severity.Error, "interface shaping unsupported by the kernel");

    /// <summary>All descriptors, in code order.</summary>
    public static IReadOnlyList<DiagnosticDescriptor> All { get; } =
        typeof(Rules).GetFields()
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .OrderBy(d => d.Code, StringComparer.Ordinal)
            .ToList();
}
