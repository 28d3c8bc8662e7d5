using System.Text;
using KvmConfig.Config;
using YamlDotNet.Serialization;

namespace KvmConfig.Cli.Export;

/// <summary>
/// An <see cref="AnsibleInventory"/> in the two formats Ansible reads without plugins: YAML (the <c>yaml</c> inventory
/// plugin) and INI (the <c>ini</c> plugin). Both say the same: every node under <c>all</c> with its variables, and
/// one <c>rack_NAME</c> group per rack listing its nodes.
/// </summary>
internal static class AnsibleInventoryText
{
    /// <summary>
    /// The YAML inventory. Ansible reads YAML 1.1, where <c>yes</c>, <c>on</c> and <c>010</c> are not strings: every
    /// string that a YAML 1.1 reader would take for something else is double-quoted; the port stays a number.
    /// </summary>
    public static string Yaml(AnsibleInventory inventory)
    {
        var hosts = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (InventoryHost host in inventory.Hosts)
        {
            hosts[host.Name] = host.Variables().ToDictionary(v => v.Name, v => v.Name == "ansible_port" ? (object)host.AnsiblePort!.Value : v.Value, StringComparer.Ordinal);
        }

        var all = new Dictionary<string, object>(StringComparer.Ordinal) { ["hosts"] = hosts };
        if (inventory.Groups.Count > 0)
        {
            all["children"] = inventory.Groups.ToDictionary(
                g => g.Name,
                g => (object)new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["hosts"] = g.Hosts.ToDictionary(h => h, _ => (object)new Dictionary<string, object>(), StringComparer.Ordinal),
                },
                StringComparer.Ordinal);
        }

        ISerializer serializer = new SerializerBuilder().WithQuotingNecessaryStrings(quoteYaml1_1Strings: true).Build();
        return Header(inventory, "#") + serializer.Serialize(new Dictionary<string, object> { ["all"] = all });
    }

    /// <summary>
    /// The INI inventory: one line per node with its variables (<c>name=value</c>), before any section, then a
    /// <c>[rack_NAME]</c> section per rack. Ansible splits a line as a shell does and reads each value as a Python
    /// literal: a value holding a space, a quote, a backslash or <c>#</c> is double-quoted.
    /// </summary>
    public static string Ini(AnsibleInventory inventory)
    {
        var text = new StringBuilder(Header(inventory, "#"));
        foreach (InventoryHost host in inventory.Hosts)
        {
            text.Append(host.Name);
            foreach ((string name, string value) in host.Variables())
            {
                text.Append(' ').Append(name).Append('=').Append(IniValue(value));
            }

            text.Append('\n');
        }

        foreach (InventoryGroup group in inventory.Groups)
        {
            text.Append("\n[").Append(group.Name).Append("]\n");
            foreach (string host in group.Hosts)
            {
                text.Append(host).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string Header(AnsibleInventory inventory, string comment) =>
        $"{comment} Ansible inventory of the kvmconfig cluster in {inventory.Directory}\n" +
        $"{comment} written by kvmconfig export ansible-inventory; a group per rack; the kvmconfig role (deploy/ansible) ships\n" +
        $"{comment} each node's kvmconfig.d from kvmconfig_config_src (docs/ansible.md)\n";

    private static string IniValue(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or '#' or ';')
            ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : value;
}
