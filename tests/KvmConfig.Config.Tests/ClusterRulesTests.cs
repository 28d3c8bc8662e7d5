using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Validation;

namespace KvmConfig.Config.Tests;

/// <summary>
/// The cluster rules (KVC051-KVC055): a bound declaration's <c>[node]</c> sections judged against each other and the
/// VMs' <c>host</c>, <c>group</c> and <c>group_spread</c> judged against them. Directories are written as in
/// <see cref="DeclarationBinderTests"/>; findings as <c>KVC052 error FILE:LINE:COL+LENGTH</c>.
/// </summary>
public sealed class ClusterRulesTests
{
    // Three nodes: kvm1 and kvm2 in rack r1, kvm3 in r2.
    private const string TwoRacks =
        "--- 40-nodes.conf\n"
        + "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n"
        + "[node kvm2]\nuri = qemu+ssh://root@kvm2/system\nrack = r1\n"
        + "[node kvm3]\nuri = qemu+ssh://root@kvm3/system\nrack = r2\n";

    // Three VMs of group db, each in its own file (line 3 is the group key, column 9).
    private static string Members(int count, string spread = "") =>
        string.Concat(Enumerable.Range(1, count).Select(i => $"--- 20-db{i}.conf\nvcpus = 2\nmemory = 4G\ngroup = db\n{spread}"));

    /// <summary>Rows: description, the directory, every cluster finding (the binder must report none).</summary>
    public static TheoryData<string, string, string> Findings => new()
    {
        { "three nodes in two racks, a group of three spread over nodes", TwoRacks + Members(3), "" },

        // KVC051 unknown-node
        { "host names a declared node", TwoRacks + "--- 20-web1.conf\nvcpus = 1\nhost = kvm2", "" },
        { "host names no [node]: KVC051 at its value", TwoRacks + "--- 20-web1.conf\nvcpus = 1\nhost = kvm4", "KVC051 error 20-web1.conf:2:8+4" },
        { "node names are case-sensitive, as libvirt's are", TwoRacks + "--- 20-web1.conf\nvcpus = 1\nhost = KVM1", "KVC051 error 20-web1.conf:2:8+4" },

        // KVC052 group-too-large
        { "a group of four on three nodes: KVC052 at the fourth member's group", TwoRacks + Members(4), "KVC052 error 20-db4.conf:3:9+2" },
        { "a group of five on three nodes is said once", TwoRacks + Members(5), "KVC052 error 20-db4.conf:3:9+2" },
        { "spread over racks, three members and two racks: KVC052 at the third", TwoRacks + Members(3, "group_spread = rack\n"), "KVC052 error 20-db3.conf:3:9+2" },
        { "spread over racks, two members and two racks", TwoRacks + Members(2, "group_spread = rack\n"), "" },
        {
            "a node without rack is a rack of its own: three nodes, no rack, three members spread over racks",
            "[node a]\nuri = test:///a\n[node b]\nuri = test:///b\n[node c]\nuri = test:///c\n" + Members(3, "group_spread = rack\n"),
            ""
        },
        {
            "a group from a profile is judged at the profile's group line",
            TwoRacks + "--- 10-profiles.conf\n[profile db]\nvcpus = 2\ngroup = db\n" + string.Concat(Enumerable.Range(1, 4).Select(i => $"[vm db{i}]\nprofile = db\n")),
            "KVC052 error 10-profiles.conf:3:9+2"
        },

        // KVC053 duplicate-uri
        {
            "two nodes with one uri: KVC053 at the second's",
            "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\n[node kvm1b]\nuri = qemu+ssh://root@kvm1/system",
            "KVC053 error 10-test.conf:4:7+27"
        },
        { "URIs that differ in user are two URIs", "[node a]\nuri = qemu+ssh://root@kvm1/system\n[node b]\nuri = qemu+ssh://admin@kvm1/system", "" },
        { "two captured nodes without uri are not duplicates", "[node a]\nsysroot = captures/a\n[node b]\nsysroot = captures/b", "" },

        // KVC054 node-without-source
        { "a node with only a rack: KVC054 at its header", "[node kvm1]\nrack = r1\n[node kvm2]\nuri = test:///default", "KVC054 error 10-test.conf:1:1+11" },
        { "a node with only host keys: KVC054", "[node kvm1]\nreserved = 0-1", "KVC054 error 10-test.conf:1:1+11" },
        { "a sysroot alone is enough", "[node kvm1]\nsysroot = captures/kvm1", "" },
        { "a capabilities file alone is enough", "[node kvm1]\ncapabilities = captures/kvm1.xml", "" },

        // KVC055 group-spread-mismatch
        {
            "one member spreads over racks, the others over nodes: KVC055 at its group_spread",
            TwoRacks + Members(1) + "--- 20-db2.conf\nvcpus = 2\ngroup = db\ngroup_spread = rack\n",
            "KVC055 error 20-db2.conf:3:16+4"
        },
        {
            "the first member says rack, a later one takes the default: KVC055 at the later one's group",
            TwoRacks + Members(1, "group_spread = rack\n") + "--- 20-db2.conf\nvcpus = 2\ngroup = db\n",
            "KVC055 error 20-db2.conf:2:9+2"
        },
        { "every member writing node is no mismatch", TwoRacks + Members(2, "group_spread = node\n"), "" },
        { "two groups may spread differently", TwoRacks + Members(2, "group_spread = rack\n") + "--- 30-web1.conf\nvcpus = 1\ngroup = web\n", "" },
        {
            "members that disagree are counted against the nodes: three fit three nodes, though not two racks",
            TwoRacks + Members(2) + "--- 20-db3.conf\nvcpus = 2\ngroup = db\ngroup_spread = rack\n",
            "KVC055 error 20-db3.conf:3:16+4"
        },
    };

    [Theory]
    [MemberData(nameof(Findings))]
    public void Reports_cluster_findings_where_they_are(string description, string directory, string expected)
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = ConfigText.Bind(directory);

        Expect.Equal(description + " (binding)", "", ConfigText.Render(binding.Where(d => d.Severity != Severity.Info)));
        Expect.Equal(description, expected, ConfigText.Render(ClusterRules.Check(declaration)));
    }

    /// <summary>Rows: description, the directory, the one finding's code, a piece of its message, hint or notes.</summary>
    public static TheoryData<string, string, string, string> Texts => new()
    {
        { "KVC051 suggests the closest node", TwoRacks + "--- 20-web1.conf\nvcpus = 1\nhost = kvm4", "KVC051", "did you mean 'kvm1'? Nodes: kvm1, kvm2, kvm3" },
        { "KVC051 without a close name lists the nodes", TwoRacks + "--- 20-web1.conf\nvcpus = 1\nhost = storage", "KVC051", "declare [node storage], or name one of the nodes: kvm1, kvm2, kvm3" },
        { "KVC052 names the nodes", TwoRacks + Members(4), "KVC052", "member 4 of group 'db', but the cluster has 3 nodes (kvm1, kvm2, kvm3)" },
        { "KVC052 lists the members in file order", TwoRacks + Members(4), "KVC052", "members of group 'db', in file order: db1, db2, db3, db4" },
        { "KVC052 with racks names them and their nodes", TwoRacks + Members(3, "group_spread = rack\n"), "KVC052", "2 racks (r1: kvm1, kvm2; r2: kvm3)" },
        {
            "KVC052 shows a node without rack as a rack of its own",
            "[node a]\nuri = test:///a\nrack = r1\n[node b]\nuri = test:///b\n" + Members(3, "group_spread = rack\n"),
            "KVC052", "2 racks (r1: a; b (no rack))"
        },
        { "KVC052 with racks offers group_spread = node", TwoRacks + Members(3, "group_spread = rack\n"), "KVC052", "spread the group over nodes (group_spread = node)" },
        {
            "KVC053 points back at the first node's uri",
            "[node kvm1]\nuri = test:///a\n[node kvm1b]\nuri = test:///a", "KVC053", "uri of node 'kvm1' (10-test.conf:2:7+9)"
        },
        { "KVC054 shows a uri to add", "[node kvm1]\nrack = r1", "KVC054", "uri = qemu+ssh://root@kvm1/system" },
        {
            "KVC055 says which spread each side has",
            TwoRacks + Members(1) + "--- 20-db2.conf\nvcpus = 2\ngroup = db\ngroup_spread = rack\n",
            "KVC055", "VM 'db2' spreads group 'db' over racks (group_spread = rack), but 'db1', its first member, spreads it over nodes (group_spread is node by default)"
        },
        {
            "KVC055 points at the first member",
            TwoRacks + Members(1) + "--- 20-db2.conf\nvcpus = 2\ngroup = db\ngroup_spread = rack\n",
            "KVC055", "'db1' joins group 'db' here (20-db1.conf:3:9+2)"
        },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Findings_name_the_values_and_the_fix(string description, string directory, string code, string text)
    {
        (Declaration declaration, _) = ConfigText.Bind(directory);

        Diagnostic d = Assert.Single(ClusterRules.Check(declaration));
        Assert.Equal(code, d.Code);
        string notes = string.Join(" / ", (d.Notes ?? []).Select(n => $"{n.Message} ({ConfigText.Render(n.Span)})"));
        Expect.Contains(description, text, $"{d.Message} / {d.Hint} / {notes}");
    }

    [Fact]
    public void A_refused_uri_is_not_reported_again_as_a_node_without_source()
    {
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = ConfigText.Bind("[node kvm1]\nuri = kvm1");

        Assert.Equal("KVC011", Assert.Single(binding).Code);
        Assert.Empty(ClusterRules.Check(declaration));
    }

    [Fact]
    public void A_refused_group_spread_is_neither_judged_nor_followed()
    {
        // Given three members on three nodes in two racks, one of them with a group_spread that does not parse
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) =
            ConfigText.Bind(TwoRacks + Members(2, "group_spread = rack\n") + "--- 20-db3.conf\nvcpus = 2\ngroup = db\ngroup_spread = rak\n");

        // Then the value is reported where it is, and the group is judged by the members that parsed: rack, three of two
        Assert.Equal("KVC011", Assert.Single(binding).Code);
        Assert.Equal("KVC052 error 20-db3.conf:2:9+2", ConfigText.Render(ClusterRules.Check(declaration)));
    }

    [Fact]
    public void A_directory_without_nodes_is_judged_as_before()
    {
        // Given a single host's directory whose VMs name a host and form a group of five: keys for a cluster tool
        string directory = "--- 20-web1.conf\nvcpus = 1\nhost = kvm9\n" + Members(5, "group_spread = rack\n")
            + "--- 20-db6.conf\nvcpus = 1\ngroup = db\n";

        // When it is bound and checked
        (Declaration declaration, IReadOnlyList<Diagnostic> binding) = ConfigText.Bind(directory);

        // Then nothing is reported: without [node] sections, there is no inventory to judge them against
        Assert.Empty(binding);
        Assert.Empty(ClusterRules.Check(declaration));
    }
}
