using KvmConfig.TestSupport;
using YamlDotNet.RepresentationModel;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig export ansible-inventory</c>: the cluster's <c>[node]</c> sections written as YAML and INI and read
/// back (YAML with YamlDotNet, both with Ansible's own <c>ansible-inventory --list</c>), a group per rack, and the bad
/// input: no <c>[node]</c> (KVC081), a declaration with errors, an unknown format, an output that cannot be written.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ExportAnsibleInventoryTests : IDisposable
{
    private readonly ConfigDir _dir = new();

    // Four nodes in two racks, reached the four ways a [node] can say: ssh with a user and a port, ssh with a user,
    // TLS (no user), and a captured sysfs tree (no URI at all).
    private void Cluster() =>
        _dir.Write("00-cluster.conf", "[host]\nmax_vm_share = 1/2\n\n"
            + "[node kvm1]\nuri = qemu+ssh://admin@kvm1.example:2222/system\nrack = r1\n\n"
            + "[node kvm2]\nuri = qemu+ssh://root@10.0.0.2/system\nrack = r-2\n\n"
            + "[node kvm3]\nuri = qemu+tls://kvm3.example/system\nrack = r1\n\n"
            + $"[node edge1]\nsysroot = {PlanCases.Sysroot(PlanCases.Xeon)}\n");

    private CliResult Run(params string[] args) => CliRunner.Run(["export", "ansible-inventory", "--config-dir", _dir.Dir, .. args]);

    [Fact]
    public void Yaml_has_every_node_with_its_connection_and_a_group_per_rack()
    {
        // Given four nodes, three of them in two racks
        Cluster();

        // When exported as YAML (the default) and read back
        CliResult r = Run();
        Assert.True(r.Exit == 0, r.Out + r.Err);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(r.Out));
        var all = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["all"];
        var hosts = (YamlMappingNode)all["hosts"];
        var children = (YamlMappingNode)all["children"];

        // Then each node is a host in declaration order, with what its uri says and where its own kvmconfig.d is
        Assert.Equal(["kvm1", "kvm2", "kvm3", "edge1"], hosts.Children.Keys.Select(k => k.ToString()));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["ansible_host"] = "kvm1.example",
                ["ansible_port"] = "2222",
                ["ansible_user"] = "admin",
                ["kvmconfig_rack"] = "r1",
                ["kvmconfig_libvirt_uri"] = "qemu+ssh://admin@kvm1.example:2222/system",
                ["kvmconfig_config_src"] = Path.Combine(_dir.Dir, "kvm1"),
            },
            Vars(hosts, "kvm1"));
        Assert.Equal(("10.0.0.2", "root"), (Vars(hosts, "kvm2")["ansible_host"], Vars(hosts, "kvm2")["ansible_user"]));
        Assert.Equal(["ansible_host", "kvmconfig_rack", "kvmconfig_libvirt_uri", "kvmconfig_config_src"], Vars(hosts, "kvm3").Keys);
        Assert.Equal(["kvmconfig_config_src"], Vars(hosts, "edge1").Keys);

        // And each rack is a group, named so that Ansible takes it (r-2 is rack_r_2); edge1 has no rack and no group
        Assert.Equal(["rack_r1", "rack_r_2"], children.Children.Keys.Select(k => k.ToString()));
        Assert.Equal(["kvm1", "kvm3"], GroupHosts(children, "rack_r1"));
        Assert.Equal(["kvm2"], GroupHosts(children, "rack_r_2"));
    }

    [Fact]
    public void Yaml_and_ini_say_the_same_to_ansible()
    {
        // Given the cluster, exported in both formats to files
        Cluster();
        string yaml = Path.Combine(_dir.Dir, "inventory.yml");
        string ini = Path.Combine(_dir.Dir, "inventory.ini");
        CliResult toYaml = Run("--output", yaml);
        CliResult toIni = Run("--format", "ini", "-o", ini);
        Assert.True(toYaml.Exit == 0 && toIni.Exit == 0, toYaml.Err + toIni.Err);
        Assert.Equal("", toYaml.Out);
        Assert.Contains("wrote " + ini + ": 4 hosts, 2 rack groups", toIni.Err, StringComparison.Ordinal);

        // When Ansible itself reads each
        string fromYaml = AnsibleRun.Inventory(yaml);
        string fromIni = AnsibleRun.Inventory(ini);

        // Then it sees the same hosts, variables and groups, the port a number in both
        Assert.Equal(fromYaml, fromIni);
        Assert.Contains("\"ansible_port\": 2222", fromYaml, StringComparison.Ordinal);
        Assert.Contains("\"rack_r_2\"", fromYaml, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_that_yaml_or_ini_would_misread_are_quoted()
    {
        // Given a rack named "yes" (YAML 1.1's true), a rack named 010 (an octal number) and a directory with a space
        using var spaced = new ConfigDir();
        string dir = Path.Combine(spaced.Dir, "cluster conf");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        string conf = Path.Combine(dir, "00-cluster.conf");
        File.WriteAllText(conf, "[node a]\nuri = qemu+ssh://root@a/system\nrack = yes\n\n[node b]\nuri = qemu+ssh://root@b/system\nrack = 010\n");
        File.SetUnixFileMode(conf, (UnixFileMode)Convert.ToInt32("644", 8));

        // When exported in both formats
        CliResult yaml = CliRunner.Run("export", "ansible-inventory", "--config-dir", dir);
        CliResult ini = CliRunner.Run("export", "ansible-inventory", "--config-dir", dir, "--format", "ini");

        // Then YAML quotes the values a YAML 1.1 reader would take for a boolean or a number, INI the path with a space
        Assert.True(yaml.Exit == 0 && ini.Exit == 0, yaml.Err + ini.Err);
        Assert.Contains("kvmconfig_rack: \"yes\"", yaml.Out, StringComparison.Ordinal);
        Assert.Contains("kvmconfig_rack: \"010\"", yaml.Out, StringComparison.Ordinal);
        Assert.Contains($"kvmconfig_config_src=\"{dir}/a\"", ini.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_nodes_is_refused_with_KVC081()
    {
        _dir.Write("00-vm1.conf", "cpus = 1-4\n");

        CliResult r = Run();

        r.CouldNotRun("KVC081");
        Assert.Contains("has no [node NAME] sections", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_declaration_with_errors_prints_the_findings_and_writes_no_inventory()
    {
        // Given a node declared twice
        _dir.Write("00-cluster.conf", "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\n\n[node kvm1]\nuri = qemu+ssh://root@kvm1b/system\n");
        string output = Path.Combine(_dir.Dir, "inventory.yml");

        CliResult r = Run("--output", output);

        Assert.True(r.Exit == 1, r.Out + r.Err);
        Assert.Contains("node 'kvm1' is declared twice", r.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("--format", "json", "--format json: use one of yaml, ini")]
    [InlineData("--output", "", "--output needs a file name")]
    public void Bad_usage_is_refused(string option, string value, string message)
    {
        Cluster();

        CliResult r = Run(option, value);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err + r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_that_cannot_be_written_is_refused()
    {
        Cluster();

        CliResult r = Run("--output", Path.Combine(_dir.Dir, "no-such-directory", "inventory.yml"));

        r.CouldNotRun("KVC093");
        Assert.Contains("give --output a file", r.Err, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, string> Vars(YamlMappingNode hosts, string host) =>
        ((YamlMappingNode)hosts[host]).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());

    private static IEnumerable<string> GroupHosts(YamlMappingNode children, string group) =>
        ((YamlMappingNode)((YamlMappingNode)children[group])["hosts"]).Children.Keys.Select(k => k.ToString());
}
