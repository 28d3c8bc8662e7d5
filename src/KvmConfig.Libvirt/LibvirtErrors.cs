using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt.Apply;

namespace KvmConfig.Libvirt;

/// <summary>
/// Every failure this project reports that is not a libvirt call's own (those are <see cref="LibvirtException"/>):
/// what went wrong, where, and what to do, in one place so that the wording stays consistent.
/// </summary>
internal static class LibvirtErrors
{
    private const string MalformedCapabilitiesHint = "the XML does not hold what libvirt writes; compare it with 'virsh capabilities' on the host (docs/capabilities.md)";
    private const string LockHint = "run as root, or pass --lock FILE in a directory only you can write";
    private const string DamagedJournalHint = "a journal is written by apply and never edited; roll back with another journal (ls /var/lib/kvmconfig/journal), or restore the VM by hand from its XML";

    /// <summary>The plan would shape interfaces of <paramref name="vms"/> on a kernel that lacks what libvirt's tc runs.</summary>
    public static KvmConfigException CannotShape(Core.Topology.NetShaping shaping, IReadOnlyList<string> vms) =>
        new(Rules.CannotShape,
            $"cannot shape the interfaces of {string.Join(", ", vms)}: this host's kernel lacks {shaping.MissingText} (read from {shaping.Source}), which libvirt runs to shape an interface; the live change would fail and a domain defined with shaping would no longer start. Nothing was changed",
            shaping.Source,
            $"load them ({shaping.ModprobeHint}) or boot a kernel built with them, then apply again; or remove net_bandwidth from {string.Join(", ", vms)}");

    /// <summary><c>cluster plan --ha N</c> with N at least the nodes that could be read.</summary>
    public static KvmConfigException HaLeavesNoReadNode(int ha, int nodes, bool someUnread) =>
        new(Rules.HaTooLarge, $"--ha {ha} asks to survive losing {ha} of {nodes} nodes{(someUnread ? " that can be read" : "")}: none would be left to run the VMs", null,
            $"give --ha {Math.Max(0, nodes - 1)} or less, or add nodes");

    /// <summary><c>cluster plan --node NAME</c> names no node of the inventory, or one that could not be read.</summary>
    public static KvmConfigException UnknownPlanNode(string name, IEnumerable<string> nodes, bool declared)
    {
        string[] names = [.. nodes];
        string? near = declared ? null : Suggest.Closest(name, names);
        return new(Rules.NoInventory, declared ? $"--node {name}: that node could not be read" : $"--node {name}: no [node {name}] is declared", null,
            $"{(near is null ? "" : $"did you mean '{near}'? ")}the nodes are {string.Join(", ", names)}");
    }

    /// <summary><c>capacity --node-like NODE</c> or <c>--history NODE=FILE</c> names no <c>[node]</c> of <paramref name="directory"/>.</summary>
    public static KvmConfigException UnknownCapacityNode(string option, string name, IEnumerable<string> nodes, string directory)
    {
        string[] names = [.. nodes];
        string? near = Suggest.Closest(name, names);
        return new(Rules.NoInventory, $"{option}: no [node {name}] in {directory}", directory,
            names.Length == 0
                ? $"declare [node {name}] with its uri, sysroot or capabilities"
                : $"{(near is null ? "" : $"did you mean '{near}'? ")}the nodes are {string.Join(", ", names)}");
    }

    /// <summary>A <c>[node]</c> whose topology could not be read.</summary>
    public static KvmConfigException NodeUnreadable(string name, string from, string error) =>
        new(Rules.NodeUnreachable, $"node {name} ({from}) cannot be read: {error}", null,
            "bring its libvirt back, or fix its uri, sysroot or capabilities");

    /// <summary>The test driver's host description is not there.</summary>
    public static KvmConfigException TestDriverFileMissing(string uri, string file) =>
        new(Rules.LibvirtUnavailable, $"{uri}: the test driver's file {file} does not exist", file,
            "give the path of an XML host description (test:///absolute/path.xml), or test:///default for libvirt's built-in one");

    /// <summary>Capabilities XML that does not hold what libvirt writes; <paramref name="message"/> says where and what.</summary>
    public static KvmConfigException MalformedCapabilities(string message, string? source, Exception? inner = null) =>
        new(Rules.Unreadable, message, source, MalformedCapabilitiesHint, inner);

    /// <summary>The driver reported no NUMA cells and CPUs.</summary>
    public static KvmConfigException CapabilitiesWithoutTopology(string at, string? source) =>
        new(Rules.Unreadable, $"{at}: <host> has no <topology><cells>: the libvirt driver did not report the host's NUMA cells and CPUs", source,
            "connect to a driver that reports the host's NUMA topology (qemu:///system on a Linux host); kvmconfig does not guess CPU numbering from <cpu><topology>");

    /// <summary>Another apply or rollback held the lock for the whole timeout.</summary>
    public static KvmConfigException LockBusy(string path, string holder, TimeSpan timeout, Exception inner) =>
        new(Rules.ApplyBusy, $"another kvmconfig apply or rollback holds {path} ({holder}); waited {timeout.TotalSeconds:0.#} s", path,
            $"wait for it to finish, then run the command again (or raise --lock-timeout); fuser -v {path} shows the process", inner);

    /// <summary>The lock file cannot be opened.</summary>
    public static KvmConfigException LockFileUnopenable(string path, Exception inner) =>
        new(Rules.Unreadable, $"cannot open the lock file {path}: {inner.Message}", path, LockHint, inner);

    /// <summary>The lock's directory cannot be created.</summary>
    public static KvmConfigException LockDirectoryUncreatable(string directory, Exception inner) =>
        new(Rules.Unreadable, $"cannot create the lock directory {directory}: {inner.Message}", directory, LockHint, inner);

    /// <summary>The journal cannot be written (nothing was changed yet).</summary>
    public static KvmConfigException JournalUnwritable(string root, Exception inner) =>
        new(Rules.Unreadable, $"cannot write the rollback journal in {root}: {inner.Message}", root,
            "apply writes every VM's XML there before changing anything; make the directory writable, or pass --journal DIR", inner);

    /// <summary>The journal cannot be read or does not hold together.</summary>
    public static KvmConfigException JournalUnreadable(string directory, Exception inner) =>
        new(Rules.Unreadable, $"cannot read the journal {directory}: {inner.Message}", directory, DamagedJournalHint, inner);

    /// <summary>Rollback without a journal to roll back.</summary>
    public static KvmConfigException NoJournal(string root) =>
        new(Rules.Unreadable, $"no journal in {root}: nothing to roll back", root,
            "apply writes a journal there before it changes anything; name another directory with --journal");

    /// <summary>A domain of the journal's name is another machine now (another uuid): rollback leaves it alone.</summary>
    public static KvmConfigException JournalDomainReplaced(string directory, string name, string? saved, string? now) =>
        new(Rules.Unreadable,
            $"the journal {directory} saved VM '{name}' with uuid {saved ?? "none"}, but libvirt's '{name}' is uuid {now ?? "none"}: another domain took the name, and rollback does not touch it",
            directory,
            $"nothing was changed; restore '{name}' by hand from {Path.Combine(directory, name + ".xml")} if it is really the same machine");

    /// <summary>A plan made from one host about to be pinned onto another.</summary>
    public static KvmConfigException PlanForAnotherHost(PlanOrigin origin, string uri, string difference) =>
        new(Rules.PlanForAnotherHost,
            $"the plan was made for {origin.HostLabel}, but libvirt at {uri} reaches another host: {difference}; nothing was changed",
            origin.SysRoot,
            $"plan against the host you apply to: drop --sysroot, or pass --connect {uri} so that the host is read through libvirt");

    /// <summary>Declared VMs libvirt does not know: apply changes nothing.</summary>
    public static KvmConfigException UnknownDomains(string uri, IReadOnlyList<string> names, string declaration) =>
        new(Rules.LibvirtError,
            $"libvirt at {uri} knows no domain named {string.Join(", ", names.Select(n => $"'{n}'"))}; nothing was changed",
            declaration,
            $"define {(names.Count == 1 ? "it" : "them")} first (virsh define FILE.xml), or remove {(names.Count == 1 ? "its file" : "their files")} from {declaration}");

    /// <summary>A step of an apply failed with something other than libvirt's refusal: a bug, said for what it is.</summary>
    public static KvmConfigException UnexpectedStepFailure(string step, Exception error) =>
        new(Rules.LibvirtError, $"{step} failed unexpectedly: {error.GetType().Name}: {error.Message}", null,
            "this is a kvmconfig bug, not a libvirt refusal: please report it with the message", error);

    /// <summary>The driver does not give the bulk statistics groups the sweeps read.</summary>
    public static KvmConfigException StatisticsGroupsUnsupported(string uri, string groups, LibvirtException inner) =>
        new(Rules.LibvirtError,
            $"the driver of {uri} does not give the {groups} statistics groups that kvmconfig reads through libvirt (libvirt: {inner.LibvirtMessage})",
            hint: "connect to a QEMU driver (qemu:///system, qemu+ssh://user@host/system); libvirt's test driver gives the state group only",
            inner: inner);
}
