using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Validation;

/// <summary>
/// The rules of the cluster inventory that need no machine: the <c>[node NAME]</c> sections judged against each other,
/// and the VMs' <c>host</c>, <c>group</c> and <c>group_spread</c> judged against them. A validated
/// <see cref="Declaration"/> in, diagnostics out; pure, one method per descriptor. Whether each node can hold what is
/// placed on it needs that node's topology, and is not judged here.
/// </summary>
/// <remarks>
/// The rules run only when the declaration has nodes: a single host's directory with <c>host</c> or <c>group</c> keys
/// (written for a cluster tool, or ahead of one) is judged as it always was. They judge the declaration once, whatever
/// number of nodes it has: run them once per directory, not once per node.
/// <para>
/// Failure domains: a node is in its <c>rack</c>, and a node without one is a rack of its own, so that leaving
/// <c>rack</c> out never makes two nodes share a failure domain they may not share.
/// </para>
/// </remarks>
public static class ClusterRules
{
    /// <summary>Checks the nodes of <paramref name="declaration"/> and the VMs' placement keys against them.</summary>
    public static IReadOnlyList<Diagnostic> Check(Declaration declaration)
    {
        var found = new List<Diagnostic>();
        if (declaration.Nodes.Count == 0)
        {
            return found;
        }

        NodeWithoutSource(declaration, found);
        DuplicateUri(declaration, found);
        UnknownNode(declaration, found);
        foreach (IGrouping<string, VmSpec> group in declaration.Vms.Where(v => v.Group is not null).GroupBy(v => v.Group!, StringComparer.Ordinal))
        {
            // A refused group_spread holds the default; it is neither judged nor followed.
            List<VmSpec> members = [.. group];
            List<VmSpec> judged = [.. members.Where(v => !v.Origins.Invalid("group_spread"))];
            bool agree = GroupSpreadMismatch(group.Key, judged, found);

            // Members that disagree are counted against the nodes: a group too large for them is too large for racks too.
            GroupSpread spread = agree && judged.Count > 0 ? judged[0].GroupSpread : GroupSpread.Node;
            GroupTooLarge(declaration, group.Key, members, spread, found);
            PinnedTogether(declaration, group.Key, members, spread, found);
        }

        return found;
    }

    // KVC054. A node is read from its libvirt (uri) or, to plan without connecting, from what was captured of it. A
    // source that was written but refused is reported already.
    private static void NodeWithoutSource(Declaration declaration, List<Diagnostic> found)
    {
        string[] sources = ["uri", "sysroot", "capabilities"];
        foreach (NodeSpec node in declaration.Nodes.Where(n => n.Uri is null && n.Sysroot is null && n.Capabilities is null))
        {
            if (sources.Any(node.Origins.Invalid))
            {
                continue;
            }

            found.Add(Diagnostic.Create(Rules.NodeWithoutSource,
                $"node '{node.Name}' has no uri, sysroot or capabilities: kvmconfig has nothing to read its CPUs and memory from",
                node.Origins.Header,
                $"add uri = qemu+ssh://root@{node.Name}/system to connect to it, or sysroot = DIR (a captured sysfs tree) or capabilities = FILE to plan it without connecting"));
        }
    }

    // KVC053. Compared as written: libvirt would connect both to one machine, which would then be offered twice (to
    // anti-affinity too, whose members could land on "two" nodes that are one).
    private static void DuplicateUri(Declaration declaration, List<Diagnostic> found)
    {
        var first = new Dictionary<string, NodeSpec>(StringComparer.Ordinal);
        foreach (NodeSpec node in declaration.Nodes.Where(n => n.Uri is not null))
        {
            if (!first.TryGetValue(node.Uri!, out NodeSpec? earlier))
            {
                first[node.Uri!] = node;
                continue;
            }

            found.Add(Diagnostic.Create(Rules.DuplicateUri,
                $"node '{node.Name}' has uri {node.Uri}, as node '{earlier.Name}' has: one machine would count as two nodes",
                node.Origins.Of("uri"),
                $"give each [node] the URI of its own machine; if '{earlier.Name}' and '{node.Name}' are one machine, delete one of the two sections",
                [new DiagnosticNote($"uri of node '{earlier.Name}'", earlier.Origins.Of("uri"))]));
        }
    }

    // KVC051. host = NAME pins a VM to the node of that name, so it must be one.
    private static void UnknownNode(Declaration declaration, List<Diagnostic> found)
    {
        var names = declaration.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        string all = string.Join(", ", declaration.Nodes.Select(n => n.Name));
        foreach (VmSpec vm in declaration.Vms.Where(v => v.Host is not null && !names.Contains(v.Host)))
        {
            string? near = Suggest.Closest(vm.Host!, names.Order(StringComparer.Ordinal));
            found.Add(Diagnostic.Create(Rules.UnknownNode,
                $"VM '{vm.Name}' must run on host '{vm.Host}', but no [node {vm.Host}] is declared",
                vm.Origins.Of("host"),
                near is not null
                    ? $"did you mean '{near}'? Nodes: {all}"
                    : $"declare [node {vm.Host}], or name one of the nodes: {all}"));
        }
    }

    // KVC055. One group, one spread: a member that spreads by rack while another spreads by node would let the first
    // share a rack with the second, which cannot have been meant by either. Each member that differs from the first
    // is reported at its group_spread, or at its group when it takes the default.
    private static bool GroupSpreadMismatch(string group, List<VmSpec> members, List<Diagnostic> found)
    {
        bool agree = true;
        VmSpec? first = members.FirstOrDefault();
        foreach (VmSpec vm in members.Skip(1).Where(v => v.GroupSpread != first!.GroupSpread))
        {
            agree = false;
            found.Add(Diagnostic.Create(Rules.GroupSpreadMismatch,
                $"VM '{vm.Name}' spreads group '{group}' over {Spread(vm)}, but '{first!.Name}', its first member, spreads it over {Spread(first)}",
                SpreadOrigin(vm),
                $"give every member of group '{group}' the same group_spread (a profile they share can set group and group_spread together)",
                [new DiagnosticNote($"'{first.Name}' joins group '{group}' here", SpreadOrigin(first))]));
        }

        return agree;
    }

    // KVC052. Members of a group each take a node (or a rack) of their own, so a group can have at most as many members
    // as there are nodes (racks). Said once, at the first member past that count.
    private static void GroupTooLarge(Declaration declaration, string group, List<VmSpec> members, GroupSpread spread, List<Diagnostic> found)
    {
        IReadOnlyList<NodeSpec> nodes = declaration.Nodes;
        List<string> racks = Racks(nodes);
        int room = spread == GroupSpread.Rack ? racks.Count : nodes.Count;
        if (members.Count <= room)
        {
            return;
        }

        VmSpec past = members[room];
        string memberList = string.Join(", ", members.Select(v => v.Name));
        string message = spread == GroupSpread.Rack
            ? $"VM '{past.Name}' is member {room + 1} of group '{group}', which spreads over racks (group_spread = rack), but the cluster has {Units.Plural(room, "rack")} ({string.Join("; ", racks)}): one member can never be placed"
            : $"VM '{past.Name}' is member {room + 1} of group '{group}', but the cluster has {Units.Plural(room, "node")} ({string.Join(", ", nodes.Select(n => n.Name))}): members of a group run on different nodes, so one can never be placed";
        string hint = spread == GroupSpread.Rack
            ? $"take VMs out of group '{group}' until it has at most {room}, put the nodes in more racks, or spread the group over nodes (group_spread = node)"
            : $"take VMs out of group '{group}' until it has at most {room}, or declare another [node]";
        found.Add(Diagnostic.Create(Rules.GroupTooLarge, message, past.Origins.Of("group"), hint,
            [new DiagnosticNote($"members of group '{group}', in file order: {memberList}")]));
    }

    // KVC057. host = pins a member to one node; a second member pinned to the same node (or, spread over racks, to a
    // node of the same rack) can never be placed. Each such member is reported at its host, with the first one's.
    private static void PinnedTogether(Declaration declaration, string group, List<VmSpec> members, GroupSpread spread, List<Diagnostic> found)
    {
        Dictionary<string, NodeSpec> nodes = declaration.Nodes.GroupBy(n => n.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var first = new Dictionary<string, VmSpec>(StringComparer.Ordinal);
        foreach (VmSpec vm in members.Where(v => v.Host is not null && nodes.ContainsKey(v.Host)))
        {
            NodeSpec node = nodes[vm.Host!];
            // A node without a rack is a failure domain of its own.
            string domain = spread == GroupSpread.Rack && node.Rack is { } rack ? rack : node.Name;
            if (!first.TryGetValue($"{(spread == GroupSpread.Rack && node.Rack is not null ? "rack" : "node")}:{domain}", out VmSpec? earlier))
            {
                first[$"{(spread == GroupSpread.Rack && node.Rack is not null ? "rack" : "node")}:{domain}"] = vm;
                continue;
            }

            string message = spread == GroupSpread.Rack
                ? $"VM '{vm.Name}' must run on node '{vm.Host}' and '{earlier.Name}', another member of group '{group}', on '{earlier.Host}', both in rack '{domain}': members of this group run in different racks (group_spread = rack), so one can never be placed"
                : $"VM '{vm.Name}' must run on node '{vm.Host}', as '{earlier.Name}', another member of group '{group}', must: members of a group run on different nodes, so one can never be placed";
            found.Add(Diagnostic.Create(Rules.GroupHostConflict, message,
                vm.Origins.Of("host"),
                spread == GroupSpread.Rack
                    ? $"pin '{vm.Name}' to a node in another rack, drop its host = and let the placement choose, or take it out of group '{group}'"
                    : $"pin '{vm.Name}' to another node, drop its host = and let the placement choose, or take it out of group '{group}'",
                [new DiagnosticNote($"'{earlier.Name}' is pinned here", earlier.Origins.Of("host"))]));
        }
    }

    // The failure domains, as a message lists them: "r1: kvm1, kvm2" for a rack, "kvm3 (no rack)" for a node alone.
    private static List<string> Racks(IReadOnlyList<NodeSpec> nodes) =>
        [.. nodes.GroupBy(n => n.Rack is null ? (Key: n.Name, Alone: true) : (Key: n.Rack, Alone: false))
            .Select(g => g.Key.Alone ? $"{g.Key.Key} (no rack)" : $"{g.Key.Key}: {string.Join(", ", g.Select(n => n.Name))}")];

    private static string Spread(VmSpec vm) => vm.GroupSpread == GroupSpread.Rack
        ? "racks (group_spread = rack)"
        : vm.Origins.Declared("group_spread") ? "nodes (group_spread = node)" : "nodes (group_spread is node by default)";

    private static SourceSpan? SpreadOrigin(VmSpec vm) =>
        vm.Origins.Of(vm.Origins.Declared("group_spread") ? "group_spread" : "group");
}
