using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;

namespace KvmConfig.Config.Tests;

// [node NAME], the cluster inventory: its own keys, its host policy ([host] with the node's keys on top), relative
// paths, and the VMs' group_spread.
public sealed partial class DeclarationBinderTests
{
    private static NodeSpec Node(Declaration declaration, string name) => Assert.Single(declaration.Nodes, n => n.Name == name);

    // Three nodes in two racks, the worked example of docs/configuration.md, with a [host] policy they share.
    private const string ThreeNodes =
        "--- 00-cpu.conf\nreserved = 0,24\nsmt = isolate\nmemory_reserved = 4G\n"
        + "--- 40-nodes.conf\n"
        + "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n\n"
        + "[node kvm2]\nuri = qemu+ssh://root@kvm2/system\nrack = r1\nreserved = 0-1,24-25\n\n"
        + "[node kvm3]\nuri = qemu+tls://kvm3/system\nrack = r2\nsysroot = captures/kvm3\ncapabilities = captures/kvm3.xml\nmemory_reserved = 8G";

    /// <summary>Rows: description, the directory, the node, the key (<c>policy.KEY</c> for its host policy), its bound value.</summary>
    public static TheoryData<string, string, string, string, string> NodeValues => new()
    {
        // Its own keys
        { "uri as written", ThreeNodes, "kvm1", "uri", "qemu+ssh://root@kvm1/system" },
        { "a test driver URI with a path", "[node lab]\nuri = test:///srv/lab.xml", "lab", "uri", "test:///srv/lab.xml" },
        { "the local system URI", "[node here]\nuri = qemu:///system", "here", "uri", "qemu:///system" },
        { "a URI with a query, as libvirt's ssh transport takes", "[node a]\nuri = qemu+ssh://root@a/system?keyfile=/root/.ssh/kvm", "a", "uri", "qemu+ssh://root@a/system?keyfile=/root/.ssh/kvm" },
        { "rack as written", ThreeNodes, "kvm3", "rack", "r2" },
        { "rack left out: none, a rack of its own", "[node lab]\nuri = test:///default", "lab", "rack", "none" },
        { "sysroot left out: none", ThreeNodes, "kvm1", "sysroot", "none" },

        // Paths: relative to the configuration directory, kept absolute
        { "a relative sysroot is under the configuration directory", ThreeNodes, "kvm3", "sysroot", "/etc/kvmconfig.d/captures/kvm3" },
        { "a relative capabilities file too", ThreeNodes, "kvm3", "capabilities", "/etc/kvmconfig.d/captures/kvm3.xml" },
        { "./ and ../ are resolved", "[node a]\nsysroot = ./x/../../captures/a", "a", "sysroot", "/etc/captures/a" },
        { "an absolute sysroot is kept", "[node a]\nsysroot = /srv/captures/a", "a", "sysroot", "/srv/captures/a" },

        // The policy: [host], with the node's keys on top
        { "a node without host keys has the [host] policy", ThreeNodes, "kvm1", "policy.reserved", "0,24" },
        { "its other keys are [host]'s too", ThreeNodes, "kvm1", "policy.smt", "isolate" },
        { "a node's reserved replaces [host]'s", ThreeNodes, "kvm2", "policy.reserved", "0-1,24-25" },
        { "the keys the node does not set stay [host]'s", ThreeNodes, "kvm2", "policy.memory_reserved", "4096" },
        { "memory_reserved on one node only", ThreeNodes, "kvm3", "policy.memory_reserved", "8192" },
        { "no [host] at all: the built-in default", "[node a]\nuri = test:///default", "a", "policy.overcommit", "1:1" },
        { "a node may set the VM defaults of [host] too", "[node a]\nuri = test:///default\ncpuspinlock = none", "a", "policy.cpuspinlock", "none" },
        {
            "the node's key wins over [host] whatever the file order: a later [host] drop-in does not undo it",
            "--- 10-nodes.conf\n[node a]\nuri = test:///default\novercommit = 1:2\n--- 90-local.conf\n[host]\novercommit = 1:4",
            "a", "policy.overcommit", "1:2"
        },
        {
            "a later [host] drop-in reaches the nodes that do not set the key",
            "--- 10-nodes.conf\n[node a]\nuri = test:///default\n--- 90-local.conf\n[host]\novercommit = 1:4",
            "a", "policy.overcommit", "1:4"
        },
        { "cpufreq = vtlb in [host] caps the nodes at base", "--- 00-cpu.conf\ncpufreq = vtlb\n--- 40-n.conf\n[node a]\nuri = test:///default", "a", "policy.cpufreq_max", "base" },
        {
            "a node's cpufreq_max over [host]'s vtlb",
            "--- 00-cpu.conf\ncpufreq = vtlb\n--- 40-n.conf\n[node a]\nuri = test:///default\ncpufreq_max = 90%",
            "a", "policy.cpufreq_max", "90%"
        },
    };

    [Theory]
    [MemberData(nameof(NodeValues))]
    public void Node_values_bind(string description, string directory, string node, string key, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Expect.Equal(description + " (diagnostics)", "", ConfigText.Render(diagnostics.Where(d => d.Severity == Severity.Error)));
        Expect.Equal(description, expected, ConfigText.Value(Node(declaration, node), key));
    }

    /// <summary>Rows: description, the directory, the VM, its bound group_spread.</summary>
    public static TheoryData<string, string, string, string> GroupSpreads => new()
    {
        { "left out: node", "[vm a]\nvcpus = 1\ngroup = db", "a", "node" },
        { "rack", "[vm a]\nvcpus = 1\ngroup = db\ngroup_spread = rack", "a", "rack" },
        { "case-insensitive, like the other words", "[vm a]\nvcpus = 1\ngroup = db\ngroup_spread = Rack", "a", "rack" },
        { "from the profile, with the group", "[profile db]\nvcpus = 1\ngroup = db\ngroup_spread = rack\n[vm a]\nprofile = db", "a", "rack" },
        { "the VM's own over its profile's", "[profile db]\nvcpus = 1\ngroup = db\ngroup_spread = rack\n[vm a]\nprofile = db\ngroup_spread = node", "a", "node" },
        { "a bad value leaves the default", "[vm a]\nvcpus = 1\ngroup = db\ngroup_spread = rak", "a", "node" },
    };

    [Theory]
    [MemberData(nameof(GroupSpreads))]
    public void Group_spread_binds(string description, string directory, string vm, string expected)
    {
        (Declaration declaration, _) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Value(Vm(declaration, vm), "group_spread"));
    }

    /// <summary>Rows: description, the directory, every diagnostic the binder reports.</summary>
    public static TheoryData<string, string, string> NodeFindings => new()
    {
        { "a clean inventory has no finding", ThreeNodes, "" },
        { "a uri without a scheme is KVC011 on the value", "[node kvm1]\nuri = kvm1", "KVC011 error 10-test.conf:2:7+4" },
        { "a uri with nothing after its scheme", "[node kvm1]\nuri = qemu:", "KVC011 error 10-test.conf:2:7+5" },
        { "a uri with a space: the carets under the space", "[node kvm1]\nuri = qemu+ssh://kvm1/ system", "KVC011 error 10-test.conf:2:23+1" },
        { "a rack name with a space", "[node kvm1]\nuri = test:///default\nrack = row 1", "KVC011 error 10-test.conf:3:8+5" },
        { "an empty sysroot", "[node kvm1]\nsysroot =", "KVC011 error 10-test.conf:2:10+0" },
        { "a node key in a VM is KVC010", "[vm a]\nvcpus = 1\nuri = test:///default", "KVC010 error 10-test.conf:3:1+3" },
        { "a VM key in a node is KVC010", "[node a]\nuri = test:///default\nvcpus = 2", "KVC010 error 10-test.conf:3:1+5" },
        { "a [host] value out of range in a node: KVC012 at the node's line", "[node a]\nuri = test:///default\novercommit = 1:9", "KVC012 error 10-test.conf:3:14+3" },
        {
            "a [host] value refused once is reported once, not again for each node",
            "--- 00-cpu.conf\nsmt = sometimes\n--- 40-n.conf\n[node a]\nuri = test:///a\n[node b]\nuri = test:///b",
            "KVC011 error 00-cpu.conf:1:7+9"
        },
        {
            "a node declared twice is KVC056 at the second header, and its values are still judged",
            "--- 40-a.conf\n[node a]\nuri = test:///a\n--- 41-a.conf\n[node a]\nuri = a",
            "KVC056 error 41-a.conf:1:1+8 | KVC011 error 41-a.conf:2:7+1"
        },
        { "a bad group_spread: KVC011 on the value", "[vm a]\nvcpus = 1\ngroup = db\ngroup_spread = rak", "KVC011 error 10-test.conf:4:16+3" },
        { "a node file without its header: one KVC007", "--- 40-kvm1.conf\nuri = qemu+ssh://root@kvm1/system\nrack = r1", "KVC007 error 40-kvm1.conf:1:1+3" },
    };

    [Theory]
    [MemberData(nameof(NodeFindings))]
    public void Reports_node_findings_where_they_are(string description, string directory, string expected)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Expect.Equal(description, expected, ConfigText.Render(diagnostics));
    }

    /// <summary>Rows: description, the directory, the one diagnostic's code, a piece of its message or hint.</summary>
    public static TheoryData<string, string, string, string> NodeHints => new()
    {
        { "a uri without a scheme shows real URIs", "[node kvm1]\nuri = kvm1", "KVC011", "qemu+ssh://root@kvm1/system" },
        { "a node key in a VM says it belongs in [node]", "[vm a]\nvcpus = 1\nrack = r1", "KVC010", "'rack' belongs in [node], not in [vm]" },
        { "a [host] key in a VM still points at [host] alone", "[vm a]\nvcpus = 1\novercommit = 1:2", "KVC010", "'overcommit' belongs in [host], not in [vm]" },
        { "a typo in a node key: did you mean", "[node a]\nuri = test:///default\nsysrot = /srv/a", "KVC010", "did you mean 'sysroot'?" },
        { "a node file without its header: add [node NAME]", "--- 40-kvm1.conf\nuri = qemu+ssh://root@kvm1/system", "KVC007", "add [node kvm1] as its first line" },
        { "a second [node] points back at the first", "[node a]\nuri = test:///a\n[node a]\nuri = test:///b", "KVC056", "keep one [node a]" },
        { "a bad group_spread suggests the word", "[vm a]\nvcpus = 1\ngroup = db\ngroup_spread = rak", "KVC011", "did you mean 'rack'?" },
    };

    [Theory]
    [MemberData(nameof(NodeHints))]
    public void Node_findings_say_how_to_fix_them(string description, string directory, string code, string text)
    {
        (_, IReadOnlyList<Diagnostic> diagnostics) = ConfigText.Bind(directory);

        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(code, d.Code);
        Expect.Contains(description, text, $"{d.Message} / {d.Hint}");
    }

    [Fact]
    public void A_host_value_in_a_node_is_judged_with_the_message_host_gives()
    {
        // Given the same out-of-range value in [host] and in a [node]
        (_, IReadOnlyList<Diagnostic> inHost) = ConfigText.Bind("--- 00-cpu.conf\nmemory_reserved = 12X");
        (_, IReadOnlyList<Diagnostic> inNode) = ConfigText.Bind("[node a]\nuri = test:///default\nmemory_reserved = 12X");

        // Then both say the same thing, each at its own line
        Assert.Equal(Assert.Single(inHost).Message, Assert.Single(inNode).Message);
        Assert.Equal(Assert.Single(inHost).Hint, Assert.Single(inNode).Hint);
        Assert.Equal(3, inNode[0].Span!.Line);
    }

    [Fact]
    public void A_node_policy_marks_values_refused_in_host_so_no_rule_judges_the_default()
    {
        // Given [host] cpuset refused, one node that sets its own and one that does not
        (Declaration declaration, _) = ConfigText.Bind(
            "--- 00-cpu.conf\ncpuset = 2-x\n--- 40-n.conf\n[node a]\nuri = test:///a\n[node b]\nuri = test:///b\ncpuset = 2-9");

        // Then the node that inherits it knows it was refused; the node with its own does not
        Assert.True(Node(declaration, "a").Policy.Origins.Invalid("cpuset"));
        Assert.False(Node(declaration, "b").Policy.Origins.Invalid("cpuset"));
        Assert.Equal("2-9", Node(declaration, "b").Policy.CpuSet!.ToString());
    }

    [Fact]
    public void Node_policy_origins_point_at_the_line_in_force()
    {
        (Declaration declaration, _) = ConfigText.Bind(ThreeNodes);

        // kvm2's reserved is its own line; its smt is the [host] line of 00-cpu.conf
        HostPolicy kvm2 = Node(declaration, "kvm2").Policy;
        Assert.Equal("40-nodes.conf:8:12+9", ConfigText.Render(kvm2.Origins.Of("reserved")));
        Assert.Equal("00-cpu.conf:2:7+7", ConfigText.Render(kvm2.Origins.Of("smt")));
        Assert.Equal("40-nodes.conf:5:1+11", ConfigText.Render(kvm2.Origins.Header));
    }

    [Fact]
    public void Nodes_keep_file_order_and_the_host_policy_is_untouched_by_them()
    {
        (Declaration declaration, _) = ConfigText.Bind(ThreeNodes);

        Assert.Equal(["kvm1", "kvm2", "kvm3"], declaration.Nodes.Select(n => n.Name));
        Assert.Equal("0,24", declaration.Host.Reserved!.ToString());
        Assert.Equal(4096, declaration.Host.MemoryReservedMiB);
    }

    [Fact]
    public void A_directory_without_nodes_binds_no_nodes()
    {
        // Given a single host's directory whose VMs already say host and group
        (Declaration declaration, IReadOnlyList<Diagnostic> diagnostics) =
            ConfigText.Bind("--- 00-cpu.conf\nreserved = 0\n--- 20-db1.conf\nvcpus = 2\nhost = kvm9\ngroup = db");

        // Then there are no nodes, no finding, and the keys are kept as they were
        Assert.Empty(declaration.Nodes);
        Assert.Empty(diagnostics);
        Assert.Equal("kvm9", Vm(declaration, "db1").Host);
        Assert.Equal(GroupSpread.Node, Vm(declaration, "db1").GroupSpread);
    }
}
