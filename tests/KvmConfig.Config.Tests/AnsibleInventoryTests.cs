using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

/// <summary>
/// How a <c>[node]</c> becomes an Ansible host (<see cref="AnsibleInventory.From"/>): what each kind of libvirt URI
/// tells Ansible, and how racks become groups.
/// </summary>
public sealed class AnsibleInventoryTests
{
    private const string Directory = "/srv/cluster.d";

    /// <summary>Rows: a description, the node's uri, then ansible_host, ansible_user, ansible_port.</summary>
    public static TheoryData<string, string?, string?, string?, int?> Uris() => new()
    {
        { "ssh with a user: both", "qemu+ssh://root@kvm1.example/system", "kvm1.example", "root", null },
        { "ssh with a port: sshd's port is Ansible's", "qemu+ssh://admin@10.0.0.7:2222/system", "10.0.0.7", "admin", 2222 },
        { "ssh without a user: Ansible's own user", "qemu+ssh://kvm2/system?keyfile=/root/.ssh/kvm", "kvm2", null, null },
        { "tls with a port: libvirtd's port, not sshd's", "qemu+tls://kvm3.example:16514/system", "kvm3.example", null, null },
        { "IPv6: the address without brackets", "qemu+ssh://root@[fd00::7]/system", "fd00::7", "root", null },
        { "local libvirt: no host, Ansible uses the node's name", "qemu:///system", null, null, null },
        { "test driver: no host", "test:///srv/nodes/kvm1.xml", null, null, null },
        { "no uri (planned from a capture): no host", null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Uris))]
    public void A_nodes_uri_says_how_ansible_reaches_it(string description, string? uri, string? host, string? user, int? port)
    {
        InventoryHost node = AnsibleInventory.From([Node("kvm1", uri)], Directory).Hosts.Single();

        Assert.True((host, user, port) == (node.AnsibleHost, node.AnsibleUser, node.AnsiblePort), $"{description}: {node}");
        Assert.Equal(uri, node.LibvirtUri);
        Assert.Equal("/srv/cluster.d/kvm1", node.ConfigSource);
    }

    [Fact]
    public void Racks_are_groups_in_declaration_order_named_as_ansible_takes_them()
    {
        // Given racks r1, r-2 and r.2 (the last two meet in one group name) and a node without a rack
        NodeSpec[] nodes = [Node("a", null, "r1"), Node("b", null, "r-2"), Node("c", null, "r1"), Node("d", null, "r.2"), Node("e", null)];

        IReadOnlyList<InventoryGroup> groups = AnsibleInventory.From(nodes, Directory).Groups;

        // Then r-2 is rack_r_2, r.2 takes the next number, and e is in no group
        Assert.Equal(
            [("rack_r1", "r1", "a,c"), ("rack_r_2", "r-2", "b"), ("rack_r_2_2", "r.2", "d")],
            groups.Select(g => (g.Name, g.Rack, string.Join(',', g.Hosts))));
    }

    [Fact]
    public void Variables_leave_out_what_the_node_does_not_say()
    {
        InventoryHost host = AnsibleInventory.From([Node("edge1", null)], Directory).Hosts.Single();

        Assert.Equal([("kvmconfig_config_src", "/srv/cluster.d/edge1")], host.Variables());
    }

    private static NodeSpec Node(string name, string? uri, string? rack = null) =>
        new() { Name = name, Uri = uri, Rack = rack, Policy = new HostPolicy() };
}
