using System.Text;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config;

/// <summary>
/// One host of an Ansible inventory made from a <c>[node NAME]</c>: the node's name is the inventory name, and the
/// variables say how Ansible reaches it and what the kvmconfig role ships to it.
/// </summary>
/// <param name="Name">The node's name (<c>inventory_hostname</c>).</param>
/// <param name="AnsibleHost">The host of the node's libvirt URI (<c>ansible_host</c>), or null when the URI names none.</param>
/// <param name="AnsibleUser">The user of the node's libvirt URI (<c>ansible_user</c>), or null.</param>
/// <param name="AnsiblePort">The SSH port of a <c>qemu+ssh</c> URI (<c>ansible_port</c>), or null.</param>
/// <param name="Rack">The node's <c>rack</c>, or null.</param>
/// <param name="LibvirtUri">The node's <c>uri</c>, or null.</param>
/// <param name="ConfigSource">
/// The node's own kvmconfig.d on the controller (<c>kvmconfig_config_src</c>): the directory named after the node
/// inside the cluster's directory, which kvmconfig's reader ignores there, as it reads only <c>*.conf</c> files.
/// </param>
public sealed record InventoryHost(string Name, string? AnsibleHost, string? AnsibleUser, int? AnsiblePort, string? Rack, string? LibvirtUri, string ConfigSource)
{
    /// <summary>
    /// The host variables in the order they are written: Ansible's connection variables first, then kvmconfig's role
    /// variables; a variable without a value is left out.
    /// </summary>
    public IReadOnlyList<(string Name, string Value)> Variables()
    {
        var variables = new List<(string, string)>();
        Add(variables, "ansible_host", AnsibleHost);
        Add(variables, "ansible_port", AnsiblePort?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(variables, "ansible_user", AnsibleUser);
        Add(variables, "kvmconfig_rack", Rack);
        Add(variables, "kvmconfig_libvirt_uri", LibvirtUri);
        Add(variables, "kvmconfig_config_src", ConfigSource);
        return variables;
    }

    private static void Add(List<(string, string)> variables, string name, string? value)
    {
        if (value is not null)
        {
            variables.Add((name, value));
        }
    }
}

/// <summary>An inventory group: the nodes of one rack.</summary>
/// <param name="Name">The group's name: <c>rack_</c> and the rack, with what Ansible refuses in a group name as <c>_</c>.</param>
/// <param name="Rack">The rack as declared.</param>
/// <param name="Hosts">The rack's nodes, in declaration order.</param>
public sealed record InventoryGroup(string Name, string Rack, IReadOnlyList<string> Hosts);

/// <summary>An Ansible inventory of a cluster: every node a host, every rack a group.</summary>
/// <param name="Directory">The cluster's configuration directory, absolute.</param>
/// <param name="Hosts">The nodes, in declaration order.</param>
/// <param name="Groups">The racks, in the order they are first declared; nodes without a rack are in none.</param>
public sealed record AnsibleInventory(string Directory, IReadOnlyList<InventoryHost> Hosts, IReadOnlyList<InventoryGroup> Groups)
{
    /// <summary>The prefix of a rack's group name (a rack named <c>r1</c> is the group <c>rack_r1</c>).</summary>
    public const string RackGroupPrefix = "rack_";

    /// <summary>
    /// Reads <paramref name="directory"/> as the <c>cluster</c> commands do (<see cref="ClusterCheck"/>: syntax,
    /// semantics and the inventory's rules, no host needed). The inventory is null when the check found errors; it has
    /// no hosts when the directory declares no <c>[node]</c>, which the caller reports (KVC081).
    /// </summary>
    public static (CheckReport Report, AnsibleInventory? Inventory) Export(string directory)
    {
        CheckReport report = ClusterCheck.Run(directory);
        return (report, report.Ok ? From(report.Declaration.Nodes, Path.GetFullPath(report.Source.Directory)) : null);
    }

    /// <summary>The inventory of <paramref name="nodes"/>, whose own kvmconfig.d are under <paramref name="directory"/>.</summary>
    public static AnsibleInventory From(IReadOnlyList<NodeSpec> nodes, string directory)
    {
        List<InventoryHost> hosts = [.. nodes.Select(node => Host(node, directory))];
        var groups = new List<InventoryGroup>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        foreach (IGrouping<string, NodeSpec> rack in nodes.Where(n => n.Rack is not null).GroupBy(n => n.Rack!, StringComparer.Ordinal))
        {
            // Racks r-1 and r.1 would both be rack_r_1: the later one takes a number, so no rack loses its group.
            string name = GroupName(rack.Key);
            for (int n = 2; !taken.Add(name); n++)
            {
                name = $"{GroupName(rack.Key)}_{n}";
            }

            groups.Add(new InventoryGroup(name, rack.Key, [.. rack.Select(node => node.Name)]));
        }

        return new AnsibleInventory(directory, hosts, groups);
    }

    // Ansible warns about, and may one day refuse, group names that are not Python identifiers; rack names may hold
    // . - + : (ValueSyntax.Name).
    private static string GroupName(string rack)
    {
        var name = new StringBuilder(RackGroupPrefix);
        foreach (char c in rack)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }

        return name.ToString();
    }

    // qemu+ssh://admin@kvm1.example:2222/system: Ansible reaches the node the way libvirt does, as admin on
    // kvm1.example port 2222 (the port of an ssh URI is sshd's; of any other transport it is libvirtd's, not Ansible's).
    // qemu:///system and test:///path.xml name no host: Ansible then uses the node's name as the host.
    private static InventoryHost Host(NodeSpec node, string directory)
    {
        string? host = null;
        string? user = null;
        int? port = null;
        if (node.Uri is not null && System.Uri.TryCreate(node.Uri, UriKind.Absolute, out Uri? uri) && uri.IdnHost.Length > 0)
        {
            host = uri.IdnHost;
            user = uri.UserInfo.Length > 0 ? Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]) : null;
            port = uri.Scheme.EndsWith("+ssh", StringComparison.OrdinalIgnoreCase) && !uri.IsDefaultPort && uri.Port > 0 ? uri.Port : null;
        }

        return new InventoryHost(node.Name, host, user, port, node.Rack, node.Uri, Path.Combine(directory, node.Name));
    }
}
