using System.Text.Json;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>cluster plan</c> and <c>cluster status</c> end to end, through libvirt's real code paths: nodes whose domains
/// come from libvirt's test driver (<c>test:///FILE.xml</c>, which reports no NUMA cells, so each takes its shape from
/// a captured sysfs tree or capabilities XML), nodes planned from captures alone, and the bad input the issue names:
/// an unreachable node, a capabilities file that is not libvirt's XML, <c>--ha</c> of every node, no inventory.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ClusterCommandTests : IDisposable
{
    private readonly ConfigDir _dir = new();

    private static string Capabilities(string machine) => TestData.Path("capabilities", $"{machine}.xml");

    // A test-driver host of the capture's shape holding `domains` (name, vCPUs, running).
    private string TestDriverNode(string name, params (string Vm, int Vcpus, bool Running)[] domains)
    {
        string xml = "<node>\n  <cpu><mhz>3000</mhz><model>i686</model><active>80</active><nodes>4</nodes><sockets>2</sockets><cores>10</cores><threads>2</threads></cpu>\n"
            + "  <memory>268435456</memory>\n"
            + string.Concat(domains.Select(d => $"  <domain type='test'><name>{d.Vm}</name><memory>4194304</memory><vcpu>{d.Vcpus}</vcpu><os><type>hvm</type></os>{(d.Running ? "" : "<on_poweroff>destroy</on_poweroff>")}</domain>\n"))
            + "</node>\n";
        return _dir.Write($"{name}.xml", xml);
    }

    private void Inventory(string nodes, int dbs = 3, int webs = 6)
    {
        _dir.Write("00-cpu.conf", "[host]\nmax_vm_share = 1/2\n\n" + nodes);
        for (int i = 1; i <= dbs; i++)
        {
            _dir.Write($"10-db{i}.conf", $"[vm db{i}]\nvcpus = 8\nmemory = 16G\ngroup = db\n");
        }

        for (int i = 1; i <= webs; i++)
        {
            _dir.Write($"20-web{i}.conf", $"[vm web{i}]\nvcpus = 4\nmemory = 4G\n");
        }
    }

    private string ThreeNodes(string? secondCapabilities = null) =>
        $"[node kvm1]\nuri = test://{TestDriverNode("kvm1", ("web1", 4, true), ("scratch", 1, true))}\nsysroot = {PlanCases.Sysroot(PlanCases.Xeon)}\nrack = r1\n\n"
        + $"[node kvm2]\ncapabilities = {secondCapabilities ?? Capabilities(PlanCases.Xeon)}\nrack = r2\n\n"
        + $"[node kvm3]\ncapabilities = {Capabilities("desktop-1s-20cpu")}\nrack = r2\n";

    private CliResult Run(params string[] args) => CliRunner.Run(["cluster", .. args, "--config-dir", _dir.Dir]);

    // Exit 2 with the code on stderr and nothing on stdout. Not CliResult.CouldNotRun: a progress line may come first
    // on stderr when reading the nodes takes more than a second on a loaded machine.
    private static void Refused(CliResult r, string code)
    {
        Assert.True(r.Exit == 2, $"exit {r.Exit}, expected 2\nstdout:\n{r.Out}\nstderr:\n{r.Err}");
        Assert.Contains($"error[{code}]: ", r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Plan_places_every_vm_keeps_the_running_one_and_spreads_the_group_over_nodes()
    {
        // Given three nodes (one with web1 running in its libvirt) and a group of three databases
        Inventory(ThreeNodes());

        // When the cluster is planned, as JSON
        CliResult r = Run("plan", "--format", "json");

        // Then every VM is placed, web1 stays on kvm1, the databases are on three nodes, and the plan is at its bound
        Assert.True(r.Exit == 0, r.Out + r.Err);
        using JsonDocument json = JsonDocument.Parse(r.Out);
        JsonElement root = json.RootElement;
        Dictionary<string, string> nodeOf = root.GetProperty("nodes").EnumerateArray()
            .SelectMany(n => n.GetProperty("vms").EnumerateArray().Select(v => (Vm: v.GetString()!, Node: n.GetProperty("name").GetString()!)))
            .ToDictionary(p => p.Vm, p => p.Node);
        Assert.Equal(9, nodeOf.Count);
        Assert.Equal("kvm1", nodeOf["web1"]);
        Assert.Equal(3, new[] { "db1", "db2", "db3" }.Select(d => nodeOf[d]).Distinct().Count());
        Assert.Empty(root.GetProperty("unplaced").EnumerateArray());
        Assert.Equal(root.GetProperty("lowerBound").GetInt32(), root.GetProperty("nodesUsed").GetInt32());
        foreach (JsonElement node in root.GetProperty("nodes").EnumerateArray())
        {
            Assert.True(node.GetProperty("cpusUsed").GetInt32() <= node.GetProperty("cpusTotal").GetInt32());
            Assert.True(node.GetProperty("memoryMiBUsed").GetInt64() <= node.GetProperty("memoryMiBTotal").GetInt64());
        }
    }

    [Fact]
    public void Exact_proves_the_plan_optimal_and_node_shows_that_nodes_plan_as_plan_does()
    {
        // Given the same cluster
        Inventory(ThreeNodes());

        // When planned exactly, and one node is shown alone
        CliResult exact = Run("plan", "--exact", "--time-limit", "20s", "--format", "json");
        CliResult node = Run("plan", "--node", "kvm3");

        // Then the exact plan is proven optimal, and the node's view is plan's table and CPU map for its VMs only
        Assert.True(exact.Exit == 0, exact.Out + exact.Err);
        Assert.True(JsonDocument.Parse(exact.Out).RootElement.GetProperty("provenOptimal").GetBoolean(), exact.Out);
        Assert.True(node.Exit == 0, node.Out + node.Err);
        Assert.Contains("against node kvm3 (20 CPUs, 1 NUMA node)", node.Out, StringComparison.Ordinal);
        Assert.Contains("CPU map:", node.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_node_stops_the_plan_unless_skipped_and_is_named_with_its_cause()
    {
        // Given a node whose test-driver file does not exist
        Inventory(ThreeNodes() + "\n[node kvm4]\nuri = test:///nonexistent-kvmconfig-node.xml\nsysroot = " + PlanCases.Sysroot(PlanCases.Xeon) + "\n");

        // When planned, then planned skipping it
        CliResult stopped = Run("plan");
        CliResult skipped = Run("plan", "--skip-unreachable");

        // Then the first stops with KVC080 naming kvm4 and why; the second plans on the three others and still names it
        Refused(stopped, "KVC080");
        Assert.Contains("node kvm4", stopped.Err, StringComparison.Ordinal);
        Assert.Contains("nonexistent-kvmconfig-node.xml", stopped.Err, StringComparison.Ordinal);
        Assert.Empty(stopped.Out);
        Assert.True(skipped.Exit == 0, skipped.Out + skipped.Err);
        Assert.Contains("error[KVC080]: node kvm4", skipped.Err, StringComparison.Ordinal);
        Assert.Contains("on 3 of 3 nodes", skipped.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capabilities_file_that_is_not_libvirts_xml_makes_its_node_unreachable_with_the_reason()
    {
        // Given kvm2's capabilities file holds a domain's XML instead
        string wrong = _dir.Write("not-capabilities.xml", "<domain type='kvm'><name>x</name></domain>\n");
        Inventory(ThreeNodes(secondCapabilities: wrong));

        // When planned
        CliResult r = Run("plan");

        // Then kvm2 cannot be read, and the message says what the file is not
        Refused(r, "KVC080");
        Assert.Contains("node kvm2", r.Err, StringComparison.Ordinal);
        Assert.Contains("not <capabilities>", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Ha_of_every_node_is_refused_and_ha_one_holds_a_spare()
    {
        // Given three nodes and VMs that two of them can hold without the group (no group here)
        Inventory(ThreeNodes(), dbs: 0);

        // When asked to survive losing three nodes, then one
        CliResult all = Run("plan", "--ha", "3");
        CliResult one = Run("plan", "--ha", "1", "--format", "json");

        // Then three is refused before planning; one holds an unused node empty and counts it
        Refused(all, "KVC082");
        Assert.Contains("--ha 3", all.Err, StringComparison.Ordinal);
        Assert.True(one.Exit == 0, one.Out + one.Err);
        JsonElement root = JsonDocument.Parse(one.Out).RootElement;
        Assert.Single(root.GetProperty("nodes").EnumerateArray(), n => n.GetProperty("spare").GetBoolean());
        Assert.Empty(root.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public void Node_naming_no_declared_node_is_refused_with_the_nearest_and_the_list()
    {
        // Given the three-node cluster
        Inventory(ThreeNodes());

        // When one node is asked for by a name with a typo, and by one that is not there at all
        CliResult typo = Run("plan", "--node", "kvm03");
        CliResult none = Run("plan", "--node", "db-host");

        // Then both are refused (KVC081, exit 2, nothing printed), naming what was asked, the nearest node and the list
        Refused(typo, "KVC081");
        Assert.Contains("--node kvm03: no [node kvm03] is declared", typo.Err, StringComparison.Ordinal);
        Assert.Contains("did you mean 'kvm3'? the nodes are kvm1, kvm2, kvm3", typo.Err, StringComparison.Ordinal);
        Refused(none, "KVC081");
        Assert.Contains("the nodes are kvm1, kvm2, kvm3", none.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Capacity_node_like_naming_no_declared_node_is_refused_with_the_list()
    {
        // Given the three-node cluster
        Inventory(ThreeNodes());

        // When capacity is asked for nodes like one that is not declared
        CliResult r = CliRunner.Run(["capacity", "--mix", "web=10", "--node-like", "kvm9", "--config-dir", _dir.Dir]);

        // Then it is refused (KVC081, exit 2), nothing on stdout, and the nodes are listed
        Refused(r, "KVC081");
        Assert.Contains("--node-like kvm9: no [node kvm9]", r.Err, StringComparison.Ordinal);
        Assert.Contains("the nodes are kvm1, kvm2, kvm3", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_without_nodes_is_refused_by_the_cluster_commands()
    {
        // Given a single host's directory
        _dir.Write("10-vm.conf", "[vm a]\nvcpus = 2\n");

        // When a cluster command runs on it
        CliResult r = Run("plan");

        // Then it stops with KVC081 and points at the single-host commands
        Refused(r, "KVC081");
        Assert.Contains("no [node NAME] sections", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_shows_each_node_its_running_and_undeclared_domains_and_exits_3_on_drift()
    {
        // Given the three nodes: kvm1's libvirt runs web1 (never pinned) and scratch (undeclared)
        Inventory(ThreeNodes());

        // When the cluster's status is read
        CliResult r = Run("status", "--format", "json");

        // Then web1 drifts on kvm1, scratch is undeclared there, and the exit says drift
        Assert.True(r.Exit == 3, r.Out + r.Err);
        JsonElement kvm1 = JsonDocument.Parse(r.Out).RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "kvm1");
        Assert.True(kvm1.GetProperty("reachable").GetBoolean());
        Assert.Equal(2, kvm1.GetProperty("running").GetInt32());
        JsonElement web1 = kvm1.GetProperty("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == "web1");
        Assert.False(web1.GetProperty("inSync").GetBoolean());
        Assert.Contains(web1.GetProperty("drift").EnumerateArray(), d => d.GetProperty("field").GetString() == "vcpupin 0");
        Assert.Equal("scratch", Assert.Single(kvm1.GetProperty("undeclared").EnumerateArray()).GetProperty("name").GetString());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void On_test_driver_nodes_of_two_shapes_host_pins_a_vm_and_one_too_big_for_every_node_is_unplaced_with_exit_1(int count)
    {
        // Given `count` nodes, each its own test-driver libvirt, alternately the 80-CPU and the 20-CPU capture; app
        // declared for the last node; huge larger than any node allows
        string nodes = string.Concat(Enumerable.Range(1, count).Select(i =>
            $"[node n{i}]\nuri = test://{TestDriverNode($"n{i}")}\nsysroot = {PlanCases.Sysroot(i % 2 == 1 ? PlanCases.Xeon : "desktop-1s-20cpu")}\n\n"));
        Inventory(nodes, dbs: 0, webs: 2);
        _dir.Write("30-app.conf", $"[vm app]\nvcpus = 2\nmemory = 2G\nhost = n{count}\n");
        _dir.Write("40-huge.conf", "[vm huge]\nvcpus = 60\nmemory = 8G\n");

        // When the cluster is planned
        CliResult r = Run("plan", "--format", "json");

        // Then app is on its node, huge is on none (max_vm_share on every node), and the exit says so
        Assert.True(r.Exit == 1, r.Out + r.Err);
        JsonElement root = JsonDocument.Parse(r.Out).RootElement;
        Assert.False(root.GetProperty("ok").GetBoolean());
        Assert.Equal(count, root.GetProperty("nodes").GetArrayLength());
        JsonElement last = root.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == $"n{count}");
        Assert.Contains(last.GetProperty("vms").EnumerateArray(), v => v.GetString() == "app");
        JsonElement huge = Assert.Single(root.GetProperty("unplaced").EnumerateArray());
        Assert.Equal(("huge", "max_vm_share"), (huge.GetProperty("name").GetString(), huge.GetProperty("rule").GetString()));
        Assert.Contains("more than max_vm_share allows", huge.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_reports_every_node_it_can_and_exits_2_when_one_cannot_be_read()
    {
        // Given the three nodes and a fourth whose libvirt file does not exist
        Inventory(ThreeNodes() + "\n[node kvm4]\nuri = test:///nonexistent-kvmconfig-node.xml\nsysroot = " + PlanCases.Sysroot(PlanCases.Xeon) + "\n");

        // When the status is read
        CliResult r = Run("status", "--format", "json");

        // Then kvm4 is named unreachable with its cause, kvm1 is still reported, and the exit is 2
        Assert.True(r.Exit == 2, r.Out + r.Err);
        Assert.Contains("error[KVC080]: node kvm4", r.Err, StringComparison.Ordinal);
        JsonElement[] nodes = [.. JsonDocument.Parse(r.Out).RootElement.GetProperty("nodes").EnumerateArray()];
        JsonElement kvm4 = nodes.Single(n => n.GetProperty("name").GetString() == "kvm4");
        Assert.False(kvm4.GetProperty("reachable").GetBoolean());
        Assert.Contains("nonexistent-kvmconfig-node.xml", kvm4.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True(nodes.Single(n => n.GetProperty("name").GetString() == "kvm1").GetProperty("reachable").GetBoolean());
    }

    [Fact]
    public void Check_judges_an_inventory_without_a_host_unless_one_is_named()
    {
        // Given the three-node cluster: nine VMs, far more than this small machine holds
        Inventory(ThreeNodes());

        // When it is checked without a host, and against this machine's capture of a 20-CPU desktop
        CliResult inventory = CliRunner.Run("check", "--config-dir", _dir.Dir, "--format", "json");
        CliResult oneHost = CliRunner.Run("check", "--config-dir", _dir.Dir, "--sysroot", PlanCases.Sysroot("desktop-1s-20cpu"));

        // Then the inventory is clean (no host rule judged against a machine that is not a node), and names its nodes;
        // against one host, the host rules apply again and the databases cannot all fit
        Assert.True(inventory.Exit == 0, inventory.Out + inventory.Err);
        JsonElement root = JsonDocument.Parse(inventory.Out).RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("host").ValueKind);
        Assert.Equal(["kvm1", "kvm2", "kvm3"], root.GetProperty("clusterNodes").EnumerateArray().Select(n => n.GetString()!));
        Assert.Equal(1, oneHost.Exit);
    }

    [Fact]
    public void Svg_draws_each_rack_and_node_with_its_vms()
    {
        // Given the three nodes in two racks
        Inventory(ThreeNodes());
        string svg = Path.Combine(_dir.Dir, "cluster.svg");

        // When the plan is drawn
        CliResult r = Run("plan", "--svg", svg);

        // Then the picture is well-formed SVG naming both racks, every node, and every VM in a title
        Assert.True(r.Exit == 0, r.Out + r.Err);
        System.Xml.Linq.XDocument picture = System.Xml.Linq.XDocument.Load(svg);
        string[] titles = [.. picture.Descendants().Where(e => e.Name.LocalName == "title").Select(e => e.Value)];
        string[] texts = [.. picture.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value)];
        Assert.Contains("rack r1", texts);
        Assert.Contains("rack r2", texts);
        Assert.All(new[] { "kvm1", "kvm2", "kvm3" }, n => Assert.Contains(titles, t => t.StartsWith($"{n}: ", StringComparison.Ordinal)));
        Assert.All(Enumerable.Range(1, 6).Select(i => $"web{i}").Concat(["db1", "db2", "db3"]), vm => Assert.Contains(titles, t => t.StartsWith($"{vm}: ", StringComparison.Ordinal)));
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>The real local daemon as one node of a cluster, beside a node planned from a capture.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ClusterLocalDaemonTests : IDisposable
{
    private readonly LibvirtConnection _connection = LibvirtDaemon.Connect();
    private readonly ConfigDir _dir = new();

    [Fact]
    public void A_vm_defined_on_the_local_daemon_stays_there_and_status_reads_it_from_the_daemon()
    {
        // Given a 1-vCPU domain defined on this machine's libvirt, declared, in a cluster of this machine and a capture
        using TestDomain domain = TestDomain.Create(_connection, "cluster", vcpus: 1);
        _dir.Write("00-cpu.conf",
            $"[host]\nmax_vm_share = 1/1\n\n[node here]\nuri = {LibvirtDaemon.Uri}\n\n[node big]\ncapabilities = {TestData.Path("capabilities", "xeon-2s-4numa-snc-80cpu.xml")}\n");
        _dir.Write("10-vm.conf", $"[vm {domain.Name}]\nvcpus = 1\nmemory = 64M\n");

        // When the cluster is planned and its status read
        CliResult plan = CliRunner.Run("cluster", "plan", "--config-dir", _dir.Dir, "--format", "json");
        CliResult status = CliRunner.Run("cluster", "status", "--config-dir", _dir.Dir, "--format", "json");

        // Then the VM stays on the node it is defined on (the big one would hold it as well), and status finds it there,
        // defined and shut off, drifting (never pinned)
        Assert.True(plan.Exit == 0, plan.Out + plan.Err);
        JsonElement here = JsonDocument.Parse(plan.Out).RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "here");
        Assert.Equal(domain.Name, Assert.Single(here.GetProperty("vms").EnumerateArray()).GetString());
        Assert.True(status.Exit == 3, status.Out + status.Err);
        JsonElement observed = JsonDocument.Parse(status.Out).RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "here");
        JsonElement vm = Assert.Single(observed.GetProperty("vms").EnumerateArray());
        Assert.Equal((domain.Name, "shut off", false), (vm.GetProperty("name").GetString(), vm.GetProperty("state").GetString(), vm.GetProperty("inSync").GetBoolean()));
    }

    public void Dispose()
    {
        _connection.Dispose();
        _dir.Dispose();
    }
}
